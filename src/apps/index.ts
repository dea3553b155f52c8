import type { ClusterConfig } from '../config/schema.ts';
import { stageRuns } from '../config/stages.ts';
import { pipelineRuns } from '../core/hub.ts';
import { IN_CLUSTER, MANAGED_BY, SYNC_WAVE, syncPolicy } from '../core/argo.ts';
import type { K8sObject } from '../core/types.ts';
import { AUTHORIZED_STAGE, pipelineObjects, projectName, stageApplicationName, stageBranch, stageImages } from './pipeline.ts';
import { APP_LABEL, podLabels, STAGE_LABEL, stageObjects } from './workload.ts';
import { migrationObjects } from './migrate.ts';
import { connectionObjects } from './env.ts';
import { appSecretObjects, storeAccessObjects } from './secrets.ts';
import { routeObjects } from './network.ts';

export { stageHost } from './workload.ts';
export { projectName, stageApplicationName, stageBranch } from './pipeline.ts';

export interface AppsContext {
  cluster: ClusterConfig;
  argoNamespace: string;
  /** The sync wave of the apps: after every component. */
  wave: number;
  namespaceOf: (component: string) => string;
}

export interface AppFile {
  /** Path inside the tree. */
  file: string;
  owner: string;
  object: K8sObject;
  /**
   * Objects a stage runs: they reach the cluster from the stage's rendered branch once Kargo has set the image
   * tag, never directly from the main branch (and so never through `plinth apply`).
   */
  promoted?: true;
}

export interface RenderedApps {
  objects: AppFile[];
  /** Not cluster objects: the kustomization of each stage, which Kargo edits and builds at promotion. */
  kustomizations: { file: string; content: Record<string, unknown> }[];
}

export const workloadsDir = (app: string): string => `workloads/${app}`;

/** The GitOps files of every golden-path app: its workloads per stage, its Kargo pipeline and its Applications. */
export function renderApps(ctx: AppsContext): RenderedApps {
  const { cluster, argoNamespace, wave } = ctx;
  const objects: AppFile[] = [];
  const kustomizations: RenderedApps['kustomizations'] = [];
  for (const app of cluster.apps) {
    const owner = `app:${app.name}`;
    const dir = workloadsDir(app.name);
    const labels = { ...MANAGED_BY, [APP_LABEL]: app.name };
    // An environment runs the stages it lists; an app with none of them is not in its cluster.
    const stages = app.stages.filter((stage) => stageRuns(cluster, stage));
    // A hub's Kargo promotes the stages of its spokes too (src/core/hub.ts pipelineRuns).
    const piped = app.stages.some((stage) => pipelineRuns(cluster, stage));
    if (stages.length === 0 && !piped) continue;
    for (const stage of stages) {
      const stageContext = { cluster, app, stage, namespace: stage, namespaceOf: ctx.namespaceOf };
      const workloadObjects = stageObjects(stageContext);
      const stageLabels = { ...podLabels(app.name), 'app.kubernetes.io/part-of': cluster.name, [APP_LABEL]: app.name, [STAGE_LABEL]: stage };
      const stageObjectsList = [
        ...workloadObjects,
        ...routeObjects(stageContext, stageLabels),
        ...migrationObjects(stageContext, workloadObjects, stageLabels),
        ...connectionObjects(stageContext),
        ...appSecretObjects(stageContext),
      ];
      const names: string[] = [];
      for (const object of stageObjectsList) {
        const name = `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
        names.push(name);
        objects.push({ file: `${dir}/stages/${stage}/${name}`, owner, object, promoted: true });
      }
      kustomizations.push({
        file: `${dir}/stages/${stage}/kustomization.yaml`,
        content: { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names.sort(), images: stageImages(app) },
      });
      objects.push({
        file: `apps/${stageApplicationName(app.name, stage)}.yaml`,
        owner: 'apps',
        object: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: {
            name: stageApplicationName(app.name, stage),
            namespace: argoNamespace,
            labels,
            annotations: { [SYNC_WAVE]: String(wave), [AUTHORIZED_STAGE]: `${projectName(app.name)}:${stage}` },
          },
          spec: {
            project: 'default',
            destination: { server: IN_CLUSTER, namespace: stage },
            // The stage's branch holds what Kargo rendered at its last promotion; it exists from the first one on.
            source: { repoURL: cluster.git.repoURL, targetRevision: stageBranch(app.name, stage), path: '.' },
            syncPolicy: syncPolicy(),
          },
        },
      });
    }
    const storeAccess = stages.flatMap((stage) => storeAccessObjects({ app, stage, namespace: stage }));
    const pipeline = [...(piped ? pipelineObjects({ cluster, app, argoNamespace, stagesPath: `${cluster.git.path}/${dir}/stages` }) : []), ...storeAccess];
    for (const object of pipeline) {
      const scope = object.metadata.namespace ? '' : 'cluster-';
      objects.push({ file: `${dir}/pipeline/${scope}${object.kind.toLowerCase()}-${object.metadata.name}.yaml`, owner, object });
    }
    if (pipeline.length > 0) objects.push({
      file: `apps/${app.name}-pipeline.yaml`,
      owner: 'apps',
      object: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: `${app.name}-pipeline`, namespace: argoNamespace, labels, annotations: { [SYNC_WAVE]: String(wave) } },
        spec: {
          project: 'default',
          destination: { server: IN_CLUSTER, namespace: projectName(app.name) },
          source: { repoURL: cluster.git.repoURL, targetRevision: cluster.git.revision, path: `${cluster.git.path}/${dir}/pipeline` },
          // The pipeline renders its own namespace, labelled for Kargo to adopt.
          syncPolicy: syncPolicy(['ServerSideApply=true']),
        },
      },
    });
  }
  return { objects, kustomizations };
}
