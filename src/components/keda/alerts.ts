import { chartServiceMonitor, type AlertRule, type ScrapeTarget } from '../../core/alerts.ts';
import type { RenderContext } from '../../core/types.ts';

/**
 * Errors per ScaledObject, counted by the operator (keda v2.20.2 pkg/metricscollector/prommetrics.go:
 * keda_scaled_object_errors_total; keda_scaler_errors_total no longer exists).
 */
const ERRORS = 'keda_scaled_object_errors_total';

/** The chart's operator ServiceMonitor (values prometheus.operator.*), named after operator.name (keda/templates/manager/servicemonitor.yaml). */
export function kedaTargets({ namespace, monitoring }: RenderContext<unknown>): ScrapeTarget[] {
  return [
    chartServiceMonitor({
      id: 'keda-operator',
      description: "KEDA operator's metrics",
      metrics: [ERRORS],
      values: { prometheus: { operator: { enabled: true, serviceMonitor: { enabled: true, additionalLabels: monitoring?.labels ?? {} } } } },
      name: 'keda-operator',
      namespace,
      scrapes: 'the scaler errors',
    }),
  ];
}

export function kedaAlerts(): AlertRule[] {
  const series = `${ERRORS}{namespace="production",scaledObject="video-worker"}`;
  return [
    {
      uid: 'plinth-keda-scaler-errors',
      title: 'KEDA scaler failing',
      name: 'KedaScalerErrors',
      group: 'workloads',
      query: `sum by (namespace, scaledObject) (rate(${ERRORS}[5m]))`,
      op: 'gt',
      threshold: 0,
      for: '10m',
      severity: 'warning',
      noData: 'OK',
      noDataWhy: 'the counter appears with the first error: none means no scaler has failed',
      summary: 'KEDA cannot read the scaler of {{ $labels.namespace }}/{{ $labels.scaledObject }}: the workload no longer scales on its queue',
      runbook: 'kubectl -n {{ $labels.namespace }} describe scaledobject {{ $labels.scaledObject }}; check the broker address and the consumer group',
      tests: {
        fires: { series: [{ series, values: '0+2x30' }], at: '25m', labels: { namespace: 'production', scaledObject: 'video-worker' } },
        silent: { series: [{ series, values: '3x30' }], at: '25m' },
      },
    },
  ];
}
