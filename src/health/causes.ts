import { SECRETS_NAMESPACE } from '../core/conventions.ts';
import { resumeCommand } from './promotions.ts';
import type { K8sObject } from '../core/types.ts';
import { assess, conditionOf, kindKey } from './assess.ts';
import type { Snapshot } from './snapshot.ts';
import type { Assessment, Health } from './status.ts';
import { comparisonErrorHint } from './convergence.ts';

/** An object in a cause chain, present or not. */
export interface Node {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  object?: K8sObject;
  /** Why the object before it depends on this one. */
  why?: string;
  /** What is known without the object: an Argo CD Application's view of a resource it could not create. */
  reported?: Assessment;
  /** Keys of a secret input that the chain needs (ExternalSecret remoteRef.property). */
  keys?: string[];
}

export interface CauseStep {
  ref: string;
  health: Health;
  message: string;
  /** Why the step before depends on this one. */
  why?: string;
  /** Warning events about the object, newest first (at most 3). */
  events?: string[];
  /** What to do, on the root cause only. */
  hint?: string;
}

/** What the walker knows about the platform beyond what objects say: where things are by convention. */
export interface Knowledge {
  argoNamespace: string;
  /** The controller Deployment of each API group's operator, from the components' health declarations. */
  controllers: Map<string, { name: string; namespace: string; component: string }>;
  /** The Deployment behind each DNS01 webhook solver group, from the component that declares both. */
  webhooks?: Map<string, { name: string; namespace: string }>;
  /** The Service that gives Ingresses their address (Traefik's, type LoadBalancer). */
  ingressService?: { name: string; namespace: string };
  /** Namespace of the secret inputs and the ClusterSecretStore that serves them. */
  secretsNamespace: string;
  secretStore: string;
}

export const describeRef = (n: { kind: string; name: string; namespace?: string }): string =>
  `${n.kind}/${n.namespace ? `${n.namespace}/` : ''}${n.name}`;

const node = (snapshot: Snapshot, apiVersion: string, kind: string, name: string, namespace: string | undefined, why: string): Node => ({
  apiVersion,
  kind,
  name,
  namespace,
  object: snapshot.get(apiVersion, kind, name, namespace),
  why,
});

const of = (object: K8sObject, why?: string): Node => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name,
  namespace: object.metadata.namespace,
  object,
  why,
});

export function nodeOf(object: K8sObject): Node {
  return of(object);
}

const ownedBy = (object: K8sObject, kind: string, name: string) =>
  ((object.metadata.ownerReferences ?? []) as { kind: string; name: string }[]).some((o) => o.kind === kind && o.name === name);

const newest = (objects: K8sObject[]) =>
  [...objects].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')))[0];

/** Secrets a pod template cannot start without (optional references left out). */
export function podSecrets(template: Record<string, any> | undefined): string[] {
  const spec = template?.spec ?? {};
  const names = new Set<string>();
  for (const v of spec.volumes ?? []) if (v.secret?.secretName && !v.secret.optional) names.add(v.secret.secretName);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name && !e.valueFrom.secretKeyRef.optional) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name && !e.secretRef.optional) names.add(e.secretRef.name);
  }
  return [...names];
}

/** Secrets named by `valueFrom.secretKeyRef` anywhere under a value. */
function secretKeyRefNames(value: unknown, into = new Set<string>(), depth = 0): Set<string> {
  if (typeof value !== 'object' || value === null || depth > 32) return into;
  const ref = (value as { valueFrom?: { secretKeyRef?: { name?: unknown } } }).valueFrom?.secretKeyRef?.name;
  if (typeof ref === 'string') into.add(ref);
  for (const child of Object.values(value)) secretKeyRefNames(child, into, depth + 1);
  return into;
}

/** Deployments whose pods a Service selects. */
function backends(snapshot: Snapshot, namespace: string, serviceName: string): K8sObject[] {
  const service = snapshot.get('v1', 'Service', serviceName, namespace);
  const selector = (service?.spec as { selector?: Record<string, string> } | undefined)?.selector;
  if (!selector) return [];
  return snapshot.list('apps/v1', 'Deployment').filter((d) => {
    if (d.metadata.namespace !== namespace) return false;
    const labels = ((d.spec as any)?.template?.metadata?.labels ?? {}) as Record<string, string>;
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
  });
}

/** What an object needs in order to work, each a possible cause when it does not. */
export function dependencies(n: Node, snapshot: Snapshot, knowledge: Knowledge): Node[] {
  const o = n.object;
  const spec = (o?.spec ?? {}) as Record<string, any>;
  const status = (o?.status ?? {}) as Record<string, any>;
  const ns = n.namespace;
  const deps: Node[] = [];
  const controller = () => {
    const c = knowledge.controllers.get(kindKey(n.apiVersion, n.kind).split('/')[0]!);
    if (c) deps.push(node(snapshot, 'apps/v1', 'Deployment', c.name, c.namespace, `the ${c.component} controller reconciles it`));
  };

  switch (kindKey(n.apiVersion, n.kind)) {
    case 'networking.k8s.io/Ingress': {
      if (!o) break;
      for (const tls of (spec.tls ?? []) as { secretName?: string }[]) {
        if (!tls.secretName) continue;
        const certificate =
          snapshot.list('cert-manager.io/v1', 'Certificate').find((c) => c.metadata.namespace === ns && (c.spec as any)?.secretName === tls.secretName) ??
          undefined;
        deps.push(
          certificate
            ? of(certificate, `serves the TLS Secret ${tls.secretName}`)
            : node(snapshot, 'cert-manager.io/v1', 'Certificate', tls.secretName, ns, `cert-manager's ingress-shim creates it for the TLS Secret ${tls.secretName}`),
        );
      }
      if (knowledge.ingressService && !((status.loadBalancer?.ingress ?? []) as unknown[]).length)
        deps.push(node(snapshot, 'v1', 'Service', knowledge.ingressService.name, knowledge.ingressService.namespace, 'the ingress controller publishes its address'));
      for (const middleware of routerMiddlewares(o, snapshot))
        if (forwardAuthOf(middleware)) deps.push(of(middleware, 'Traefik asks it before every request to the host (router.middlewares): sign-in'));
      break;
    }
    case 'traefik.io/Middleware': {
      const backend = o && forwardAuthOf(o);
      if (!backend) break;
      if (!snapshot.get('v1', 'Service', backend.service, backend.namespace)) {
        deps.push(node(snapshot, 'v1', 'Service', backend.service, backend.namespace, 'its forwardAuth address'));
        break;
      }
      for (const d of backends(snapshot, backend.namespace, backend.service)) {
        deps.push(of(d, 'answers its forwardAuth requests'));
        // While its pods still run, what they read is checked here: a missing Secret stops the next pod from starting.
        if (assess(d, { now: snapshot.now }).health === 'Healthy')
          for (const secret of podSecrets((d.spec as any)?.template))
            deps.push(node(snapshot, 'v1', 'Secret', secret, d.metadata.namespace, `the pods of ${d.metadata.name} read it: the next one cannot start without it`));
      }
      break;
    }
    case 'cert-manager.io/Certificate': {
      const requests = snapshot
        .list('cert-manager.io/v1', 'CertificateRequest')
        .filter((r) => r.metadata.namespace === ns && (r.metadata.annotations?.['cert-manager.io/certificate-name'] === n.name || ownedBy(r, 'Certificate', n.name)));
      const latest = newest(requests);
      if (latest) deps.push(of(latest, 'the latest request for it'));
      if (spec.issuerRef?.name) {
        const kind = spec.issuerRef.kind ?? 'Issuer';
        deps.push(node(snapshot, 'cert-manager.io/v1', kind, spec.issuerRef.name, kind === 'ClusterIssuer' ? undefined : ns, 'issues it'));
      }
      if (!o) {
        // The Certificate itself is missing: ingress-shim (the cert-manager controller) should have made it.
        controller();
      }
      break;
    }
    case 'cert-manager.io/CertificateRequest': {
      for (const order of snapshot.list('acme.cert-manager.io/v1', 'Order').filter((x) => x.metadata.namespace === ns && ownedBy(x, 'CertificateRequest', n.name)))
        deps.push(of(order, 'the ACME order for it'));
      if (spec.issuerRef?.name) {
        const kind = spec.issuerRef.kind ?? 'Issuer';
        deps.push(node(snapshot, 'cert-manager.io/v1', kind, spec.issuerRef.name, kind === 'ClusterIssuer' ? undefined : ns, 'issues it'));
      }
      break;
    }
    case 'acme.cert-manager.io/Order':
      for (const challenge of snapshot.list('acme.cert-manager.io/v1', 'Challenge').filter((x) => x.metadata.namespace === ns && ownedBy(x, 'Order', n.name)))
        deps.push(of(challenge, `proves control of ${(challenge.spec as any)?.dnsName ?? 'the domain'}`));
      break;
    case 'acme.cert-manager.io/Challenge': {
      const webhook = spec.solver?.dns01?.webhook as { groupName?: string } | undefined;
      if (webhook?.groupName) {
        const apiService = snapshot.get('apiregistration.k8s.io/v1', 'APIService', `v1alpha1.${webhook.groupName}`);
        const service = (apiService?.spec as { service?: { name: string; namespace: string } } | undefined)?.service;
        const declared = knowledge.webhooks?.get(webhook.groupName);
        const solvers = service ? backends(snapshot, service.namespace, service.name) : [];
        const known = declared && snapshot.get('apps/v1', 'Deployment', declared.name, declared.namespace);
        if (known && !solvers.includes(known)) solvers.push(known);
        if (declared && !known) deps.push(node(snapshot, 'apps/v1', 'Deployment', declared.name, declared.namespace, 'runs the DNS01 webhook'));
        // The solver's credentials first: a webhook without them fails every challenge, whether or not its API answers.
        for (const d of solvers) {
          for (const secret of podSecrets((d.spec as any)?.template))
            deps.push(node(snapshot, 'v1', 'Secret', secret, d.metadata.namespace, `credentials of the DNS01 webhook ${d.metadata.name}`));
          deps.push(of(d, 'runs the DNS01 webhook'));
        }
        deps.push(node(snapshot, 'apiregistration.k8s.io/v1', 'APIService', `v1alpha1.${webhook.groupName}`, undefined, `the DNS01 webhook ${webhook.groupName}`));
      }
      break;
    }
    case 'apiregistration.k8s.io/APIService': {
      const service = spec.service as { name: string; namespace: string } | undefined;
      if (service) for (const d of backends(snapshot, service.namespace, service.name)) deps.push(of(d, `serves the API behind Service ${service.namespace}/${service.name}`));
      break;
    }
    case 'apps/Deployment':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
      for (const secret of podSecrets(spec.template)) deps.push(node(snapshot, 'v1', 'Secret', secret, ns, 'its pods mount or read it'));
      break;
    case '/Secret': {
      if (o) break;
      const producers: Node[] = [];
      for (const es of snapshot.list('external-secrets.io/v1', 'ExternalSecret'))
        if (es.metadata.namespace === ns && ((es.spec as any)?.target?.name ?? es.metadata.name) === n.name) producers.push(of(es, 'creates it from the secret store'));
      const generated = snapshot.get('secretgenerator.mittwald.de/v1alpha1', 'StringSecret', n.name, ns);
      if (generated) producers.push(of(generated, 'generates it'));
      const copied = snapshot.get('clustersecret.io/v1', 'ClusterSecret', n.name);
      if (copied) producers.push(of(copied, 'copies it into this namespace'));
      deps.push(...producers);
      break;
    }
    case 'external-secrets.io/ExternalSecret': {
      const store = spec.secretStoreRef as { kind?: string; name?: string } | undefined;
      if (store?.name) {
        const kind = store.kind ?? 'SecretStore';
        deps.push(node(snapshot, 'external-secrets.io/v1', kind, store.name, kind === 'ClusterSecretStore' ? undefined : ns, 'the store it reads'));
        if (kind === 'ClusterSecretStore' && store.name === knowledge.secretStore) {
          const inputs = new Map<string, Set<string>>();
          for (const d of (spec.data ?? []) as { remoteRef?: { key?: string; property?: string } }[]) {
            if (!d.remoteRef?.key) continue;
            if (!inputs.has(d.remoteRef.key)) inputs.set(d.remoteRef.key, new Set());
            if (d.remoteRef.property) inputs.get(d.remoteRef.key)!.add(d.remoteRef.property);
          }
          for (const [input, keys] of inputs)
            deps.push({ ...node(snapshot, 'v1', 'Secret', input, knowledge.secretsNamespace, `the secret input ${input} in the store`), keys: [...keys] });
        }
      }
      controller();
      break;
    }
    case 'logging.banzaicloud.io/ClusterOutput':
    case 'logging.banzaicloud.io/Output':
      // The operator loads every Secret the output's spec names from the output's namespace (the control namespace for a
      // ClusterOutput) and lists each it cannot read in status.problems: pkg/resources/model/reconciler.go checkSecrets.
      for (const secret of secretKeyRefNames(spec)) deps.push(node(snapshot, 'v1', 'Secret', secret, ns, 'fluentd reads its credentials from it'));
      controller();
      break;
    case 'actions.github.com/AutoscalingRunnerSet':
      // The controller registers the set with GitHub using the Secret githubConfigSecret names, in the set's namespace
      // (actions/actions-runner-controller controllers/actions.github.com/autoscalingrunnerset_controller.go at 0.14.2).
      if (typeof spec.githubConfigSecret === 'string')
        deps.push(node(snapshot, 'v1', 'Secret', spec.githubConfigSecret, ns, 'the controller registers the set with GitHub using it'));
      controller();
      break;
    case 'postgresql.cnpg.io/Database':
      if (spec.cluster?.name) deps.push(node(snapshot, 'postgresql.cnpg.io/v1', 'Cluster', spec.cluster.name, ns, 'the server it lives on'));
      controller();
      break;
    case 'postgresql.cnpg.io/Cluster': {
      for (const pvc of snapshot.list('v1', 'PersistentVolumeClaim'))
        if (pvc.metadata.namespace === ns && pvc.metadata.labels?.['cnpg.io/cluster'] === n.name) deps.push(of(pvc, 'a volume of an instance'));
      for (const secret of [spec.bootstrap?.initdb?.secret?.name, spec.superuserSecret?.name].filter(Boolean) as string[])
        deps.push(node(snapshot, 'v1', 'Secret', secret, ns, 'credentials it is bootstrapped with'));
      controller();
      break;
    }
    case 'clustersecret.io/ClusterSecret': {
      const source = (o as any)?.data?.valueFrom?.secretKeyRef as { name?: string; namespace?: string } | undefined;
      if (source?.name) deps.push(node(snapshot, 'v1', 'Secret', source.name, source.namespace, 'the Secret it copies'));
      controller();
      break;
    }
    case 'keda.sh/ScaledObject': {
      const target = spec.scaleTargetRef as { name?: string; kind?: string } | undefined;
      if (target?.name) deps.push(node(snapshot, 'apps/v1', target.kind ?? 'Deployment', target.name, ns, 'the workload it scales'));
      for (const trigger of (spec.triggers ?? []) as { type?: string; metadata?: Record<string, string> }[]) {
        const host = trigger.metadata?.bootstrapServers?.split(',')[0]?.split(':')[0];
        const [service, serviceNs] = host?.split('.') ?? [];
        if (trigger.type === 'kafka' && service && serviceNs)
          deps.push(node(snapshot, 'cluster.redpanda.com/v1alpha2', 'Redpanda', service, serviceNs, `the Kafka brokers its ${trigger.type} trigger reads lag from`));
      }
      controller();
      break;
    }
    case 'cluster.redpanda.com/Redpanda':
      deps.push(node(snapshot, 'apps/v1', 'StatefulSet', n.name, ns, 'the brokers'));
      controller();
      break;
    case 'cluster.redpanda.com/Topic':
      for (const cluster of snapshot.list('cluster.redpanda.com/v1alpha2', 'Redpanda').filter((c) => c.metadata.namespace === ns))
        deps.push(of(cluster, 'the cluster it is created in'));
      controller();
      break;
    case 'kargo.akuity.io/Stage': {
      const project = ns ?? '';
      for (const app of snapshot.list('argoproj.io/v1alpha1', 'Application'))
        if (app.metadata.annotations?.['kargo.akuity.io/authorized-stage'] === `${project}:${n.name}`) deps.push(of(app, 'the Argo CD Application it deploys through'));
      const last = status.lastPromotion?.name as string | undefined;
      if (last) deps.push(node(snapshot, 'kargo.akuity.io/v1alpha1', 'Promotion', last, ns, 'its last promotion'));
      for (const f of (spec.requestedFreight ?? []) as { origin?: { kind?: string; name?: string } }[])
        if (f.origin?.kind === 'Warehouse' && f.origin.name) deps.push(node(snapshot, 'kargo.akuity.io/v1alpha1', 'Warehouse', f.origin.name, ns, 'where its Freight comes from'));
      controller();
      break;
    }
    case 'kargo.akuity.io/Warehouse':
    case 'kargo.akuity.io/Promotion':
    case 'external-secrets.io/ClusterSecretStore':
    case 'external-secrets.io/SecretStore':
    case 'cert-manager.io/ClusterIssuer':
    case 'secretgenerator.mittwald.de/StringSecret':
    case 'eraser.sh/ImageJob':
      controller();
      break;
    case 'argoproj.io/Application': {
      for (const r of (status.resources ?? []) as {
        group?: string;
        version?: string;
        kind: string;
        name: string;
        namespace?: string;
        status?: string;
        health?: { status?: Health; message?: string };
      }[]) {
        const health = r.health?.status;
        if (r.status !== 'OutOfSync' && (!health || health === 'Healthy')) continue;
        const apiVersion = r.group ? `${r.group}/${r.version ?? 'v1'}` : (r.version ?? 'v1');
        const failed = ((status.operationState?.syncResult?.resources ?? []) as { kind: string; name: string; namespace?: string; message?: string; status?: string }[]).find(
          (x) => x.kind === r.kind && x.name === r.name && (x.namespace ?? '') === (r.namespace ?? '') && x.status !== 'Synced',
        );
        const message = [r.status === 'OutOfSync' ? 'OutOfSync' : '', health && health !== 'Healthy' ? health : '', r.health?.message ?? '', failed?.message ?? '']
          .filter(Boolean)
          .join(': ');
        const live = snapshot.get(apiVersion, r.kind, r.name, r.namespace);
        deps.push({
          ...node(snapshot, apiVersion, r.kind, r.name, r.namespace, 'a resource the Application manages'),
          object: live,
          reported: { health: failed ? 'Degraded' : !live ? (health ?? 'Missing') : health && health !== 'Healthy' ? health : 'Progressing', message },
        });
      }
      controller();
      break;
    }
    case '/Node': {
      if (conditionOf(o ?? ({} as K8sObject), 'DiskPressure')?.status !== 'True') break;
      const job = newest(snapshot.list('eraser.sh/v1', 'ImageJob'));
      if (job) deps.push(of(job, 'Eraser removes unused images on every node'));
      const eraser = knowledge.controllers.get('eraser.sh');
      if (eraser) deps.push(node(snapshot, 'apps/v1', 'Deployment', eraser.name, eraser.namespace, 'Eraser schedules the image cleanup'));
      break;
    }
    default:
      break;
  }
  return deps;
}

/**
 * Where a Traefik forwardAuth Middleware sends its requests: the Service in `address`
 * (traefik.io_middlewares.yaml spec.forwardAuth.address, e.g. http://oauth2-proxy.sso.svc.cluster.local:80/).
 */
function forwardAuthOf(middleware: K8sObject): { service: string; namespace: string } | undefined {
  if (kindKey(middleware.apiVersion, middleware.kind) !== 'traefik.io/Middleware') return undefined;
  const address = (middleware.spec as { forwardAuth?: { address?: string } } | undefined)?.forwardAuth?.address;
  if (!address || !URL.canParse(address)) return undefined;
  const [service, namespace] = new URL(address).hostname.split('.');
  return service ? { service, namespace: namespace ?? middleware.metadata.namespace ?? 'default' } : undefined;
}

/**
 * The Middleware objects an Ingress's router.middlewares annotation names, `<namespace>-<name>@kubernetescrd` as
 * Traefik's CRD provider names them (apps/network.ts middlewareAnnotationValue), among those the snapshot holds.
 */
function routerMiddlewares(ingress: K8sObject | undefined, snapshot: Snapshot): K8sObject[] {
  const names = (ingress?.metadata.annotations?.['traefik.ingress.kubernetes.io/router.middlewares'] ?? '').split(',').map((m) => m.trim()).filter(Boolean);
  if (names.length === 0) return [];
  const middlewares = snapshot.list('traefik.io/v1alpha1', 'Middleware');
  return names.flatMap((name) => middlewares.filter((m) => `${m.metadata.namespace}-${m.metadata.name}@kubernetescrd` === name));
}

/**
 * Why a host behind sign-in (or the forwardAuth Middleware itself) cannot answer though its own status is fine:
 * Traefik asks the sign-in proxy before every request, so a proxy that is gone, unavailable or cannot start (a
 * Secret its pods read is missing) turns every request into an error.
 */
function signInProblem(object: K8sObject, snapshot: Snapshot): Assessment | undefined {
  if (kindKey(object.apiVersion, object.kind) === 'networking.k8s.io/Ingress') {
    for (const middleware of routerMiddlewares(object, snapshot)) {
      const problem = signInProblem(middleware, snapshot);
      if (problem) return { health: 'Degraded', message: `every request waits on the sign-in of Middleware ${middleware.metadata.namespace}/${middleware.metadata.name}, which cannot answer: ${problem.message}` };
    }
    return undefined;
  }
  const backend = forwardAuthOf(object);
  if (!backend || snapshot.errors.has(kindKey('v1', 'Service'))) return undefined;
  const where = `${backend.namespace}/${backend.service}`;
  if (!snapshot.get('v1', 'Service', backend.service, backend.namespace)) return { health: 'Degraded', message: `its forwardAuth Service ${where} does not exist` };
  for (const d of backends(snapshot, backend.namespace, backend.service)) {
    const health = assess(d, { now: snapshot.now });
    if (health.health !== 'Healthy') return { health: 'Degraded', message: `its forwardAuth Deployment ${d.metadata.namespace}/${d.metadata.name} is not available (${health.message})` };
    const missing = snapshot.errors.has(kindKey('v1', 'Secret')) ? undefined : podSecrets((d.spec as any)?.template).find((secret) => !snapshot.get('v1', 'Secret', secret, d.metadata.namespace));
    if (missing) return { health: 'Degraded', message: `the pods of its forwardAuth Deployment ${d.metadata.namespace}/${d.metadata.name} cannot start: Secret ${missing} does not exist` };
  }
  return undefined;
}

/** The health of a node in a chain: its own rule, Missing when absent, or what its manager reported. */
export function assessNode(n: Node, snapshot: Snapshot): Assessment {
  if (n.object) {
    const own = assess(n.object, { now: snapshot.now, lookup: (v, k, name, ns) => snapshot.get(v, k, name, ns) });
    if (n.reported && own.health === 'Healthy' && n.reported.health !== 'Healthy') return n.reported;
    if (own.health === 'Healthy') return signInProblem(n.object, snapshot) ?? own;
    return own;
  }
  if (n.reported && n.reported.health !== 'Missing') return n.reported;
  if (snapshot.served(n.apiVersion, n.kind) === false) return { health: 'Missing', message: `the cluster does not serve ${n.kind} (${n.apiVersion}): its CRD is not installed` };
  const reason = snapshot.errors.get(kindKey(n.apiVersion, n.kind));
  if (reason) return { health: 'Unknown', message: `cannot read: ${reason}` };
  return { health: 'Missing', message: n.reported?.message ? `does not exist (${n.reported.message})` : 'does not exist' };
}

const SEVERITY: Record<Health, number> = { Degraded: 0, Missing: 0, Unknown: 2, Progressing: 1, Suspended: 3, Healthy: 9 };

/**
 * Follows an unhealthy object to the first cause that has no unhealthy dependency of its own: the root
 * cause. The first step is the object itself; the last carries the hint.
 */
export function explain(start: Node, snapshot: Snapshot, knowledge: Knowledge, maxDepth = 12): CauseStep[] {
  const steps: { node: Node; assessment: Assessment }[] = [];
  const seen = new Set<string>();
  let current: Node | undefined = start;
  let assessment = assessNode(start, snapshot);
  while (current && steps.length < maxDepth) {
    seen.add(describeRef(current));
    steps.push({ node: current, assessment });
    if (assessment.health === 'Healthy') break;
    // A kind the cluster does not serve is its own root cause: nothing behind it can help before its CRD exists.
    if (!current.object && snapshot.served(current.apiVersion, current.kind) === false) break;
    const candidates: { d: Node; a: Assessment }[] = dependencies(current, snapshot, knowledge)
      .filter((d) => !seen.has(describeRef(d)))
      .map((d) => ({ d, a: assessNode(d, snapshot) }))
      .filter(({ a }) => a.health !== 'Healthy')
      .sort((x, y) => SEVERITY[x.a.health] - SEVERITY[y.a.health]);
    const next: { d: Node; a: Assessment } | undefined = candidates[0];
    if (!next) break;
    current = next.d;
    assessment = next.a;
  }
  const result: CauseStep[] = steps.map(({ node: n, assessment: a }) => ({
    ref: describeRef(n),
    health: a.health,
    message: a.message,
    ...(n.why && { why: n.why }),
    ...eventsOf(n, snapshot),
  }));
  const root = steps[steps.length - 1]!;
  if (root.assessment.health !== 'Healthy') result[result.length - 1]!.hint = hintFor(root.node, root.assessment, steps.map((s) => s.node), knowledge);
  return result;
}

function eventsOf(n: Node, snapshot: Snapshot): { events?: string[] } {
  const events = snapshot.events(n.kind, n.name, n.namespace).slice(0, 3);
  return events.length ? { events: events.map((e) => `${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`) } : {};
}

const kubectlName = (n: Node) => `${n.kind.toLowerCase()} ${n.name}${n.namespace ? ` -n ${n.namespace}` : ''}`;

const ARGO_CD_NOT_INSTALLED = 'Argo CD is not installed: run `plinth bootstrap`, which installs it; it then installs the rest';

/** What to do about a root cause, as exactly as the chain allows. */
export function hintFor(root: Node, assessment: Assessment, chain: Node[], knowledge: Knowledge): string {
  const key = kindKey(root.apiVersion, root.kind);
  const component = (group: string) => knowledge.controllers.get(group)?.component;
  if (!root.object && assessment.health === 'Missing' && assessment.message.includes('CRD is not installed')) {
    const owner = component(key.split('/')[0]!);
    // Argo CD cannot sync the chart that installs Argo CD: bootstrap installs it.
    if (owner === 'argo-cd') return ARGO_CD_NOT_INSTALLED;
    return owner
      ? `the ${owner} chart installs this CRD: check the Argo CD Application ${owner} (kubectl -n ${knowledge.argoNamespace} get application ${owner})`
      : `install the CRD for ${root.kind} (${root.apiVersion})`;
  }
  if (key === '/Secret' && !root.object) {
    if (root.namespace === knowledge.secretsNamespace) {
      const keys = root.keys?.length ? root.keys : chain.flatMap((n) => n.keys ?? []);
      const commands = (keys.length ? keys : ['KEY']).map((k) => `plinth secrets set ${root.name} ${k}`);
      return `the secret input ${root.name} is not in the store: run ${commands.join(', then ')} (plinth secrets list says where to get it); External Secrets picks it up at its next refresh`;
    }
    return `nothing creates Secret ${root.namespace}/${root.name}: create it, or declare the ExternalSecret, StringSecret or ClusterSecret that should`;
  }
  if (!root.object && key === 'apps/Deployment') {
    const owner = [...knowledge.controllers.values()].find((c) => c.name === root.name && c.namespace === root.namespace)?.component;
    if (owner === 'argo-cd') return ARGO_CD_NOT_INSTALLED;
    return owner
      ? `the ${owner} chart has not been synced: check the Argo CD Application ${owner} (kubectl -n ${knowledge.argoNamespace} get application ${owner})`
      : `create the Deployment ${root.namespace}/${root.name}, or sync the Application that renders it`;
  }
  if (!root.object && key === 'cert-manager.io/Certificate')
    return `cert-manager has not created the Certificate: check the Ingress annotation cert-manager.io/cluster-issuer and the cert-manager controller's logs`;
  switch (key) {
    case 'apps/Deployment':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
      return `its pods are not available: kubectl describe ${kubectlName(root)}, then kubectl get pods -n ${root.namespace} and read the failing pod's events and logs`;
    case 'cert-manager.io/ClusterIssuer':
    case 'cert-manager.io/Issuer':
      return `the issuer cannot register with the ACME server: check its email and the cluster's egress to Let's Encrypt (kubectl describe ${kubectlName(root)})`;
    case 'acme.cert-manager.io/Challenge':
      return `the ACME server or the DNS01 solver refuses the challenge: kubectl describe ${kubectlName(root)}; check that the domain is delegated to Designate`;
    case 'acme.cert-manager.io/Order':
      return `the ACME order failed (${assessment.message}); cert-manager retries with backoff, delete the CertificateRequest to retry now`;
    case 'external-secrets.io/ClusterSecretStore':
    case 'external-secrets.io/SecretStore':
      return `the store cannot read its backend: re-apply the external-secrets manifests (plinth apply) so its ServiceAccount may read the ${knowledge.secretsNamespace} namespace`;
    case 'external-secrets.io/ExternalSecret':
      return `kubectl describe ${kubectlName(root)}; after fixing its input, force a refresh: kubectl annotate externalsecret ${root.name} -n ${root.namespace} force-sync=$(date +%s) --overwrite`;
    case 'postgresql.cnpg.io/Cluster':
      return `kubectl describe ${kubectlName(root)} and check the instance pods in ${root.namespace} (kubectl cnpg status ${root.name} -n ${root.namespace} with the cnpg plugin)`;
    case 'postgresql.cnpg.io/Database':
      return `the operator could not apply the database (${assessment.message}): fix the cause in the Cluster, then the operator retries`;
    case '/PersistentVolumeClaim':
      return `no volume for ${root.name}: check its StorageClass and the project's volume quota (kubectl describe ${kubectlName(root)})`;
    case 'keda.sh/ScaledObject':
      return `kubectl describe ${kubectlName(root)}; KEDA's operator logs name the failing trigger`;
    case 'cluster.redpanda.com/Redpanda':
    case 'cluster.redpanda.com/Topic':
      return `check the brokers: kubectl get pods -n ${root.namespace} and kubectl describe ${kubectlName(root)}`;
    case 'kargo.akuity.io/Promotion': {
      const spec = (root.object?.spec ?? {}) as { stage?: string; freight?: string };
      const app = root.namespace?.replace(/^kargo-/, '') ?? '<app>';
      return `the promotion failed (${assessment.message}): fix the cause, then resume: ${resumeCommand(app, spec.stage ?? '<stage>', spec.freight ?? '<freight>')} --wait`;
    }
    case 'kargo.akuity.io/Warehouse':
      return `the Warehouse cannot discover images: check the registry's credentials and the image's semver constraint (kubectl describe ${kubectlName(root)})`;
    case 'kargo.akuity.io/Stage':
      return `kubectl describe ${kubectlName(root)}; once the cause is fixed, promote again: plinth promote ${root.namespace?.replace(/^kargo-/, '') ?? '<app>'} ${root.name} --wait`;
    case 'argoproj.io/Application':
      return (
        comparisonErrorHint(root, assessment.message) ??
        `open the Application in Argo CD (kubectl -n ${root.namespace} get application ${root.name} -o yaml) and sync it once its error is fixed`
      );
    case 'eraser.sh/ImageJob':
      return `Eraser's cleanup failed on some nodes: kubectl get pods -n ${knowledge.controllers.get('eraser.sh')?.namespace ?? 'eraser-system'} and read the failed collector's logs`;
    case '/Node':
      return `free disk on ${root.name}: remove unused images (Eraser runs on a schedule; kubectl apply an ImageList to run it now) and check for large images or logs`;
    case 'apiregistration.k8s.io/APIService':
      return `the API behind ${root.name} is unreachable: check the Service and pods it names (kubectl describe apiservice ${root.name})`;
    case 'networking.k8s.io/Ingress':
      return `the ingress controller has not published an address: check Traefik's Service of type LoadBalancer`;
    case '/Service':
      return `no load-balancer address: check the cloud's load-balancer quota and the controller that assigns addresses (kubectl describe ${kubectlName(root)})`;
    default:
      return root.object ? `kubectl describe ${kubectlName(root)}` : `create ${describeRef(root)}, or sync the Application that renders it`;
  }
}

export const DEFAULT_KNOWLEDGE: Omit<Knowledge, 'controllers'> = {
  argoNamespace: 'argocd',
  secretsNamespace: SECRETS_NAMESPACE,
  secretStore: 'plinth-secrets',
};
