import { chartServiceMonitor, type AlertRule, type ScrapeTarget } from '../../core/alerts.ts';
import type { RenderContext } from '../../core/types.ts';

/** One series per ExternalSecret condition (external-secrets v2.9.0 pkg/controllers/externalsecret/esmetrics/esmetrics.go). */
const CONDITION = 'externalsecret_status_condition';

/** The chart's ServiceMonitor (values serviceMonitor.*): named <fullname>-metrics (deploy/charts/external-secrets/templates/servicemonitor.yaml). */
export function externalSecretsTargets({ namespace, monitoring }: RenderContext<unknown>): ScrapeTarget[] {
  return [
    chartServiceMonitor({
      id: 'external-secrets',
      description: "External Secrets controller's metrics",
      metrics: [CONDITION],
      values: { serviceMonitor: { enabled: true, additionalLabels: monitoring?.labels ?? {} } },
      name: 'external-secrets-metrics',
      namespace,
      scrapes: 'the ExternalSecret statuses',
    }),
  ];
}

export function externalSecretsAlerts(): AlertRule[] {
  const secret = (status: string) => `${CONDITION}{namespace="production",name="pg-app",condition="Ready",status="${status}"}`;
  return [
    {
      uid: 'plinth-externalsecret-not-synced',
      title: 'ExternalSecret not synced',
      name: 'ExternalSecretNotSynced',
      group: 'secrets',
      query: `max by (namespace, name) (${CONDITION}{condition="Ready",status="False"})`,
      op: 'gt',
      threshold: 0,
      for: '15m',
      severity: 'critical',
      noData: 'OK',
      noDataWhy: 'no ExternalSecrets, no series; a missing scrape target is caught by doctor',
      summary: 'ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} is not synced: its Secret is missing or stale',
      runbook: 'plinth secrets check (is the input set?), then kubectl -n {{ $labels.namespace }} describe externalsecret {{ $labels.name }}',
      tests: {
        fires: { series: [{ series: secret('False'), values: '1x20' }, { series: secret('True'), values: '0x20' }], at: '18m', labels: { namespace: 'production', name: 'pg-app' } },
        silent: { series: [{ series: secret('False'), values: '0x20' }, { series: secret('True'), values: '1x20' }], at: '18m' },
      },
    },
  ];
}
