import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { externalSecret } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';
import { GIT_CREDENTIALS_INPUT } from '../components/kargo/index.ts';
import { promotesDigest, promotionModes, warehouseConstraint } from './images.ts';

/** The Kargo project (and namespace) of an app's pipeline. */
export const projectName = (app: string): string => `kargo-${app}`;
/** The Argo CD Application that runs an app in a stage. */
export const stageApplicationName = (app: string, stage: string): string => `${app}-${stage}`;
/**
 * The branch Kargo renders a stage to. One branch per app and stage: concurrent promotions never push to the
 * same branch, so they cannot race, and the rendered tree on the main branch is never written by Kargo.
 */
export const stageBranch = (app: string, stage: string): string => `plinth/${app}/${stage}`;
export const PROMOTION_TASK = 'promote';
export const AUTHORIZED_STAGE = 'kargo.akuity.io/authorized-stage';

export interface PipelineContext {
  cluster: ClusterConfig;
  app: AppConfig;
  argoNamespace: string;
  /** Path, in the repository, of the directory that holds one kustomization per stage. */
  stagesPath: string;
}

function promotionTask({ cluster, app, argoNamespace, stagesPath }: PipelineContext, namespace: string): K8sObject {
  const stageDir = `./src/${stagesPath}/\${{ ctx.stage }}`;
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'PromotionTask',
    metadata: { name: PROMOTION_TASK, namespace },
    spec: {
      vars: [
        { name: 'repoURL', value: cluster.git.repoURL },
        { name: 'revision', value: cluster.git.revision },
        { name: 'image', value: app.image },
      ],
      steps: [
        {
          uses: 'git-clone',
          config: {
            repoURL: '${{ vars.repoURL }}',
            checkout: [
              { branch: '${{ vars.revision }}', path: './src' },
              { branch: `plinth/${app.name}/\${{ ctx.stage }}`, create: true, path: './out' },
            ],
          },
        },
        { uses: 'git-clear', config: { path: './out' } },
        {
          uses: 'kustomize-set-image',
          as: 'update-image',
          // kustomize-set-image takes a tag or a digest (akuity/kargo pkg/promotion/runner/builtin/kustomize_image_setter.go);
          // imageFrom(...).Digest is the digest recorded in the Freight (docs: expressions, imageFrom).
          config: {
            path: stageDir,
            images: [
              promotesDigest(app.images.strategy)
                ? { image: '${{ vars.image }}', digest: '${{ imageFrom(vars.image).Digest }}' }
                : { image: '${{ vars.image }}', tag: '${{ imageFrom(vars.image).Tag }}' },
            ],
          },
        },
        { uses: 'kustomize-build', config: { path: stageDir, outPath: './out' } },
        {
          uses: 'git-commit',
          as: 'commit',
          config: { path: './out', message: "${{ task.outputs['update-image'].commitMessage }}" },
        },
        { uses: 'git-push', config: { path: './out' } },
        {
          uses: 'argocd-update',
          config: {
            apps: [
              {
                name: `${app.name}-\${{ ctx.stage }}`,
                namespace: argoNamespace,
                sources: [{ repoURL: '${{ vars.repoURL }}', desiredRevision: "${{ task.outputs['commit'].commit }}" }],
              },
            ],
          },
        },
      ],
    },
  };
}

/**
 * The Warehouse's image subscription, by the ImageSubscription fields of akuity/kargo api/v1alpha1/warehouse_types.go
 * at v1.11.2: `constraint` (semverConstraint is deprecated), and allowTagsRegex / ignoreTagsRegex (allowTags and
 * ignoreTags are deprecated and fail artifact discovery since v1.10).
 */
export function imageSubscription(app: AppConfig): Record<string, unknown> {
  const { strategy, allowTags, ignoreTags, platform } = app.images;
  const constraint = warehouseConstraint(app);
  return {
    repoURL: app.image,
    imageSelectionStrategy: strategy,
    ...(constraint !== undefined && { constraint }),
    ...(allowTags !== undefined && { allowTagsRegex: [allowTags] }),
    ...(ignoreTags !== undefined && ignoreTags.length > 0 && { ignoreTagsRegex: ignoreTags }),
    ...(platform !== undefined && { platform }),
    discoveryLimit: 20,
  };
}

/**
 * An app's Kargo pipeline: a Warehouse watching its image repository, one Stage per declared stage (the
 * first fed by the Warehouse, each next one from the stage before; each promoted automatically or on approval by
 * `promotion`), and the
 * PromotionTask every stage runs.
 */
export function pipelineObjects(ctx: PipelineContext): K8sObject[] {
  const { cluster, app } = ctx;
  const project = projectName(app.name);
  const namespace = project;
  const stages: K8sObject[] = app.stages.map((stage, i) => ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: stage, namespace },
    spec: {
      requestedFreight: [
        {
          origin: { kind: 'Warehouse', name: app.name },
          sources: i === 0 ? { direct: true } : { stages: [app.stages[i - 1]!] },
        },
      ],
      promotionTemplate: { spec: { steps: [{ task: { name: PROMOTION_TASK, kind: 'PromotionTask' } }] } },
    },
  }));
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      // Kargo adopts a namespace for a Project only with this label.
      metadata: { name: namespace, labels: { 'kargo.akuity.io/project': 'true' } },
    },
    { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: project } },
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'ProjectConfig',
      metadata: { name: project, namespace },
      // A stage left out of promotionPolicies waits for `kargo promote` (akuity/kargo api/v1alpha1/projectconfig_types.go).
      spec: {
        promotionPolicies: [...promotionModes(app)]
          .filter(([, mode]) => mode === 'auto')
          .map(([stage]) => ({ stageSelector: { name: stage }, autoPromotionEnabled: true })),
      },
    },
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: { name: app.name, namespace },
      spec: {
        interval: '5m0s',
        freightCreationPolicy: 'Automatic',
        subscriptions: [
          { image: imageSubscription(app) },
        ],
      },
    },
    promotionTask(ctx, namespace),
    ...stages,
    externalSecret({
      name: 'git-credentials',
      namespace,
      keys: [
        { secretKey: 'username', input: GIT_CREDENTIALS_INPUT, key: 'username' },
        { secretKey: 'password', input: GIT_CREDENTIALS_INPUT, key: 'password' },
      ],
      template: {
        // Kargo finds repository credentials by this label and the repoURL field.
        labels: { 'kargo.akuity.io/cred-type': 'git' },
        data: { repoURL: cluster.git.repoURL, username: '{{ .username }}', password: '{{ .password }}' },
      },
    }),
  ];
}
