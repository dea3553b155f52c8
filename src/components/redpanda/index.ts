import { z } from 'zod';
import { dnsLabel, type ClusterConfig, type TopicConfig } from '../../config/schema.ts';
import { redpandaAlerts, redpandaTargets } from './alerts.ts';
import { defineComponent, type HealthCheck, type K8sObject, type RenderContext } from '../../core/types.ts';
import { stageTopics } from '../../apps/stage-data.ts';

/** The Redpanda resource; the operator names the Helm release, StatefulSet and headless Service after it. */
export const REDPANDA_CLUSTER = 'redpanda';
/** Port of the chart's internal Kafka listener (`listeners.kafka.port`). */
export const KAFKA_PORT = 9093;
const DEFAULT_NAMESPACE = 'redpanda';

/**
 * The Kafka bootstrap address for clients inside the cluster (apps, KEDA): the brokers' headless Service and
 * the internal listener. The Service resolves to every broker; clients then follow the advertised broker names.
 */
export function kafkaBootstrapServers(cluster: Pick<ClusterConfig, 'components'>): string {
  const namespace = cluster.components['redpanda']?.common.namespace ?? DEFAULT_NAMESPACE;
  return `${REDPANDA_CLUSTER}.${namespace}.svc.cluster.local:${KAFKA_PORT}`;
}

// The redpanda chart's values schema accepts at most one decimal digit in a quantity.
const chartQuantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9])?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/, { error: 'must be a quantity such as "1", "500m", "2Gi" or "2.5Gi"' });

const options = z.strictObject({
  /** Number of brokers; each needs its own node (the chart's anti-affinity is hard). */
  brokers: z.int().min(1).default(1),
  /** Data volume of each broker. */
  storage: chartQuantity.default('10Gi'),
  storageClass: dnsLabel.optional(),
  /** CPU of each broker: whole cores, or less than one to run overprovisioned. */
  cpu: chartQuantity.default('1'),
  /** Memory of each broker container; Redpanda takes most of it for itself. */
  memory: chartQuantity.default('2Gi'),
  /** TLS on every listener, certificates from cert-manager; off by default since traffic stays inside the cluster. */
  tls: z.boolean().default(false),
  /** Redpanda Console (web UI), reachable only through port-forward. */
  console: z.boolean().default(false),
  /** ServiceMonitors for the brokers and the operator; needs the Prometheus Operator CRDs. */
  monitoring: z.boolean().default(false),
});

type Options = z.output<typeof options>;

function redpandaCluster(namespace: string, options: Options, monitoring: RenderContext<Options>['monitoring']): K8sObject {
  return {
    apiVersion: 'cluster.redpanda.com/v1alpha2',
    kind: 'Redpanda',
    metadata: { name: REDPANDA_CLUSTER, namespace },
    spec: {
      // Mirrors the redpanda chart's values; the operator fills in the rest from the chart's defaults.
      clusterSpec: {
        statefulset: { replicas: options.brokers },
        resources: { cpu: { cores: options.cpu }, memory: { container: { max: options.memory } } },
        storage: {
          persistentVolume: {
            enabled: true,
            size: options.storage,
            ...(options.storageClass && { storageClass: options.storageClass }),
          },
        },
        tls: { enabled: options.tls },
        // Only clients inside the cluster: no NodePort or LoadBalancer per broker.
        external: { enabled: false },
        console: { enabled: options.console },
        // The operator renders the brokers' ServiceMonitor from this (charts/redpanda/servicemonitor.go), labelled for the cluster's Prometheus.
        monitoring: { enabled: options.monitoring || monitoring !== undefined, ...(monitoring && { labels: monitoring.labels }) },
      },
    },
  };
}

/** A topic's Topic under `name`: the declared one's, or a stage's copy `<topic>-<stage>` with the same partitions. */
function topic(namespace: string, name: string, config: TopicConfig): K8sObject {
  return {
    apiVersion: 'cluster.redpanda.com/v1alpha2',
    kind: 'Topic',
    metadata: { name, namespace },
    spec: {
      partitions: config.partitions,
      replicationFactor: config.replicas,
      cluster: { clusterRef: { name: REDPANDA_CLUSTER } },
    },
  };
}

export const redpanda = defineComponent({
  id: 'redpanda',
  description: 'Redpanda: the operator, one Kafka-compatible cluster and the declared topics',
  namespace: DEFAULT_NAMESPACE,
  // The chart issues its TLS certificates through cert-manager.
  needs: (options) => (options.tls ? ['cert-manager'] : []),
  options,
  chart: ({ options }) => ({
    repoURL: 'https://charts.redpanda.com',
    chart: 'operator',
    version: '26.2.2',
    releaseName: 'redpanda-operator',
    values: {
      crds: { enabled: true },
      monitoring: { enabled: options.monitoring },
    },
  }),
  resources: ({ cluster, namespace, options, monitoring }) => [
    redpandaCluster(namespace, options, monitoring),
    ...stageTopics(cluster).map((t) => topic(namespace, t.name, t.declared)),
  ],
  health: ({ cluster, namespace }) => {
    const checks: HealthCheck[] = [
      { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'redpanda-operator', namespace },
      { description: 'Redpanda cluster', apiVersion: 'cluster.redpanda.com/v1alpha2', kind: 'Redpanda', name: REDPANDA_CLUSTER, namespace },
      { description: 'brokers', apiVersion: 'apps/v1', kind: 'StatefulSet', name: REDPANDA_CLUSTER, namespace },
    ];
    for (const t of stageTopics(cluster))
      checks.push({ description: `topic ${t.name}`, apiVersion: 'cluster.redpanda.com/v1alpha2', kind: 'Topic', name: t.name, namespace });
    return checks;
  },
  alerts: redpandaAlerts,
  scrapeTargets: ({ namespace }) => redpandaTargets(REDPANDA_CLUSTER, namespace),
});
