import { createTwoFilesPatch } from 'diff';
import { pool } from '../core/pool.ts';
import { describeObject, groupOf, MANAGED_BY, SYNC_WAVE, type RenderedTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { toYaml } from '../core/yaml.ts';
import { isTransient, KubeError, type LiveCluster } from './client.ts';
import { explainImmutable, operatorImmutableChanges, type ImmutableChange } from './immutable.ts';

export type Action = 'create' | 'update' | 'unchanged' | 'skip' | 'prune' | 'keep' | 'error';

export interface ObjectChange {
  object: K8sObject;
  /** `Kind/namespace/name`. */
  ref: string;
  action: Action;
  /** Unified diff of the live object and what applying would make of it (managed fields and status left out). */
  diff?: string;
  immutable?: ImmutableChange[];
  /** Why an object is skipped, kept or failed. */
  reason?: string;
}

export interface LivePlan {
  /** Objects to apply, phase by phase: CRDs, then namespaces, then each sync wave, then the root Application. */
  phases: K8sObject[][];
  changes: ObjectChange[];
  /** Changes that would need a manual step: nothing may be applied while any exists. */
  blocked: ObjectChange[];
}

export interface PlanOptions {
  prune?: boolean;
  allowDataLoss?: boolean;
  /** Rendered objects that reach the cluster another way (an app's stage branch): applied by Argo CD, never pruned. */
  deliveredElsewhere?: K8sObject[];
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
const isCrd = (o: K8sObject) => o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io';

/**
 * Orders a rendered tree for applying without Argo CD: the extra CRDs the render uses, then every namespace
 * the objects live in (with the other CRDs), then the components wave by wave, and the root Application last.
 */
export function applyPhases(tree: RenderedTree, extra: K8sObject[] = []): K8sObject[][] {
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
  for (const { owner, object, wave: ownWave } of applied) {
    if (isNamespaceKind(object)) continue;
    if (owner === 'bootstrap') {
      last.push(object);
      continue;
    }
    const wave = ownWave ?? (owner === 'apps' ? Number(object.metadata.annotations?.[SYNC_WAVE] ?? 0) : waveOf.get(owner) ?? 0);
    byWave.set(wave, [...(byWave.get(wave) ?? []), object]);
  }
  const objectNamespaces = applied.map((o) => o.object.metadata.namespace).filter((n): n is string => !!n);
  for (const name of [...objectNamespaces, ...tree.components.map((c) => c.namespace)])
    if (!namespaces.has(name)) namespaces.set(name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...MANAGED_BY } } });
  const waves = [...byWave.keys()].sort((a, b) => a - b).map((wave) => byWave.get(wave)!);
  const sortedNamespaces = [...namespaces.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  return [usedCrds, [...sortedNamespaces, ...otherCrds], ...waves, last].filter(
    (phase) => phase.length > 0,
  );
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
async function listLive(cluster: LiveCluster, objects: K8sObject[]): Promise<Map<string, K8sObject>> {
  const wanted = new Set(objects.map(describeObject));
  const kinds = new Map(objects.map((o) => [`${o.apiVersion}/${o.kind}`, o]));
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
export async function planLive(cluster: LiveCluster, phases: K8sObject[][], options: PlanOptions = {}): Promise<LivePlan> {
  const all = phases.flat();
  const existingNamespaces = new Set((await withRetry(() => cluster.list('v1', 'Namespace'))).map((ns) => ns.metadata.name));
  const namespacesCreated = new Set(all.filter(isNamespaceKind).map((ns) => ns.metadata.name).filter((n) => !existingNamespaces.has(n)));
  const crdKinds = new Set(
    all.filter(isCrd).flatMap((crd) => {
      const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
      return spec.versions.map((v) => `${spec.group}/${v.name}/${spec.names.kind}`);
    }),
  );
  const liveState = await listLive(cluster, all);
  const changes: ObjectChange[] = [];
  await pool(all, 8, async (object) => {
    const ref = describeObject(object);
    try {
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
      const immutable = live ? operatorImmutableChanges(live, object).filter((c) => !c.explanation.startsWith('growing')) : [];
      if (immutable.length > 0) {
        changes.push({ object, ref, action: 'error', immutable, diff: objectDiff(ref, live, result) });
        return;
      }
      const diff = objectDiff(ref, live, result);
      changes.push({ object, ref, action: !live ? 'create' : diff === '' ? 'unchanged' : 'update', ...(diff && { diff }) });
    } catch (error) {
      if (error instanceof KubeError && error.status === 404 && /resource metadata|serves no/.test(error.message)) {
        const key = `${object.apiVersion}/${object.kind}`;
        if (crdKinds.has(key)) changes.push({ object, ref, action: 'create', reason: 'its CRD is created by this apply' });
        else
          changes.push({
            object,
            ref,
            action: 'skip',
            reason: `the cluster has no CRD for ${key} yet: Argo CD installs it with the component's chart, then syncs this object`,
          });
      } else if (error instanceof KubeError && error.status === 422 && /immutable/i.test(error.message)) {
        changes.push({ object, ref, action: 'error', immutable: [explainImmutable(object, error.message)], reason: error.message });
      } else {
        changes.push({ object, ref, action: 'error', reason: (error as Error).message });
      }
    }
  });

  if (options.prune)
    changes.push(...(await pruneCandidates(cluster, all, options.deliveredElsewhere ?? [], options.allowDataLoss ?? false)));
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

const kindKey = (o: { apiVersion: string; kind: string }) => `${o.apiVersion}/${o.kind}`;

async function pruneCandidates(
  cluster: LiveCluster,
  desired: K8sObject[],
  elsewhere: K8sObject[],
  allowDataLoss: boolean,
): Promise<ObjectChange[]> {
  const wanted = new Set([...desired.map(describeObject), ...elsewhere.map(describeObject), describeObject(INVENTORY)]);
  const kinds = new Map(desired.map((o) => [kindKey(o), { apiVersion: o.apiVersion, kind: o.kind }]));
  for (const key of await recordedKinds(cluster)) {
    const slash = key.lastIndexOf('/');
    kinds.set(key, { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1) });
  }
  kinds.set('v1/Namespace', { apiVersion: 'v1', kind: 'Namespace' });
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
    else changes.push({ object, ref, action: 'prune' });
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
export async function executePlan(cluster: LiveCluster, plan: LivePlan, progress: (message: string) => void = () => {}): Promise<ApplySummary> {
  const summary: ApplySummary = { created: 0, configured: 0, unchanged: 0, pruned: 0, skipped: 0, kept: 0, failed: [] };
  const byRef = new Map(plan.changes.map((c) => [c.ref, c]));
  for (const [i, phase] of plan.phases.entries()) {
    progress(`phase ${i + 1}/${plan.phases.length}: ${phase.length} objects`);
    await pool(phase, 8, async (object) => {
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
      progress('waiting for the CRDs the next phases use to be established');
      await waitEstablished(cluster, crds, plan.phases.slice(i + 1).flat());
    }
  }
  const applied = plan.phases.flat().map(kindKey);
  const kept = plan.changes.filter((c) => c.action === 'keep').map((c) => kindKey(c.object));
  await recordKinds(cluster, [...(await recordedKinds(cluster)), ...applied, ...kept]);
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
