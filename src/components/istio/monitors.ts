import type { ScrapeTarget } from '../../core/alerts.ts';
import type { K8sObject } from '../../core/types.ts';

/**
 * What makes Prometheus scrape the mesh, after Istio's own Prometheus Operator sample (istio/istio
 * samples/addons/extras/prometheus-operator.yaml at 1.30.3), selecting by port name instead of by annotation:
 * - istiod: Service `istiod`, labelled `istio: pilot`, port `http-monitoring` 15014
 *   (manifests/charts/istio-control/istio-discovery/templates/service.yaml);
 * - ztunnel: pods labelled `app: ztunnel`, port `ztunnel-stats` 15020, at the default /metrics its chart's
 *   prometheus.io annotations leave it on (manifests/charts/ztunnel/templates/daemonset.yaml, values.yaml podAnnotations);
 * - sidecars: injected pods carry `security.istio.io/tlsMode` and the proxy's port `http-envoy-prom` 15090, served
 *   at /stats/prometheus (manifests/charts/istio-control/istio-discovery/files/injection-template.yaml).
 * Kiali's graph and health read these series (istio_requests_total from sidecars, istio_tcp_* from ztunnel).
 */
export function meshTargets(input: { namespace: string; mode: 'sidecar' | 'ambient'; meshNamespaces: readonly string[]; labels: Record<string, string> }): ScrapeTarget[] {
  const { namespace, mode, meshNamespaces, labels } = input;
  const monitor = (kind: 'ServiceMonitor' | 'PodMonitor', name: string, spec: Record<string, unknown>): K8sObject => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind,
    metadata: { name, namespace, labels },
    spec,
  });
  const target = (id: string, description: string, object: K8sObject): ScrapeTarget => ({
    id,
    description,
    metrics: [],
    objects: [object],
    check: { description: `${object.kind}: Prometheus scrapes ${description}`, apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace },
  });
  const targets = [
    target(
      'istiod',
      "istiod's control-plane metrics",
      monitor('ServiceMonitor', 'istiod', { selector: { matchLabels: { istio: 'pilot' } }, endpoints: [{ port: 'http-monitoring' }] }),
    ),
  ];
  if (mode === 'ambient')
    targets.push(
      target(
        'ztunnel',
        "ztunnel's L4 traffic metrics of the ambient pods",
        monitor('PodMonitor', 'ztunnel', { selector: { matchLabels: { app: 'ztunnel' } }, podMetricsEndpoints: [{ port: 'ztunnel-stats' }] }),
      ),
    );
  else if (meshNamespaces.length > 0)
    targets.push(
      target(
        'envoy-sidecars',
        "the sidecars' request metrics",
        monitor('PodMonitor', 'envoy-sidecars', {
          namespaceSelector: { matchNames: [...meshNamespaces] },
          selector: { matchExpressions: [{ key: 'security.istio.io/tlsMode', operator: 'Exists' }] },
          podMetricsEndpoints: [{ port: 'http-envoy-prom', path: '/stats/prometheus' }],
        }),
      ),
    );
  return targets;
}
