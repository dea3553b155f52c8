import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../errors.ts';
import { renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { minimalCluster } from '../../../test/helpers.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { keda } from './index.ts';

const registry = testRegistry(keda);
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { 'argo-cd': {}, keda: options });
const application = (tree: ReturnType<typeof render>) =>
  tree.objects.find((o) => o.file === 'apps/keda.yaml')!.object as Record<string, any>;

function issuesOf(options: unknown): ConfigIssue[] {
  const config = minimalCluster();
  config.components['cert-manager'].solver = 'http01';
  config.components.keda = options;
  return rejectionOf(config, registry);
}

const small = { requests: { cpu: '50m', memory: '100Mi' }, limits: { cpu: '500m', memory: '512Mi' } };

describe('keda', () => {
  it('pins the chart from charts.json, installs the CRDs and keeps every pod small', async () => {
    const tree = render();
    const app = application(tree);
    const fact = (await chartFacts()).find((f) => f.component === 'keda')!;
    expect(app.spec.sources).toHaveLength(1);
    const [chart] = app.spec.sources;
    expect(chart).toMatchObject({ repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version });
    expect(chart.helm).toEqual({
      releaseName: 'keda',
      valuesObject: {
        crds: { install: true },
        resources: { operator: small, metricServer: small, webhooks: small },
        webhooks: { enabled: true },
      },
    });
    expect(app.spec.destination.namespace).toBe('keda');
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('0');
    expect(tree.objects.filter((o) => o.owner === 'keda')).toEqual([]);
  });

  it('checks the operator, the metrics server, its APIService and the webhooks', () => {
    const component = render().components.find((c) => c.id === 'keda')!;
    expect(component.needs).toEqual([]);
    expect(component.health.map((h) => `${h.apiVersion} ${h.kind} ${h.namespace ?? '-'}/${h.name}`)).toEqual([
      'apps/v1 Deployment keda/keda-operator',
      'apps/v1 Deployment keda/keda-operator-metrics-apiserver',
      'apiregistration.k8s.io/v1 APIService -/v1beta1.external.metrics.k8s.io',
      'apps/v1 Deployment keda/keda-admission-webhooks',
    ]);
  });

  it('follows the options: resources and webhooks', () => {
    const tree = render({ resources: { requests: { memory: '256Mi' }, limits: { memory: '1Gi' } }, webhooks: false });
    const values = application(tree).spec.sources[0].helm.valuesObject;
    const expected = { requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } };
    expect(values.resources).toEqual({ operator: expected, metricServer: expected, webhooks: expected });
    expect(values.webhooks).toEqual({ enabled: false });
    expect(tree.components.find((c) => c.id === 'keda')!.health.map((h) => h.name)).not.toContain('keda-admission-webhooks');
  });

  it('renders in the namespace the config chooses, and checks health there', () => {
    const tree = render({ namespace: 'autoscaling' });
    expect(application(tree).spec.destination.namespace).toBe('autoscaling');
    expect(tree.components.find((c) => c.id === 'keda')!.health[0]!.namespace).toBe('autoscaling');
  });

  it('reports bad options with their path', () => {
    expect(issuesOf({ resources: { requests: { cpu: '2' } } })).toEqual([
      {
        path: 'components.keda.resources.requests.cpu',
        message: '"2" exceeds the limit 500m; Kubernetes refuses a pod whose request is above its limit',
      },
    ]);
    expect(issuesOf({ resources: { limits: { memory: 'lots' } } })).toEqual([
      { path: 'components.keda.resources.limits.memory', message: '"lots" must be a Kubernetes quantity such as "500m", "256Mi" or "20Gi"' },
    ]);
    expect(issuesOf({ scalers: [] })).toEqual([
      { path: 'components.keda.scalers', message: 'unknown key "scalers"', hint: 'known keys: extraObjects, namespace, needs, resources, sso, values, webhooks' },
    ]);
  });

  it('renders no custom resources of its own (scalers come from the apps)', async () => {
    expect(await customResourceProblems(render().objects)).toEqual([]);
  });
});
