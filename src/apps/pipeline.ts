import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { pipelineRuns, spokeStagePath } from '../core/hub.ts';
import { externalSecret } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';
import { GIT_CREDENTIALS_INPUT, WEBHOOK_INPUT, WEBHOOK_SECRET } from '../components/kargo/index.ts';
import { promotionModes, warehouseConstraint } from './images.ts';
import { commitAuthor, goDurationString, RECEIVER_SECRET_KEY, receiverKind, rolloutBudgetSeconds, type ReceiverKind } from './delivery.ts';

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

/** The kustomization keys the promotion writes: kustomize sets `name:newTag@digest` when both are given. */
export const IMAGE_TAG_KEY = 'images.0.newTag';
export const IMAGE_DIGEST_KEY = 'images.0.digest';
/** What a stage's kustomization holds on the main branch, before any promotion: an image that never resolves. */
export const UNPROMOTED_TAG = 'unpromoted';

/**
 * The images entry of a stage's kustomization, with both keys present: Kargo's yaml-update step only replaces
 * existing scalars, line by line (akuity/kargo pkg/yaml/yaml.go SetValuesInBytes at v1.11.2).
 */
export const stageImages = (app: AppConfig) => [{ name: app.image, newTag: UNPROMOTED_TAG, digest: '' }];

/**
 * Retries of the steps that touch the network (the PromotionStep `retry` of the pinned PromotionTask CRD): Kargo
 * retries a step that errors until errorThreshold consecutive errors (default 1: no retry), and fails a step still
 * Running after `timeout` (argocd-update: 5 minutes by default, akuity/kargo pkg/promotion/runner/builtin/argocd_updater.go).
 * Three attempts ride out a dropped connection or a rejected push; git-push also rebases and retries a
 * non-fast-forward push by itself (maxAttempts, default 10).
 */
const NETWORK_RETRY = { errorThreshold: 3 };

export function commitMessage(app: AppConfig): string {
  const image = '${{ vars.image }}:${{ imageFrom(vars.image).Tag }}@${{ imageFrom(vars.image).Digest }}';
  return [
    `deploy ${app.name} to \${{ ctx.stage }}: ${image} (freight \${{ ctx.targetFreight.name }})`,
    '',
    'Promotion: ${{ ctx.promotion }}',
    'Promoted by: ${{ ctx.meta.promotion.actor }}',
  ].join('\n');
}

function promotionTask({ cluster, app, argoNamespace, stagesPath }: PipelineContext, namespace: string, perStage: boolean): K8sObject {
  // With stages in other environments' trees (a hub's spokes), each Stage gives its own folder as a var.
  const stageDir = `./src/${perStage ? '${{ vars.stagesPath }}' : stagesPath}/\${{ ctx.stage }}`;
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'PromotionTask',
    metadata: { name: PROMOTION_TASK, namespace },
    spec: {
      vars: [
        { name: 'repoURL', value: cluster.git.repoURL },
        { name: 'revision', value: cluster.git.revision },
        { name: 'image', value: app.image },
        ...(perStage ? [{ name: 'stagesPath', value: stagesPath }] : []),
      ],
      steps: [
        {
          uses: 'git-clone',
          retry: NETWORK_RETRY,
          config: {
            repoURL: '${{ vars.repoURL }}',
            // The author of every commit in this working tree (git-commit's own author is deprecated since v1.10).
            author: commitAuthor(cluster),
            checkout: [
              { branch: '${{ vars.revision }}', path: './src' },
              { branch: `plinth/${app.name}/\${{ ctx.stage }}`, create: true, path: './out' },
            ],
          },
        },
        { uses: 'git-clear', config: { path: './out' } },
        {
          // The digest, always: a tag CI pushes again (develop, latest, or a release tag re-pushed after a fix) is new
          // Freight with a new digest, and only a changed manifest makes a commit, a sync and a rollout. The tag
          // stays beside it for people (image: repo:tag@digest; the kubelet pulls by the digest). kustomize-set-image
          // takes a tag or a digest, never both (its config schema at v1.11.2), so the step is yaml-update.
          uses: 'yaml-update',
          as: 'update-image',
          config: {
            path: `${stageDir}/kustomization.yaml`,
            updates: [
              { key: IMAGE_TAG_KEY, value: '${{ imageFrom(vars.image).Tag }}' },
              { key: IMAGE_DIGEST_KEY, value: '${{ imageFrom(vars.image).Digest }}' },
            ],
          },
        },
        { uses: 'kustomize-build', config: { path: stageDir, outPath: './out' } },
        { uses: 'git-commit', as: 'commit', config: { path: './out', message: commitMessage(app) } },
        { uses: 'git-push', retry: NETWORK_RETRY, config: { path: './out' } },
        {
          uses: 'argocd-update',
          retry: { ...NETWORK_RETRY, timeout: goDurationString(rolloutBudgetSeconds(app)) },
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
 * The receiver of push events for the app's image, in its ProjectConfig (webhookReceivers of the pinned
 * ProjectConfig CRD). Its Secret lives in the project namespace, where Kargo's management controller lets the
 * external webhooks server read it (akuity/kargo pkg/controller/management/projects/projects.go). The generic receiver
 * refreshes the app's Warehouse on any call; the others refresh every Warehouse subscribed to the pushed image.
 */
function webhookReceiver(app: AppConfig, kind: ReceiverKind): Record<string, unknown> {
  const secretRef = { name: WEBHOOK_SECRET };
  const config =
    kind === 'generic'
      ? { secretRef, actions: [{ action: 'Refresh', targetSelectionCriteria: [{ kind: 'Warehouse', name: app.name }] }] }
      : { secretRef };
  return { name: receiverName(app.name), [kind]: config };
}

/** The name of an app's receiver, as `plinth webhooks` finds it in the ProjectConfig status. */
export const receiverName = (app: string): string => `${app}-push`;

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
  const receiver = receiverKind(cluster, app);
  // In an environment, the first of its stages takes Freight from the Warehouse; promotion modes stay the app's.
  const here = app.stages.filter((stage) => pipelineRuns(cluster, stage));
  // A spoke's stage is rendered in the spoke's tree: its Stage overrides the task's stagesPath. A task step's vars come
  // after the task's defaults in every inflated step (akuity/kargo pkg/api/promotion.go inflateTaskSteps and
  // promotionTaskVarsToStepVars at v1.11.2).
  const elsewhere = (stage: string) => spokeStagePath(cluster, stage);
  const perStage = here.some((stage) => elsewhere(stage) !== undefined);
  const stageVars = (stage: string) => {
    const tree = elsewhere(stage);
    return tree === undefined ? {} : { vars: [{ name: 'stagesPath', value: `${tree}/${ctx.stagesPath.slice(cluster.git.path.length + 1)}` }] };
  };
  const stages: K8sObject[] = here.map((stage, i) => ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: stage, namespace },
    spec: {
      requestedFreight: [
        {
          origin: { kind: 'Warehouse', name: app.name },
          sources: i === 0 ? { direct: true } : { stages: [here[i - 1]!] },
        },
      ],
      promotionTemplate: { spec: { steps: [{ task: { name: PROMOTION_TASK, kind: 'PromotionTask' }, ...stageVars(stage) }] } },
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
          .filter(([stage, mode]) => mode === 'auto' && pipelineRuns(cluster, stage))
          .map(([stage]) => ({ stageSelector: { name: stage }, autoPromotionEnabled: true })),
        ...(receiver && { webhookReceivers: [webhookReceiver(app, receiver)] }),
      },
    },
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: { name: app.name, namespace },
      spec: {
        interval: cluster.delivery.pollInterval,
        freightCreationPolicy: 'Automatic',
        subscriptions: [
          { image: imageSubscription(app) },
        ],
      },
    },
    promotionTask(ctx, namespace, perStage),
    ...stages,
    ...(receiver
      ? [
          externalSecret({
            name: WEBHOOK_SECRET,
            namespace,
            keys: [{ secretKey: RECEIVER_SECRET_KEY[receiver], input: WEBHOOK_INPUT, key: 'secret' }],
          }),
        ]
      : []),
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
