import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../errors.ts';
import { resolveCluster } from '../../config/validate.ts';
import { renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { minimalCluster } from '../../../test/helpers.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { DEFAULT_EXCLUSIONS, eraser } from './index.ts';

const registry = testRegistry(eraser);
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { 'argo-cd': {}, eraser: options });
const find = (tree: ReturnType<typeof render>, file: string) => tree.objects.find((o) => o.file === file)?.object as Record<string, any> | undefined;

function issuesOf(options: unknown): ConfigIssue[] {
  const config = minimalCluster();
  config.components['cert-manager'].solver = 'http01';
  config.components.eraser = options;
  return rejectionOf(config, registry);
}

describe('eraser', () => {
  it('pins the chart from charts.json and removes unused images daily without the scanner', async () => {
    const tree = render();
    const app = find(tree, 'apps/eraser.yaml')!;
    const fact = (await chartFacts()).find((f) => f.component === 'eraser')!;
    const [chart, manifests] = app.spec.sources;
    expect(chart).toMatchObject({ repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version });
    expect(chart.helm).toEqual({
      releaseName: 'eraser',
      valuesObject: {
        runtimeConfig: {
          manager: { scheduling: { repeatInterval: '24h', beginImmediately: true } },
          components: { scanner: { enabled: false } },
        },
      },
    });
    expect(manifests.path).toBe('rendered/manifests/eraser');
    expect(app.spec.destination.namespace).toBe('eraser-system');
    const component = tree.components.find((c) => c.id === 'eraser')!;
    expect(component.needs).toEqual([]);
    expect(component.health).toEqual([
      {
        description: 'schedules the cleanup jobs on every node',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'eraser-controller-manager',
        namespace: 'eraser-system',
      },
    ]);
  });

  it('renders the exclusion list as a labelled ConfigMap in its own namespace, in the JSON Eraser reads', () => {
    const configMap = find(render(), 'manifests/eraser/configmap-plinth-excluded-images.yaml')!;
    expect(configMap.metadata.namespace).toBe('eraser-system');
    expect(configMap.metadata.labels).toEqual({
      'eraser.sh/exclude.list': 'true',
      'app.kubernetes.io/managed-by': 'plinth',
      'plinth.dev/component': 'eraser',
    });
    expect(JSON.parse(configMap.data['excluded.json'])).toEqual({ excluded: ['registry.k8s.io/*', 'ghcr.io/eraser-dev/*'] });
    expect(DEFAULT_EXCLUSIONS).toEqual(['registry.k8s.io/*', 'ghcr.io/eraser-dev/*']);
  });

  it('follows the options: interval, exclusions, scanner', () => {
    const tree = render({
      repeatInterval: '6h30m',
      exclude: ['docker.io/library/postgres:*', 'ghcr.io/mobility-scooter-web-app/*', 'quay.io/calico/node:v3.29.1'],
      scanner: true,
    });
    const values = find(tree, 'apps/eraser.yaml')!.spec.sources[0].helm.valuesObject;
    expect(values.runtimeConfig.manager.scheduling.repeatInterval).toBe('6h30m');
    expect(values.runtimeConfig.components.scanner.enabled).toBe(true);
    const configMap = find(tree, 'manifests/eraser/configmap-plinth-excluded-images.yaml')!;
    expect(JSON.parse(configMap.data['excluded.json']).excluded).toEqual([
      'docker.io/library/postgres:*',
      'ghcr.io/mobility-scooter-web-app/*',
      'quay.io/calico/node:v3.29.1',
    ]);
  });

  it('renders no exclusion ConfigMap when nothing is excluded', () => {
    const tree = render({ exclude: [] });
    expect(find(tree, 'manifests/eraser/configmap-plinth-excluded-images.yaml')).toBeUndefined();
    expect(find(tree, 'apps/eraser.yaml')!.spec.sources).toHaveLength(1);
  });

  it('reports bad options with their path', () => {
    expect(issuesOf({ repeatInterval: '1 day' })).toEqual([
      { path: 'components.eraser.repeatInterval', message: '"1 day" must be a duration such as "24h" or "12h30m"' },
    ]);
    expect(issuesOf({ exclude: ['nginx:*'] })).toEqual([
      {
        path: 'components.eraser.exclude[0]',
        message: '"nginx:*" must start with a registry host, as the container runtime names images, e.g. "docker.io/library/nginx:*"',
      },
    ]);
    expect(issuesOf({ exclude: ['docker.io/library/post*'] })).toEqual([
      {
        path: 'components.eraser.exclude[0]',
        message: '"docker.io/library/post*" uses "*" where Eraser ignores it; only a trailing "/*" (a whole path) or ":*" (every tag) is a wildcard',
      },
    ]);
    expect(issuesOf({ scanner: 'yes' })).toEqual([{ path: 'components.eraser.scanner', message: 'must be a boolean, got string "yes"' }]);
  });

  it('accepts digests and registries with ports', () => {
    const config = minimalCluster();
    config.components['cert-manager'].solver = 'http01';
    config.components.eraser = { exclude: [`sha256:${'a'.repeat(64)}`, 'localhost:5000/tools/*'] };
    expect(() => resolveCluster(config, registry)).not.toThrow();
  });

  it('renders only objects the custom resource check passes', async () => {
    expect(await customResourceProblems(render().objects)).toEqual([]);
  });
});
