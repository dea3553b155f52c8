import { strategicMerge } from '../core/merge.ts';
import type { K8sObject } from '../core/types.ts';
import { kafkaBootstrapServers } from '../components/redpanda/index.ts';
import { APP_ANNOTATIONS, APP_LABEL, podLabels, SERVICE_PORT, STAGE_LABEL, stageHost, type StageContext } from './context.ts';
import { consumerGroup, environment } from './env.ts';
import { sharedDataAnnotations, stageDataOf } from './stage-data.ts';
import { secretEnv, secretVolumeMounts, secretVolumes } from './secrets.ts';
import { ingress, networkPolicy } from './network.ts';
import { declaredProbes, renderProbe } from './probes.ts';
import { containerSecurityContext, podSecurityContext, relaxationAnnotations, workloadRelaxationAnnotations } from './security.ts';

export { APP_ANNOTATIONS, APP_LABEL, podLabels, SERVICE_PORT, STAGE_LABEL, stageHost, type StageContext } from './context.ts';

/** The app's one container, the same in a Deployment and a CronJob. */
function container(ctx: StageContext): Record<string, unknown> {
  const { app } = ctx;
  const probes = declaredProbes(app);
  const gpu = app.gpu && { [app.gpu.resource]: String(app.gpu.count) };
  return {
    name: app.name,
    // No tag: the stage's kustomization gets it from Kargo (`kustomize-set-image`) at promotion.
    image: app.image,
    ...(app.command && { command: app.command }),
    ...(app.args && { args: app.args }),
    ...(app.workingDir && { workingDir: app.workingDir }),
    ...(app.kind === 'service' && {
      ports: [
        { name: 'http', containerPort: app.port, protocol: 'TCP' },
        ...app.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
      ],
    }),
    env: [...environment(ctx), ...secretEnv(ctx)],
    // Kubernetes wants an extended resource's request equal to its limit (k8s.io/kubernetes pkg/apis/core/validation/validation.go).
    resources: gpu ? { requests: { ...app.resources.requests, ...gpu }, limits: { ...app.resources.limits, ...gpu } } : app.resources,
    ...(probes.liveness && { livenessProbe: renderProbe(probes.liveness, 'liveness') }),
    ...(probes.readiness && { readinessProbe: renderProbe(probes.readiness, 'readiness') }),
    ...(probes.startup && { startupProbe: renderProbe(probes.startup, 'startup') }),
    securityContext: containerSecurityContext(app),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...app.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath })), ...secretVolumeMounts(ctx)],
  };
}

export const volumeClaimName = (app: string, volume: string): string => `${app}-${volume}`;

function podTemplate(ctx: StageContext, labels: Record<string, string>): Record<string, unknown> {
  const { app } = ctx;
  const annotations = relaxationAnnotations(app);
  const { gpu } = app;
  return {
    metadata: { labels, ...(Object.keys(annotations).length > 0 && { annotations }) },
    spec: {
      serviceAccountName: app.name,
      automountServiceAccountToken: false,
      // A Job's pod that failed stays for its logs; the Job starts a new one (up to its backoffLimit).
      ...(app.kind === 'cronjob' && { restartPolicy: 'Never' }),
      securityContext: podSecurityContext(app),
      ...(gpu?.runtimeClassName && { runtimeClassName: gpu.runtimeClassName }),
      ...(gpu?.nodeSelector && { nodeSelector: gpu.nodeSelector }),
      // GPU nodes are commonly tainted with the resource's name (the ExtendedResourceToleration admission plugin's convention).
      ...(gpu && { tolerations: gpu.tolerations ?? [{ key: gpu.resource, operator: 'Exists', effect: 'NoSchedule' }] }),
      containers: [container(ctx)],
      volumes: [
        { name: 'tmp', emptyDir: {} },
        ...app.volumes.map((v) =>
          v.size !== undefined
            ? { name: v.name, persistentVolumeClaim: { claimName: volumeClaimName(app.name, v.name) } }
            : { name: v.name, emptyDir: { ...v.emptyDir } },
        ),
        ...secretVolumes(ctx),
      ],
    },
  };
}

/** The Deployment of a service or worker, or the CronJob of a cronjob, with the app's `deployment` patch merged last. */
function workload(ctx: StageContext, labels: Record<string, string>): K8sObject {
  const { app, namespace } = ctx;
  const annotations: Record<string, string> = {};
  // What the app uses in this stage, by the names they have there, so validate follows the stage's own references.
  const data = stageDataOf(ctx.cluster, app, ctx.stage);
  if (app.database) annotations[APP_ANNOTATIONS.database] = data.database?.name ?? app.database;
  if (app.cache) annotations[APP_ANNOTATIONS.cache] = data.cache?.name ?? app.cache;
  const topics = [...new Set([...data.produce, ...data.consume])].sort();
  if (topics.length > 0) annotations[APP_ANNOTATIONS.topics] = topics.join(',');
  Object.assign(annotations, sharedDataAnnotations(data.shared));
  Object.assign(annotations, workloadRelaxationAnnotations(app));
  const metadata = { name: app.name, namespace, labels, ...(Object.keys(annotations).length > 0 && { annotations }) };
  const object: K8sObject =
    app.kind === 'cronjob'
      ? {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata,
          spec: {
            schedule: app.cron!.schedule,
            concurrencyPolicy: app.cron!.concurrencyPolicy,
            successfulJobsHistoryLimit: app.cron!.successfulJobsHistoryLimit,
            failedJobsHistoryLimit: app.cron!.failedJobsHistoryLimit,
            // Kargo's kustomize-set-image tags this container too: kustomize sets `containers[].image` at any path of
            // any kind (kustomize api/konfig/builtinpluginconsts/images.go).
            jobTemplate: { metadata: { labels }, spec: { template: podTemplate(ctx, labels) } },
          },
        }
      : {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata,
          spec: {
            // KEDA owns the replica count of a scaled app; a fixed one here would fight it on every sync.
            ...(!app.scale && { replicas: app.replicas }),
            revisionHistoryLimit: 5,
            // A ReadWriteOnce claim cannot be attached to the new pod on another node while the old one holds it.
            ...(app.volumes.some((v) => v.size !== undefined) && { strategy: { type: 'Recreate' } }),
            selector: { matchLabels: podLabels(app.name) },
            template: podTemplate(ctx, labels),
          },
        };
  return app.deployment ? (strategicMerge(object, app.deployment) as K8sObject) : object;
}

/**
 * One claim per volume with a size, in each stage. Argo CD never prunes it (argocd.argoproj.io/sync-options
 * Prune=false, argo-cd docs/user-guide/sync-options.md): removing the volume from the config must not delete its data.
 */
function volumeClaims(ctx: StageContext, labels: Record<string, string>): K8sObject[] {
  const { app, namespace } = ctx;
  return app.volumes
    .filter((v) => v.size !== undefined)
    .map((v) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: volumeClaimName(app.name, v.name), namespace, labels, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' } },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(v.storageClass && { storageClassName: v.storageClass }),
        resources: { requests: { storage: v.size } },
      },
    }));
}

function scaledObject(ctx: StageContext, labels: Record<string, string>): K8sObject | undefined {
  const { cluster, app, namespace } = ctx;
  if (!app.scale) return undefined;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: app.name, namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app.name },
      minReplicaCount: app.scale.minReplicas,
      maxReplicaCount: app.scale.maxReplicas,
      pollingInterval: 30,
      cooldownPeriod: 300,
      triggers: [
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: kafkaBootstrapServers(cluster),
            consumerGroup: consumerGroup(cluster, app, ctx.stage),
            topic: stageDataOf(cluster, app, ctx.stage).scaleTopic ?? app.scale.topic,
            lagThreshold: String(app.scale.lagThreshold),
            // A group that has not committed yet counts its lag from the first message, so queued work wakes it from zero.
            offsetResetPolicy: 'earliest',
          },
        },
      ],
    },
  };
}

/** Every object of one app in one stage, before Kargo sets the image tag. */
export function stageObjects(ctx: StageContext): K8sObject[] {
  const { app, namespace } = ctx;
  const labels = { ...podLabels(app.name), 'app.kubernetes.io/part-of': ctx.cluster.name, [APP_LABEL]: app.name, [STAGE_LABEL]: ctx.stage };
  const host = stageHost(app, ctx.stage, ctx.cluster.domain);
  const longRunning = app.kind !== 'cronjob';
  const objects: (K8sObject | undefined)[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app.name, namespace, labels }, automountServiceAccountToken: false },
    workload(ctx, labels),
    ...volumeClaims(ctx, labels),
    app.kind === 'service'
      ? {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: app.name, namespace, labels },
          spec: {
            selector: podLabels(app.name),
            ports: [
              { name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP' },
              ...app.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol })),
            ],
          },
        }
      : undefined,
    longRunning
      ? {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: app.name, namespace, labels },
          spec: { maxUnavailable: 1, selector: { matchLabels: podLabels(app.name) } },
        }
      : undefined,
    networkPolicy(ctx, labels),
    host ? ingress(ctx, labels, host) : undefined,
    scaledObject(ctx, labels),
    ...app.extraObjects.map((object) => ({ ...object, metadata: { namespace, ...object.metadata } })),
  ];
  return objects.filter((o): o is K8sObject => o !== undefined);
}
