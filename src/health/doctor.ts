import { isIP } from 'node:net';
import type { RenderedObject, RenderedTree } from '../core/render.ts';
import { BUILT_IN_GROUPS, groupOf } from '../core/render.ts';
import type { HealthCheck, K8sObject } from '../core/types.ts';
import { APP_LABEL, STAGE_LABEL } from '../apps/workload.ts';
import { kindKey } from './assess.ts';
import type { HostLookup } from './dns.ts';
import { DEFAULT_KNOWLEDGE, describeRef, explain, type CauseStep, type Knowledge, type Node } from './causes.ts';
import type { KindRef, Snapshot } from './snapshot.ts';
import { promotionVerdict } from './promotions.ts';
import { blockingApplication } from './convergence.ts';
import { backupChecks } from './backups.ts';
import { statusOf, worstStatus, type CheckStatus, type Health } from './status.ts';
import { LOCAL_CA_ISSUER } from '../core/conventions.ts';
import { IN_CLUSTER } from '../core/argo.ts';
import { ROOT_LABEL } from '../core/hub.ts';

/** 127.0.0.0/8 and ::1: the machine doctor runs on. */
const isLoopback = (address: string): boolean => address === '::1' || /^127\./.test(address);

export interface DoctorCheck {
  name: string;
  /** The object checked, Kind/namespace/name. */
  ref?: string;
  status: CheckStatus;
  health?: Health;
  message: string;
  hint?: string;
  /** From the object checked to its root cause; only for a check that does not pass. */
  chain?: CauseStep[];
  /** The id of the RootCause this check shares with other checks, when it does. */
  rootCause?: string;
}

/** A cause that several checks share: the first thing to fix, with the checks that wait on it. */
export interface RootCause {
  /** `argo-cd` when Argo CD is not installed; otherwise the ref of the object the shared chains end at. */
  id: string;
  status: CheckStatus;
  /** What is wrong, in a few words. */
  title: string;
  /** What shows it. */
  message: string;
  /** The first thing to do. */
  hint?: string;
  /** The object at the root, Kind/namespace/name, when there is one. */
  ref?: string;
  /** Every check that waits on it, skipped ones included. */
  checks: { feature: string; name: string; status: CheckStatus }[];
}

export interface Feature {
  id: string;
  title: string;
  status: CheckStatus;
  checks: DoctorCheck[];
}

export interface Summary {
  pass: number;
  warn: number;
  fail: number;
  skip: number;
}

/** Which operator reconciles each API group: the component that ships the CRDs and runs the controller. */
/** The Prometheus Operator's group: its CRDs come with the cluster's monitoring stack, never with a component. */
const MONITORING_GROUP = 'monitoring.coreos.com';

const CONTROLLER_OF_GROUP: Record<string, string> = {
  'cert-manager.io': 'cert-manager',
  'acme.cert-manager.io': 'cert-manager',
  'external-secrets.io': 'external-secrets',
  'postgresql.cnpg.io': 'cloudnative-pg',
  'barmancloud.cnpg.io': 'barman-cloud',
  'keda.sh': 'keda',
  'kargo.akuity.io': 'kargo',
  'cluster.redpanda.com': 'redpanda',
  'secretgenerator.mittwald.de': 'secret-generator',
  'clustersecret.io': 'clustersecret',
  'eraser.sh': 'eraser',
  'argoproj.io': 'argo-cd',
  'grafana.integreatly.org': 'grafana',
  'logging.banzaicloud.io': 'logging',
  'actions.github.com': 'runners',
  'valkey.io': 'valkey',
};

/** Objects no check reads but cause chains follow; each kind is listed once. */
const CHAIN_KINDS: KindRef[] = [
  { apiVersion: 'v1', kind: 'Node' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'v1', kind: 'Secret', metadataOnly: true },
  { apiVersion: 'v1', kind: 'Event', fieldSelector: 'type=Warning' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' },
  { apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest' },
  { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer' },
  { apiVersion: 'acme.cert-manager.io/v1', kind: 'Order' },
  { apiVersion: 'acme.cert-manager.io/v1', kind: 'Challenge' },
  { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' },
  { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore' },
  { apiVersion: 'secretgenerator.mittwald.de/v1alpha1', kind: 'StringSecret' },
  { apiVersion: 'clustersecret.io/v1', kind: 'ClusterSecret' },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database' },
  // Read by the backup checks (health/backups.ts): the last failure and its message.
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Backup' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' },
  { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Warehouse' },
  { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Stage' },
  { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Promotion' },
  { apiVersion: 'cluster.redpanda.com/v1alpha2', kind: 'Redpanda' },
  { apiVersion: 'eraser.sh/v1', kind: 'ImageJob' },
];

/** Kinds doctor lists (once each, cluster-wide) and kinds it only asks discovery about (is the CRD installed?). */
export function kindsToRead(tree: RenderedTree): { list: KindRef[]; probe: KindRef[] } {
  const list = new Map<string, KindRef>(CHAIN_KINDS.map((k) => [kindKey(k.apiVersion, k.kind), k]));
  for (const component of tree.components)
    for (const check of component.health) if (!list.has(kindKey(check.apiVersion, check.kind))) list.set(kindKey(check.apiVersion, check.kind), { apiVersion: check.apiVersion, kind: check.kind });
  const probe = new Map<string, KindRef>();
  for (const { object } of tree.objects)
    if (!BUILT_IN_GROUPS.has(groupOf(object.apiVersion)) && !list.has(kindKey(object.apiVersion, object.kind)))
      probe.set(kindKey(object.apiVersion, object.kind), { apiVersion: object.apiVersion, kind: object.kind });
  return { list: [...list.values()], probe: [...probe.values()] };
}


export function knowledgeOf(tree: RenderedTree, argoNamespace: string): Knowledge {
  const controllers: Knowledge['controllers'] = new Map();
  for (const [group, id] of Object.entries(CONTROLLER_OF_GROUP)) {
    const component = tree.components.find((c) => c.id === id);
    const deployment = component?.health.find((h) => h.kind === 'Deployment' || h.kind === 'StatefulSet');
    if (component && deployment?.kind === 'Deployment') controllers.set(group, { name: deployment.name, namespace: deployment.namespace ?? component.namespace, component: id });
  }
  const webhooks: NonNullable<Knowledge['webhooks']> = new Map();
  for (const component of tree.components) {
    const api = component.health.find((h) => h.kind === 'APIService' && h.name.startsWith('v1alpha1.'));
    const deployment = component.health.find((h) => h.kind === 'Deployment');
    if (api && deployment) webhooks.set(api.name.slice('v1alpha1.'.length), { name: deployment.name, namespace: deployment.namespace ?? component.namespace });
  }
  const lb = tree.components.flatMap((c) => c.health).find((h) => h.kind === 'Service' && h.apiVersion === 'v1' && /load balancer/i.test(h.description));
  return { ...DEFAULT_KNOWLEDGE, argoNamespace, controllers, webhooks, ...(lb?.namespace && { ingressService: { name: lb.name, namespace: lb.namespace } }) };
}

const refNode = (snapshot: Snapshot, apiVersion: string, kind: string, name: string, namespace?: string): Node => ({
  apiVersion,
  kind,
  name,
  namespace,
  object: snapshot.get(apiVersion, kind, name, namespace),
});

/** A check of one object: its health, and when it is not healthy, the chain to its root cause. */
/**
 * An Application of a tree another environment's Argo CD runs (hub mode: it names another cluster's API server as its
 * destination, src/core/hub.ts) is not on this cluster: its check is the hub's to make.
 */
function applicationCheck(name: string, application: K8sObject, snapshot: Snapshot, knowledge: Knowledge): DoctorCheck {
  const server = destinationOf(application);
  if (server !== undefined && server !== IN_CLUSTER)
    return {
      name,
      status: 'skip',
      message: `Application ${application.metadata.name} deploys here from the hub's Argo CD, where it lives (destination ${server})`,
      hint: "run plinth doctor --env on the hub environment: it checks this environment's root Application",
    };
  return objectCheck(name, refNode(snapshot, application.apiVersion, application.kind, application.metadata.name, application.metadata.namespace), snapshot, knowledge);
}

const destinationOf = (object: K8sObject): string | undefined =>
  object.kind === 'Application' ? (object.spec as { destination?: { server?: string } } | undefined)?.destination?.server : undefined;

/** A spoke's tree: no Argo CD of its own, and Applications that another cluster's Argo CD runs against this one. */
const deployedByHub = (tree: RenderedTree): boolean =>
  !tree.components.some((c) => c.id === 'argo-cd') && tree.objects.some((o) => (destinationOf(o.object) ?? IN_CLUSTER) !== IN_CLUSTER);

function objectCheck(name: string, n: Node, snapshot: Snapshot, knowledge: Knowledge): DoctorCheck {
  const chain = explain(n, snapshot, knowledge);
  const [self] = chain;
  const root = chain[chain.length - 1]!;
  // A check whose chain ends in a failure fails, even while the object itself only says it is waiting.
  const status = worstStatus([statusOf(self!.health), statusOf(root.health)]);
  const check: DoctorCheck = { name, ref: describeRef(n), status, health: self!.health, message: self!.message };
  if (status === 'pass') return check;
  if (chain.length > 1) check.message = `${self!.message}; root cause: ${root.ref}: ${root.message}`;
  check.hint = root.hint;
  check.chain = chain;
  return check;
}

function healthCheck(check: HealthCheck, snapshot: Snapshot, knowledge: Knowledge): DoctorCheck {
  if (snapshot.served(check.apiVersion, check.kind) === false)
    return { name: check.description, ref: describeRef(check), status: 'skip', message: `${check.kind} is not served: see "CRDs installed"` };
  const result = objectCheck(check.description, refNode(snapshot, check.apiVersion, check.kind, check.name, check.namespace), snapshot, knowledge);
  if (result.status !== 'pass' && check.hint) result.hint = result.hint ? `${result.hint}; ${check.hint}` : check.hint;
  return result;
}

const crdKinds = (objects: K8sObject[], checks: HealthCheck[]) => {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const o of [...objects, ...checks]) if (!BUILT_IN_GROUPS.has(groupOf(o.apiVersion))) kinds.set(kindKey(o.apiVersion, o.kind), { apiVersion: o.apiVersion, kind: o.kind });
  return [...kinds.values()];
};

/** Who installs the missing CRDs: the chart of the component whose operator serves each group (ExternalSecret: external-secrets). */
function crdHint(missing: { apiVersion: string }[], componentId: string, argoNamespace: string): string {
  if (missing.some((k) => groupOf(k.apiVersion) === MONITORING_GROUP))
    return "the cluster's Prometheus Operator installs the ServiceMonitor and PodMonitor CRDs (Magnum's monitoring, or kube-prometheus-stack): without it no alert rule can fire; turn the provider's monitoring on, or install one";
  const owners = [...new Set(missing.map((k) => CONTROLLER_OF_GROUP[groupOf(k.apiVersion)] ?? componentId))].sort();
  if (owners.includes('argo-cd')) return 'Argo CD is not installed: run `plinth bootstrap`, which installs it; it then installs the rest';
  const s = owners.length === 1 ? '' : 's';
  return `the ${owners.join(', ')} chart${s} install${s ? '' : 's'} these CRDs: check the Argo CD Application${s} ${owners.join(', ')} (kubectl -n ${argoNamespace} get application ${owners.join(' ')})`;
}

function feature(id: string, title: string, checks: DoctorCheck[]): Feature {
  return { id, title, status: worstStatus(checks.map((c) => c.status)), checks };
}

const GiB = 1024 ** 3;
const quantityBytes = (q: string | undefined): number | undefined => {
  const m = q?.match(/^(\d+(?:\.\d+)?)([KMGTE]i?|)$/);
  if (!m) return undefined;
  const units: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, E: 1e18, Ki: 1024, Mi: 1024 ** 2, Gi: GiB, Ti: 1024 ** 4, Ei: 1024 ** 6 };
  return Number(m[1]) * units[m[2]!]!;
};
/** Share of a node's disk taken by images at which doctor warns, and fails: the seed's nodes filled up with two 32 GB images. */
export const DISK_WARN = 0.7;
export const DISK_FAIL = 0.85;

function diskCheck(node: K8sObject): DoctorCheck {
  const status = (node.status ?? {}) as { capacity?: Record<string, string>; images?: { names?: string[]; sizeBytes?: number }[] };
  const capacity = quantityBytes(status.capacity?.['ephemeral-storage']);
  const images = status.images ?? [];
  const ref = describeRef({ kind: 'Node', name: node.metadata.name });
  if (!capacity || images.length === 0) return { name: `disk of ${node.metadata.name}`, ref, status: 'skip', message: 'the kubelet reports no image sizes or disk capacity' };
  const used = images.reduce((sum, i) => sum + (i.sizeBytes ?? 0), 0);
  const share = used / capacity;
  const largest = [...images].sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0)).slice(0, 3);
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  const message = `images take ${gb(used)} of ${gb(capacity)} (${Math.round(share * 100)}%); largest: ${largest
    .map((i) => `${(i.names ?? []).find((n) => !n.includes('@')) ?? i.names?.[0] ?? '?'} (${gb(i.sizeBytes ?? 0)})`)
    .join(', ')}`;
  const verdict: CheckStatus = share >= DISK_FAIL ? 'fail' : share >= DISK_WARN ? 'warn' : 'pass';
  return {
    name: `disk of ${node.metadata.name}`,
    ref,
    status: verdict,
    message,
    ...(verdict !== 'pass' && {
      hint: `remove unused images before the kubelet starts evicting pods: check that Eraser's ImageJobs succeed (kubectl get imagejobs), and look at the largest images above`,
    }),
  };
}

const currentFreight = (stage: K8sObject | undefined): string | undefined => {
  const history = ((stage?.status as any)?.freightHistory ?? []) as { items?: Record<string, { name?: string }> }[];
  return Object.values(history[0]?.items ?? {})[0]?.name;
};

/** The features of the cluster and the checks of each, from the render and a snapshot of the live cluster. */
type IngressSpec = { tls?: { hosts?: string[]; secretName?: string }[]; rules?: { host?: string }[] };

/** The hosts an Ingress serves: its rules' and its TLS entries', each once. */
const ingressHosts = (spec: IngressSpec): string[] =>
  [...new Set([...(spec.rules ?? []).map((r) => r.host), ...(spec.tls ?? []).flatMap((t) => t.hosts ?? [])].filter(Boolean) as string[])];

/** Every host the rendered Ingresses serve, sorted: what doctor looks up in DNS. */
export function publicHosts(tree: RenderedTree): string[] {
  return [...new Set(tree.objects.filter((o) => o.object.kind === 'Ingress').flatMap((o) => ingressHosts((o.object.spec ?? {}) as IngressSpec)))].sort();
}

/** The addresses an Ingress is served at, as its controller reports them. */
const servedAt = (ingress: K8sObject | undefined): string[] =>
  ((ingress?.status as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).flatMap((i) => [i.ip, i.hostname].filter(Boolean) as string[]);

/**
 * Every feature's checks. `lookups` holds what each public host resolves to in DNS (see publicHosts);
 * without it, the hosts are checked inside the cluster only.
 */
export function diagnose(tree: RenderedTree, snapshot: Snapshot, argoNamespace = 'argocd', lookups?: Map<string, HostLookup>): Feature[] {
  const knowledge = knowledgeOf(tree, argoNamespace);
  const features: Feature[] = [];
  // The render's objects by owner (component id, `app:<name>`), apps' Applications under their app: one pass, not one per feature.
  const byOwner = new Map<string, RenderedObject[]>();
  const files = new Map<string, RenderedObject>();
  for (const o of tree.objects) {
    const app = o.owner === 'apps' ? o.object.metadata.labels?.[APP_LABEL] : undefined;
    const owner = app ? `app:${app}` : o.owner;
    if (!byOwner.has(owner)) byOwner.set(owner, []);
    byOwner.get(owner)!.push(o);
    files.set(o.file, o);
  }
  const appApplications = [...byOwner.keys()].filter((k) => k.startsWith('app:')).map((k) => k.slice(4)).sort();

  for (const component of tree.components) {
    const checks: DoctorCheck[] = [];
    const owned = (byOwner.get(component.id) ?? []).map((o) => o.object);
    const kinds = crdKinds(owned, component.health);
    const missing = kinds.filter((k) => snapshot.served(k.apiVersion, k.kind) === false);
    const entry = files.get(`apps/${component.id}.yaml`);
    const application = entry?.owner === 'apps' ? entry.object : undefined;
    if (kinds.length > 0) {
      if (missing.length === 0) checks.push({ name: 'CRDs installed', status: 'pass', message: `${kinds.map((k) => k.kind).join(', ')} served` });
      else {
        const check: DoctorCheck = {
          name: 'CRDs installed',
          status: 'fail',
          message: `the cluster serves no ${missing.map((k) => `${k.kind} (${k.apiVersion})`).join(', ')}`,
          hint: crdHint(missing, component.id, argoNamespace),
        };
        if (application) {
          const chain = explain(refNode(snapshot, application.apiVersion, application.kind, application.metadata.name, application.metadata.namespace), snapshot, knowledge);
          if (chain[0]!.health !== 'Healthy') check.chain = chain;
        }
        checks.push(check);
      }
    }
    if (application) checks.push(applicationCheck('synced by Argo CD', application, snapshot, knowledge));
    // A hub's Argo CD runs the root of each spoke's tree: its health is the spoke's Applications' (src/core/hub.ts).
    for (const root of owned.filter((o) => o.kind === 'Application' && o.metadata.labels?.[ROOT_LABEL] === 'true'))
      checks.push(objectCheck(`Application ${root.metadata.name} (another environment's tree) Synced and Healthy`, refNode(snapshot, root.apiVersion, root.kind, root.metadata.name, root.metadata.namespace), snapshot, knowledge));
    for (const check of component.health) checks.push(healthCheck(check, snapshot, knowledge));
    if (component.id === 'cloudnative-pg') checks.push(...backupChecks(owned, snapshot));
    features.push(feature(component.id, component.description, checks));
  }

  // Public HTTPS, end to end: each host's Ingress has an address and a valid, not-near-expiry certificate.
  const hostChecks: DoctorCheck[] = [];
  const dnsPublisher = tree.components.find((c) => c.id === 'external-dns')?.health ?? [];
  for (const { object } of tree.objects) {
    if (object.kind !== 'Ingress') continue;
    const spec = (object.spec ?? {}) as IngressSpec;
    const hosts = ingressHosts(spec);
    const n = refNode(snapshot, 'networking.k8s.io/v1', 'Ingress', object.metadata.name, object.metadata.namespace);
    for (const host of hosts) {
      const tls = (spec.tls ?? []).find((t) => t.hosts?.includes(host));
      const check = objectCheck(`https://${host}`, n, snapshot, knowledge);
      if (!tls) {
        hostChecks.push({ ...check, status: 'fail', message: `${host} is served without TLS`, hint: 'add tls to the Ingress (Plinth apps and expose do this)' });
        continue;
      }
      // An Ingress with an address can still serve a broken certificate: follow the certificate too.
      if (check.status === 'pass' && n.object) {
        const certificate = snapshot
          .list('cert-manager.io/v1', 'Certificate')
          .find((c) => c.metadata.namespace === n.namespace && (c.spec as { secretName?: string })?.secretName === tls.secretName);
        const cert = objectCheck(
          `https://${host}`,
          certificate ? refNode(snapshot, certificate.apiVersion, certificate.kind, certificate.metadata.name, certificate.metadata.namespace) : refNode(snapshot, 'cert-manager.io/v1', 'Certificate', tls.secretName ?? host, n.namespace),
          snapshot,
          knowledge,
        );
        if (cert.status !== 'pass') {
          hostChecks.push({ ...cert, ref: check.ref, message: `TLS for ${host} not ready: ${cert.message}`, chain: [{ ref: check.ref!, health: 'Degraded', message: `serves ${host} with the TLS Secret ${tls.secretName}` }, ...(cert.chain ?? [])] });
          continue;
        }
        // external-dns publishes the record: a broken publisher leaves the name pointing nowhere (or at an old address).
        const dns = dnsPublisher
          .map((h) => objectCheck(h.description, refNode(snapshot, h.apiVersion, h.kind, h.name, h.namespace ?? 'external-dns'), snapshot, knowledge))
          .find((c) => c.status !== 'pass');
        if (dns) {
          hostChecks.push({
            ...dns,
            name: check.name,
            ref: check.ref,
            message: `the DNS record of ${host} is not kept up to date: ${dns.message}`,
            chain: [{ ref: check.ref!, health: 'Degraded', message: `published by external-dns (${dns.ref})` }, ...(dns.chain ?? [])],
          });
          continue;
        }
        // Last, the name itself: published, and pointing at the address the Ingress is served at.
        const lookup = lookups?.get(host);
        const served = servedAt(n.object).filter((a) => isIP(a));
        if (lookup && 'error' in lookup) {
          const publisher = dnsPublisher[0];
          hostChecks.push({
            name: check.name,
            ref: check.ref,
            status: lookup.missing ? 'fail' : 'warn',
            health: lookup.missing ? 'Missing' : 'Unknown',
            message: lookup.missing ? `${host} does not resolve: ${lookup.error}` : `could not look ${host} up: ${lookup.error}`,
            hint: !lookup.missing
              ? "check this machine's resolver, or ask the zone's name server directly: plinth doctor --dns-server <its IP>"
              : publisher
                ? `external-dns runs and has its credentials, so look for why it skipped the name: kubectl -n ${publisher.namespace ?? 'external-dns'} logs deploy/external-dns | grep ${host}. Its domain filter must cover the host, and a new record can take its TTL to appear`
                : `no external-dns in this config publishes it: create the record by hand${served.length ? `, pointing at ${served.join(', ')}` : ''}`,
          });
          continue;
        }
        // A laptop cluster on the local CA is reached through a port mapped to this machine (k3d, kind): its hosts
        // (*.localtest.me) resolve to the loopback address, never to the node address the Ingress reports.
        const local = object.metadata.annotations?.['cert-manager.io/cluster-issuer'] === LOCAL_CA_ISSUER && lookup && !('error' in lookup) && lookup.addresses.every(isLoopback);
        if (local) {
          hostChecks.push({ ...check, message: `${check.message}; certificate ${cert.message}; ${host} resolves to ${lookup.addresses.join(', ')}, this machine, where the local cluster's ports are mapped` });
          continue;
        }
        if (lookup && served.length && !lookup.addresses.some((a) => served.includes(a))) {
          hostChecks.push({
            name: check.name,
            ref: check.ref,
            status: 'warn',
            health: 'Progressing',
            message: `${host} resolves to ${lookup.addresses.join(', ')}, but its Ingress is served at ${served.join(', ')}`,
            hint: "external-dns updates the record on its next sync, about a minute; if it stays, another record or a cache answers first: ask the zone's name server with --dns-server",
          });
          continue;
        }
        hostChecks.push({ ...check, message: `${check.message}; certificate ${cert.message}${lookup ? `; ${host} resolves to ${lookup.addresses.join(', ')}` : ''}` });
        continue;
      }
      hostChecks.push(check);
    }
  }
  if (hostChecks.length) features.push(feature('public-https', 'public hosts: DNS name, load-balancer address, valid certificate', hostChecks));

  // Golden-path apps: each stage's pipeline promoted the latest Freight and its Application is Synced and Healthy.
  for (const app of appApplications) {
    const checks: DoctorCheck[] = [];
    const objects = (byOwner.get(`app:${app}`) ?? []).map((o) => o.object);
    const warehouse = objects.find((o) => o.kind === 'Warehouse');
    const stages = objects.filter((o) => o.kind === 'Stage');
    const latest = warehouse && ((snapshot.get(warehouse.apiVersion, 'Warehouse', warehouse.metadata.name, warehouse.metadata.namespace)?.status as any)?.lastFreightID as string | undefined);
    const image = (warehouse?.spec as { subscriptions?: { image?: { repoURL?: string } }[] } | undefined)?.subscriptions?.[0]?.image?.repoURL;
    if (warehouse) checks.push(objectCheck('Warehouse discovers new images', refNode(snapshot, warehouse.apiVersion, 'Warehouse', warehouse.metadata.name, warehouse.metadata.namespace), snapshot, knowledge));
    stages.forEach((stage, index) => {
      const n = refNode(snapshot, stage.apiVersion, 'Stage', stage.metadata.name, stage.metadata.namespace);
      const check = objectCheck(`stage ${stage.metadata.name}: promoted the latest Freight`, n, snapshot, knowledge);
      const current = currentFreight(n.object);
      if (check.status === 'pass') {
        if (!latest) Object.assign(check, { status: 'warn', message: 'the Warehouse has found no Freight yet', hint: 'push an image tag that matches the semver constraint' });
        else if (current !== latest && index === 0)
          Object.assign(check, {
            status: 'warn',
            message: `runs Freight ${current?.slice(0, 7) ?? '(none)'}, the latest is ${latest.slice(0, 7)}: auto-promotion has not run`,
            hint: `kubectl describe stage ${stage.metadata.name} -n ${stage.metadata.namespace}; check the ProjectConfig's auto-promotion and the Promotions in ${stage.metadata.namespace}`,
          });
        else if (current !== latest) check.message = `runs Freight ${current?.slice(0, 7) ?? '(none)'}; the latest ${latest.slice(0, 7)} waits for a manual promotion`;
        else check.message = `runs the latest Freight ${latest.slice(0, 7)}`;
      }
      // A failed last promotion or a held auto-promotion says which step, which Freight and how to resume.
      const verdict = n.object && promotionVerdict(app, n.object, snapshot.list('kargo.akuity.io/v1alpha1', 'Promotion'), image);
      if (verdict && (verdict.about === 'last-promotion' || check.status !== 'fail')) Object.assign(check, { status: verdict.status, message: verdict.message, hint: verdict.hint });
      checks.push(check);
    });
    for (const application of objects.filter((o) => o.kind === 'Application'))
      checks.push(applicationCheck(`Application ${application.metadata.name} Synced and Healthy`, application, snapshot, knowledge));
    for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'ScaledObject')) {
      const stage = o.metadata.labels?.[STAGE_LABEL] ?? o.metadata.namespace;
      const what = o.kind === 'Deployment' ? 'workload available' : 'autoscaler (KEDA) ready';
      checks.push(objectCheck(`stage ${stage}: ${what}`, refNode(snapshot, o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace), snapshot, knowledge));
    }
    features.push(feature(`app:${app}`, `app ${app}: Kargo pipeline, Argo CD, workload`, checks));
  }

  // Nodes: conditions, and disk taken by images (the seed's Eraser incident).
  const nodeChecks: DoctorCheck[] = [];
  for (const n of snapshot.list('v1', 'Node')) {
    nodeChecks.push(objectCheck(`${n.metadata.name} Ready, no pressure`, refNode(snapshot, 'v1', 'Node', n.metadata.name), snapshot, knowledge));
    nodeChecks.push(diskCheck(n));
  }
  const unreadable = snapshot.errors.get(kindKey('v1', 'Node'));
  if (unreadable)
    nodeChecks.push({ name: 'nodes', status: 'warn', health: 'Unknown', message: `cannot list nodes: ${unreadable}`, hint: 'run doctor with credentials that may list nodes (cluster-wide read)' });
  else if (nodeChecks.length === 0) nodeChecks.push({ name: 'nodes', status: 'fail', message: 'the cluster reports no nodes' });
  const job = [...snapshot.list('eraser.sh/v1', 'ImageJob')].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')))[0];
  if (job) nodeChecks.push(objectCheck('last Eraser image cleanup', refNode(snapshot, job.apiVersion, 'ImageJob', job.metadata.name), snapshot, knowledge));
  features.push(feature('nodes', 'nodes: Ready, memory and disk pressure, disk taken by images', nodeChecks));
  return features;
}

/** Features that check what Argo CD delivers: all but the nodes, which exist without it. */
const deliveredByArgo = (feature: Feature) => feature.id !== 'nodes';

export const BOOTSTRAP_HINT =
  'run `plinth bootstrap`: it installs Argo CD and applies the root Application, and Argo CD then installs every other component, wave by wave';

/** Why Argo CD counts as not installed, if it does: its Application kind is not served, or its API server does not exist. */
function argoCdMissing(snapshot: Snapshot, knowledge: Knowledge): string | undefined {
  if (snapshot.served('argoproj.io/v1alpha1', 'Application') === false) return 'the cluster serves no Application (argoproj.io/v1alpha1): its CRD is not installed';
  const server = knowledge.controllers.get('argoproj.io');
  if (server && !snapshot.errors.has(kindKey('apps/v1', 'Deployment')) && !snapshot.get('apps/v1', 'Deployment', server.name, server.namespace))
    return `Deployment ${server.namespace}/${server.name} (its API server) does not exist`;
  return undefined;
}

/**
 * Groups the checks that fail for the same reason under one root cause, so the first thing to do comes first.
 * Without Argo CD, everything it delivers is blocked on it. Otherwise, checks share the object their cause chains
 * end at; and in a component whose Application is not synced, what does not exist yet (objects, CRDs) waits on
 * that Application's cause. Only causes that more than one check shares are returned, worst and largest first.
 */
export function findRootCauses(tree: RenderedTree, snapshot: Snapshot, features: Feature[], argoNamespace = 'argocd'): { features: Feature[]; rootCauses: RootCause[] } {
  const knowledge = knowledgeOf(tree, argoNamespace);
  // A spoke runs no Argo CD of its own: its hub's deploys it (src/core/hub.ts), so none here is no cause.
  const spoke = deployedByHub(tree);
  const argoMissing = spoke ? undefined : argoCdMissing(snapshot, knowledge);
  const componentIds = new Set(tree.components.map((c) => c.id));
  const keys = new Map<DoctorCheck, string>();
  const roots = new Map<string, CauseStep>();
  const keyOf = (check: DoctorCheck, feature: Feature): string | undefined => {
    if (check.status === 'pass') return undefined;
    if (argoMissing && deliveredByArgo(feature)) return 'argo-cd';
    const crds = feature.checks.find((c) => c.name === 'CRDs installed');
    if (check.status === 'skip') return crds && crds !== check ? keyOf(crds, feature) : undefined;
    const synced = componentIds.has(feature.id) ? feature.checks.find((c) => c.name === 'synced by Argo CD') : undefined;
    const root = check.chain?.at(-1);
    if (synced && synced !== check && synced.status !== 'pass' && (check === crds || root?.health === 'Missing')) return keyOf(synced, feature);
    if (!root) return undefined;
    if (!roots.has(root.ref)) roots.set(root.ref, root);
    return root.ref;
  };
  for (const feature of features) for (const check of feature.checks) {
    const key = keyOf(check, feature);
    if (key) keys.set(check, key);
  }
  const groups = new Map<string, { feature: Feature; check: DoctorCheck }[]>();
  for (const feature of features)
    for (const check of feature.checks) {
      const key = keys.get(check);
      if (key) groups.set(key, [...(groups.get(key) ?? []), { feature, check }]);
    }
  const causes: RootCause[] = [];
  for (const [id, members] of groups) {
    if (members.filter((m) => m.check.status !== 'skip').length < 2 && id !== 'argo-cd') continue;
    const checks = members.map(({ feature, check }) => ({ feature: feature.id, name: check.name, status: check.status }));
    const status = worstStatus(checks.map((c) => c.status));
    if (id === 'argo-cd') causes.push({ id, status, title: 'Argo CD is not installed', message: argoMissing!, hint: BOOTSTRAP_HINT, checks });
    else {
      const root = roots.get(id)!;
      causes.push({ id, status, title: `${root.ref} ${root.health}`, message: root.message, ...(root.hint && { hint: root.hint }), ref: root.ref, checks });
    }
  }
  const failing = (c: RootCause) => c.checks.filter((x) => x.status === 'fail').length;
  causes.sort((a, b) => Number(b.id === 'argo-cd') - Number(a.id === 'argo-cd') || failing(b) - failing(a) || b.checks.length - a.checks.length || a.id.localeCompare(b.id));
  // The child Application the root's sync waves wait on comes first: nothing after it is even applied.
  const blocking = argoMissing || spoke ? undefined : blockingApplication(tree, snapshot, features);
  if (blocking) causes.splice(causes[0]?.id === 'argo-cd' ? 1 : 0, 0, blocking);
  const kept = new Set(causes.map((c) => c.id));
  return {
    rootCauses: causes,
    features: features.map((feature) => ({
      ...feature,
      checks: feature.checks.map((check) => {
        const key = keys.get(check);
        return key && kept.has(key) ? { ...check, rootCause: key } : check;
      }),
    })),
  };
}

export function summarize(features: Feature[]): Summary {
  const summary: Summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const f of features) for (const c of f.checks) summary[c.status]++;
  return summary;
}
