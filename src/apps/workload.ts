import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { DATABASES_NAMESPACE, databaseSecretName } from '../core/conventions.ts';
import { exposeIngress } from './expose.ts';
import { deepMerge } from '../core/merge.ts';
import type { K8sObject } from '../core/types.ts';
import { POSTGRES_PORT, postgresHost } from '../components/cloudnative-pg/index.ts';
import { KAFKA_PORT, kafkaBootstrapServers } from '../components/redpanda/index.ts';
import { cacheConnection } from '../components/valkey/index.ts';

/** Annotations on an app's Deployment naming what it uses, so `plinth validate` can follow the references. */
export const APP_ANNOTATIONS = { database: 'plinth.dev/database', cache: 'plinth.dev/cache', topics: 'plinth.dev/topics' } as const;
export const APP_LABEL = 'plinth.dev/app';
export const STAGE_LABEL = 'plinth.dev/stage';
/** The Service port every app is reached on inside the cluster, whatever its container port. */
export const SERVICE_PORT = 80;

export interface StageContext {
  cluster: ClusterConfig;
  app: AppConfig;
  stage: string;
  namespace: string;
  /** Namespace of a component, as configured or by default. */
  namespaceOf: (component: string) => string;
}

export const podLabels = (app: string) => ({ 'app.kubernetes.io/name': app });

/** The public host of an app in a stage: the declared host in the last stage, `<stage>-<host>` before it. */
export function stageHost(app: AppConfig, stage: string): string | undefined {
  if (!app.host) return undefined;
  return stage === app.stages.at(-1) ? app.host : `${stage}-${app.host}`;
}

const envName = (app: string) => app.toUpperCase().replaceAll('-', '_');
const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
const valueEnv = (name: string, value: string) => ({ name, value });

/**
 * What the app is told about its dependencies. Secrets come by reference only; `$(VAR)` is expanded by the
 * kubelet, and DATABASE_URL leaves the password out because a generated one may hold URL-reserved characters:
 * libpq and node-postgres take it from PGPASSWORD.
 */
function environment({ cluster, app, stage }: StageContext) {
  const env: { name: string; value?: string; valueFrom?: unknown }[] = [valueEnv('PORT', String(app.port))];
  if (app.database) {
    const db = cluster.postgres.databases.find((d) => d.name === app.database)!;
    const host = postgresHost(db.server);
    const secret = databaseSecretName(db.name);
    env.push(
      valueEnv('PGHOST', host),
      valueEnv('PGPORT', String(POSTGRES_PORT)),
      valueEnv('PGDATABASE', db.name),
      secretEnv('PGUSER', secret, 'username'),
      secretEnv('PGPASSWORD', secret, 'password'),
      valueEnv('DATABASE_URL', `postgresql://$(PGUSER)@${host}:${POSTGRES_PORT}/${db.name}`),
    );
  }
  if (app.cache) {
    const cache = cacheConnection(cluster, app.cache);
    env.push(
      valueEnv('VALKEY_HOST', cache.host),
      valueEnv('VALKEY_PORT', String(cache.port)),
      valueEnv('VALKEY_USERNAME', 'default'),
      secretEnv('VALKEY_PASSWORD', cache.secretName, cache.passwordKey),
      valueEnv('VALKEY_CLUSTER_MODE', 'true'),
    );
  }
  const { produce, consume } = app.topics;
  if (produce.length + consume.length > 0) {
    env.push(valueEnv('KAFKA_BROKERS', kafkaBootstrapServers(cluster)));
    if (produce.length > 0) env.push(valueEnv('KAFKA_PRODUCE_TOPICS', produce.join(',')));
    if (consume.length > 0) env.push(valueEnv('KAFKA_CONSUME_TOPICS', consume.join(',')), valueEnv('KAFKA_CONSUMER_GROUP', app.name));
  }
  for (const callee of app.calls) env.push(valueEnv(`${envName(callee)}_URL`, `http://${callee}.${stage}.svc.cluster.local`));
  for (const [name, value] of Object.entries(app.env).sort(([a], [b]) => (a < b ? -1 : 1))) env.push(valueEnv(name, value));
  return env;
}

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
  return app.deployment ? (deepMerge(object, app.deployment) as K8sObject) : object;
}

function networkPolicy(ctx: StageContext, labels: Record<string, string>): K8sObject {
  const { cluster, app, namespace, namespaceOf } = ctx;
  const inNamespace = (name: string, pods?: Record<string, string>) => ({
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
    ...(pods && { podSelector: { matchLabels: pods } }),
  });
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  const callers = cluster.apps.filter((other) => other.calls.includes(app.name) && other.stages.includes(ctx.stage));
  const ingress = [
    ...(app.host ? [{ from: [inNamespace(namespaceOf('traefik'))], ports: [tcp(app.port)] }] : []),
    ...(callers.length > 0 ? [{ from: callers.map((c) => ({ podSelector: { matchLabels: podLabels(c.name) } })), ports: [tcp(app.port)] }] : []),
  ];
  const egress: unknown[] = [
    {
      to: [inNamespace('kube-system', { 'k8s-app': 'kube-dns' })],
      ports: [{ protocol: 'UDP', port: 53 }, tcp(53)],
    },
  ];
  if (app.database) {
    const server = cluster.postgres.databases.find((d) => d.name === app.database)!.server;
    egress.push({ to: [inNamespace(DATABASES_NAMESPACE, { 'cnpg.io/cluster': server })], ports: [tcp(POSTGRES_PORT)] });
  }
  if (app.cache) egress.push({ to: [inNamespace(namespaceOf('valkey'))], ports: [tcp(cacheConnection(cluster, app.cache).port)] });
  if (app.topics.produce.length + app.topics.consume.length > 0)
    egress.push({ to: [inNamespace(namespaceOf('redpanda'))], ports: [tcp(KAFKA_PORT)] });
  for (const callee of app.calls) {
    const port = cluster.apps.find((a) => a.name === callee)!.port;
    egress.push({ to: [{ podSelector: { matchLabels: podLabels(callee) } }], ports: [tcp(port)] });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: app.name, namespace, labels },
    spec: { podSelector: { matchLabels: podLabels(app.name) }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
  };
}

function ingress(ctx: StageContext, labels: Record<string, string>, host: string): K8sObject {
  return exposeIngress({ service: ctx.app.name, name: ctx.app.name, labels, host, namespace: ctx.namespace, port: SERVICE_PORT });
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
