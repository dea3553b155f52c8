import { stageHost } from '../apps/workload.ts';
import { argoNamespaceOf, componentContext } from '../core/context.ts';
import { HOSTNAME_ANNOTATION } from '../core/conventions.ts';
import { deepMerge } from '../core/merge.ts';
import type { K8sObject } from '../core/types.ts';
import { formatPath } from './paths.ts';
import { withUserCharts } from './charts.ts';
import type { ClusterConfig, Registry } from './schema.ts';


export interface ClaimedHost {
  host: string;
  /** Who serves it, for a message: `the "kargo" component` or `apps[1] ("web"), stage "staging"`. */
  owner: string;
  /** The config path that sets it, for the issue and the hint. */
  path: string;
  /** The option that moves it, when there is one. */
  option?: string;
  /** An app's host: which app, and the stage unless it is the last (which is served at the declared host). */
  app?: { index: number; stage?: string };
}

/**
 * The public hosts the enabled components serve: whatever their charts and objects publish through external-dns
 * (Argo CD's and Kargo's UI, Grafana's), and the hosts of Ingresses among their extraObjects. Found in what each
 * component renders, so a new component with a public host is covered without a list to keep.
 */
export function componentHosts(config: ClusterConfig, registry: Registry): ClaimedHost[] {
  registry = withUserCharts(registry, config);
  const argoNamespace = argoNamespaceOf(config, registry);
  const claimed: ClaimedHost[] = [];
  for (const [id, enabled] of Object.entries(config.components)) {
    const component = registry[id];
    if (!component) continue;
    const ctx = componentContext(config, registry, id, argoNamespace);
    const hasHostOption = 'host' in component.options.shape;
    const explicit = hasHostOption && typeof enabled.options.host === 'string';
    const own = new Set<string>();
    // The values as rendered: the user's raw values merged last, as in core/render.ts.
    const chart = component.chart?.(ctx);
    collectHosts(chart ? deepMerge(chart.values, enabled.common.values ?? {}) : enabled.common.values, own);
    for (const object of component.resources?.(ctx) ?? []) collectHosts(object, own);
    const component_ = formatPath(enabled.path ?? ['components', id]);
    for (const host of own)
      claimed.push({
        host,
        owner: `the "${id}" component`,
        path: explicit && enabled.options.host === host ? formatPath(['components', id, 'host']) : component_,
        ...(hasHostOption && { option: formatPath(['components', id, 'host']) }),
      });
    (enabled.common.extraObjects ?? []).forEach((object, i) => {
      const hosts = new Set<string>();
      collectHosts(object, hosts);
      for (const host of hosts)
        if (!own.has(host)) claimed.push({ host, owner: `an Ingress in ${component_}.extraObjects`, path: formatPath([...(enabled.path ?? ['components', id]), 'extraObjects', i]) });
    });
  }
  return claimed;
}

/** The public host of each app in each stage (`<stage>-<host>`, or `<stage>.<domain>` for the apex, before the last stage). */
export function appHosts(config: ClusterConfig): ClaimedHost[] {
  return config.apps.flatMap((app, i) =>
    app.stages.flatMap((stage) => {
      const host = stageHost(app, stage, config.domain);
      const last = stage === app.stages.at(-1);
      if (!host) return [];
      return [{ host, owner: `apps[${i}]${last ? '' : ` in stage "${stage}"`}`, path: formatPath(['apps', i, 'host']), app: { index: i, ...(!last && { stage }) } }];
    }),
  );
}

/** Hosts named by external-dns annotations and Ingress rules anywhere in values or an object. */
function collectHosts(value: unknown, into: Set<string>, depth = 0): void {
  if (typeof value !== 'object' || value === null || depth > 64) return;
  if (Array.isArray(value)) return value.forEach((item) => collectHosts(item, into, depth + 1));
  const record = value as Record<string, unknown>;
  const annotated = record[HOSTNAME_ANNOTATION];
  if (typeof annotated === 'string') for (const host of annotated.split(',')) if (host.trim()) into.add(host.trim());
  const object = value as Partial<K8sObject>;
  if (object.kind === 'Ingress') {
    const rules = (object.spec as { rules?: { host?: unknown }[] } | undefined)?.rules;
    if (Array.isArray(rules)) for (const rule of rules) if (typeof rule?.host === 'string') into.add(rule.host);
  }
  for (const child of Object.values(record)) collectHosts(child, into, depth + 1);
}

/**
 * Two Ingresses for one host: Traefik routes it to one of them, and the other silently gets no traffic.
 * Every claim after the first of a host, with who claimed it first.
 */
export function hostCollisions(claims: readonly ClaimedHost[]): { claim: ClaimedHost; first: ClaimedHost }[] {
  const first = new Map<string, ClaimedHost>();
  const collisions: { claim: ClaimedHost; first: ClaimedHost }[] = [];
  for (const claim of claims) {
    const earlier = first.get(claim.host);
    if (!earlier) first.set(claim.host, claim);
    else if (earlier.path !== claim.path || earlier.owner !== claim.owner) collisions.push({ claim, first: earlier });
  }
  return collisions;
}
