import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { grafana } from './index.ts';

/** Loading every upstream CRD takes a while when all test files run at once. */
const CRD_TIMEOUT = 120_000;
const registry = testRegistry(grafana);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' }, 'external-secrets': {}, traefik: {} };
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { ...base, grafana: options });

const owned = (tree: RenderedTree) => tree.objects.filter((o) => o.owner === 'grafana').map((o) => o.object as Record<string, any>);
const find = (tree: RenderedTree, kind: string, name: string) => {
  const found = tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found.object as Record<string, any>;
};
const ruleGroupsOf = (tree: RenderedTree) => owned(tree).filter((o) => o.kind === 'GrafanaAlertRuleGroup');
const rulesOf = (tree: RenderedTree) => ruleGroupsOf(tree).flatMap((g) => g.spec.rules as Record<string, any>[]);
const rule = (tree: RenderedTree, uid: string) => {
  const found = rulesOf(tree).find((r) => r.uid === uid);
  if (!found) throw new Error(`rule ${uid} not rendered`);
  return found;
};
const thresholdOf = (r: Record<string, any>) => r.data[1].model.conditions[0].evaluator;

function issuesOf(components: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith(components);
  return rejectionOf(config, registry);
}

describe('grafana', () => {
  it('installs the pinned grafana-operator chart from its OCI registry', async () => {
    const app = find(render(), 'Application', 'grafana');
    const fact = (await chartFacts()).find((f) => f.component === 'grafana-operator')!;
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'grafana' });
    const [chart, manifests] = app.spec.sources;
    // Argo CD wants the OCI registry without its scheme when a chart name is given.
    expect(`oci://${chart.repoURL}`).toBe(fact.chartRepo);
    expect(chart).toEqual({
      repoURL: 'ghcr.io/grafana/helm-charts',
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'grafana-operator', valuesObject: {} },
    });
    expect(manifests.path).toBe('rendered/manifests/grafana');
  });

  it("by default manages Magnum's existing Grafana as an external instance, with a token from the secret store", () => {
    const tree = render();
    const instance = find(tree, 'Grafana', 'grafana');
    expect(instance.metadata.namespace).toBe('grafana');
    expect(instance.metadata.labels['plinth.dev/grafana-instance']).toBe('grafana');
    expect(instance.spec).toEqual({
      external: { url: 'http://magnum-grafana.kube-system.svc', apiKey: { name: 'grafana-api-token', key: 'token' } },
    });
    const token = find(tree, 'ExternalSecret', 'grafana-api-token');
    expect(token.metadata.namespace).toBe('grafana');
    expect(token.spec.data).toEqual([{ secretKey: 'token', remoteRef: { key: 'grafana-api-token', property: 'token' } }]);
    expect(owned(tree).some((o) => o.kind === 'GrafanaDatasource')).toBe(false);
  });

  it('sends to Discord through a contact point whose URL comes from the delivered secret', () => {
    const tree = render();
    const webhook = find(tree, 'ExternalSecret', 'grafana-discord-webhook');
    expect(webhook.spec.target).toEqual({ name: 'grafana-discord-webhook', creationPolicy: 'Owner' });
    expect(webhook.spec.data).toEqual([{ secretKey: 'url', remoteRef: { key: 'grafana-discord-webhook', property: 'url' } }]);
    const contactPoint = find(tree, 'GrafanaContactPoint', 'discord');
    expect(contactPoint.spec).toEqual({
      instanceSelector: { matchLabels: { 'plinth.dev/grafana-instance': 'grafana' } },
      name: 'discord',
      receivers: [
        {
          type: 'discord',
          settings: {},
          valuesFrom: [{ targetPath: 'url', valueFrom: { secretKeyRef: { name: 'grafana-discord-webhook', key: 'url' } } }],
        },
      ],
    });
    const policy = find(tree, 'GrafanaNotificationPolicy', 'discord');
    expect(policy.spec.route).toEqual({
      receiver: contactPoint.spec.name,
      group_by: ['grafana_folder', 'alertname'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        { receiver: 'discord', object_matchers: [['severity', '=', 'critical']], group_wait: '10s', repeat_interval: '1h' },
        { receiver: 'discord', object_matchers: [['severity', '=', 'warning']], group_wait: '1m', repeat_interval: '12h' },
      ],
    });
    expect(owned(tree).some((o) => o.kind === 'GrafanaContactPoint' && o.metadata.name === 'email')).toBe(false);
  });

  it('sends critical alerts by email too when email addresses are given', () => {
    const tree = render({ email: { addresses: ['oncall@example.org', 'lead@example.org'] } });
    expect(find(tree, 'GrafanaContactPoint', 'email').spec.receivers).toEqual([
      { type: 'email', settings: { addresses: 'oncall@example.org;lead@example.org', singleEmail: true } },
    ]);
    const routes = find(tree, 'GrafanaNotificationPolicy', 'discord').spec.route.routes;
    expect(routes.map((r: any) => `${r.object_matchers[0][2]}->${r.receiver}${r.continue ? '+' : ''}`)).toEqual(['critical->discord+', 'critical->email', 'warning->discord']);
    expect(issuesOf({ ...base, grafana: { email: { addresses: ['not-an-address'] } } })[0]).toMatchObject({ path: 'components.grafana.email.addresses[0]' });
  });

  it('keeps the rules in one folder, one group per kind of thing watched, every resource selecting the same instance', () => {
    const tree = render();
    const folder = find(tree, 'GrafanaFolder', 'plinth-alerts');
    expect(folder.spec).toEqual({
      instanceSelector: { matchLabels: { 'plinth.dev/grafana-instance': 'grafana' } },
      uid: 'plinth-alerts',
      title: 'Cluster alerts',
    });
    const instanceLabels = find(tree, 'Grafana', 'grafana').metadata.labels;
    for (const object of owned(tree).filter((o) => o.apiVersion === 'grafana.integreatly.org/v1beta1' && o.kind !== 'Grafana')) {
      for (const [key, value] of Object.entries(object.spec.instanceSelector.matchLabels)) expect(instanceLabels[key], object.kind).toBe(value);
    }
    const groups = ruleGroupsOf(tree);
    // Grafana's own rules, and those of the enabled cert-manager, Argo CD and External Secrets.
    expect(groups.map((g) => `${g.metadata.name}:${g.spec.name}`).sort()).toEqual([
      'certificates:Certificates', 'delivery:Delivery', 'nodes:Nodes', 'secrets:Secrets', 'storage:Storage', 'workloads:Workloads',
    ]);
    for (const group of groups) {
      expect(group.spec.interval).toBe('1m');
      // The CRD's CEL rule: exactly one of folderRef and folderUID.
      expect(group.spec.folderRef).toBe(folder.metadata.name);
      expect(group.spec.folderUID).toBeUndefined();
    }
  });

  it('owns the rules about nodes, pods and volumes; collects each enabled component\'s own', () => {
    const tree = render();
    const rules = rulesOf(tree);
    expect(tree.components.find((c) => c.id === 'grafana')!.alerts.map((r) => r.uid).sort()).toEqual([
      'plinth-node-cpu',
      'plinth-node-disk',
      'plinth-node-memory',
      'plinth-node-not-ready',
      'plinth-pod-crashloop',
      'plinth-volume-almost-full',
    ]);
    expect(rules.map((r) => r.uid).sort()).toEqual(tree.components.flatMap((c) => c.alerts.map((r) => r.uid)).sort());
    expect(rules.map((r) => r.uid)).toContain('plinth-certificate-expiry');
    const query = (uid: string) => rule(tree, uid).data[0].model.expr as string;
    expect(query('plinth-node-disk')).toContain('node_filesystem_avail_bytes');
    expect(query('plinth-node-memory')).toContain('node_memory_MemAvailable_bytes');
    expect(query('plinth-node-cpu')).toContain('node_cpu_seconds_total{mode="idle"}');
    expect(query('plinth-pod-crashloop')).toContain('kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}');
    expect(query('plinth-volume-almost-full')).toContain('kubelet_volume_stats_used_bytes');
    expect(thresholdOf(rule(tree, 'plinth-node-disk'))).toEqual({ type: 'gt', params: [85] });
    expect(thresholdOf(rule(tree, 'plinth-node-memory'))).toEqual({ type: 'gt', params: [90] });
    expect(thresholdOf(rule(tree, 'plinth-node-cpu'))).toEqual({ type: 'gt', params: [90] });
    expect(thresholdOf(rule(tree, 'plinth-volume-almost-full'))).toEqual({ type: 'gt', params: [80] });
    expect(thresholdOf(rule(tree, 'plinth-node-not-ready'))).toEqual({ type: 'lt', params: [1] });
  });

  it('builds every rule as query A on the Prometheus datasource and threshold B on it, notifying on query errors', () => {
    for (const r of rulesOf(render())) {
      expect(r.condition).toBe('B');
      const [query, threshold] = r.data;
      expect(query).toMatchObject({ refId: 'A', datasourceUid: 'prometheus', model: { refId: 'A', instant: true } });
      expect(query.model.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(threshold).toMatchObject({ refId: 'B', datasourceUid: '__expr__', model: { type: 'threshold', expression: 'A' } });
      expect(r.execErrState).toBe('Error');
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(0);
      expect(r.uid.length).toBeLessThanOrEqual(40);
    }
    const tree = render();
    expect(rule(tree, 'plinth-node-disk').noDataState).toBe('NoData');
    expect(rule(tree, 'plinth-pod-crashloop').noDataState).toBe('OK');
  });

  it('follows the thresholds, datasource uid and folder options', () => {
    const tree = render({
      datasourceUid: 'magnum-prom',
      folder: 'MSWA alerts',
      thresholds: { diskPercent: 75, memoryPercent: 80, cpuPercent: 95, volumePercent: 70 },
    });
    expect(thresholdOf(rule(tree, 'plinth-node-disk'))).toEqual({ type: 'gt', params: [75] });
    expect(thresholdOf(rule(tree, 'plinth-node-memory'))).toEqual({ type: 'gt', params: [80] });
    expect(thresholdOf(rule(tree, 'plinth-node-cpu'))).toEqual({ type: 'gt', params: [95] });
    expect(thresholdOf(rule(tree, 'plinth-volume-almost-full'))).toEqual({ type: 'gt', params: [70] });
    expect(rule(tree, 'plinth-volume-almost-full').annotations.summary).toBe('Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is more than 70% full');
    for (const r of rulesOf(tree)) {
      expect(r.data[0].datasourceUid).toBe('magnum-prom');
      expect(r.data[0].model.datasource.uid).toBe('magnum-prom');
    }
    expect(find(tree, 'GrafanaFolder', 'plinth-alerts').spec.title).toBe('MSWA alerts');
    const partial = render({ thresholds: { diskPercent: 70 } });
    expect(thresholdOf(rule(partial, 'plinth-node-disk')).params).toEqual([70]);
    expect(thresholdOf(rule(partial, 'plinth-node-memory')).params).toEqual([90]);
  });

  it('points at another existing Grafana with url', () => {
    const tree = render({ url: 'https://grafana.example.net' });
    expect(find(tree, 'Grafana', 'grafana').spec.external.url).toBe('https://grafana.example.net');
  });

  it('with install: true deploys its own Grafana behind Traefik, with a Prometheus datasource under the rules\' uid', () => {
    const tree = render({ install: true, prometheusUrl: 'http://prometheus.monitoring.svc:9090' });
    const instance = find(tree, 'Grafana', 'grafana');
    expect(instance.spec.external).toBeUndefined();
    expect(instance.spec.config.server).toEqual({ root_url: 'https://grafana.example.org' });
    expect(instance.spec.ingress.metadata.annotations).toEqual({
      'external-dns.alpha.kubernetes.io/hostname': 'grafana.example.org',
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
    });
    expect(instance.spec.ingress.spec).toEqual({
      ingressClassName: 'traefik',
      rules: [
        {
          host: 'grafana.example.org',
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'grafana-service', port: { number: 3000 } } } }],
          },
        },
      ],
      tls: [{ hosts: ['grafana.example.org'], secretName: 'grafana-tls' }],
    });
    const datasource = find(tree, 'GrafanaDatasource', 'prometheus');
    expect(datasource.spec.uid).toBe(rule(tree, 'plinth-node-disk').data[0].datasourceUid);
    expect(datasource.spec.datasource).toEqual({
      name: 'Prometheus',
      type: 'prometheus',
      access: 'proxy',
      url: 'http://prometheus.monitoring.svc:9090',
      isDefault: true,
    });
    expect(owned(tree).some((o) => o.metadata.name === 'grafana-api-token')).toBe(false);
    const component = tree.components.find((c) => c.id === 'grafana')!;
    expect(component.secrets.map((s) => s.name)).toEqual(['grafana-discord-webhook']);
    expect(component.needs).toEqual(['external-secrets', 'traefik']);
    expect(component.health.map((h) => `${h.kind}/${h.name}`)).toContain('Deployment/grafana-deployment');
    expect(find(render({ install: true, host: 'metrics.example.org' }), 'Grafana', 'grafana').spec.ingress.spec.rules[0].host).toBe(
      'metrics.example.org',
    );
  });

  it('declares the Discord webhook and, for an existing Grafana, its API token as secret inputs', () => {
    const component = render().components.find((c) => c.id === 'grafana')!;
    expect(component.secrets.map((s) => `${s.name}:${s.keys.map((k) => k.key).join(',')}`)).toEqual([
      'grafana-discord-webhook:url',
      'grafana-api-token:token',
    ]);
    expect(component.health.map((h) => `${h.kind}/${h.name}:${h.blame ?? ''}`)).toEqual([
      'Deployment/grafana-operator:',
      'Grafana/grafana:',
      'ExternalSecret/grafana-discord-webhook:external-secrets',
      'GrafanaContactPoint/discord:',
      'GrafanaNotificationPolicy/discord:',
    ]);
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ ...base, grafana: { thresholds: { diskPercent: 100 } } })).toEqual([
      { path: 'components.grafana.thresholds.diskPercent', message: 'must be at most 99, got number 100' },
    ]);
    expect(issuesOf({ ...base, grafana: { datasourceUid: 'my prometheus' } })).toEqual([
      {
        path: 'components.grafana.datasourceUid',
        message: '"my prometheus" must be a Grafana uid: at most 40 letters, digits, "-" or "_"',
      },
    ]);
    expect(issuesOf({ ...base, grafana: { url: 'magnum-grafana.kube-system.svc' } })).toEqual([
      { path: 'components.grafana.url', message: '"magnum-grafana.kube-system.svc" must be an http(s) URL' },
    ]);
    expect(issuesOf({ ...base, grafana: { thresholds: { diskPrecent: 80 } } })[0]).toMatchObject({
      path: 'components.grafana.thresholds.diskPrecent',
      message: 'unknown key "diskPrecent"',
    });
  });

  it('refuses to run without external-secrets, and without traefik when it deploys its own Grafana', () => {
    const { 'external-secrets': _es, ...withoutStore } = base;
    expect(issuesOf({ ...withoutStore, grafana: {} }).map((i) => i.message)).toEqual([
      '"grafana" needs "external-secrets", which is not enabled',
    ]);
    const { traefik: _t, ...withoutTraefik } = base;
    expect(() => renderWith(registry, { ...withoutTraefik, grafana: {} })).not.toThrow();
    expect(issuesOf({ ...withoutTraefik, grafana: { install: true } }).map((i) => i.message)).toEqual([
      '"grafana" needs "traefik", which is not enabled',
    ]);
  });

  it('renders custom resources the upstream grafana-operator and external-secrets CRDs accept, in both modes', async () => {
    for (const options of [{}, { install: true }]) {
      const tree = render(options);
      expect(owned(tree).filter((o) => o.kind.startsWith('Grafana')).length).toBeGreaterThanOrEqual(7);
      const problems = await customResourceProblems(tree.objects);
      // ajv-formats reads `format: duration` as ISO 8601 ("PT1M"); Kubernetes reads it as a Go duration ("1m"),
      // which the CRD's own pattern on the same field demands. Until test/upstream.ts registers the Go
      // format, only that mismatch is set aside, and the pattern is checked instead.
      const isoDurationOnly = (p: string) => /\/spec\/interval must match format "duration"/.test(p);
      expect(problems.filter((p) => !isoDurationOnly(p))).toEqual([]);
      for (const group of ruleGroupsOf(tree)) expect(group.spec.interval).toMatch(/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
    }
  }, CRD_TIMEOUT);

  it('is caught by the CRD check when a rule misses a required field (the check can fail)', async () => {
    const group = structuredClone(ruleGroupsOf(render())[0]!);
    delete group.spec.rules[0].execErrState;
    group.spec.rules[0].noDataState = 'Silent';
    const problems = await customResourceProblems([{ file: 'x.yaml', object: group as any }]);
    expect(problems.some((p) => p.includes("must have required property 'execErrState'"))).toBe(true);
    expect(problems.some((p) => p.includes('/spec/rules/0/noDataState must be equal to one of the allowed values'))).toBe(true);
  }, CRD_TIMEOUT);
});
