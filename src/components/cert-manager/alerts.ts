import { chartServiceMonitor, type AlertRule, type ScrapeTarget } from '../../core/alerts.ts';
import type { RenderContext } from '../../core/types.ts';

/**
 * cert-manager's certificate metrics at v1.21.1 (cert-manager/cert-manager internal/collectors/certificate_collector.go):
 * the expiry time, and one ready-status series per condition (True, False, Unknown), the current one at 1.
 */
const EXPIRY = 'certmanager_certificate_expiration_timestamp_seconds';
const READY = 'certmanager_certificate_ready_status';

/** The chart's own ServiceMonitor (values prometheus.servicemonitor.*), labelled for the cluster's Prometheus. */
export function certManagerTargets({ namespace, monitoring }: RenderContext<unknown>): ScrapeTarget[] {
  return [
    chartServiceMonitor({
      id: 'cert-manager',
      description: "cert-manager's controller metrics",
      metrics: [EXPIRY, READY],
      values: { prometheus: { enabled: true, servicemonitor: { enabled: true, labels: monitoring?.labels ?? {} } } },
      // The chart names it after the release (templates/servicemonitor.yaml: {{ template "cert-manager.fullname" }}).
      name: 'cert-manager',
      namespace,
      scrapes: 'the certificate metrics',
    }),
  ];
}

/** cert-manager renews 30 days before expiry (the Certificate's default renewBefore), so less than `days` means renewal is failing. */
export function certManagerAlerts(days: number): AlertRule[] {
  const certificate = { namespace: 'web', name: 'web-tls', issuer_name: 'letsencrypt-prod', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io' };
  const labels = Object.entries(certificate).map(([k, v]) => `${k}="${v}"`).join(',');
  return [
    {
      uid: 'plinth-certificate-expiry',
      title: 'Certificate about to expire',
      name: 'CertificateAboutToExpire',
      group: 'certificates',
      query: `min by (namespace, name) ((${EXPIRY} - time()) / 86400)`,
      op: 'lt',
      threshold: days,
      for: '1h',
      severity: 'critical',
      noData: 'OK',
      noDataWhy: 'a cluster without certificates has no series; a missing scrape target is caught by doctor instead',
      summary: `Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in less than ${days} days`,
      runbook: 'renewal is failing: kubectl -n {{ $labels.namespace }} describe certificate {{ $labels.name }}, then its Order and Challenge, then the Designate webhook',
      description: 'It expires in {{ humanize $values.A.Value }} days.',
      tests: {
        // Expires at 5 days: 432000 s.
        fires: { series: [{ series: `${EXPIRY}{${labels}}`, values: '432000x90' }], at: '70m', labels: { namespace: 'web', name: 'web-tls' } },
        silent: { series: [{ series: `${EXPIRY}{${labels}}`, values: '5184000x90' }], at: '70m' },
      },
    },
    {
      uid: 'plinth-certificate-not-ready',
      title: 'Certificate not ready',
      name: 'CertificateNotReady',
      group: 'certificates',
      query: `max by (namespace, name) (${READY}{condition!="True"})`,
      op: 'gt',
      threshold: 0,
      for: '30m',
      severity: 'warning',
      noData: 'OK',
      noDataWhy: 'no certificates, no series',
      summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} has not been Ready for 30 minutes',
      runbook: 'kubectl -n {{ $labels.namespace }} describe certificate {{ $labels.name }}; plinth doctor shows the cause chain',
      tests: {
        fires: {
          series: [
            { series: `${READY}{${labels},condition="True"}`, values: '0x40' },
            { series: `${READY}{${labels},condition="False"}`, values: '1x40' },
          ],
          at: '35m',
          labels: { namespace: 'web', name: 'web-tls' },
        },
        silent: {
          series: [
            { series: `${READY}{${labels},condition="True"}`, values: '1x40' },
            { series: `${READY}{${labels},condition="False"}`, values: '0x40' },
          ],
          at: '35m',
        },
      },
    },
  ];
}
