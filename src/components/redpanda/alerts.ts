import type { AlertRule, ScrapeTarget } from '../../core/alerts.ts';

/**
 * Under-replicated replicas per partition, on the brokers' /public_metrics (redpanda src/v/cluster/partition_probe.cc;
 * the name is long-standing in Redpanda's public metrics reference; the broker source read here predates v26.2.1).
 */
const UNDER_REPLICATED = 'redpanda_kafka_under_replicated_replicas';

/**
 * The brokers' ServiceMonitor, which the operator renders from the Redpanda resource's clusterSpec.monitoring
 * (redpanda-data/redpanda-operator operator/v26.2.2 charts/redpanda/servicemonitor.go: port admin, path
 * /public_metrics, named after the cluster).
 */
export function redpandaTargets(cluster: string, namespace: string): ScrapeTarget[] {
  return [
    {
      id: 'redpanda-brokers',
      description: "Redpanda brokers' public metrics",
      metrics: [UNDER_REPLICATED],
      check: { description: 'ServiceMonitor: Prometheus scrapes the brokers', apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', name: cluster, namespace },
    },
  ];
}

export function redpandaAlerts(): AlertRule[] {
  const partition = (n: number) => `${UNDER_REPLICATED}{redpanda_namespace="kafka",redpanda_topic="videos",redpanda_partition="${n}"}`;
  return [
    {
      uid: 'plinth-redpanda-under-replicated',
      title: 'Redpanda partitions under-replicated',
      name: 'RedpandaUnderReplicated',
      group: 'messaging',
      query: `sum by (redpanda_topic) (${UNDER_REPLICATED})`,
      op: 'gt',
      threshold: 0,
      for: '10m',
      severity: 'warning',
      noData: 'NoData',
      noDataWhy: 'every broker reports its partitions: no data means the brokers or their scrape are gone',
      summary: 'Topic {{ $labels.redpanda_topic }} has under-replicated partitions: one more broker lost would lose messages',
      runbook: 'kubectl -n redpanda get pods; rpk cluster health; a broker down or a full disk is the usual cause',
      tests: {
        fires: { series: [{ series: partition(0), values: '1x15' }, { series: partition(1), values: '0x15' }], at: '12m', labels: { redpanda_topic: 'videos' } },
        silent: { series: [{ series: partition(0), values: '0x15' }, { series: partition(1), values: '0x15' }], at: '12m' },
      },
    },
  ];
}
