/** Argo CD conventions shared by the Applications of components and of apps. */
import type { K8sObject } from './types.ts';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'plinth' } as const;
export const IN_CLUSTER = 'https://kubernetes.default.svc';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** Which component an object (and its Application) belongs to. */
export const COMPONENT_LABEL = 'plinth.dev/component';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/**
 * Deleting an Application that carries it deletes the objects it synced, CRDs excepted
 * (argo-cd v3.4.4 pkg/apis/application/v1alpha1/application_defaults.go ResourcesFinalizerName;
 * controller/appcontroller.go shouldBeDeleted skips CRDs).
 */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/**
 * An object with this annotation does not count in its Application's health (argo-cd v3.4.4 common/common.go
 * AnnotationIgnoreHealthCheck, read by controller/health.go setApplicationHealth).
 */
export const IGNORE_HEALTHCHECK = 'argocd.argoproj.io/ignore-healthcheck';

/**
 * Sync options that keep an object holding data when its Application is deleted (`Delete=false`, read by
 * argo-cd v3.4.4 controller/appcontroller.go shouldBeDeleted) or when it leaves the tree (`Prune=false`,
 * gitops-engine pkg/sync/common/types.go SyncOptionDisablePrune): the same promise `plinth apply --prune` keeps.
 */
export const KEEP_DATA_OPTIONS = ['Prune=false', 'Delete=false'];

/** Kinds whose objects hold data: kept on removal, like `plinth apply --prune` keeps them. */
export const DATA_KINDS = new Set(['v1/PersistentVolumeClaim', 'postgresql.cnpg.io/v1/Cluster']);

/** The AppProject every Application of the tree belongs to, created before the root (never Argo CD's `default`). */
export const PROJECT = 'plinth';

/**
 * Retries of a failed sync: 10 with a backoff from 10 s doubling to 5 min, about 33 minutes in all. After the
 * last one Argo CD does not retry that revision again on its own (docs/live.md says how to resume).
 */
export const RETRY = { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } } as const;

export const syncPolicy = (syncOptions: string[] = ['CreateNamespace=true', 'ServerSideApply=true']) => ({
  automated: { prune: true, selfHeal: true },
  syncOptions,
  retry: RETRY,
});

/**
 * An Application of one more release a component installs beside its own chart (istiod, a runner scale set, the
 * Gateway API CRDs), under the component's label and in a sync wave of its own within the component's sync.
 */
export function extraApplication(input: {
  name: string;
  component: string;
  argoNamespace: string;
  namespace: string;
  wave: string;
  sources: Record<string, unknown>[];
  /** What the release's objects get at runtime that its chart cannot know. */
  ignoreDifferences?: unknown[];
  syncOptions?: string[];
  /** false for what must outlive its removal from the tree (CRDs whose deletion deletes every object of their kinds). */
  prune?: boolean;
}): K8sObject {
  const policy = syncPolicy(input.syncOptions);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: input.name,
      namespace: input.argoNamespace,
      labels: { ...MANAGED_BY, [COMPONENT_LABEL]: input.component },
      annotations: { [SYNC_WAVE]: input.wave },
    },
    spec: {
      project: PROJECT,
      destination: { server: IN_CLUSTER, namespace: input.namespace },
      sources: input.sources,
      ...(input.ignoreDifferences && { ignoreDifferences: input.ignoreDifferences }),
      syncPolicy: { ...policy, automated: { ...policy.automated, prune: input.prune ?? true } },
    },
  };
}

const isApplication = (object: K8sObject) => object.apiVersion === 'argoproj.io/v1alpha1' && object.kind === 'Application';

/**
 * An Application of the tree, in Plinth's project. A child (every Application but the root) also gets the
 * resources finalizer, so removing it from the tree deletes what it synced instead of orphaning it. The root
 * never gets it: deleting the root would otherwise cascade through every child.
 */
export function inProject(object: K8sObject, { root }: { root: boolean }): K8sObject {
  if (!isApplication(object)) return object;
  const finalizers = (object.metadata.finalizers as string[] | undefined) ?? [];
  return {
    ...object,
    metadata: {
      ...object.metadata,
      ...(!root && { finalizers: finalizers.includes(RESOURCES_FINALIZER) ? finalizers : [...finalizers, RESOURCES_FINALIZER] }),
    },
    spec: { ...(object.spec as Record<string, unknown>), project: PROJECT },
  };
}

/**
 * Marks an object that holds data so that Argo CD never deletes it, by prune or by its Application's finalizer.
 * `holdsData` marks another kind too: a Namespace that holds data, whose deletion would take the data with it.
 */
export function keepData(object: K8sObject, holdsData = DATA_KINDS.has(`${object.apiVersion}/${object.kind}`)): K8sObject {
  if (!holdsData) return object;
  const existing = object.metadata.annotations?.[SYNC_OPTIONS]?.split(',').filter(Boolean) ?? [];
  const options = [...existing, ...KEEP_DATA_OPTIONS.filter((o) => !existing.includes(o))];
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [SYNC_OPTIONS]: options.join(',') } } };
}

/** The rendered Namespaces that hold data objects, kept like them: deleting a namespace deletes all it holds. */
export function keepDataNamespaces(objects: K8sObject[]): K8sObject[] {
  const holding = new Set(objects.filter((o) => DATA_KINDS.has(`${o.apiVersion}/${o.kind}`)).map((o) => o.metadata.namespace));
  return objects.map((o) => (o.apiVersion === 'v1' && o.kind === 'Namespace' && holding.has(o.metadata.name) ? keepData(o, true) : o));
}

interface ApplicationSource {
  repoURL?: string;
}

/** The repositories the Applications read: the infra repository and each pinned chart's, and nothing else. */
export function sourceRepos(applications: K8sObject[]): string[] {
  const repos = new Set<string>();
  for (const application of applications.filter(isApplication)) {
    const spec = application.spec as { source?: ApplicationSource; sources?: ApplicationSource[] };
    for (const source of [...(spec.sources ?? []), ...(spec.source ? [spec.source] : [])]) if (source.repoURL) repos.add(source.repoURL);
  }
  return [...repos].sort();
}

/**
 * Plinth's AppProject (argo-cd v3.4.4 manifests/crds/appproject-crd.yaml). Argo CD's `default` project exists
 * only once argocd-server has started, and a root applied before it fails with InvalidSpecError and waits a whole
 * reconciliation period; this one is applied by bootstrap before the root, and synced by the root afterwards.
 *
 * Scoped to the sources the tree reads and to the in-cluster server. Namespaces are not narrowed: charts write
 * into namespaces of their own choosing (cert-manager's leader election in kube-system, Kargo's
 * kargo-system-resources and kargo-shared-resources), which a list would have to chase chart by chart. Cluster-scoped
 * kinds must be listed to be allowed at all (app_project_types.go IsGroupKindNamePermitted); the charts install
 * CRDs, ClusterRoles and webhooks, so all are.
 */
export function appProject(input: { argoNamespace: string; cluster: string; sourceRepos: string[] }): K8sObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {
      name: PROJECT,
      namespace: input.argoNamespace,
      labels: { ...MANAGED_BY },
      // Before the child Applications that belong to it, in the root's own sync.
      annotations: { [SYNC_WAVE]: '-1' },
    },
    spec: {
      description: `Plinth's tree of cluster ${input.cluster}: what the root Application and its children may deploy`,
      sourceRepos: input.sourceRepos,
      destinations: [{ server: IN_CLUSTER, namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
}

const KEPT_ON_REMOVAL = 'CRDs, PersistentVolumeClaims and CloudNativePG Clusters are kept';

/**
 * What the cluster loses when these files leave the tree, once Argo CD syncs it: a removed child Application is
 * deleted by the root's prune, and its resources finalizer deletes what it synced; a removed manifest of an
 * Application that stays is pruned by it. `deleted` and `kept` are paths inside the tree.
 */
export function removalEffects(deleted: string[], kept: Iterable<string>): string[] {
  const remaining = new Set(kept);
  const effects: string[] = [];
  const removedApps = new Set<string>();
  for (const file of deleted) {
    const application = /^apps\/([^/]+)\.yaml$/.exec(file)?.[1];
    if (!application || application.startsWith('appproject-')) continue;
    removedApps.add(application);
    effects.push(`Application ${application}: Argo CD deletes it and every object it synced (${KEPT_ON_REMOVAL})`);
  }
  for (const file of deleted) {
    const [, component, name] = /^manifests\/([^/]+)\/([^/]+)\.yaml$/.exec(file) ?? [];
    if (!component || removedApps.has(component) || !remaining.has(`apps/${component}.yaml`)) continue;
    // File names are `<kind>-<name>`: a CloudNativePG Cluster holds a database, and is never pruned.
    effects.push(
      name!.startsWith('cluster-')
        ? `${file}: kept on the cluster, data is never pruned (delete it by hand once its data is safe elsewhere)`
        : `${file}: pruned by Application ${component}`,
    );
  }
  return effects;
}

interface ManagedResource {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * What deleting a live child Application takes with it, from the resources Argo CD lists in its status: all but
 * CRDs (argo-cd v3.4.4 controller/appcontroller.go shouldBeDeleted) and the objects marked to keep their data.
 */
export function applicationRemoval(application: K8sObject): string {
  const resources = ((application.status as { resources?: ManagedResource[] } | undefined)?.resources ?? []).filter(
    (r) => r.kind !== 'CustomResourceDefinition' && !DATA_KINDS.has(`${r.group ? `${r.group}/` : ''}v1/${r.kind}`),
  );
  const shown = resources.slice(0, 5).map((r) => `${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`);
  const more = resources.length > shown.length ? ` and ${resources.length - shown.length} more` : '';
  const finalizer = (application.metadata.finalizers as string[] | undefined)?.includes(RESOURCES_FINALIZER);
  if (!finalizer) return 'no resources finalizer: Argo CD leaves the objects it synced behind, untracked';
  return resources.length === 0
    ? `Argo CD deletes what it synced (it lists nothing yet; ${KEPT_ON_REMOVAL})`
    : `Argo CD deletes what it synced: ${shown.join(', ')}${more} (${KEPT_ON_REMOVAL})`;
}
