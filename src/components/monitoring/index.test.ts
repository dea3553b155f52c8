import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deepMerge } from '../../core/merge.ts';
import type { RenderedTree } from '../../core/render.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { UPSTREAM } from '../../../test/helpers.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { grafana } from '../grafana/index.ts';
import { monitoring } from './index.ts';

/** Loading every upstream CRD takes a while when all test files run at once. */
const CRD_TIMEOUT = 120_000;
const registry = testRegistry(monitoring, grafana);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' }, 'external-secrets': {}, traefik: {}, 'secret-generator': {} };
const render = (options: Record<string, unknown> = {}, others: Record<string, unknown> = {}) =>
  renderWith(registry, { ...base, monitoring: options, ...others });

const find = (tree: RenderedTree, kind: string, name: string) => {
  const found = tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found.object as Record<string, any>;
};
const values = (tree: RenderedTree) => find(tree, 'Application', 'monitoring').spec.sources[0].helm.valuesObject;
const component = (tree: RenderedTree, id: string) => tree.components.find((c) => c.id === id)!;

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Paths set in `values` that the chart's defaults do not list. A key under an empty map in the defaults
 * (`resources: {}`, `storageSpec: {}`) is free-form there, so it counts as listed.
 */
function unlisted(values: Record<string, unknown>, defaults: Record<string, unknown>, path: string[] = []): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const here = [...path, key];
    if (!(key in defaults)) return [here.join('.')];
    const fallback = defaults[key];
    return isMap(value) && isMap(fallback) && Object.keys(fallback).length > 0 ? unlisted(value, fallback, here) : [];
  });
}

const chartDefaults = async (file: string) => parse(await readFile(join(UPSTREAM, 'values', file), 'utf8')) as Record<string, any>;

describe('monitoring', () => {
  it('installs the pinned kube-prometheus-stack chart', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'kube-prometheus-stack')!;
    const app = find(render(), 'Application', 'monitoring');
    const [chart, manifests] = app.spec.sources;
    expect(chart).toMatchObject({ repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version });
    expect(chart.helm.releaseName).toBe('kube-prometheus-stack');
    expect(app.spec.destination.namespace).toBe('monitoring');
    expect(manifests.path).toBe('rendered/manifests/monitoring');
  });

  it('keeps 15 days on a 50Gi volume, Grafana at grafana.<domain> with a password generated in the cluster, no Alertmanager', () => {
    const tree = render();
    expect(values(tree)).toEqual({
      prometheus: {
        prometheusSpec: {
          retention: '15d',
          storageSpec: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } } },
        },
      },
      alertmanager: { enabled: false },
      grafana: {
        enabled: true,
        admin: { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' },
        sidecar: { datasources: { uid: 'prometheus' } },
        ingress: {
          enabled: true,
          ingressClassName: 'traefik',
          annotations: {
            'external-dns.alpha.kubernetes.io/hostname': 'grafana.example.org',
            'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
            'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
          },
          hosts: ['grafana.example.org'],
          path: '/',
          tls: [{ secretName: 'grafana-tls', hosts: ['grafana.example.org'] }],
        },
      },
      // Its Prometheus scrapes its own exporters even when no component collects alerts.
      kubelet: { enabled: true, serviceMonitor: { enabled: true } },
      kubeStateMetrics: { enabled: true },
      nodeExporter: { enabled: true },
      'prometheus-node-exporter': { prometheus: { monitor: { enabled: true } } },
      'kube-state-metrics': { prometheus: { monitor: { enabled: true } } },
    });
    const secret = find(tree, 'StringSecret', 'grafana-admin');
    expect(secret.metadata.namespace).toBe('monitoring');
    expect(secret.spec.data).toEqual({ 'admin-user': 'admin' });
    expect(secret.spec.fields.map((f: { fieldName: string }) => f.fieldName)).toEqual(['admin-password']);
    expect(tree.objects.filter((o) => o.object.kind === 'Secret')).toEqual([]);
    expect(JSON.stringify(values(tree))).not.toMatch(/adminPassword/);
    expect(component(tree, 'monitoring').secrets).toEqual([]);
    expect(component(tree, 'monitoring').needs).toEqual(expect.arrayContaining(['secret-generator', 'traefik', 'cert-manager']));
  });

  it('maps retention, storage size and class, Alertmanager and resources to the chart values', () => {
    const requests = { cpu: '500m', memory: '2Gi' };
    const tree = render({
      prometheus: { retention: '30d', retentionSize: '90GB', storage: { size: '100Gi', storageClass: 'csi-cinder-ssd' }, resources: { requests, limits: { memory: '4Gi' } } },
      alertmanager: { enabled: true, storage: { storageClass: 'csi-cinder-ssd' } },
      grafana: { host: 'metrics.example.org', resources: { requests: { cpu: '100m' } } },
      nodeExporter: { resources: { limits: { memory: '64Mi' } } },
      kubeStateMetrics: { resources: { requests: { memory: '128Mi' } } },
    });
    const v = values(tree);
    expect(v.prometheus.prometheusSpec).toEqual({
      retention: '30d',
      retentionSize: '90GB',
      storageSpec: { volumeClaimTemplate: { spec: { storageClassName: 'csi-cinder-ssd', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } } },
      resources: { requests, limits: { memory: '4Gi' } },
    });
    expect(v.alertmanager).toEqual({
      enabled: true,
      alertmanagerSpec: { storage: { volumeClaimTemplate: { spec: { storageClassName: 'csi-cinder-ssd', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } } } },
    });
    expect(v.grafana.ingress.hosts).toEqual(['metrics.example.org']);
    expect(v.grafana.resources).toEqual({ requests: { cpu: '100m' } });
    expect(v['prometheus-node-exporter']).toEqual({ resources: { limits: { memory: '64Mi' } }, prometheus: { monitor: { enabled: true } } });
    expect(v['kube-state-metrics']).toEqual({ resources: { requests: { memory: '128Mi' } }, prometheus: { monitor: { enabled: true } } });
    expect(component(tree, 'monitoring').health.map((h) => `${h.kind}/${h.name}`)).toContain('StatefulSet/alertmanager-kube-prometheus-stack-alertmanager');
  });

  it('sets only keys the pinned chart and its subcharts list in their default values', async () => {
    const tree = render({
      prometheus: { retentionSize: '45GB', storage: { storageClass: 'fast' }, resources: { requests: { cpu: '1' } } },
      alertmanager: { enabled: true, resources: { limits: { memory: '128Mi' } } },
      grafana: { resources: { requests: { cpu: '100m' } } },
      nodeExporter: { resources: { requests: { cpu: '10m' } } },
      kubeStateMetrics: { resources: { requests: { cpu: '10m' } } },
    }, { grafana: {} });
    const stack = await chartDefaults('kube-prometheus-stack-88.5.3.values.yaml');
    // The grafana subchart reads its own values under `grafana:`; the stack's file lists only what it overrides.
    const grafanaChart = await chartDefaults('grafana-12.11.1.values.yaml');
    const { grafana: grafanaValues, ...rest } = values(tree);
    expect(unlisted(rest, stack)).toEqual([
      // Subchart keys: kube-state-metrics 8.4.0 and prometheus-node-exporter 4.56.1 values.yaml both have `resources: {}`
      // (prometheus-community/helm-charts at those tags), which the stack's file does not repeat.
      'prometheus-node-exporter.resources',
      'kube-state-metrics.resources',
    ]);
    expect(unlisted(grafanaValues, deepMerge(grafanaChart, stack.grafana))).toEqual([
      // Commented out in both files (`# ingressClassName: nginx`); the grafana chart's templates/ingress.yaml reads it.
      'ingress.ingressClassName',
    ]);
  });

  it('renders custom resources the pinned CRDs accept', async () => {
    const tree = render({ alertmanager: { enabled: true } }, { grafana: {}, clustersecret: {} });
    expect(tree.objects.map((o) => o.object.kind)).toEqual(expect.arrayContaining(['StringSecret', 'ClusterSecret', 'Grafana']));
    expect(await customResourceProblems(tree.objects)).toEqual([]);
  }, CRD_TIMEOUT);

  it('rejects a retention or size Prometheus would refuse, naming the option', () => {
    const issues = rejectionOf(clusterWith({ ...base, monitoring: { prometheus: { retention: '2 weeks', retentionSize: 'x50GB' } } }), registry);
    expect(issues.map((i) => i.path)).toEqual(['components.monitoring.prometheus.retention', 'components.monitoring.prometheus.retentionSize']);
    expect(issues[0]!.message).toContain('Prometheus duration');
    expect(rejectionOf(clusterWith({ ...base, monitoring: { prometheus: { storage: { size: 'big' } } } }), registry)[0]!.path).toBe(
      'components.monitoring.prometheus.storage.size',
    );
    const overLimit = rejectionOf(clusterWith({ ...base, monitoring: { grafana: { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } } } }), registry);
    expect(overLimit).toEqual([expect.objectContaining({ path: 'components.monitoring.grafana.resources.requests.memory', hint: 'lower requests.memory or raise limits.memory' })]);
  });

  it('rejects a retention size the volume cannot hold, reading GB as Prometheus does (2^30 bytes)', () => {
    const tooBig = rejectionOf(clusterWith({ ...base, monitoring: { prometheus: { retentionSize: '50GB' } } }), registry);
    expect(tooBig).toEqual([
      expect.objectContaining({ path: 'components.monitoring.prometheus.retentionSize', message: '"50GB" does not fit the 50Gi volume: Prometheus would fill it before dropping old data', hint: expect.stringContaining('20% below') }),
    ]);
    expect(rejectionOf(clusterWith({ ...base, monitoring: { prometheus: { retentionSize: '0.1TB', storage: { size: '100Gi' } } } }), registry)[0]!.path).toBe(
      'components.monitoring.prometheus.retentionSize',
    );
    expect(values(render({ prometheus: { retentionSize: '40GiB' } })).prometheus.prometheusSpec.retentionSize).toBe('40GiB');
  });

  it('without Grafana or its Ingress, needs neither secret-generator nor Traefik', () => {
    const tree = renderWith(registry, { 'argo-cd': {}, monitoring: { grafana: { enabled: false } } });
    expect(values(tree).grafana).toEqual({ enabled: false });
    expect(component(tree, 'monitoring').needs).toEqual([]);
    expect(tree.objects.filter((o) => o.owner === 'monitoring')).toEqual([]);
    expect(component(tree, 'monitoring').health.map((h) => h.kind)).not.toContain('StringSecret');
  });
});

describe('monitoring with grafana', () => {
  it("grafana manages the stack's Grafana, queries its datasource, and Prometheus selects the stack's release label", () => {
    const tree = render({}, { grafana: {} });
    const instance = find(tree, 'Grafana', 'grafana');
    expect(instance.spec.external.url).toBe('http://kube-prometheus-stack-grafana.monitoring.svc');
    const rule = tree.objects.map((o) => o.object as Record<string, any>).find((o) => o.kind === 'GrafanaAlertRuleGroup')!;
    expect(rule.spec.rules[0].data[0].datasourceUid).toBe('prometheus');
    // The stack's exporters are declared by monitoring, with doctor checks on the chart's ServiceMonitors.
    expect(component(tree, 'grafana').scrapeTargets).toEqual([]);
    const checks = component(tree, 'monitoring').health.filter((h) => h.kind === 'ServiceMonitor');
    expect(checks.map((h) => `${h.namespace}/${h.name}`)).toEqual([
      'monitoring/kube-prometheus-stack-prometheus-node-exporter',
      'monitoring/kube-prometheus-stack-kubelet',
      'monitoring/kube-prometheus-stack-kube-state-metrics',
    ]);
    expect(checks[0]!.hint).toContain('plinth-node-disk');
  });

  it("with clustersecret, the operator logs in with the stack's generated admin login, so no token is asked for", () => {
    const tree = render({}, { grafana: {}, clustersecret: {} });
    expect(find(tree, 'Grafana', 'grafana').spec.external).toEqual({
      url: 'http://kube-prometheus-stack-grafana.monitoring.svc',
      adminUser: { name: 'grafana-admin', key: 'admin-user' },
      adminPassword: { name: 'grafana-admin', key: 'admin-password' },
    });
    const copy = find(tree, 'ClusterSecret', 'grafana-admin');
    expect(copy.matchNamespace).toEqual(['^grafana$']);
    expect(copy.data.valueFrom.secretKeyRef).toEqual({ name: 'grafana-admin', namespace: 'monitoring', keys: ['admin-user', 'admin-password'] });
    expect(tree.objects.filter((o) => o.object.kind === 'ExternalSecret').map((o) => o.object.metadata.name)).not.toContain('grafana-api-token');
    expect(component(tree, 'grafana').secrets.map((s) => s.name)).toEqual(['grafana-discord-webhook']);
    expect(component(tree, 'grafana').health.map((h) => `${h.kind}/${h.name}`)).toContain('ClusterSecret/grafana-admin');
    // Without clustersecret, or with a url of its own, the operator keeps the service account token.
    for (const other of [render({}, { grafana: {} }), render({}, { grafana: { url: 'http://grafana.elsewhere.svc' }, clustersecret: {} })]) {
      expect(find(other, 'Grafana', 'grafana').spec.external.apiKey).toEqual({ name: 'grafana-api-token', key: 'token' });
      expect(component(other, 'grafana').secrets.map((s) => s.name)).toEqual(['grafana-discord-webhook', 'grafana-api-token']);
      expect(other.objects.some((o) => o.object.kind === 'ClusterSecret')).toBe(false);
    }
  });

  it('follows the stack into the namespace the config gives it', () => {
    const tree = render({ namespace: 'observability' }, { grafana: {}, clustersecret: {} });
    expect(find(tree, 'Grafana', 'grafana').spec.external.url).toBe('http://kube-prometheus-stack-grafana.observability.svc');
    expect(find(tree, 'ClusterSecret', 'grafana-admin').data.valueFrom.secretKeyRef.namespace).toBe('observability');
    expect(find(tree, 'StringSecret', 'grafana-admin').metadata.namespace).toBe('observability');
    expect(component(tree, 'monitoring').health.filter((h) => h.kind === 'ServiceMonitor').map((h) => h.namespace)).toEqual(['observability', 'observability', 'observability']);
  });

  it("labels what other components expose with the stack's release label", () => {
    const tree = render({}, { grafana: {} });
    const certManager = find(tree, 'Application', 'cert-manager').spec.sources[0].helm.valuesObject;
    expect(JSON.stringify(certManager)).toContain('"release":"kube-prometheus-stack"');
    const own = render({}, { grafana: { scrapeLabels: { prometheus: 'platform' } } });
    expect(JSON.stringify(find(own, 'Application', 'cert-manager').spec.sources[0].helm.valuesObject)).toContain('"prometheus":"platform"');
  });

  it("a Grafana deployed by grafana queries the stack's Prometheus, and may not share the stack Grafana's host", () => {
    const tree = render({ grafana: { enabled: false } }, { grafana: { install: true } });
    expect(find(tree, 'GrafanaDatasource', 'prometheus').spec.datasource.url).toBe('http://kube-prometheus-stack-prometheus.monitoring.svc:9090');
    expect(() => render({}, { grafana: { install: true } })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: 'components.grafana.host', message: expect.stringContaining('grafana.example.org') })] }),
    );
    expect(find(render({}, { grafana: { install: true, host: 'alerts.example.org' } }), 'Grafana', 'grafana').spec.ingress.spec.rules[0].host).toBe('alerts.example.org');
  });

  it("without monitoring, grafana keeps Magnum's Grafana, Prometheus labels and external exporters", () => {
    const tree = renderWith(registry, { ...base, grafana: {} });
    expect(find(tree, 'Grafana', 'grafana').spec.external.url).toBe('http://magnum-grafana.kube-system.svc');
    expect(component(tree, 'grafana').scrapeTargets.map((t) => [t.id, t.external])).toEqual([
      ['node-exporter', true],
      ['kubelet', true],
      ['kube-state-metrics', true],
    ]);
    expect(JSON.stringify(find(tree, 'Application', 'cert-manager').spec.sources[0].helm.valuesObject)).toContain('"release":"magnum"');
  });
});
