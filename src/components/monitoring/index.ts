import { z } from 'zod';
import { containerResources, hostname, quantity, quantityValue, type ClusterConfig } from '../../config/schema.ts';
import { chartServiceMonitor, type ScrapeTarget } from '../../core/alerts.ts';
import { DEFAULT_INGRESS_CLASS, defaultClusterIssuer, generatedSecret, publicIngressAnnotations } from '../../core/conventions.ts';
import { defineComponent, type HealthCheck } from '../../core/types.ts';
import { stackTargets as providerStackTargets } from '../grafana/alerts.ts';

export const MONITORING_NAMESPACE = 'monitoring';
/**
 * The Helm release. It contains the chart's name, so the chart's fullname is the release name itself
 * (kube-prometheus-stack templates/_helpers.tpl "kube-prometheus-stack.fullname", and the same rule in the
 * kube-state-metrics, prometheus-node-exporter and grafana subcharts): every object name below starts with it.
 */
export const RELEASE = 'kube-prometheus-stack';
/** uid of the Prometheus datasource the chart provisions in its Grafana (values grafana.sidecar.datasources.uid). */
export const DATASOURCE_UID = 'prometheus';
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
export const GRAFANA_ADMIN_USER = 'admin';
export const GRAFANA_TLS_SECRET = 'grafana-tls';

/**
 * Prometheus's duration and byte-size formats, as the pinned Prometheus CRD checks spec.retention and
 * spec.retentionSize (crds/prometheus-operator/monitoring.coreos.com_prometheuses.yaml).
 */
const DURATION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;
// The CRD's size pattern anchors only its end; anchored at both here, so "x45GB" is refused before Prometheus refuses it.
const BYTE_SIZE = /^(0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$/;

/**
 * Bytes of a retention size. Prometheus reads --storage.tsdb.retention.size as units.Base2Bytes
 * (prometheus cmd/prometheus/main.go, kingpin BytesVar; alecthomas/units bytes.go), where "GB" and "GiB" are both 2^30.
 */
function retentionBytes(size: string): number {
  const match = /^([0-9]*\.?[0-9]+)([KMGTPE]?)i?B$/.exec(size);
  if (!match) return 0;
  return Number(match[1]) * 1024 ** ' KMGTPE'.indexOf(match[2] || ' ');
}

const resources = containerResources('the pods');

const storage = (size: string) =>
  z
    .strictObject({
      /** Size of the PersistentVolumeClaim. */
      size: quantity.default(size),
      /** StorageClass of the claim; the cluster's default class when unset. */
      storageClass: z.string().min(1).optional(),
    })
    .prefault({});

const options = z.strictObject({
  prometheus: z
    .strictObject({
      /** How long Prometheus keeps samples, in Prometheus's duration format ("15d", "12h"). */
      retention: z.string().regex(DURATION, { error: 'must be a Prometheus duration such as "15d" or "12h"' }).default('15d'),
      /** Size at which Prometheus drops the oldest blocks first, such as "45GB": keep it below the volume's size. */
      retentionSize: z.string().regex(BYTE_SIZE, { error: 'must be a Prometheus byte size such as "45GB" or "512MiB"' }).optional(),
      storage: storage('50Gi'),
      resources: resources.optional(),
    })
    .superRefine((prometheus, ctx) => {
      if (prometheus.retentionSize && retentionBytes(prometheus.retentionSize) >= quantityValue(prometheus.storage.size))
        ctx.addIssue({
          code: 'custom',
          path: ['retentionSize'],
          message: `does not fit the ${prometheus.storage.size} volume: Prometheus would fill it before dropping old data`,
          params: { hint: 'keep retentionSize about 20% below storage.size: the write-ahead log and compaction need room beside the blocks' },
        });
    })
    .prefault({}),
  alertmanager: z
    .strictObject({
      /** Off by default: Plinth's alerts are delivered by Grafana (the grafana component). */
      enabled: z.boolean().default(false),
      storage: storage('2Gi'),
      resources: resources.optional(),
    })
    .prefault({}),
  grafana: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Public host; defaults to grafana.<domain>. */
      host: hostname.optional(),
      /** Expose Grafana through Traefik with a Let's Encrypt certificate; off means `kubectl port-forward` only. */
      ingress: z.boolean().default(true),
      ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
      /** Default: the issuer components["cert-manager"].issuer renders (letsencrypt-prod, or plinth-local-ca). */
      clusterIssuer: z.string().optional(),
      resources: resources.optional(),
    })
    .prefault({}),
  nodeExporter: z.strictObject({ resources: resources.optional() }).prefault({}),
  kubeStateMetrics: z.strictObject({ resources: resources.optional() }).prefault({}),
});

export type MonitoringOptions = z.output<typeof options>;

const grafanaHostOf = (options: MonitoringOptions, domain: string) => options.grafana.host ?? `grafana.${domain}`;

/** In-cluster names of what the chart runs, for the grafana component and doctor. */
export function stackNames(namespace: string) {
  return {
    /** Grafana subchart: Service `<fullname>`, port 80 (grafana values service.port). */
    grafanaUrl: `http://${RELEASE}-grafana.${namespace}.svc`,
    /** templates/prometheus/service.yaml: Service `<fullname>-prometheus`, port 9090. */
    prometheusUrl: `http://${RELEASE}-prometheus.${namespace}.svc:9090`,
    /** templates/prometheus/prometheus.yaml: the Prometheus selects `release: <release name>` (serviceMonitorSelectorNilUsesHelmValues). */
    scrapeLabels: { release: RELEASE },
  };
}

/**
 * The monitoring component as the cluster enables it, for components that integrate with it (grafana): its
 * namespace and parsed options, or undefined when it is off.
 */
export function monitoringOf(cluster: ClusterConfig): { namespace: string; options: MonitoringOptions } | undefined {
  const enabled = cluster.components['monitoring'];
  if (!enabled) return undefined;
  return { namespace: enabled.common.namespace ?? MONITORING_NAMESPACE, options: options.parse(enabled.options) };
}

const claim = (s: { size: string; storageClass?: string | undefined }) => ({
  volumeClaimTemplate: {
    spec: {
      ...(s.storageClass && { storageClassName: s.storageClass }),
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: s.size } },
    },
  },
});

const withResources = (r: z.output<typeof resources> | undefined) => (r ? { resources: r } : {});

/**
 * The stack's own exporters, whose ServiceMonitors the chart renders by default (names from the chart at the
 * pinned tag: kube-prometheus-stack templates/exporters/kubelet/servicemonitor.yaml `<fullname>-kubelet`;
 * kube-state-metrics 8.4.0 templates/servicemonitor.yaml and prometheus-node-exporter 4.56.1
 * templates/servicemonitor.yaml, each `<subchart fullname>`). They export the metrics grafana's cluster rules read,
 * the same that grafana declares as external when the provider runs the stack (src/components/grafana/alerts.ts).
 */
export function stackTargets(namespace: string): ScrapeTarget[] {
  const metrics = (id: string) => providerStackTargets.find((t) => t.id === id)!.metrics;
  return [
    chartServiceMonitor({
      id: 'node-exporter',
      description: 'node-exporter on every node (kube-prometheus-stack)',
      metrics: metrics('node-exporter'),
      values: { nodeExporter: { enabled: true }, 'prometheus-node-exporter': { prometheus: { monitor: { enabled: true } } } },
      name: `${RELEASE}-prometheus-node-exporter`,
      namespace,
      scrapes: "node-exporter's node metrics",
    }),
    chartServiceMonitor({
      id: 'kubelet',
      description: "each kubelet's metrics, with volume stats (kube-prometheus-stack)",
      metrics: metrics('kubelet'),
      values: { kubelet: { enabled: true, serviceMonitor: { enabled: true } } },
      name: `${RELEASE}-kubelet`,
      namespace,
      scrapes: "the kubelets' volume stats",
    }),
    chartServiceMonitor({
      id: 'kube-state-metrics',
      description: 'kube-state-metrics (kube-prometheus-stack)',
      metrics: metrics('kube-state-metrics'),
      values: { kubeStateMetrics: { enabled: true }, 'kube-state-metrics': { prometheus: { monitor: { enabled: true } } } },
      name: `${RELEASE}-kube-state-metrics`,
      namespace,
      scrapes: "kube-state-metrics' pod and node states",
    }),
  ];
}

export const monitoring = defineComponent({
  id: 'monitoring',
  description: 'kube-prometheus-stack: Prometheus Operator, Prometheus, node-exporter, kube-state-metrics, Grafana and optionally Alertmanager',
  namespace: MONITORING_NAMESPACE,
  needs: (options) => [
    ...(options.grafana.enabled ? ['secret-generator'] : []),
    ...(options.grafana.enabled && options.grafana.ingress ? ['traefik', 'cert-manager'] : []),
  ],
  options,
  chart: ({ cluster, options }) => {
    const host = grafanaHostOf(options, cluster.domain);
    const { prometheus, alertmanager, grafana } = options;
    return {
      repoURL: 'https://prometheus-community.github.io/helm-charts',
      chart: 'kube-prometheus-stack',
      version: '88.5.3',
      releaseName: RELEASE,
      values: {
        prometheus: {
          prometheusSpec: {
            retention: prometheus.retention,
            ...(prometheus.retentionSize && { retentionSize: prometheus.retentionSize }),
            storageSpec: claim(prometheus.storage),
            ...withResources(prometheus.resources),
          },
        },
        alertmanager: alertmanager.enabled
          ? { enabled: true, alertmanagerSpec: { storage: claim(alertmanager.storage), ...withResources(alertmanager.resources) } }
          : { enabled: false },
        grafana: grafana.enabled
          ? {
              enabled: true,
              // The password is generated in the cluster (resources below); values never hold it.
              admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: 'admin-user', passwordKey: 'admin-password' },
              sidecar: { datasources: { uid: DATASOURCE_UID } },
              ingress: grafana.ingress
                ? {
                    enabled: true,
                    ingressClassName: grafana.ingressClassName,
                    annotations: publicIngressAnnotations(host, grafana.clusterIssuer ?? defaultClusterIssuer(cluster)),
                    hosts: [host],
                    path: '/',
                    tls: [{ secretName: GRAFANA_TLS_SECRET, hosts: [host] }],
                  }
                : { enabled: false },
              ...withResources(grafana.resources),
            }
          : { enabled: false },
        'prometheus-node-exporter': withResources(options.nodeExporter.resources),
        'kube-state-metrics': withResources(options.kubeStateMetrics.resources),
      },
    };
  },
  resources: ({ namespace, options }) =>
    options.grafana.enabled
      ? [
          generatedSecret({
            name: GRAFANA_ADMIN_SECRET,
            namespace,
            generate: { 'admin-password': 32 },
            data: { 'admin-user': GRAFANA_ADMIN_USER },
          }),
        ]
      : [],
  scrapeTargets: ({ namespace }) => stackTargets(namespace),
  // Its Prometheus scrapes what components expose even when nothing collects alerts (Kiali reads the mesh's metrics).
  monitoringLabels: ({ namespace }) => stackNames(namespace).scrapeLabels,
  health: ({ namespace, options }) => {
    const checks: HealthCheck[] = [
      // templates/prometheus-operator/deployment.yaml: `<fullname>-operator`.
      { description: 'Prometheus Operator', apiVersion: 'apps/v1', kind: 'Deployment', name: `${RELEASE}-operator`, namespace },
      // The operator names a Prometheus's StatefulSet `prometheus-<name>` and an Alertmanager's `alertmanager-<name>`
      // (prometheus-operator pkg/prometheus/server/statefulset.go, pkg/alertmanager/statefulset.go); the chart names the
      // resources `<fullname>-prometheus` and `<fullname>-alertmanager` (templates/_helpers.tpl crname).
      { description: 'Prometheus', apiVersion: 'apps/v1', kind: 'StatefulSet', name: `prometheus-${RELEASE}-prometheus`, namespace },
      { description: 'node-exporter on every node', apiVersion: 'apps/v1', kind: 'DaemonSet', name: `${RELEASE}-prometheus-node-exporter`, namespace },
      { description: 'kube-state-metrics', apiVersion: 'apps/v1', kind: 'Deployment', name: `${RELEASE}-kube-state-metrics`, namespace },
    ];
    if (options.alertmanager.enabled)
      checks.push({ description: 'Alertmanager', apiVersion: 'apps/v1', kind: 'StatefulSet', name: `alertmanager-${RELEASE}-alertmanager`, namespace });
    if (options.grafana.enabled)
      checks.push(
        {
          description: 'Grafana admin password generated',
          apiVersion: 'secretgenerator.mittwald.de/v1alpha1',
          kind: 'StringSecret',
          name: GRAFANA_ADMIN_SECRET,
          namespace,
          blame: 'secret-generator',
        },
        { description: 'Grafana', apiVersion: 'apps/v1', kind: 'Deployment', name: `${RELEASE}-grafana`, namespace },
      );
    return checks;
  },
});

