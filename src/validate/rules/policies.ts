import { OPT_OUT_PREFIX, type Finding, type Severity, type Subject } from '../finding.ts';
import {
  asList, asObj, configPath, containersOf, didYouMean, finding, isObj, list, pointer, podSpecOf, quote, selects, str, workloads,
  type Index, type Item, type Obj,
} from './context.ts';
import { ingressHosts } from './refs.ts';

export interface Policy {
  /** `policy/<name>`; the opt-out annotation is `plinth.dev/allow-<name>`. */
  name: string;
  severity: Severity;
  summary: string;
}

/** Every policy, its default severity and what it asks: the table docs/policies.md describes. */
export const POLICIES = [
  { name: 'resources', severity: 'error', summary: 'every container of a workload requests CPU and memory and has a memory limit' },
  { name: 'probes', severity: 'warning', summary: 'every container of a long-running workload has liveness and readiness probes' },
  { name: 'run-as-non-root', severity: 'error', summary: 'every container runs with runAsNonRoot: true (container or pod securityContext) and not as UID 0' },
  { name: 'read-only-root-filesystem', severity: 'warning', summary: 'every container sets securityContext.readOnlyRootFilesystem: true' },
  { name: 'image-tag', severity: 'error', summary: 'no image without a tag or with :latest, except repositories a Kargo Warehouse subscribes to' },
  { name: 'secret-data', severity: 'error', summary: 'no v1 Secret carries data or stringData in the tree' },
  { name: 'ingress-tls', severity: 'error', summary: 'every public Ingress has TLS covering each of its hosts' },
  { name: 'postgres-wal-volume', severity: 'error', summary: 'every CloudNativePG Cluster keeps WAL on its own volume (spec.walStorage)' },
  { name: 'postgres-backup', severity: 'warning', summary: 'every CloudNativePG Cluster declares backups (spec.backup, a WAL-archiver plugin or a ScheduledBackup)' },
  { name: 'pdb', severity: 'warning', summary: 'every replicated workload (replicas > 1, or scaled above 1) has a PodDisruptionBudget selecting its pods' },
  { name: 'cluster-admin-binding', severity: 'error', summary: 'no RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole or binds the system:masters group' },
  { name: 'rbac-wildcard', severity: 'error', summary: 'no Role or ClusterRole rule has "*" in its verbs, resources or apiGroups' },
  { name: 'egress-internet', severity: 'warning', summary: 'no NetworkPolicy lets pods out to every address (an ipBlock of 0.0.0.0/0 or ::/0) without saying why' },
  { name: 'privileged', severity: 'error', summary: 'no Namespace admits privileged pods (Pod Security level privileged) without saying why' },
] as const satisfies readonly Policy[];

export type PolicyName = (typeof POLICIES)[number]['name'];
const SEVERITY = new Map<string, Severity>(POLICIES.map((p) => [p.name, p.severity]));

/** Whether an object opts out of a policy: `plinth.dev/allow-<name>: "<reason>"` with a reason that is not blank. */
function optedOut(item: Item, policy: PolicyName): boolean {
  return (item.annotations[`${OPT_OUT_PREFIX}${policy}`] ?? '').trim() !== '';
}

/**
 * Opt-out annotations that do nothing: one without a reason (reported under the policy, at its severity,
 * and the policy still applies) and one naming no policy (`policy/unknown-opt-out`).
 */
function optOutAnnotations(index: Index): Finding[] {
  const out: Finding[] = [];
  const names = POLICIES.map((p) => p.name as string);
  for (const item of index.items)
    for (const [annotation, reason] of Object.entries(item.annotations)) {
      if (!annotation.startsWith(OPT_OUT_PREFIX)) continue;
      const name = annotation.slice(OPT_OUT_PREFIX.length);
      const path = pointer('metadata', 'annotations', annotation);
      if (!names.includes(name))
        out.push(
          finding(
            item, path, 'policy/unknown-opt-out', 'warning',
            `${annotation} names no policy${didYouMean(name, names)}, so it opts out of nothing`,
            `use one of ${names.map((n) => OPT_OUT_PREFIX + n).join(', ')}`,
          ),
        );
      else if (reason.trim() === '')
        out.push(
          finding(
            item, path, `policy/${name}`, SEVERITY.get(name)!,
            `${annotation} gives no reason, so it does not opt out of policy/${name}`,
            `say why the object is exempt, e.g. ${annotation}: "<why this object cannot comply>"`,
          ),
        );
    }
  return out;
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function containerPolicies(index: Index, kargoRepos: Set<string>): Finding[] {
  const out: Finding[] = [];
  for (const workload of workloads(index)) {
    const pod = podSpecOf(workload);
    if (!pod) continue;
    const where = configPath(workload, index.cluster);
    const viaApp = (field: string) => (where.app ? `${where.app}.${field}` : undefined);
    const skip = {
      resources: optedOut(workload, 'resources'),
      probes: optedOut(workload, 'probes'),
      root: optedOut(workload, 'run-as-non-root'),
      readOnly: optedOut(workload, 'read-only-root-filesystem'),
      image: optedOut(workload, 'image-tag'),
    };
    const podSecurity = asObj(pod.spec.securityContext);
    const longRunning = LONG_RUNNING.has(workload.kind) || (workload.kind === 'Pod' && (pod.spec.restartPolicy ?? 'Always') === 'Always');
    for (const { container, name, path, init } of containersOf(pod, true)) {
      const c = `container ${quote(name)}`;
      if (!skip.resources) {
        const resources = asObj(container.resources);
        const requests = asObj(resources.requests);
        const limits = asObj(resources.limits);
        const missingRequests = ['cpu', 'memory'].filter((r) => requests[r] === undefined || requests[r] === '');
        const missingLimits = ['memory'].filter((r) => limits[r] === undefined || limits[r] === '');
        const hint = (block: string, missing: string[]) =>
          viaApp('resources')
            ? `set ${viaApp('resources')}.${block} (${missing.join(', ')}); check that ${where.app}.deployment does not remove them`
            : `set resources.${block}.${missing.join(` and resources.${block}.`)} on ${c}${workload.kind === 'Pod' ? '' : ` (or opt out with ${OPT_OUT_PREFIX}resources: "<reason>")`}`;
        if (missingRequests.length > 0)
          out.push(finding(workload, `${path}/resources/requests`, 'policy/resources', 'error', `${c} requests no ${missingRequests.join(' or ')}`, hint('requests', missingRequests)));
        if (missingLimits.length > 0)
          out.push(finding(workload, `${path}/resources/limits`, 'policy/resources', 'error', `${c} has no memory limit`, hint('limits', missingLimits)));
      }
      if (!skip.probes && longRunning && !init) {
        for (const probe of ['livenessProbe', 'readinessProbe'])
          if (!isObj(container[probe]))
            out.push(
              finding(
                workload, `${path}/${probe}`, 'policy/probes', 'warning', `${c} has no ${probe}`,
                viaApp('probes') ? `set ${viaApp('probes')}.${probe === 'livenessProbe' ? 'liveness' : 'readiness'} to the app's health path` : `add a ${probe} (e.g. httpGet on the container's health endpoint) to ${c}`,
              ),
            );
      }
      const security = asObj(container.securityContext);
      if (!skip.root) {
        const nonRoot = security.runAsNonRoot ?? podSecurity.runAsNonRoot;
        const user = security.runAsUser ?? podSecurity.runAsUser;
        if (user === 0)
          out.push(finding(workload, security.runAsUser === 0 ? `${path}/securityContext/runAsUser` : `${pod.path}/securityContext/runAsUser`, 'policy/run-as-non-root', 'error', `${c} runs as UID 0 (root)`, `run ${c} as a non-zero UID and set runAsNonRoot: true`));
        else if (nonRoot !== true)
          out.push(
            finding(
              workload, `${path}/securityContext/runAsNonRoot`, 'policy/run-as-non-root', 'error',
              nonRoot === false ? `${c} sets runAsNonRoot: false` : `${c} may run as root: neither it nor the pod sets runAsNonRoot: true`,
              viaApp('deployment') ? `remove the override of runAsNonRoot in ${viaApp('deployment')}` : `set securityContext.runAsNonRoot: true on ${c} or on the pod`,
            ),
          );
      }
      if (!skip.readOnly && security.readOnlyRootFilesystem !== true)
        out.push(
          finding(
            workload, `${path}/securityContext/readOnlyRootFilesystem`, 'policy/read-only-root-filesystem', 'warning',
            `${c} can write to its root filesystem: securityContext.readOnlyRootFilesystem is not true`,
            viaApp('deployment')
              ? `remove the override of readOnlyRootFilesystem in ${viaApp('deployment')}; give writable paths an emptyDir volume`
              : `set securityContext.readOnlyRootFilesystem: true on ${c} and mount an emptyDir where it must write`,
          ),
        );
      if (!skip.image) {
        const image = str(container.image);
        const problem = image ? imageProblem(image) : undefined;
        // A spoke's app stages are promoted by its hub's Kargo, whose Warehouse is in the hub's tree (src/core/hub.ts).
        const promotedByHub = where.app !== undefined && index.cluster?.environment?.managedBy !== undefined;
        if (image && problem && !promotedByHub && !kargoRepos.has(normalizeRepository(repositoryOf(image))))
          out.push(
            finding(
              workload, `${path}/image`, 'policy/image-tag', 'error',
              `${c} uses image ${quote(image)}, ${problem}: what runs changes without a change in git`,
              where.app
                ? `the app's image is promoted by Kargo: its Warehouse must subscribe to ${quote(repositoryOf(image))} (check ${where.app}.image)`
                : `pin a version tag or a digest (e.g. ${quote(`${repositoryOf(image)}:1.2.3`)}), or subscribe a Kargo Warehouse to ${quote(repositoryOf(image))}`,
            ),
          );
      }
    }
  }
  return out;
}

/** The repository of an image reference, without tag or digest; a registry port is not a tag. */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function imageProblem(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const repository = repositoryOf(image);
  if (repository === image) return 'which has no tag (Kubernetes pulls :latest)';
  const tag = image.slice(repository.length + 1);
  return tag === 'latest' ? 'tagged :latest' : undefined;
}

/** `nginx`, `library/nginx` and `docker.io/library/nginx` are one repository. */
export function normalizeRepository(repository: string): string {
  let r = repository.toLowerCase().replace(/^[a-z]+:\/\//, '');
  const first = r.split('/')[0]!;
  if (!r.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost')) r = `docker.io/${r}`;
  r = r.replace(/^(index\.)?docker\.io\//, 'docker.io/');
  if (/^docker\.io\/[^/]+$/.test(r)) r = r.replace('docker.io/', 'docker.io/library/');
  return r;
}

function kargoRepositories(index: Index): Set<string> {
  const repos = new Set<string>();
  for (const warehouse of index.ofKind('kargo.akuity.io', 'Warehouse'))
    for (const s of asList(asObj((warehouse.object as unknown as Obj).spec).subscriptions)) {
      const url = str(asObj(asObj(s).image).repoURL);
      if (url) repos.add(normalizeRepository(url));
    }
  return repos;
}

/** `policy/secret-data`: no Secret in git carries values; key names are given, values never. */
function secretDataPolicy(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const secret of index.ofKind('', 'Secret')) {
    const object = secret.object as unknown as Obj;
    const fields = (['data', 'stringData'] as const).filter((f) => Object.keys(asObj(object[f])).length > 0);
    if (fields.length === 0 || optedOut(secret, 'secret-data')) continue;
    const where = configPath(secret, index.cluster);
    for (const field of fields) {
      const keys = Object.keys(asObj(object[field])).sort();
      out.push(
        finding(
          secret, `/${field}`, 'policy/secret-data', 'error',
          `Secret ${quote(secret.name)} carries ${keys.length} value${keys.length === 1 ? '' : 's'} (${list(keys)}) in ${field}: secret material in git`,
          where.component || where.app
            ? `remove it from ${where.component ?? where.app}.extraObjects; store the values with \`plinth secrets set\` and deliver them with an ExternalSecret from the plinth-secrets store, or generate them with a StringSecret`
            : 'deliver the values through an ExternalSecret (or a StringSecret for generated ones) and remove the Secret from the tree',
        ),
      );
    }
  }
  return out;
}

/** Whether a TLS host entry covers a host: exactly, or a `*.` wildcard covering one more label. */
function covers(entry: string, host: string): boolean {
  const e = entry.toLowerCase();
  if (e === host) return true;
  if (e.startsWith('*.')) {
    const rest = host.slice(host.indexOf('.') + 1);
    return host.includes('.') && rest === e.slice(2);
  }
  return false;
}

/** `policy/ingress-tls`: every host a public Ingress serves is covered by one of its TLS entries. */
function ingressTlsPolicy(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const ingress of index.ofKind('networking.k8s.io', 'Ingress')) {
    const hosts = ingressHosts(ingress);
    if (hosts.length === 0 || optedOut(ingress, 'ingress-tls')) continue;
    const tls = asList(asObj((ingress.object as unknown as Obj).spec).tls);
    const tlsHosts = tls.flatMap((t) => asList(asObj(t).hosts).filter((h): h is string => typeof h === 'string'));
    const seen = new Set<string>();
    for (const { host, path } of hosts) {
      if (seen.has(host) || tlsHosts.some((entry) => covers(entry, host))) continue;
      seen.add(host);
      out.push(
        finding(
          ingress, tls.length === 0 ? '/spec/tls' : path, 'policy/ingress-tls', 'error',
          `public host ${quote(host)} has no TLS: no spec.tls entry lists it${tls.length === 0 ? ' (the Ingress has no spec.tls)' : ''}`,
          `add ${quote(host)} to spec.tls[].hosts with a secretName, and a cert-manager.io/cluster-issuer annotation so cert-manager issues it`,
        ),
      );
    }
  }
  return out;
}

/** `policy/postgres-wal-volume` and `policy/postgres-backup` for CloudNativePG Clusters. */
function postgresPolicies(index: Index): Finding[] {
  const out: Finding[] = [];
  const scheduled = new Set(
    index.ofKind('postgresql.cnpg.io', 'ScheduledBackup').map((b) => `${b.namespace ?? ''}/${str(asObj(asObj((b.object as unknown as Obj).spec).cluster).name) ?? ''}`),
  );
  for (const cluster of index.ofKind('postgresql.cnpg.io', 'Cluster')) {
    const spec = asObj((cluster.object as unknown as Obj).spec);
    const where = configPath(cluster, index.cluster);
    const server = index.cluster?.postgres.servers.findIndex((s) => s.name === cluster.name) ?? -1;
    if (!isObj(spec.walStorage) && !optedOut(cluster, 'postgres-wal-volume'))
      out.push(
        finding(
          cluster, '/spec/walStorage', 'policy/postgres-wal-volume', 'error',
          `PostgreSQL Cluster ${quote(cluster.name)} keeps its write-ahead log on the data volume: a full data volume then stops writes, and one lost volume takes both`,
          server >= 0 ? `set postgres.servers[${server}].walSize (Plinth renders spec.walStorage from it); check components["cloudnative-pg"].extraObjects for an override` : 'add spec.walStorage (e.g. size: 2Gi) to the Cluster',
        ),
      );
    const backup = asObj(spec.backup);
    const plugins = asList(spec.plugins).some((p) => asObj(p).isWALArchiver === true && asObj(p).enabled !== false);
    const declared = isObj(backup.barmanObjectStore) || isObj(backup.volumeSnapshot) || plugins || scheduled.has(`${cluster.namespace ?? ''}/${cluster.name}`);
    if (!declared && !optedOut(cluster, 'postgres-backup'))
      out.push(
        finding(
          cluster, '/spec/backup', 'policy/postgres-backup', 'warning',
          `PostgreSQL Cluster ${quote(cluster.name)} declares no backups: no spec.backup, no WAL-archiver plugin and no ScheduledBackup`,
          where.component || index.cluster
            ? 'set components["cloudnative-pg"].backup = { destinationPath: "s3://<bucket>/<prefix>", endpointURL: "<S3 endpoint>" }, enable components["barman-cloud"] (the Barman Cloud plugin takes the backups) and store the bucket keys with `plinth secrets set postgres-backup-s3`'
            : 'add the Barman Cloud plugin as WAL archiver (spec.plugins, with an ObjectStore) and a ScheduledBackup for the Cluster',
        ),
      );
  }
  return out;
}

/** Replica ceiling of each scaled workload: KEDA's maxReplicaCount (default 100) or an HPA's maxReplicas. */
function scaledMaximum(index: Index): Map<string, number> {
  const max = new Map<string, number>();
  const note = (namespace: string | undefined, kind: string, name: string | undefined, value: number) => {
    if (!name) return;
    const key = `${namespace ?? ''}/${kind}/${name}`;
    max.set(key, Math.max(max.get(key) ?? 0, value));
  };
  for (const so of index.ofKind('keda.sh', 'ScaledObject')) {
    const spec = asObj((so.object as unknown as Obj).spec);
    const ref = asObj(spec.scaleTargetRef);
    note(so.namespace, str(ref.kind) ?? 'Deployment', str(ref.name), typeof spec.maxReplicaCount === 'number' ? spec.maxReplicaCount : 100);
  }
  for (const hpa of index.ofKind('autoscaling', 'HorizontalPodAutoscaler')) {
    const spec = asObj((hpa.object as unknown as Obj).spec);
    const ref = asObj(spec.scaleTargetRef);
    if (typeof spec.maxReplicas === 'number') note(hpa.namespace, str(ref.kind) ?? 'Deployment', str(ref.name), spec.maxReplicas);
  }
  return max;
}

/** `policy/pdb`: a workload running more than one replica has a PodDisruptionBudget whose selector matches its pods. */
function pdbPolicy(index: Index): Finding[] {
  const out: Finding[] = [];
  const scaled = scaledMaximum(index);
  const pdbs = new Map<string, Item[]>();
  for (const pdb of index.ofKind('policy', 'PodDisruptionBudget')) {
    const key = pdb.namespace ?? '';
    const group = pdbs.get(key);
    if (group) group.push(pdb);
    else pdbs.set(key, [pdb]);
  }
  for (const workload of [...index.ofKind('apps', 'Deployment'), ...index.ofKind('apps', 'StatefulSet')]) {
    const spec = asObj((workload.object as unknown as Obj).spec);
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const ceiling = scaled.get(`${workload.namespace ?? ''}/${workload.kind}/${workload.name}`);
    const most = Math.max(replicas, ceiling ?? 0);
    if (most <= 1) continue;
    const labels = asObj(asObj(asObj(spec.template).metadata).labels) as Record<string, string>;
    const here = pdbs.get(workload.namespace ?? '') ?? [];
    if (here.some((p) => selects(asObj((p.object as unknown as Obj).spec).selector, labels))) continue;
    if (optedOut(workload, 'pdb')) continue;
    const where = configPath(workload, index.cluster);
    const why = ceiling !== undefined && ceiling > replicas ? `scales up to ${ceiling} replicas` : `runs ${replicas} replicas`;
    const selector = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(', ');
    out.push(
      finding(
        workload, '/spec/template/metadata/labels', 'policy/pdb', 'warning',
        `${workload.kind} ${quote(workload.name)} ${why} but no PodDisruptionBudget in ${quote(workload.namespace ?? '')} selects its pods (${selector || 'no labels'})${here.length > 0 ? `; ${here.map((p) => p.name).sort().join(', ')} select${here.length === 1 ? 's' : ''} other pods` : ''}`,
        where.app
          ? `the app renders a PodDisruptionBudget on app.kubernetes.io/name: check that ${where.app}.deployment keeps the pod labels`
          : `add a policy/v1 PodDisruptionBudget (e.g. maxUnavailable: 1) whose spec.selector matches the pod template labels`,
      ),
    );
  }
  return out;
}

// The names RBAC gives these powers: the cluster-admin ClusterRole (kubernetes plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy/policy.go: every verb on every resource of every group, and every non-resource URL), the group
// the API server lets through without asking any authorizer (k8s.io/apiserver pkg/authentication/user/user.go:
// SystemPrivilegedGroup = "system:masters"), and the wildcard (k8s.io/api rbac/v1/types.go: APIGroupAll,
// ResourceAll and VerbAll are "*").
const RBAC = 'rbac.authorization.k8s.io';
const CLUSTER_ADMIN = 'cluster-admin';
const MASTERS = 'system:masters';
const WILDCARD = '*';

const subjectName = (subject: Obj): string => {
  const kind = str(subject.kind) ?? 'subject';
  const name = str(subject.name) ?? '(no name)';
  return kind === 'ServiceAccount' && str(subject.namespace) ? `ServiceAccount ${subject.namespace}/${name}` : `${kind} ${name}`;
};

/**
 * `policy/cluster-admin-binding`: a binding that hands out cluster-admin (every verb on everything: Secrets of
 * every namespace, RBAC itself) or names system:masters, a group whose members no RBAC rule can ever restrict.
 */
function clusterAdminBindingPolicy(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const binding of [...index.ofKind(RBAC, 'ClusterRoleBinding'), ...index.ofKind(RBAC, 'RoleBinding')]) {
    if (optedOut(binding, 'cluster-admin-binding')) continue;
    const object = binding.object as unknown as Obj;
    const roleRef = asObj(object.roleRef);
    const subjects = asList(object.subjects).map(asObj);
    const who = subjects.length > 0 ? subjects.map(subjectName).join(', ') : 'no subjects yet';
    const optOut = `or, if it must, opt out with ${OPT_OUT_PREFIX}cluster-admin-binding: "<why nothing smaller works>"`;
    if (roleRef.kind === 'ClusterRole' && roleRef.name === CLUSTER_ADMIN)
      out.push(
        finding(
          binding, '/roleRef/name', 'policy/cluster-admin-binding', 'error',
          binding.kind === 'ClusterRoleBinding'
            ? `${binding.kind} ${quote(binding.name)} grants cluster-admin (every verb on every resource, Secrets and RBAC included) to ${who}`
            : `RoleBinding ${quote(binding.name)} grants cluster-admin in ${quote(binding.namespace ?? '')} (every verb on every resource there, Secrets and RBAC included) to ${who}`,
          `bind a ClusterRole or Role that lists only the resources and verbs needed (the built-in admin, edit or view roles may fit), ${optOut}`,
        ),
      );
    subjects.forEach((subject, i) => {
      if (subject.kind === 'Group' && subject.name === MASTERS)
        out.push(
          finding(
            binding, `/subjects/${i}/name`, 'policy/cluster-admin-binding', 'error',
            `${binding.kind} ${quote(binding.name)} binds the group ${MASTERS}, whose members the API server lets through without consulting RBAC: granting it anything means credentials are being issued in it`,
            `issue credentials in an ordinary group and bind that group to a role with only what it needs, ${optOut}`,
          ),
        );
    });
  }
  return out;
}

/**
 * `policy/rbac-wildcard`: "*" grants whatever the API offers now and whatever it offers later (new CRDs, new
 * subresources, the escalate, bind and impersonate verbs): the grant grows without a change in git.
 */
function rbacWildcardPolicy(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const role of [...index.ofKind(RBAC, 'ClusterRole'), ...index.ofKind(RBAC, 'Role')]) {
    if (optedOut(role, 'rbac-wildcard')) continue;
    asList((role.object as unknown as Obj).rules).forEach((r, i) => {
      const rule = asObj(r);
      const fields = (['apiGroups', 'resources', 'verbs'] as const).filter((field) => asList(rule[field]).includes(WILDCARD));
      if (fields.length === 0) return;
      const named = (field: string) => asList(rule[field]).filter((v): v is string => typeof v === 'string' && v !== WILDCARD);
      out.push(
        finding(
          role, `/rules/${i}/${fields[0]}`, 'policy/rbac-wildcard', 'error',
          `${role.kind} ${quote(role.name)} rule ${i} grants "*" in ${fields.join(', ')}: every ${fields.map((f) => ({ apiGroups: 'API group', resources: 'resource', verbs: 'verb' })[f]).join(', every ')}, including those added later`,
          `list the ${fields.join(' and ')} the workload uses${fields.includes('verbs') && named('resources').length ? ` on ${list(named('resources'))}` : ''} (kubectl auth can-i --list as its service account shows what it does), or opt out with ${OPT_OUT_PREFIX}rbac-wildcard: "<why the set cannot be listed>"`,
        ),
      );
    });
  }
  return out;
}

/**
 * `policy/egress-internet`: an egress rule to 0.0.0.0/0 or ::/0 (with or without `except`) reaches every address,
 * so its reason belongs beside it; the opt-out annotation is that reason (apps[].egress[].reason renders it).
 */
function egressInternetPolicy(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const policy of index.ofKind('networking.k8s.io', 'NetworkPolicy')) {
    if (optedOut(policy, 'egress-internet')) continue;
    const where = configPath(policy, index.cluster);
    asList(asObj((policy.object as unknown as Obj).spec).egress).forEach((rule, i) => {
      const peers = asList(asObj(rule).to);
      const j = peers.findIndex((peer) => /\/0$/.test(str(asObj(asObj(peer).ipBlock).cidr) ?? ''));
      if (j < 0) return;
      const cidr = str(asObj(asObj(peers[j]).ipBlock).cidr)!;
      out.push(
        finding(
          policy, `/spec/egress/${i}/to/${j}/ipBlock/cidr`, 'policy/egress-internet', 'warning',
          `NetworkPolicy ${quote(policy.name)} lets its pods out to every address (${cidr}) and says nowhere why`,
          where.app
            ? `give the reason in ${where.app}.egress[].reason (Plinth renders it as ${OPT_OUT_PREFIX}egress-internet), or narrow "to" to the CIDR the app needs`
            : `narrow the ipBlock to the addresses the pods need, or say why with ${OPT_OUT_PREFIX}egress-internet: "<what the pods reach there>"`,
        ),
      );
    });
  }
  return out;
}

/** The label Pod Security admission enforces a namespace's level by (k8s.io/pod-security-admission api/constants.go). */
const POD_SECURITY_ENFORCE = 'pod-security.kubernetes.io/enforce';

/**
 * `policy/privileged`: a namespace enforcing the privileged level admits pods that can take over their node (a Docker
 * daemon for CI builds, say), so its reason belongs beside it: `plinth.dev/allow-privileged`.
 */
function privilegedNamespacePolicy(index: Index): Finding[] {
  return index
    .ofKind('', 'Namespace')
    .filter((namespace) => namespace.labels[POD_SECURITY_ENFORCE] === 'privileged' && !optedOut(namespace, 'privileged'))
    .map((namespace) =>
      finding(
        namespace, pointer('metadata', 'labels', POD_SECURITY_ENFORCE), 'policy/privileged', 'error',
        `Namespace ${quote(namespace.name)} admits privileged pods, which can take over the node they run on, and says nowhere why`,
        `enforce "baseline" or "restricted", or say why with ${OPT_OUT_PREFIX}privileged: "<what needs it>" (a runner set's privileged option renders it)`,
      ),
    );
}

/** An object's opt-out of a policy, with the reason it gives: shown in the validate output, never silent. */
export interface OptOut {
  file: string;
  document: number;
  object: string;
  policy: string;
  reason: string;
}

/** Every opt-out with a reason among the objects (a blank reason opts out of nothing and is a finding instead). */
export function optOuts(subjects: Subject[]): OptOut[] {
  const names = new Set<string>(POLICIES.map((p) => p.name));
  const out: OptOut[] = [];
  for (const { file, document, object } of subjects) {
    const metadata = asObj((object as unknown as Obj).metadata);
    for (const [annotation, reason] of Object.entries(asObj(metadata.annotations))) {
      if (!annotation.startsWith(OPT_OUT_PREFIX) || typeof reason !== 'string' || reason.trim() === '') continue;
      const policy = annotation.slice(OPT_OUT_PREFIX.length);
      if (!names.has(policy)) continue;
      const namespace = str(metadata.namespace);
      out.push({ file, document, object: `${object.kind}/${namespace ? `${namespace}/` : ''}${str(metadata.name) ?? '(no name)'}`, policy: `policy/${policy}`, reason: reason.trim() });
    }
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.document - b.document || (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0)));
}

export function policyRules(index: Index): Finding[] {
  return [
    ...optOutAnnotations(index),
    ...containerPolicies(index, kargoRepositories(index)),
    ...secretDataPolicy(index),
    ...ingressTlsPolicy(index),
    ...postgresPolicies(index),
    ...pdbPolicy(index),
    ...clusterAdminBindingPolicy(index),
    ...rbacWildcardPolicy(index),
    ...egressInternetPolicy(index),
    ...privilegedNamespacePolicy(index),
  ];
}
