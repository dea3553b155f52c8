import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../config/validate.ts';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { cacheConnection, valkey } from './index.ts';

const registry = testRegistry(valkey);
const base = { 'secret-generator': {} };

const find = (tree: RenderedTree, kind: string, name: string) =>
  tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object as Record<string, any> | undefined;
const application = (tree: RenderedTree) => find(tree, 'Application', 'valkey')!;
const twoCaches = (c: Record<string, any>) => {
  c.caches = [{ name: 'sessions' }, { name: 'thumbnails', replicas: 2, size: '5Gi' }];
};

function issuesOf(components: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith(components);
  return rejectionOf(config, registry);
}

describe('valkey', () => {
  it('pins the valkey-operator chart from charts.json, watching only its own namespace', async () => {
    const tree = renderWith(registry, { valkey: {}, ...base });
    const fact = (await chartFacts()).find((f) => f.component === 'valkey-operator')!;
    const app = application(tree);
    expect(app.spec.destination.namespace).toBe('valkey');
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(app.spec.sources[0]).toEqual({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'valkey-operator', valuesObject: { manager: { watchNamespaces: ['valkey'] } } },
    });
    expect(app.spec.sources[1].path).toBe('rendered/manifests/valkey');
  });

  it('renders one ValkeyCluster per cache with persistence, replicas, resources and a password-protected default user', () => {
    const tree = renderWith(registry, { valkey: {}, ...base }, twoCaches);
    expect(tree.objects.filter((o) => o.owner === 'valkey').map((o) => o.file)).toEqual([
      'manifests/valkey/stringsecret-valkey-sessions.yaml',
      'manifests/valkey/stringsecret-valkey-thumbnails.yaml',
      'manifests/valkey/valkeycluster-sessions.yaml',
      'manifests/valkey/valkeycluster-thumbnails.yaml',
    ]);
    const sessions = find(tree, 'ValkeyCluster', 'sessions')!;
    expect(sessions.apiVersion).toBe('valkey.io/v1alpha1');
    expect(sessions.metadata.namespace).toBe('valkey');
    expect(sessions.spec).toEqual({
      shards: 1,
      replicas: 0,
      persistence: { size: '1Gi', reclaimPolicy: 'Retain' },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
      config: { maxmemory: '214748364' },
      users: [
        {
          name: 'default',
          enabled: true,
          nopass: false,
          resetpass: false,
          passwordSecret: { name: 'valkey-sessions', keys: ['password'] },
          keys: { readWrite: ['*'] },
          channels: { patterns: ['*'] },
          commands: { allow: ['@all'] },
        },
      ],
    });
    const thumbnails = find(tree, 'ValkeyCluster', 'thumbnails')!;
    expect([thumbnails.spec.replicas, thumbnails.spec.persistence.size]).toEqual([2, '5Gi']);
    expect(thumbnails.spec.users[0].passwordSecret.name).toBe('valkey-thumbnails');
  });

  it('generates each cache password in the cluster, beside the username', () => {
    const tree = renderWith(registry, { valkey: {}, ...base }, twoCaches);
    expect(find(tree, 'StringSecret', 'valkey-thumbnails')).toMatchObject({
      apiVersion: 'secretgenerator.mittwald.de/v1alpha1',
      metadata: { name: 'valkey-thumbnails', namespace: 'valkey' },
      spec: { forceRegenerate: false, data: { username: 'default' }, fields: [{ fieldName: 'password', encoding: 'base64url', length: '32' }] },
    });
    for (const { object } of tree.objects) expect(object.kind).not.toBe('Secret');
    const component = tree.components.find((c) => c.id === 'valkey')!;
    expect(component.secrets).toEqual([]);
    expect(component.health.map((h) => `${h.kind}/${h.name}${h.blame ? `:${h.blame}` : ''}`)).toEqual([
      'Deployment/valkey-operator',
      'ValkeyCluster/sessions',
      'Secret/valkey-sessions:secret-generator',
      'ValkeyCluster/thumbnails',
      'Secret/valkey-thumbnails:secret-generator',
    ]);
  });

  it('applies shards, storage class and resources from options', () => {
    const tree = renderWith(registry, { valkey: { shards: 3, storageClass: 'fast', resources: { cpu: '500m', memory: '1Gi' } }, ...base });
    const spec = find(tree, 'ValkeyCluster', 'sessions')!.spec;
    expect(spec.shards).toBe(3);
    expect(spec.persistence).toEqual({ size: '1Gi', storageClassName: 'fast', reclaimPolicy: 'Retain' });
    expect(spec.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(spec.config).toEqual({ maxmemory: String(Math.floor(0.8 * 2 ** 30)) });
  });

  it('renders nothing but the operator when no cache is declared', () => {
    const tree = renderWith(registry, { valkey: {}, ...base }, (c) => {
      c.caches = [];
      c.apps = c.apps.filter((a: { cache?: string }) => !a.cache);
    });
    expect(tree.objects.filter((o) => o.owner === 'valkey')).toEqual([]);
    expect(application(tree).spec.sources).toHaveLength(1);
  });

  it("exports each cache's address and secret, following a namespace override", () => {
    const { config } = resolveCluster(clusterWith({ valkey: {}, ...base }), registry);
    expect(cacheConnection(config, 'sessions')).toEqual({
      host: 'valkey-sessions.valkey.svc.cluster.local',
      port: 6379,
      secretName: 'valkey-sessions',
      passwordKey: 'password',
      clusterMode: true,
    });
    const moved = resolveCluster(clusterWith({ valkey: { namespace: 'caches' }, ...base }), registry).config;
    expect(cacheConnection(moved, 'sessions').host).toBe('valkey-sessions.caches.svc.cluster.local');
  });

  it('renders custom resources that pass the upstream CRDs, and the check can fail', { timeout: 120_000 }, async () => {
    for (const options of [{}, { shards: 2, storageClass: 'fast', resources: { memory: '2Gi' } }]) {
      const tree = renderWith(registry, { valkey: options, ...base }, twoCaches);
      expect(await customResourceProblems(tree.objects)).toEqual([]);
    }
    const tree = renderWith(registry, { valkey: {}, ...base });
    const cluster = structuredClone(tree.objects.find((o) => o.object.kind === 'ValkeyCluster')!);
    (cluster.object.spec as any).persistence.storageClass = 'fast';
    expect((await customResourceProblems([cluster])).join()).toContain('/spec/persistence must NOT have additional properties');
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ valkey: { shards: 0, resources: { memory: '500m' } }, ...base })).toEqual([
      { path: 'components.valkey.shards', message: 'must be at least 1, got number 0' },
      { path: 'components.valkey.resources.memory', message: '"500m" must be a whole memory quantity such as "256Mi" or "1Gi"' },
    ]);
  });

  it('rejects the config when secret-generator is disabled, naming it', () => {
    expect(issuesOf({ valkey: {} })).toEqual([
      {
        path: 'components.valkey',
        message: '"valkey" needs "secret-generator", which is not enabled',
        hint: 'enable it with components: { "secret-generator": {} } or remove "valkey"',
      },
    ]);
  });
});
