/**
 * Hub mode: one Argo CD (the hub environment's) deploys another environment's tree (a spoke) to the spoke's cluster.
 * The spoke's Applications live beside the hub's, in the hub's Argo CD namespace, and name the spoke's API server as
 * their destination; the hub knows the server from a cluster Secret (src/components/argo-cd).
 */
import { COMPONENT_LABEL, IN_CLUSTER, MANAGED_BY, PROJECT, syncPolicy } from './argo.ts';
import type { K8sObject } from './types.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { stageRuns } from '../config/stages.ts';

/** Marks the root Application of a tree, wherever it is rendered: a root never gets the resources finalizer. */
export const ROOT_LABEL = 'plinth.dev/root';

/** The AppProject of a spoke's Applications on the hub: its own, scoped to the spoke's server. */
export const spokeProject = (env: string): string => `${PROJECT}-${env}`;

/** The spoke's root Application on the hub, named apart from the hub's own root (`<cluster>-root`). */
export const spokeRootName = (cluster: string, env: string): string => `${cluster}-${env}-root`;

/**
 * The name of a spoke's Application on the hub: the hub's own Applications are named after the same components and
 * apps. Stage Applications keep their names (`<app>-<stage>`, a stage runs in one environment of a hub), which
 * Kargo's argocd-update step addresses.
 */
export const spokeApplicationName = (env: string, name: string): string => `${env}-${name}`;

export interface SpokeTree {
  /** The config's cluster name (every environment shares it). */
  cluster: string;
  env: string;
  /** The spoke's API server, as the hub's cluster Secret names it. */
  server: string;
  /** The hub's Argo CD namespace, where the spoke's Applications live. */
  argoNamespace: string;
  repoURL: string;
  revision: string;
  /** The spoke's tree in the repository (its git.path). */
  path: string;
}

/** The spoke's root Application, as both trees render it: the hub runs it, and it syncs the spoke's `apps/`. */
export function spokeRootApplication(spoke: Omit<SpokeTree, 'server'>): K8sObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: spokeRootName(spoke.cluster, spoke.env),
      namespace: spoke.argoNamespace,
      labels: { ...MANAGED_BY, [COMPONENT_LABEL]: 'bootstrap', [ROOT_LABEL]: 'true' },
    },
    spec: {
      // In the hub's project: the spoke's own project is one of the objects it syncs.
      project: PROJECT,
      destination: { server: IN_CLUSTER, namespace: spoke.argoNamespace },
      source: { repoURL: spoke.repoURL, targetRevision: spoke.revision, path: `${spoke.path}/apps` },
      syncPolicy: syncPolicy(),
    },
  };
}

const isApplication = (object: K8sObject) => object.apiVersion === 'argoproj.io/v1alpha1' && object.kind === 'Application';
const isProject = (object: K8sObject) => object.apiVersion === 'argoproj.io/v1alpha1' && object.kind === 'AppProject';

/**
 * A spoke's tree as the hub runs it. Pure: every other object is returned as it is.
 * - the root becomes the hub's spoke root (spokeRootApplication);
 * - every other Application moves to the hub's Argo CD namespace and project `plinth-<env>`, targets the spoke's
 *   server, and is renamed `<env>-<name>` unless it is a stage's;
 * - the AppProject becomes `plinth-<env>`, allowing the spoke's server only (argo-cd v3.4.4
 *   pkg/apis/application/v1alpha1/app_project_types.go: an Application's destination must match one of the
 *   project's), and the hub's Argo CD namespace for the root's own Applications.
 */
export function asSpokeObject(object: K8sObject, spoke: SpokeTree, { root }: { root: boolean }): K8sObject {
  if (isProject(object)) {
    const spec = object.spec as Record<string, unknown>;
    return {
      ...object,
      metadata: { ...object.metadata, name: spokeProject(spoke.env), namespace: spoke.argoNamespace },
      spec: {
        ...spec,
        description: `Plinth's tree of environment ${spoke.env} of cluster ${spoke.cluster}, deployed by the hub's Argo CD to ${spoke.server}`,
        destinations: [{ server: spoke.server, namespace: '*' }],
      },
    };
  }
  if (!isApplication(object)) return object;
  if (root) return spokeRootApplication(spoke);
  const spec = object.spec as { destination: Record<string, unknown> } & Record<string, unknown>;
  // Kargo authorizes its stage to update an Application by this annotation (src/apps/pipeline.ts AUTHORIZED_STAGE).
  const stage = object.metadata.annotations?.['kargo.akuity.io/authorized-stage'] !== undefined;
  return {
    ...object,
    metadata: { ...object.metadata, name: stage ? object.metadata.name : spokeApplicationName(spoke.env, object.metadata.name), namespace: spoke.argoNamespace },
    spec: { ...spec, project: spokeProject(spoke.env), destination: { ...spec.destination, server: spoke.server } },
  };
}

/** What hub mode adds to an environment's record (src/config/hub.ts linkHubs sets it on a spoke). */
export interface HubLink {
  /** The hub's Argo CD namespace, where the spoke's Applications live. */
  hubArgoNamespace?: string;
}

interface Entry {
  file: string;
  owner: string;
  object: K8sObject;
}

/**
 * Turns the entries of a spoke's tree into what the hub runs (asSpokeObject on each object), in place. An Application a component renders among its
 * manifests (a multi-chart component's extra releases) moves to `apps/`: its component's Application now syncs to
 * the spoke's cluster, where no Argo CD would read it; the spoke's root syncs `apps/` on the hub.
 */
export function asSpoke(entries: Entry[], spoke: SpokeTree): void {
  for (const entry of entries) {
    const root = entry.owner === 'bootstrap';
    const object = asSpokeObject(entry.object, spoke, { root });
    const nested = !root && entry.file.startsWith('manifests/') && isApplication(entry.object);
    if (isProject(entry.object)) entry.file = `apps/appproject-${object.metadata.name}.yaml`;
    else if (nested) entry.file = `apps/${object.metadata.name}.yaml`;
    entry.object = object;
  }
  // A component whose manifests were all Applications keeps only its chart: Argo CD fails a source path that is empty.
  const folders = new Set(entries.filter((e) => e.file.startsWith('manifests/')).map((e) => e.file.split('/')[1]));
  const manifests = `${spoke.path}/manifests/`;
  for (let i = entries.length - 1; i >= 0; i--) {
    const { object } = entries[i]!;
    const spec = object.spec as { sources?: { path?: string }[] } | undefined;
    if (!isApplication(object) || !spec?.sources) continue;
    const sources = spec.sources.filter((s) => !s.path?.startsWith(manifests) || folders.has(s.path.slice(manifests.length)));
    if (sources.length === spec.sources.length) continue;
    if (sources.length === 0) entries.splice(i, 1);
    else entries[i]!.object = { ...object, spec: { ...spec, sources } };
  }
}

/** The spoke a cluster is, when its environment is managed by another's Argo CD; undefined otherwise. */
export function spokeOf(config: Pick<ClusterConfig, 'name' | 'git' | 'environment'>, argoNamespace: string): SpokeTree | undefined {
  const env = config.environment as (ClusterConfig['environment'] & HubLink) | undefined;
  if (!env?.managedBy || !env.server) return undefined;
  return {
    cluster: config.name,
    env: env.name,
    server: env.server,
    argoNamespace: env.hubArgoNamespace ?? argoNamespace,
    repoURL: config.git.repoURL,
    revision: config.git.revision,
    path: config.git.path,
  };
}

/** What hub mode adds to a hub's record: the stages its Kargo promotes in its spokes' trees. */
export interface HubStages {
  /** Every stage the hub's Kargo promotes: its own and its spokes'. */
  pipelineStages?: string[];
  /** The tree (git.path) of each stage that runs in a spoke. */
  stagePaths?: Record<string, string>;
}

type Linked = Pick<ClusterConfig, 'environment'> & { environment?: HubLink & HubStages };

/**
 * Whether the cluster's Kargo pipeline has this stage: a spoke has none (its hub's Kargo promotes it), a hub has its
 * spokes' stages too, and any other cluster the stages it runs.
 */
export function pipelineRuns(config: Pick<ClusterConfig, 'environment'>, stage: string): boolean {
  const env = (config as Linked).environment;
  if (env?.managedBy) return false;
  return env?.pipelineStages ? env.pipelineStages.includes(stage) : stageRuns(config, stage);
}

/** The tree of a stage a hub's Kargo promotes in a spoke, or undefined for a stage of the cluster's own tree. */
export const spokeStagePath = (config: Pick<ClusterConfig, 'environment'>, stage: string): string | undefined => (config as Linked).environment?.stagePaths?.[stage];
