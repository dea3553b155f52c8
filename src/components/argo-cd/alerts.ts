import { chartServiceMonitor, type AlertRule, type ScrapeTarget } from '../../core/alerts.ts';
import type { RenderContext } from '../../core/types.ts';

/**
 * argocd_app_info: one series per Application, its health and sync status as labels (argo-cd v3.4.4
 * controller/metrics/metrics.go), served by the application controller's metrics Service.
 */
const APP_INFO = 'argocd_app_info';

/** The chart's controller metrics Service and ServiceMonitor (argo-helm argo-cd 10.1.1 values controller.metrics.*). */
export function argoCdTargets({ namespace, monitoring }: RenderContext<unknown>): ScrapeTarget[] {
  return [
    chartServiceMonitor({
      id: 'argocd-application-controller',
      description: "Argo CD application controller's metrics",
      metrics: [APP_INFO],
      values: { controller: { metrics: { enabled: true, serviceMonitor: { enabled: true, additionalLabels: monitoring?.labels ?? {} } } } },
      // templates/argocd-application-controller/servicemonitor.yaml: named {{ template "argo-cd.controller.fullname" }}.
      name: 'argocd-application-controller',
      namespace,
      scrapes: 'the Application statuses',
    }),
  ];
}

const app = (health: string, sync: string) =>
  `${APP_INFO}{namespace="argocd",name="api-production",project="plinth",health_status="${health}",sync_status="${sync}",autosync_enabled="true",repo="https://git.example.org/infra.git",dest_server="https://kubernetes.default.svc",dest_namespace="production",operation=""}`;

export function argoCdAlerts(): AlertRule[] {
  return [
    {
      uid: 'plinth-argocd-app-degraded',
      title: 'Argo CD Application degraded',
      name: 'ArgoCdApplicationDegraded',
      group: 'delivery',
      query: `max by (namespace, name) (${APP_INFO}{health_status=~"Degraded|Missing"})`,
      op: 'gt',
      threshold: 0,
      for: '15m',
      severity: 'critical',
      noData: 'OK',
      noDataWhy: 'only a degraded or missing Application has such a series',
      summary: 'Argo CD Application {{ $labels.name }} is degraded',
      runbook: 'plinth doctor names the object that is unhealthy and why; argocd app get {{ $labels.name }}',
      tests: {
        fires: { series: [{ series: app('Degraded', 'Synced'), values: '1x20' }], at: '18m', labels: { namespace: 'argocd', name: 'api-production' } },
        silent: { series: [{ series: app('Healthy', 'Synced'), values: '1x20' }], at: '18m' },
      },
    },
    {
      uid: 'plinth-argocd-app-out-of-sync',
      title: 'Argo CD Application out of sync',
      name: 'ArgoCdApplicationOutOfSync',
      group: 'delivery',
      query: `max by (namespace, name) (${APP_INFO}{sync_status="OutOfSync"})`,
      op: 'gt',
      threshold: 0,
      for: '30m',
      severity: 'warning',
      noData: 'OK',
      noDataWhy: 'only an out-of-sync Application has such a series',
      summary: 'Argo CD Application {{ $labels.name }} has been out of sync for 30 minutes',
      runbook: 'self-heal is not converging: argocd app diff {{ $labels.name }} shows the drift; plinth diff shows the same from the rendered tree',
      tests: {
        fires: { series: [{ series: app('Healthy', 'OutOfSync'), values: '1x40' }], at: '35m', labels: { namespace: 'argocd', name: 'api-production' } },
        // Out of sync for 10 minutes during a sync is normal.
        silent: { series: [{ series: app('Healthy', 'OutOfSync'), values: '1x10' }, { series: app('Healthy', 'Synced'), values: '_x10 1x30' }], at: '35m' },
      },
    },
  ];
}
