import { createTwoFilesPatch } from 'diff';
import { pool } from '../core/pool.ts';
import { describeObject, groupOf, MANAGED_BY, SYNC_WAVE, type RenderedTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { toYaml } from '../core/yaml.ts';
import { PlinthError } from '../errors.ts';
import { isTransient, KubeError, type LiveCluster } from './client.ts';
import { explainImmutable, growsVolumes, operatorImmutableChanges, storageClassFacts, type ImmutableChange, type StorageClassFacts } from './immutable.ts';
import { permanentDrift } from './drift.ts';
import { applicationRemoval } from '../core/argo.ts';

export type Action = 'create' | 'update' | 'unchanged' | 'skip' | 'prune' | 'keep' | 'error';

export interface ObjectChange {
  object: K8sObject;
  /** `Kind/namespace/name`. */
  ref: string;
  action: Action;
  /** Unified diff of the live object and what applying would make of it (managed fields and status left out). */
  diff?: string;
  immutable?: ImmutableChange[];
  /** Why an object is skipped, kept, failed, or drifts. */
  reason?: string;
  /** Paths a client-side diff (Argo CD's default) would show as different forever: lists the API server completes. */
  drift?: string[];
}

const driftReason = (paths: string[]) =>
  `the API server completes ${paths.join(', ')}: Argo CD's client-side diff would show it OutOfSync forever; render the fields it adds`;

/** Progress of long work, for humans (see Context.progress). */
export type Progress = (message: string, options?: { transient?: boolean; phase?: boolean }) => void;

/** Objects applied together, before the next phase starts. */
export interface Phase {
  /** What the phase holds, for progress: `CRDs`, `namespaces`, `wave 2`, `root Application`. */
  name: string;
  objects: K8sObject[];
}

export interface LivePlan {
  /** Objects to apply, phase by phase: CRDs, then namespaces, then each sync wave, then the root Application. */
  phases: Phase[];
  changes: ObjectChange[];
  /** Changes that would need a manual step: nothing may be applied while any exists. */
  blocked: ObjectChange[];
}

export interface PlanOptions {
  prune?: boolean;
  allowDataLoss?: boolean;
  /** Rendered objects that reach the cluster another way (an app's stage branch): applied by Argo CD, never pruned. */
  deliveredElsewhere?: K8sObject[];
  /** The kinds of the phases the cluster does not serve (unservedKinds); asked for when not given. */
  unserved?: UnservedKind[];
  /** false: the cluster has no Argo CD to install missing CRDs, and a skipped object says so. */
  argoCdInstalled?: boolean;
  progress?: Progress;
}

const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=plinth';

/** Ignored when comparing: what the server owns, or what changes on every write. */
export function comparable(object: K8sObject): K8sObject {
  const { status: _status, ...rest } = object as K8sObject & { status?: unknown };
  const { managedFields, resourceVersion, generation, uid, creationTimestamp, selfLink, ...metadata } = rest.metadata as Record<string, unknown>;
  void [managedFields, resourceVersion, generation, uid, creationTimestamp, selfLink];
  const annotations = { ...(metadata.annotations as Record<string, string> | undefined) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...rest, metadata } as K8sObject;
}

export function objectDiff(ref: string, before: K8sObject | undefined, after: K8sObject): string {
  const patch = createTwoFilesPatch(`live ${ref}`, `rendered ${ref}`, before ? toYaml(comparable(before)) : '', toYaml(comparable(after)), '', '', {
    context: 3,
  });
  const lines = patch.split('\n');
  const firstHunk = lines.findIndex((line) => line.startsWith('@@'));
  return firstHunk === -1 ? '' : lines.slice(firstHunk).join('\n').trimEnd();
}

const isNamespaceKind = (o: K8sObject) => o.apiVersion === 'v1' && o.kind === 'Namespace';
const isArgoApplication = (o: K8sObject) => o.apiVersion === 'argoproj.io/v1alpha1' && o.kind === 'Application';
const isCrd = (o: K8sObject) => o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io';
const kindKey = (o: { apiVersion: string; kind: string }) => `${o.apiVersion}/${o.kind}`;

/** The objects of namedPhases, without the names. */
export function applyPhases(tree: RenderedTree, extra: K8sObject[] = []): K8sObject[][] {
  return namedPhases(tree, extra).map((phase) => phase.objects);
}

/**
 * Orders a rendered tree for applying without Argo CD: the extra CRDs the render uses, then every namespace
 * the objects live in (with the other CRDs), then the components wave by wave, and the root Application last.
 */
/**
 * Namespaces the API server makes and keeps itself (k8s.io/kubernetes pkg/controlplane/controller/systemnamespaces
 * for kube-system, kube-public and kube-node-lease; `default` by the apiserver's own bootstrap): they always exist,
 * and an adopted database in `default` must not make it Plinth's to label or prune.
 */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export function namedPhases(tree: RenderedTree, extra: K8sObject[] = []): Phase[] {
  const waveOf = new Map(tree.components.map((c) => [c.id, c.wave]));
  // Only the CRDs the render uses gate the next phases; the others are applied along with the namespaces,
  // so the API server establishes the needed ones first and nothing waits for the rest.
  const used = new Set(tree.objects.map(({ object }) => `${groupOf(object.apiVersion)}/${object.kind}`));
  const isUsed = (crd: K8sObject) => {
    const spec = crd.spec as { group: string; names: { kind: string } };
    return used.has(`${spec.group}/${spec.names.kind}`);
  };
  const usedCrds = extra.filter(isCrd).filter(isUsed);
  const otherCrds = extra.filter(isCrd).filter((crd) => !isUsed(crd));
  const byWave = new Map<number, K8sObject[]>();
  const last: K8sObject[] = [];
  const namespaces = new Map<string, K8sObject>();
  const applied = tree.objects.filter((o) => !o.promoted);
  // A namespace the render declares itself (with its labels) replaces the bare one made for its objects.
  for (const { object } of applied) if (isNamespaceKind(object)) namespaces.set(object.metadata.name, object);
  const projects: K8sObject[] = [];
  for (const { owner, object, wave: ownWave } of applied) {
    if (isNamespaceKind(object)) continue;
    // Plinth's AppProject goes before every Application that belongs to it.
    if (object.kind === 'AppProject' && groupOf(object.apiVersion) === 'argoproj.io') {
      projects.push(object);
      continue;
    }
    if (owner === 'bootstrap') {
      last.push(object);
      continue;
    }
    const wave = ownWave ?? (owner === 'apps' ? Number(object.metadata.annotations?.[SYNC_WAVE] ?? 0) : waveOf.get(owner) ?? 0);
    byWave.set(wave, [...(byWave.get(wave) ?? []), object]);
  }
  const objectNamespaces = applied.map((o) => o.object.metadata.namespace).filter((n): n is string => !!n);
  for (const name of [...objectNamespaces, ...tree.components.map((c) => c.namespace)])
    if (!namespaces.has(name) && !SYSTEM_NAMESPACES.has(name))
      namespaces.set(name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...MANAGED_BY } } });
  const waves = [...byWave.keys()].sort((a, b) => a - b).map((wave) => ({ name: `wave ${wave}`, objects: byWave.get(wave)! }));
  const sortedNamespaces = [...namespaces.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  return [
    { name: 'CRDs', objects: usedCrds },
    { name: otherCrds.length > 0 ? 'namespaces and the other CRDs' : 'namespaces', objects: [...sortedNamespaces, ...otherCrds, ...projects] },
    ...waves,
    { name: 'root Application', objects: last },
  ].filter((phase) => phase.objects.length > 0);
}

/** A kind the objects to apply use and the cluster does not serve. */
export interface UnservedKind {
  apiVersion: string;
  kind: string;
  /** Objects of this kind in the apply. */
  objects: number;
  /** A CRD in the same apply defines it (from --crds or the render). */
  providedHere: boolean;
}

const crdServes = (crd: K8sObject): string[] => {
  const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
  return spec.versions.map((v) => `${spec.group}/${v.name}/${spec.names.kind}`);
};

/** The kinds of `objects` the cluster does not serve, from discovery: one request per API group version. */
export async function unservedKinds(cluster: LiveCluster, objects: K8sObject[]): Promise<UnservedKind[]> {
  const provided = new Set(objects.filter(isCrd).flatMap(crdServes));
  const counts = new Map<string, { apiVersion: string; kind: string; objects: number }>();
  for (const { apiVersion, kind } of objects) {
    const key = kindKey({ apiVersion, kind });
    counts.set(key, { apiVersion, kind, objects: (counts.get(key)?.objects ?? 0) + 1 });
  }
  const unserved: UnservedKind[] = [];
  await pool([...counts.values()], 8, async (entry) => {
    if (!(await withRetry(() => cluster.serves(entry.apiVersion, entry.kind)))) unserved.push({ ...entry, providedHere: provided.has(kindKey(entry)) });
  });
  return unserved.sort((a, b) => b.objects - a.objects || kindKey(a).localeCompare(kindKey(b)));
}

/** Argo CD's own kind: a cluster that serves it has Argo CD, which installs each component's CRDs with its chart. */
// Upstream: argo-cd manifests/crds/application-crd.yaml (group argoproj.io, served version v1alpha1).
export const ARGO_APPLICATION = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' } as const;

/**
 * The apply needs kinds that the cluster does not serve, that no CRD in the apply defines, and that nothing
 * on the cluster will install (no Argo CD): applying would fail object by object, so nothing is applied.
 */
export class MissingCrdsError extends PlinthError {
  readonly kinds: UnservedKind[];
  constructor(kinds: UnservedKind[]) {
    const objects = kinds.reduce((sum, k) => sum + k.objects, 0);
    // Argo CD's Application first: installing Argo CD is what brings the others.
    const ordered = [...kinds].sort((a, b) => Number(kindKey(b) === kindKey(ARGO_APPLICATION)) - Number(kindKey(a) === kindKey(ARGO_APPLICATION)));
    const examples = ordered.slice(0, 3).map((k) => `${k.kind} (${k.apiVersion})`);
    const more = kinds.length - examples.length;
    super(
      `the cluster has no CRD for ${kinds.length} kind${kinds.length === 1 ? '' : 's'} that ${objects} rendered object${objects === 1 ? ' uses' : 's use'}: ` +
        `${examples.join(', ')}${more > 0 ? ` and ${more} more` : ''}; nothing was applied`,
      'start with `plinth bootstrap`: it installs Argo CD, which installs each component with its CRDs. ' +
        'To apply without Argo CD, give the CRDs: `plinth apply --crds DIR` (a directory of CRD manifests)',
    );
    this.kinds = kinds;
  }
}

async function withRetry<T>(work: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retryable = isTransient(error) || (error instanceof KubeError && error.status === 409);
      if (!retryable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, 5000)));
    }
  }
}

/**
 * The live state of every object to apply, from one list call per kind (cluster-wide) rather than a
 * request per object. Kinds the cluster does not serve yet have no live objects.
 */
async function listLive(cluster: LiveCluster, objects: K8sObject[], unserved: Set<string>): Promise<Map<string, K8sObject>> {
  const wanted = new Set(objects.map(describeObject));
  const kinds = new Map(objects.filter((o) => !unserved.has(kindKey(o))).map((o) => [kindKey(o), o]));
  const live = new Map<string, K8sObject>();
  await pool([...kinds.values()], 8, async ({ apiVersion, kind }) => {
    try {
      for (const object of await withRetry(() => cluster.list(apiVersion, kind))) {
        const ref = describeObject(object);
        if (wanted.has(ref)) live.set(ref, object);
      }
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
    }
  });
  return live;
}

/** Dry-runs every object against the live cluster: what would be created, changed, refused, or pruned. */
export async function planLive(cluster: LiveCluster, phases: Phase[], options: PlanOptions = {}): Promise<LivePlan> {
  const all = phases.flatMap((phase) => phase.objects);
  const progress = options.progress ?? (() => {});
  const existingNamespaces = new Set((await withRetry(() => cluster.list('v1', 'Namespace'))).map((ns) => ns.metadata.name));
  const namespacesCreated = new Set(all.filter(isNamespaceKind).map((ns) => ns.metadata.name).filter((n) => !existingNamespaces.has(n)));
  const crdKinds = new Set(all.filter(isCrd).flatMap(crdServes));
  const unserved = new Set((options.unserved ?? (await unservedKinds(cluster, all))).map(kindKey));
  const liveState = await listLive(cluster, all, unserved);
  const changes: ObjectChange[] = [];
  const noCrd = (object: K8sObject, ref: string): ObjectChange =>
    crdKinds.has(kindKey(object))
      ? { object, ref, action: 'create', reason: 'its CRD is created by this apply' }
      : {
          object,
          ref,
          action: 'skip',
          reason:
            options.argoCdInstalled === false
              ? `the cluster has no CRD for ${kindKey(object)}, and no Argo CD to install it: run plinth bootstrap, or apply with --crds DIR`
              : `the cluster has no CRD for ${kindKey(object)} yet: Argo CD installs it with the component's chart, then syncs this object`,
        };
  // Read once, and only when a database volume grows: growth goes through only on an expandable StorageClass.
  let classes: Promise<StorageClassFacts[] | undefined> | undefined;
  const storageClasses = () =>
    (classes ??= withRetry(() => cluster.list('storage.k8s.io/v1', 'StorageClass')).then(storageClassFacts, () => undefined));
  let planned = 0;
  await pool(all, 8, async (object) => {
    const ref = describeObject(object);
    progress(`dry-run: ${++planned}/${all.length} objects`, { transient: true });
    try {
      // A kind the cluster does not serve cannot be dry-run: its object waits for its CRD, from this apply or from Argo CD.
      if (unserved.has(kindKey(object))) return void changes.push(noCrd(object, ref));
      const live = liveState.get(ref);
      if (!live && isCrd(object)) {
        // Validating a new CRD costs the API server as much as creating it; it is created first, before anything else.
        changes.push({ object, ref, action: 'create', diff: objectDiff(ref, undefined, object) });
        return;
      }
      if (!live && object.metadata.namespace && namespacesCreated.has(object.metadata.namespace)) {
        changes.push({ object, ref, action: 'create', reason: `its namespace ${object.metadata.namespace} is created by this apply` });
        return;
      }
      const result = await withRetry(() => cluster.apply(object, { dryRun: true }));
      const immutable = live ? operatorImmutableChanges(live, object, growsVolumes(live, object) ? await storageClasses() : undefined) : [];
      if (immutable.length > 0) {
        changes.push({ object, ref, action: 'error', immutable, diff: objectDiff(ref, live, result) });
        return;
      }
      const diff = objectDiff(ref, live, result);
      const drift = live ? permanentDrift(object, result) : [];
      if (drift.length > 0 && diff === '') return void changes.push({ object, ref, action: 'update', drift, reason: driftReason(drift) });
      changes.push({ object, ref, action: !live ? 'create' : diff === '' ? 'unchanged' : 'update', ...(diff && { diff }), ...(drift.length > 0 && { drift }) });
    } catch (error) {
      if (error instanceof KubeError && error.status === 404 && /resource metadata|serves no/.test(error.message)) {
        changes.push(noCrd(object, ref));
      } else if (error instanceof KubeError && error.status === 422 && /immutable/i.test(error.message)) {
        changes.push({ object, ref, action: 'error', immutable: [explainImmutable(object, error.message)], reason: error.message });
      } else {
        changes.push({ object, ref, action: 'error', reason: (error as Error).message });
      }
    }
  });

  if (options.prune)
    changes.push(...(await pruneCandidates(cluster, all, options.deliveredElsewhere ?? [], options.allowDataLoss ?? false, unserved)));
  const order = new Map(all.map((o, i) => [describeObject(o), i]));
  changes.sort((a, b) => (order.get(a.ref) ?? Infinity) - (order.get(b.ref) ?? Infinity) || (a.ref < b.ref ? -1 : 1));
  return { phases, changes, blocked: changes.filter((c) => c.action === 'error') };
}

const DATA_KINDS = new Set(['v1/PersistentVolumeClaim', 'postgresql.cnpg.io/v1/Cluster']);

/**
 * The kinds Plinth has applied to a cluster, kept in the cluster, so that prune also finds objects of a
 * kind the render no longer has at all (like kubectl's ApplySet).
 */
export const INVENTORY = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plinth-inventory', namespace: 'kube-system' } } as const;

async function recordedKinds(cluster: LiveCluster): Promise<string[]> {
  const inventory = await withRetry(() => cluster.get(INVENTORY));
  return ((inventory?.data as { kinds?: string } | undefined)?.kinds ?? '').split('\n').filter(Boolean);
}

async function recordKinds(cluster: LiveCluster, kinds: Iterable<string>): Promise<void> {
  await withRetry(() =>
    cluster.apply({ ...INVENTORY, metadata: { ...INVENTORY.metadata, labels: { ...MANAGED_BY } }, data: { kinds: [...new Set(kinds)].sort().join('\n') } }),
  );
}


async function pruneCandidates(
  cluster: LiveCluster,
  desired: K8sObject[],
  elsewhere: K8sObject[],
  allowDataLoss: boolean,
  unserved: Set<string>,
): Promise<ObjectChange[]> {
  const wanted = new Set([...desired.map(describeObject), ...elsewhere.map(describeObject), describeObject(INVENTORY)]);
  const kinds = new Map(desired.map((o) => [kindKey(o), { apiVersion: o.apiVersion, kind: o.kind }]));
  for (const key of await recordedKinds(cluster)) {
    const slash = key.lastIndexOf('/');
    kinds.set(key, { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1) });
  }
  kinds.set('v1/Namespace', { apiVersion: 'v1', kind: 'Namespace' });
  for (const key of unserved) kinds.delete(key);
  const changes: ObjectChange[] = [];
  const live: K8sObject[] = [];
  for (const { apiVersion, kind } of kinds.values()) {
    try {
      live.push(...(await cluster.list(apiVersion, kind, { labelSelector: MANAGED_SELECTOR })));
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404)) throw error;
    }
  }
  const pvcNamespaces = new Set(
    (await cluster.list('v1', 'PersistentVolumeClaim')).map((pvc) => pvc.metadata.namespace).filter((n): n is string => !!n),
  );
  for (const object of live) {
    const ref = describeObject(object);
    if (wanted.has(ref)) continue;
    const holdsData =
      DATA_KINDS.has(`${object.apiVersion}/${object.kind}`) || (isNamespaceKind(object) && pvcNamespaces.has(object.metadata.name));
    if (holdsData && !allowDataLoss)
      changes.push({ object, ref, action: 'keep', reason: 'no longer rendered, but it holds data: delete it with --allow-data-loss' });
    else changes.push({ object, ref, action: 'prune', ...(isArgoApplication(object) && { reason: applicationRemoval(object) }) });
  }
  return changes;
}

/**
 * Custom resources can be applied only once their CRD is established. Waits for the CRDs of the kinds
 * the later phases use (not every CRD given), polling with one list call.
 */
async function waitEstablished(cluster: LiveCluster, crds: K8sObject[], later: K8sObject[], timeoutMs = 120_000): Promise<void> {
  const used = new Set(later.map((o) => `${groupOf(o.apiVersion)}/${o.kind}`));
  const pending = new Set(
    crds
      .filter((crd) => {
        const spec = crd.spec as { group: string; names: { kind: string } };
        return used.has(`${spec.group}/${spec.names.kind}`);
      })
      .map((crd) => crd.metadata.name),
  );
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    for (const crd of await withRetry(() => cluster.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition'))) {
      const conditions = (crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) pending.delete(crd.metadata.name);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) throw new KubeError(0, `CRDs not established after ${timeoutMs / 1000}s: ${[...pending].join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface ApplySummary {
  created: number;
  configured: number;
  unchanged: number;
  pruned: number;
  skipped: number;
  kept: number;
  failed: { ref: string; reason: string }[];
}

/** Applies a plan that is not blocked: phase by phase, concurrently within a phase, retrying transient failures. */
export async function executePlan(cluster: LiveCluster, plan: LivePlan, progress: Progress = () => {}): Promise<ApplySummary> {
  const summary: ApplySummary = { created: 0, configured: 0, unchanged: 0, pruned: 0, skipped: 0, kept: 0, failed: [] };
  const byRef = new Map(plan.changes.map((c) => [c.ref, c]));
  for (const [i, { name, objects: phase }] of plan.phases.entries()) {
    const toWrite = phase.filter((o) => !['unchanged', 'skip'].includes(byRef.get(describeObject(o))?.action ?? '')).length;
    const count = `${phase.length} object${phase.length === 1 ? '' : 's'}${toWrite < phase.length ? `, ${toWrite} to write` : ''}`;
    progress(`phase ${i + 1}/${plan.phases.length}, ${name}: ${count}`, { phase: true });
    let done = 0;
    await pool(phase, 8, async (object) => {
      progress(`${name}: ${++done}/${phase.length} objects`, { transient: true });
      const change = byRef.get(describeObject(object));
      if (change?.action === 'unchanged') return void summary.unchanged++;
      if (change?.action === 'skip') return void summary.skipped++;
      try {
        await withRetry(() => cluster.apply(object));
        if (change?.action === 'update') summary.configured++;
        else summary.created++;
      } catch (error) {
        summary.failed.push({ ref: describeObject(object), reason: (error as Error).message });
      }
    });
    const crds = phase.filter(isCrd);
    if (crds.length > 0) {
      const later = plan.phases.slice(i + 1).flatMap((p) => p.objects);
      progress(`waiting for the CRDs the next phases use to be established`, { phase: true });
      await waitEstablished(cluster, crds, later);
    }
  }
  const applied = plan.phases.flatMap((p) => p.objects).map(kindKey);
  const kept = plan.changes.filter((c) => c.action === 'keep').map((c) => kindKey(c.object));
  await recordKinds(cluster, [...(await recordedKinds(cluster)), ...applied, ...kept]);
  const pruning = plan.changes.filter((c) => c.action === 'prune').length;
  if (pruning > 0) progress(`pruning ${pruning} objects no longer rendered`, { phase: true });
  for (const change of plan.changes) {
    if (change.action === 'keep') summary.kept++;
    if (change.action !== 'prune') continue;
    try {
      await withRetry(() => cluster.delete(change.object));
      summary.pruned++;
    } catch (error) {
      summary.failed.push({ ref: change.ref, reason: (error as Error).message });
    }
  }
  return summary;
}
