import type { K8sObject } from '../core/types.ts';
import { POSTGRES_PORT } from '../components/cloudnative-pg/index.ts';
import { KAFKA_PORT } from '../components/redpanda/index.ts';
import { cacheConnection, valkeyPodLabels } from '../components/valkey/index.ts';
import { stageDataOf } from './stage-data.ts';
import type { AppConfig } from '../config/schema.ts';
import { EVERYWHERE, parseCidr, PRIVATE_RANGES } from './cidr.ts';
import { podLabels, SERVICE_PORT, stageHost, type StageContext } from './context.ts';
import { exposeIngress } from './expose.ts';
import { ssoMiddlewareReference } from '../core/sso.ts';
import { defaultClusterIssuer } from '../core/conventions.ts';

const inNamespace = (name: string, pods?: Record<string, string>) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
  ...(pods && { podSelector: { matchLabels: pods } }),
});
const tcp = (port: number) => ({ protocol: 'TCP', port });

/** Apps by the apps that call them, built once per config: looking callers up per app and stage was quadratic. */
const callersByConfig = new WeakMap<StageContext['cluster'], Map<string, AppConfig[]>>();
function callersOf(cluster: StageContext['cluster'], app: string): AppConfig[] {
  let byCallee = callersByConfig.get(cluster);
  if (!byCallee) {
    byCallee = new Map();
    for (const caller of cluster.apps)
      for (const callee of caller.calls) byCallee.set(callee, [...(byCallee.get(callee) ?? []), caller]);
    callersByConfig.set(cluster, byCallee);
  }
  return byCallee.get(app) ?? [];
}

export function networkPolicy(ctx: StageContext, labels: Record<string, string>): K8sObject {
  const { cluster, app, namespace, namespaceOf } = ctx;
  const callers = callersOf(cluster, app.name).filter((caller) => caller.stages.includes(ctx.stage));
  const ingress = [
    ...(app.host ? [{ from: [inNamespace(namespaceOf('traefik'))], ports: [tcp(app.port)] }] : []),
    ...(callers.length > 0 ? [{ from: callers.map((c) => ({ podSelector: { matchLabels: podLabels(c.name) } })), ports: [tcp(app.port)] }] : []),
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: app.name, namespace, labels, ...egressAnnotations(app) },
    spec: { podSelector: { matchLabels: podLabels(app.name) }, policyTypes: ['Ingress', 'Egress'], ingress, egress: egressRules(ctx) },
  };
}

/** The annotations a policy with the app's egress carries: the reasons it opens every address, if it does. */
export function egressAnnotations(app: AppConfig): { annotations?: Record<string, string> } {
  const open = openReasons(app.egress);
  return open ? { annotations: { [EGRESS_INTERNET_OPT_OUT]: open } } : {};
}

/**
 * Where the app's pods may connect: DNS, the pods of its stage's own database server and cache (src/apps/stage-data.ts),
 * the queue, the apps it calls, and its declared egress. Topics share one Redpanda cluster, so the queue is reached
 * as a whole: a stage's topics are its own by name, not by network.
 */
export function egressRules(ctx: StageContext): unknown[] {
  const { cluster, app, namespaceOf } = ctx;
  const data = stageDataOf(cluster, app, ctx.stage);
  const egress: unknown[] = [
    {
      to: [inNamespace('kube-system', { 'k8s-app': 'kube-dns' })],
      ports: [{ protocol: 'UDP', port: 53 }, tcp(53)],
    },
  ];
  if (data.database) {
    const { server, serverNamespace } = data.database;
    egress.push({ to: [inNamespace(serverNamespace, { 'cnpg.io/cluster': server })], ports: [tcp(POSTGRES_PORT)] });
  }
  if (data.cache)
    egress.push({ to: [inNamespace(namespaceOf('valkey'), valkeyPodLabels(data.cache.name))], ports: [tcp(cacheConnection(cluster, data.cache.name).port)] });
  if (app.topics.produce.length + app.topics.consume.length > 0)
    egress.push({ to: [inNamespace(namespaceOf('redpanda'))], ports: [tcp(KAFKA_PORT)] });
  for (const callee of app.calls) {
    const port = cluster.apps.find((a) => a.name === callee)!.port;
    egress.push({ to: [{ podSelector: { matchLabels: podLabels(callee) } }], ports: [tcp(port)] });
  }
  egress.push(...outboundRules(app.egress));
  return egress;
}

/** The opt-out of `policy/egress-internet`: the reasons of the app's egress to every address, said on the policy itself. */
export const EGRESS_INTERNET_OPT_OUT = 'plinth.dev/allow-egress-internet';

type EgressRule = AppConfig['egress'][number];

/**
 * NetworkPolicy egress rules as ipBlocks (k8s.io/api networking/v1 types.go IPBlock). A policy names addresses,
 * never hostnames: `internet` is every address outside the private ranges, in both families.
 */
export function outboundRules(rules: readonly EgressRule[]): unknown[] {
  return rules.map((rule) => {
    const ports = rule.ports.map(({ port, protocol }) => ({ protocol, port }));
    if (rule.to !== 'internet') return { to: [{ ipBlock: { cidr: rule.to, ...(rule.except?.length && { except: rule.except }) } }], ports };
    const family = (f: 4 | 6) => (rule.except ?? []).filter((block) => parseCidr(block)?.family === f);
    return {
      to: ([4, 6] as const).map((f) => ({ ipBlock: { cidr: EVERYWHERE[f], except: [...new Set([...PRIVATE_RANGES[f], ...family(f)])] } })),
      ports,
    };
  });
}

/** The reasons of the rules that open every address (`internet`, `0.0.0.0/0`, `::/0`), or undefined when none does. */
export function openReasons(rules: readonly EgressRule[]): string | undefined {
  const open = rules.filter((rule) => rule.to === 'internet' || parseCidr(rule.to)?.prefix === 0);
  return open.length > 0 ? open.map((rule) => rule.reason.trim()).join('; ') : undefined;
}

/** The Traefik Middleware that strips a route's prefix: one per route, named after the app and the route's place. */
const stripMiddlewareName = (app: string, index: number) => `${app}-strip-${index}`;

/**
 * `traefik.ingress.kubernetes.io/router.middlewares` takes `<namespace>-<name>@kubernetescrd` for a Middleware
 * object: the name Traefik's CRD provider gives it while `providers.kubernetesCRD.safeNaming` is off, as in the
 * pinned chart (traefik-helm-chart v41.3.0 traefik/values.yaml, where the CRD provider is also on).
 */
export function middlewareAnnotationValue(reference: string, namespace: string): string {
  if (reference.includes('@')) return reference;
  const [ns, name] = reference.includes('/') ? reference.split('/') as [string, string] : [namespace, reference];
  return `${ns}-${name}@kubernetescrd`;
}

interface RouteGroup {
  paths: string[];
  middlewares: string[];
}

/**
 * The routes of an app grouped by their middleware chain: Traefik applies an Ingress's middlewares to all of its
 * paths, so each chain gets its own Ingress. No routes is one group, `/` without middlewares.
 */
function routeGroups(ctx: StageContext): RouteGroup[] {
  const { app, namespace } = ctx;
  const groups: RouteGroup[] = [];
  // Sign-in first, on every route of the host: nothing reaches the app, or its other middlewares, before it.
  const sso = app.sso ? [ssoMiddlewareReference(ctx.cluster, app.sso)] : [];
  (app.routes ?? [{ path: '/', stripPrefix: false, middlewares: [] }]).forEach((route, i) => {
    const chain = [
      ...sso,
      ...(route.stripPrefix ? [`${namespace}-${stripMiddlewareName(app.name, i)}@kubernetescrd`] : []),
      ...route.middlewares.map((m) => middlewareAnnotationValue(m, namespace)),
    ];
    const group = groups.find((g) => g.middlewares.join(',') === chain.join(','));
    if (group) group.paths.push(route.path);
    else groups.push({ paths: [route.path], middlewares: chain });
  });
  return groups;
}

const routeIngressName = (app: string, group: number) => (group === 0 ? app : `${app}-${group}`);

function routeIngress(ctx: StageContext, labels: Record<string, string>, host: string, group: RouteGroup, index: number): K8sObject {
  const object = exposeIngress({
    service: ctx.app.name,
    name: routeIngressName(ctx.app.name, index),
    labels,
    host,
    namespace: ctx.namespace,
    port: SERVICE_PORT,
    clusterIssuer: defaultClusterIssuer(ctx.cluster),
    paths: group.paths,
    middlewares: group.middlewares,
  });
  // cert-manager's ingress-shim makes one Certificate per TLS secret: only the first Ingress of the host asks for
  // it (two would fight over the Certificate <app>-tls); the others serve the same secret.
  if (index > 0) delete (object.metadata.annotations as Record<string, string>)['cert-manager.io/cluster-issuer'];
  return object;
}

/** The app's Ingress: its first route group (all of it when no route has middlewares of its own). */
export function ingress(ctx: StageContext, labels: Record<string, string>, host: string): K8sObject {
  return routeIngress(ctx, labels, host, routeGroups(ctx)[0]!, 0);
}

/** What the app's routes add beside its Ingress: an Ingress per further middleware chain, and the StripPrefix Middlewares. */
export function routeObjects(ctx: StageContext, labels: Record<string, string>): K8sObject[] {
  const { app, namespace } = ctx;
  const host = stageHost(app, ctx.stage, ctx.cluster.domain);
  if (!host || !app.routes) return [];
  const ingresses = routeGroups(ctx).slice(1).map((group, i) => routeIngress(ctx, labels, host, group, i + 1));
  // traefik.io/v1alpha1 Middleware, spec.stripPrefix.prefixes (traefik.io_middlewares.yaml in the Traefik CRDs).
  const middlewares = app.routes.flatMap((route, i) =>
    route.stripPrefix
      ? [{ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: stripMiddlewareName(app.name, i), namespace, labels }, spec: { stripPrefix: { prefixes: [route.path] } } }]
      : [],
  );
  return [...ingresses, ...middlewares];
}

