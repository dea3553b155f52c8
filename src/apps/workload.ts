import { strategicMerge } from '../core/merge.ts';
import type { K8sObject } from '../core/types.ts';
import { kafkaBootstrapServers } from '../components/redpanda/index.ts';
import { APP_ANNOTATIONS, APP_LABEL, podLabels, SERVICE_PORT, STAGE_LABEL, stageHost, type StageContext } from './context.ts';
import { environment } from './env.ts';
import { ingress, networkPolicy } from './network.ts';

export { APP_ANNOTATIONS, APP_LABEL, podLabels, SERVICE_PORT, STAGE_LABEL, stageHost, type StageContext } from './context.ts';

function deployment(ctx: StageContext, labels: Record<string, string>): K8sObject {
  const { app, namespace } = ctx;
  const annotations: Record<string, string> = {};
  if (app.database) annotations[APP_ANNOTATIONS.database] = app.database;
  if (app.cache) annotations[APP_ANNOTATIONS.cache] = app.cache;
  const topics = [...new Set([...app.topics.produce, ...app.topics.consume])].sort();
  if (topics.length > 0) annotations[APP_ANNOTATIONS.topics] = topics.join(',');
  const probe = (path: string) => ({ httpGet: { path, port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
  const object: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app.name, namespace, labels, ...(Object.keys(annotations).length > 0 && { annotations }) },
    spec: {
      // KEDA owns the replica count of a scaled app; a fixed one here would fight it on every sync.
      ...(!app.scale && { replicas: app.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: podLabels(app.name) },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: app.name,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: app.name,
              // No tag: the stage's kustomization gets it from Kargo (`kustomize-set-image`) at promotion.
              image: app.image,
              ports: [{ name: 'http', containerPort: app.port, protocol: 'TCP' }],
              env: environment(ctx),
              resources: app.resources,
              livenessProbe: probe(app.probes.liveness),
              readinessProbe: probe(app.probes.readiness),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
  return app.deployment ? (strategicMerge(object, app.deployment) as K8sObject) : object;
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
            consumerGroup: app.name,
            topic: app.scale.topic,
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
  const host = stageHost(app, ctx.stage);
  const objects: (K8sObject | undefined)[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app.name, namespace, labels }, automountServiceAccountToken: false },
    deployment(ctx, labels),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.name, namespace, labels },
      spec: { selector: podLabels(app.name), ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP' }] },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: app.name, namespace, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: podLabels(app.name) } },
    },
    networkPolicy(ctx, labels),
    host ? ingress(ctx, labels, host) : undefined,
    scaledObject(ctx, labels),
    ...app.extraObjects.map((object) => ({ ...object, metadata: { namespace, ...object.metadata } })),
  ];
  return objects.filter((o): o is K8sObject => o !== undefined);
}
