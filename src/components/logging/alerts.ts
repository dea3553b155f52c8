import type { AlertRule, ScrapeTarget } from '../../core/alerts.ts';

/**
 * fluentd's output metrics, from the prometheus_output_monitor logging-operator configures once the Logging's
 * fluentd metrics are on; its own default rules read the same names (pkg/resources/fluentd/prometheusrules.go at 6.7.0).
 * One gauge per output from fluentd's start (gauge_all, default true), labelled plugin_id and type
 * (fluent-plugin-prometheus lib/fluent/plugin/in_prometheus_output_monitor.rb).
 */
const ERRORS = 'fluentd_output_status_num_errors';
const RETRIES = 'fluentd_output_status_retry_count';

/**
 * The operator, not the chart, makes the ServiceMonitor, from the Logging's spec.fluentd.metrics: named
 * `<logging>-fluentd-metrics` in the control namespace (pkg/resources/fluentd/service.go monitorServiceMetrics,
 * meta.go FluentdObjectMeta, and Logging.QualifiedName).
 */
export function loggingTargets(namespace: string, logging: string): ScrapeTarget[] {
  return [
    {
      id: 'fluentd',
      description: "fluentd's output errors and retries",
      metrics: [ERRORS, RETRIES],
      check: { description: "ServiceMonitor: Prometheus scrapes fluentd's output errors", apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', name: `${logging}-fluentd-metrics`, namespace },
      createdBy: `logging-operator creates it from Logging/${logging} (spec.fluentd.metrics.serviceMonitor)`,
    },
  ];
}

/** The logs of a cluster that holds patient data are its audit trail: losing them silently is what these catch. */
export function loggingAlerts(): AlertRule[] {
  const series = (metric: string) => `${metric}{namespace="logging",pod="plinth-fluentd-0",plugin_id="clusterflow:logging:all-containers:clusteroutput:logging:s3",type="s3"}`;
  return [
    {
      uid: 'plinth-logging-output-errors',
      title: 'Logs not shipped',
      name: 'LoggingOutputErrors',
      group: 'workloads',
      query: `sum by (namespace, type) (increase(${ERRORS}[10m]))`,
      op: 'gt',
      threshold: 0,
      for: '10m',
      severity: 'warning',
      noData: 'NoData',
      noDataWhy: 'fluentd exports the counter for every output from its start: none means it is not scraped, and nobody would know logs are lost',
      summary: 'fluentd in {{ $labels.namespace }} fails to write to its {{ $labels.type }} output: container logs pile up in its buffer and are lost when it fills',
      runbook: 'kubectl -n {{ $labels.namespace }} logs statefulset/plinth-fluentd -c fluentd | grep -i error; kubectl -n {{ $labels.namespace }} get clusteroutput -o yaml (status.problems); plinth doctor',
      tests: {
        fires: { series: [{ series: series(ERRORS), values: '0+1x30' }], at: '25m', labels: { namespace: 'logging', type: 's3' } },
        silent: { series: [{ series: series(ERRORS), values: '4x30' }], at: '25m' },
      },
    },
  ];
}
