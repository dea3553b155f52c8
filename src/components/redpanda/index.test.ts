import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../config/validate.ts';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { UPSTREAM } from '../../../test/helpers.ts';
import { chartFacts, customResourceProblems, valuesValidator } from '../../../test/upstream.ts';
import { kafkaBootstrapServers, redpanda } from './index.ts';

const registry = testRegistry(redpanda);

/**
 * The redpanda chart's schema describes its complete values, defaults included; a Redpanda clusterSpec is a
 * partial overlay the operator merges over those defaults. So: same types and keys, nothing required.
 */
async function partialValuesValidator(file: string) {
  const withoutRequired = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(withoutRequired);
    if (typeof schema !== 'object' || schema === null) return schema;
    return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== 'required' && key !== '$schema').map(([k, v]) => [k, withoutRequired(v)]));
  };
  const schema = withoutRequired(JSON.parse(await readFile(join(UPSTREAM, 'schemas', file), 'utf8')));
  return new Ajv({ strict: false, allErrors: true }).compile(schema as object);
}

const find = (tree: RenderedTree, kind: string, name: string) =>
  tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object as Record<string, any> | undefined;
const application = (tree: RenderedTree) => find(tree, 'Application', 'redpanda')!;
/** Three topics, `videos` replicated three times: it needs three brokers. */
const threeTopics = (c: Record<string, any>) => {
  c.topics = [{ name: 'videos', partitions: 6, replicas: 3 }, { name: 'thumbnails' }, { name: 'audit-log', partitions: 2 }];
};

function issuesOf(components: Record<string, unknown>, change: (c: Record<string, any>) => void = () => {}): ConfigIssue[] {
  const config = clusterWith(components);
  change(config);
  return rejectionOf(config, registry);
}

describe('redpanda', () => {
  it('pins the operator chart from charts.json with its CRDs, in wave 0', async () => {
    const tree = renderWith(registry, { redpanda: {} });
    const fact = (await chartFacts()).find((f) => f.component === 'redpanda-operator')!;
    const app = application(tree);
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('0');
    expect(app.spec.destination.namespace).toBe('redpanda');
    expect(app.spec.sources[0]).toEqual({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'redpanda-operator', valuesObject: { crds: { enabled: true }, monitoring: { enabled: false } } },
    });
    expect(app.spec.sources[1].path).toBe('rendered/manifests/redpanda');
  });

  it('renders one small Redpanda cluster: one broker, no TLS, no external access, no console', () => {
    const tree = renderWith(registry, { redpanda: {} });
    const cluster = find(tree, 'Redpanda', 'redpanda')!;
    expect(cluster.apiVersion).toBe('cluster.redpanda.com/v1alpha2');
    expect(cluster.metadata.namespace).toBe('redpanda');
    expect(cluster.spec).toEqual({
      clusterSpec: {
        statefulset: { replicas: 1 },
        resources: { cpu: { cores: '1' }, memory: { container: { max: '2Gi' } } },
        storage: { persistentVolume: { enabled: true, size: '10Gi' } },
        tls: { enabled: false },
        external: { enabled: false },
        console: { enabled: false },
        monitoring: { enabled: false },
      },
    });
    const component = tree.components.find((c) => c.id === 'redpanda')!;
    expect(component.needs).toEqual([]);
    expect(component.secrets).toEqual([]);
    expect(component.health.map((h) => `${h.kind}/${h.name}`)).toEqual([
      'Deployment/redpanda-operator',
      'Redpanda/redpanda',
      'StatefulSet/redpanda',
      'Topic/videos',
    ]);
  });

  it('renders a Topic per declared topic with its partitions and replication factor, bound to the cluster', () => {
    const tree = renderWith(registry, { redpanda: { brokers: 3 } }, threeTopics);
    expect(tree.objects.filter((o) => o.object.kind === 'Topic').map((o) => o.file)).toEqual([
      'manifests/redpanda/topic-audit-log.yaml',
      'manifests/redpanda/topic-thumbnails.yaml',
      'manifests/redpanda/topic-videos.yaml',
    ]);
    expect(find(tree, 'Topic', 'videos')).toMatchObject({
      apiVersion: 'cluster.redpanda.com/v1alpha2',
      metadata: { name: 'videos', namespace: 'redpanda' },
      spec: { partitions: 6, replicationFactor: 3, cluster: { clusterRef: { name: 'redpanda' } } },
    });
    expect(find(tree, 'Topic', 'thumbnails')!.spec).toMatchObject({ partitions: 1, replicationFactor: 1 });
    expect(find(tree, 'Topic', 'audit-log')!.spec).toMatchObject({ partitions: 2, replicationFactor: 1 });
  });

  it('rejects a topic replicated more times than there are brokers, or an even number of times', () => {
    expect(issuesOf({ redpanda: {} }, threeTopics)).toEqual([
      {
        path: 'topics[0].replicas',
        message: 'replication factor 3 exceeds the 1 Redpanda broker',
        hint: 'lower topics[0].replicas to at most 1, or raise components.redpanda.brokers',
      },
    ]);
    expect(issuesOf({ redpanda: { brokers: 3 } }, (c) => (c.topics = [{ name: 'videos', replicas: 2 }]))).toEqual([
      { path: 'topics[0].replicas', message: 'replication factor 2 is even; Redpanda requires an odd one', hint: 'use 1 or 3' },
    ]);
  });

  it('sizes the cluster and turns on TLS, console and monitoring from options; TLS then needs cert-manager', () => {
    const options = { brokers: 3, storage: '50Gi', storageClass: 'fast', cpu: '2', memory: '4.5Gi', tls: true, console: true, monitoring: true };
    const tree = renderWith(registry, { redpanda: options, 'cert-manager': { acmeEmail: 'ops@example.org' } });
    const spec = find(tree, 'Redpanda', 'redpanda')!.spec.clusterSpec;
    expect(spec.statefulset).toEqual({ replicas: 3 });
    expect(spec.resources).toEqual({ cpu: { cores: '2' }, memory: { container: { max: '4.5Gi' } } });
    expect(spec.storage.persistentVolume).toEqual({ enabled: true, size: '50Gi', storageClass: 'fast' });
    expect([spec.tls, spec.console, spec.monitoring]).toEqual([{ enabled: true }, { enabled: true }, { enabled: true }]);
    expect(application(tree).spec.sources[0].helm.valuesObject.monitoring).toEqual({ enabled: true });
    expect(tree.components.find((c) => c.id === 'redpanda')!.needs).toEqual(['cert-manager']);
    expect(issuesOf({ redpanda: { tls: true } })).toEqual([
      {
        path: 'components.redpanda',
        message: '"redpanda" needs "cert-manager", which is not enabled',
        hint: 'enable it with components: { "cert-manager": {} } or remove "redpanda"',
      },
    ]);
  });

  it('exports the Kafka bootstrap address of the internal listener, following a namespace override', () => {
    const tree = renderWith(registry, { redpanda: {} });
    expect(kafkaBootstrapServers(resolveCluster(clusterWith({ redpanda: {} }), registry).config)).toBe(
      'redpanda.redpanda.svc.cluster.local:9093',
    );
    expect(kafkaBootstrapServers({ components: { redpanda: { options: {}, common: { namespace: 'queues' } } } })).toBe(
      'redpanda.queues.svc.cluster.local:9093',
    );
    const moved = renderWith(registry, { redpanda: { namespace: 'queues' } });
    expect(find(moved, 'Redpanda', 'redpanda')!.metadata.namespace).toBe('queues');
    expect(find(moved, 'Topic', 'videos')!.metadata.namespace).toBe('queues');
    expect(find(tree, 'Topic', 'videos')!.metadata.namespace).toBe('redpanda');
  });

  it('renders custom resources that pass the upstream CRDs, and the check can fail', { timeout: 120_000 }, async () => {
    // Default options with the default topic (one broker holds one replica), and three brokers with threeTopics.
    const cases: [Record<string, unknown>, ((c: Record<string, any>) => void) | undefined][] = [
      [{}, undefined],
      [{ brokers: 3, storageClass: 'fast', cpu: '500m', tls: true, console: true, monitoring: true }, threeTopics],
    ];
    for (const [options, topics] of cases) {
      const tree = renderWith(registry, { redpanda: options, 'cert-manager': { acmeEmail: 'ops@example.org' } }, topics);
      expect(tree.objects.filter((o) => o.object.kind === 'Topic').length).toBeGreaterThan(0);
      expect(await customResourceProblems(tree.objects)).toEqual([]);
    }
    const tree = renderWith(registry, { redpanda: {} });
    const topic = structuredClone(tree.objects.find((o) => o.object.kind === 'Topic')!);
    (topic.object.spec as any).replicas = 1;
    expect((await customResourceProblems([topic])).join()).toContain('/spec must NOT have additional properties');
  });

  it("renders operator values its chart's values schema accepts, and the schema rejects a wrong one", { timeout: 120_000 }, async () => {
    const validate = await valuesValidator('redpanda-operator-values.schema.json');
    for (const monitoring of [false, true]) {
      const values = application(renderWith(registry, { redpanda: { monitoring } })).spec.sources[0].helm.valuesObject;
      expect(validate(values) ? [] : validate.errors).toEqual([]);
      expect(validate({ ...values, crds: { enable: true } })).toBe(false);
    }
  });

  it("renders a clusterSpec that fits the redpanda chart's values schema, read as a partial overlay", { timeout: 120_000 }, async () => {
    const validate = await partialValuesValidator('redpanda-values.schema.json');
    for (const options of [{}, { brokers: 3, storageClass: 'fast', cpu: '500m', memory: '2.5Gi', tls: true, console: true, monitoring: true }]) {
      const tree = renderWith(registry, { redpanda: options, 'cert-manager': { acmeEmail: 'ops@example.org' } });
      const clusterSpec = find(tree, 'Redpanda', 'redpanda')!.spec.clusterSpec;
      expect(validate(clusterSpec) ? [] : validate.errors).toEqual([]);
      expect(validate({ ...clusterSpec, statefulset: { replicas: '3' } })).toBe(false);
      expect(validate({ ...clusterSpec, storage: { persistentVolume: { sise: '1Gi' } } })).toBe(false);
    }
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ redpanda: { brokers: 0, memory: '2.25Gi', storageClass: 'Fast' } })).toEqual([
      { path: 'components.redpanda.brokers', message: 'must be at least 1, got number 0' },
      {
        path: 'components.redpanda.storageClass',
        message: '"Fast" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric',
      },
      { path: 'components.redpanda.memory', message: '"2.25Gi" must be a quantity such as "1", "500m", "2Gi" or "2.5Gi"' },
    ]);
  });
});
