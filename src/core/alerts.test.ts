import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { clusterWith, renderWith, testRegistry } from '../../test/components.ts';
import { customResourceProblems, valuesValidator } from '../../test/upstream.ts';
import { expandLabels, prometheusExpr, prometheusRuleFile, summaryIsPortable, unscrapedMetrics, type AlertRule } from './alerts.ts';
import { metricNames, promqlProblems } from './promql.ts';
import { renderTree } from './render.ts';
import { defineComponent } from './types.ts';

const rule = (query: string): AlertRule => ({
  uid: 'plinth-test',
  title: 'Test',
  name: 'Test',
  group: 'workloads',
  query,
  op: 'gt',
  threshold: 0,
  for: '5m',
  severity: 'warning',
  noData: 'OK',
  noDataWhy: 'test',
  summary: '{{ $labels.pod }} is broken',
  runbook: 'look at it',
  tests: { fires: { series: [], at: '0m' }, silent: { series: [], at: '0m' } },
});

describe('PromQL, read with Prometheus\'s grammar', () => {
  it('names the metrics an expression selects, by name or __name__ matcher', () => {
    expect(metricNames('sum by (x) (rate(foo_total{a="b"}[5m])) / on() group_left bar')).toEqual(['bar', 'foo_total']);
    expect(metricNames('{__name__="baz", job="x"} > 1')).toEqual(['baz']);
    expect(metricNames('time() - 3')).toEqual([]);
  });

  it('finds syntax errors, and none in valid expressions', () => {
    expect(promqlProblems('max by (namespace, pod) (cnpg_collector_up)')).toEqual([]);
    expect(promqlProblems('predict_linear(x[6h], 86400) < 0')).toEqual([]);
    expect(promqlProblems('max by (namespace (up)').length).toBeGreaterThan(0);
    expect(promqlProblems('rate(foo[5m]')).not.toEqual([]);
    expect(promqlProblems('  ')).toEqual([{ at: 0, message: 'is empty' }]);
  });
});

describe('the Prometheus form of a rule', () => {
  it('filters the query by the threshold, and keeps the labels and annotations Grafana gets', () => {
    const r = { ...rule('up'), op: 'lt' as const, threshold: 1 };
    expect(prometheusExpr(r)).toBe('(up) < 1');
    expect(prometheusRuleFile([r])).toEqual({
      groups: [{ name: 'workloads', interval: '1m', rules: [{ alert: 'Test', expr: '(up) < 1', for: '5m', labels: { severity: 'warning' }, annotations: { summary: '{{ $labels.pod }} is broken', runbook: 'look at it' } }] }],
    });
  });

  it('fills only $labels in summaries, and refuses any other template as not portable', () => {
    expect(expandLabels('{{ $labels.pod }} on {{$labels.node}}', { pod: 'a', node: 'b' })).toBe('a on b');
    expect(summaryIsPortable('{{ $labels.pod }} is down')).toBe(true);
    expect(summaryIsPortable('{{ $value }} left')).toBe(false);
    expect(summaryIsPortable('{{ humanize $values.A.Value }}')).toBe(false);
  });
});

describe('a rule needs a rendered scrape target', () => {
  it('lists each metric no target provides', () => {
    const alerts = [{ component: 'x', rule: rule('foo_total + bar') }];
    expect(unscrapedMetrics(alerts, [{ component: 'y', target: { id: 't', description: 't', metrics: ['foo_total'] } }])).toEqual([
      { component: 'x', rule: 'plinth-test', metric: 'bar' },
    ]);
  });

  it('stops the render, naming the component, the rule and the metric, when a rule could never fire', () => {
    const broken = defineComponent({
      id: 'eraser',
      description: 'a component whose rule reads a metric nothing scrapes',
      namespace: 'eraser',
      needs: [],
      options: z.strictObject({}),
      alerts: () => [rule('eraser_images_removed_total')],
    });
    const reg = testRegistry(broken);
    const config = clusterWith({ 'argo-cd': {}, 'external-secrets': {}, grafana: {}, eraser: {} });
    let error: unknown;
    try {
      renderTree(resolveCluster(config, reg), reg);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        path: 'components.eraser',
        message: 'alert rule plinth-test reads eraser_images_removed_total, which nothing rendered makes Prometheus scrape: it could never fire',
        hint: 'declare the scrape target that exports eraser_images_removed_total (scrapeTargets of the component that runs it), or enable that component',
      },
    ]);
  });
});

describe('scrape targets', () => {
  const components = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' }, 'external-secrets': {}, traefik: {}, keda: {} };

  it('are rendered with the labels the cluster\'s Prometheus selects, only when a component collects alerts', () => {
    const withAlerts = renderWith(registry, { ...components, grafana: {} });
    const values = (tree: ReturnType<typeof renderWith>, id: string) =>
      (tree.objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === id)!.object as any).spec.sources[0].helm.valuesObject;
    expect(values(withAlerts, 'cert-manager').prometheus.servicemonitor).toEqual({ enabled: true, labels: { release: 'magnum' } });
    expect(values(withAlerts, 'external-secrets').serviceMonitor).toEqual({ enabled: true, additionalLabels: { release: 'magnum' } });
    expect(values(withAlerts, 'keda').prometheus.operator).toEqual({ enabled: true, serviceMonitor: { enabled: true, additionalLabels: { release: 'magnum' } } });
    expect(values(withAlerts, 'argo-cd').controller.metrics).toEqual({ enabled: true, serviceMonitor: { enabled: true, additionalLabels: { release: 'magnum' } } });

    const relabelled = renderWith(registry, { ...components, grafana: { scrapeLabels: { prometheus: 'platform' } } });
    expect(values(relabelled, 'cert-manager').prometheus.servicemonitor.labels).toEqual({ prometheus: 'platform' });

    const without = renderWith(registry, components);
    expect(values(without, 'cert-manager').prometheus?.servicemonitor).toBeUndefined();
    expect(without.components.flatMap((c) => c.alerts)).toEqual([]);
    expect(without.objects.some((o) => o.object.kind === 'ServiceMonitor' || o.object.kind === 'PodMonitor')).toBe(false);
  });

  it('are what doctor checks: each chart-made monitor is a health check of its component', () => {
    const tree = renderWith(registry, { ...components, grafana: {} });
    const checks = tree.components.flatMap((c) => c.health.filter((h) => h.kind === 'ServiceMonitor').map((h) => `${c.id}: ${h.namespace}/${h.name}`));
    expect(checks.sort()).toEqual([
      'argo-cd: argocd/argocd-application-controller',
      'cert-manager: cert-manager/cert-manager',
      'external-secrets: external-secrets/external-secrets-metrics',
      'keda: keda/keda-operator',
    ]);
  });

  it('the monitors are valid: chart values their charts\' schemas accept, own PodMonitors the prometheus-operator CRD accepts', async () => {
    const tree = renderWith(registry, { ...components, grafana: {}, 'cloudnative-pg': {}, 'secret-generator': {} });
    const values = (id: string) => (tree.objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === id)!.object as any).spec.sources[0].helm.valuesObject;
    for (const [id, schema] of [['cert-manager', 'cert-manager-values.schema.json'], ['external-secrets', 'external-secrets-values.schema.json']] as const) {
      const validate = await valuesValidator(schema);
      expect(validate(values(id)) ? [] : validate.errors, id).toEqual([]);
    }
    const monitors = tree.objects.filter((o) => o.object.apiVersion.startsWith('monitoring.coreos.com'));
    expect(monitors.map((o) => `${o.object.kind}/${o.object.metadata.name}`)).toEqual(['PodMonitor/main']);
    expect(await customResourceProblems(monitors)).toEqual([]);
    const broken = structuredClone(monitors[0]!);
    (broken.object.spec as any).podMetricsEndpoints[0].portt = 'metrics';
    expect((await customResourceProblems([broken])).join()).toContain('must NOT have additional properties');
  }, 60_000);
});
