// `sso` on any host: one pass over what a component renders, so every component that publishes a host (and every
// app route) can sit behind the sso component's sign-in without a list of components to keep.
import { MIDDLEWARES_ANNOTATION } from '../apps/expose.ts';
import { ssoMiddlewareName, ssoNamespaceOf } from '../components/sso/index.ts';
import type { ClusterConfig, EnabledComponent, Registry } from '../config/schema.ts';
import { formatPath } from '../config/paths.ts';
import type { ConfigIssue } from '../errors.ts';
import { argoNamespaceOf, componentContext } from './context.ts';
import { HOSTNAME_ANNOTATION } from './conventions.ts';
import { deepMerge } from './merge.ts';

/**
 * The router.middlewares value naming the sso Middleware of a team list: `<namespace>-<name>@kubernetescrd`, as
 * Traefik's CRD provider names it (see apps/network.ts middlewareAnnotationValue).
 */
export function ssoMiddlewareReference(cluster: Pick<ClusterConfig, 'components'>, sso: true | readonly string[]): string {
  return `${ssoNamespaceOf(cluster)}-${ssoMiddlewareName(sso)}@kubernetescrd`;
}

/**
 * `value` with Traefik's router.middlewares annotation beside every external-dns hostname annotation in it, the sso
 * Middleware first (before any the annotations already name), and the hosts it protects added to `hosts`.
 */
export function protectHosts<T>(value: T, reference: string, hosts: Set<string> = new Set(), depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => protectHosts(item, reference, hosts, depth + 1)) as T;
  const record = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, protectHosts(child, reference, hosts, depth + 1)]));
  const host = record[HOSTNAME_ANNOTATION];
  if (typeof host !== 'string' || host.trim() === '') return record as T;
  for (const name of host.split(',')) if (name.trim()) hosts.add(name.trim());
  const existing = typeof record[MIDDLEWARES_ANNOTATION] === 'string' ? (record[MIDDLEWARES_ANNOTATION] as string).split(',').map((m) => m.trim()).filter(Boolean) : [];
  record[MIDDLEWARES_ANNOTATION] = [reference, ...existing.filter((m) => m !== reference)].join(',');
  return record as T;
}

/** A component's chart values or objects, protected when it sets `sso` (the render's pass: core/render.ts). */
export function withSso<T>(cluster: Pick<ClusterConfig, 'components'>, enabled: EnabledComponent, value: T): T {
  return enabled.common.sso ? protectHosts(value, ssoMiddlewareReference(cluster, enabled.common.sso)) : value;
}

const ENABLE_HINT = 'enable it: components: { sso: { github: { org: "<your GitHub organisation>" } } }, or remove sso';

/**
 * Where `sso` cannot work: the sso component is off, the host it would protect does not exist (a component that
 * publishes none, found by the same walk as the render's; an app without a host), the sign-in host itself, or a
 * team whose members could never sign in. `registry` is given once the rest of the config is valid, since finding
 * a component's hosts renders its chart values.
 */
export function ssoIssues(config: ClusterConfig, registry: Registry | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const on = 'sso' in config.components;
  const allowed = on ? (config.components.sso!.options as { github?: { teams?: string[] } }).github?.teams : undefined;
  const teamIssues = (sso: true | string[], path: (string | number)[]) => {
    if (sso === true || !allowed) return;
    sso.forEach((team, i) => {
      if (!allowed.includes(team))
        issues.push({
          path: formatPath([...path, i]),
          message: `team "${team}" is not in components.sso.github.teams, the only teams whose members can sign in: nobody would get through`,
          hint: `add "${team}" to components.sso.github.teams, or list only teams from it (${allowed.join(', ')})`,
        });
    });
  };
  const argoNamespace = argoNamespaceOf(config, registry);
  for (const [id, enabled] of Object.entries(config.components)) {
    const sso = enabled.common.sso;
    if (!sso) continue;
    const path = [...(enabled.path ?? ['components', id]), 'sso'];
    if (!on) {
      issues.push({ path: formatPath(path), message: 'puts the component\'s hosts behind sign-in, but the "sso" component is not enabled', hint: ENABLE_HINT });
      continue;
    }
    if (id === 'sso') {
      issues.push({ path: formatPath(path), message: 'would put the sign-in host behind its own sign-in: nobody could ever sign in', hint: 'remove components.sso.sso' });
      continue;
    }
    teamIssues(sso, path);
    const component = registry?.[id];
    if (!component) continue;
    const ctx = componentContext(config, registry, id, argoNamespace);
    const hosts = new Set<string>();
    const chart = component.chart?.(ctx);
    const reference = ssoMiddlewareReference(config, sso);
    protectHosts(chart ? deepMerge(chart.values, enabled.common.values ?? {}) : (enabled.common.values ?? {}), reference, hosts);
    for (const object of [...(component.resources?.(ctx) ?? []), ...(enabled.common.extraObjects ?? [])]) protectHosts(object, reference, hosts);
    // Traefik reads router.middlewares on Ingresses only: an IngressRoute's host would stay open while looking protected.
    (enabled.common.extraObjects ?? []).forEach((object, i) => {
      if (object.kind === 'IngressRoute')
        issues.push({
          path: formatPath([...(enabled.path ?? ['components', id]), 'extraObjects', i]),
          message: `IngressRoute "${object.metadata.name}" would not be behind sign-in: sso adds Traefik's router.middlewares annotation, which only Ingresses read`,
          hint: 'publish the host with an Ingress instead, or add the sso Middleware to the IngressRoute\'s routes yourself and keep it out of this component',
        });
    });
    if (hosts.size === 0)
      issues.push({
        path: formatPath(path),
        message: `the "${id}" component publishes no host (no external-dns hostname in its values or objects), so there is nothing to put behind sign-in`,
        hint: `remove sso${'ingress' in component.options.shape ? `, or publish its host with ${formatPath(['components', id, 'ingress'])}: true` : ''}`,
      });
  }
  config.apps.forEach((app, i) => {
    if (!app.sso) return;
    const path = ['apps', i, 'sso'];
    if (!on) issues.push({ path: formatPath(path), message: 'puts the app\'s host behind sign-in, but the "sso" component is not enabled', hint: ENABLE_HINT });
    else if (!app.host) issues.push({ path: formatPath(path), message: 'the app has no host to put behind sign-in', hint: `add ${formatPath(['apps', i, 'host'])}, or remove sso` });
    else teamIssues(app.sso, path);
  });
  return issues;
}
