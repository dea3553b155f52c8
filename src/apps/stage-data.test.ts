import { describe, expect, it } from 'vitest';
import { minimalCluster } from '../../test/helpers.ts';
import { configIssues } from '../../test/components.ts';
import { customResourceProblems } from '../../test/upstream.ts';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderCatalogue } from '../core/catalogue.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import { checkRules } from '../validate/rules/index.ts';
import { sharedData, stageDataOf } from './stage-data.ts';

/** The test cluster with every app in staging and production, and `change` applied. */
function twoStages(change: (config: Record<string, any>) => void = () => {}): Record<string, any> {
  const config = minimalCluster();
  for (const app of config.apps) app.stages = ['staging', 'production'];
  config.apps[1].cache = 'sessions';
  config.apps[2].database = 'app';
  change(config);
  return config;
}

const render = (config: Record<string, any>) => {
  const resolved = resolveCluster(config, registry);
  return { resolved, tree: renderTree(resolved, registry) };
};
const objectsOf = (tree: RenderedTree, kind: string) => tree.objects.filter((o) => o.object.kind === kind).map((o) => o.object as Record<string, any>);
const find = (tree: RenderedTree, kind: string, namespace: string | undefined, name: string) =>
  objectsOf(tree, kind).find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
const env = (tree: RenderedTree, app: string, stage: string) =>
  Object.fromEntries(
    (find(tree, 'Deployment', stage, app)!.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

describe('stage data: each stage its own database, cache and topics', () => {
  it('gives an earlier stage its own copies, owner, password and consumer group; the last stage keeps the declared names', () => {
    const { resolved, tree } = render(twoStages());
    const cluster = resolved.config;
    const api = cluster.apps[1]!;
    const staging = stageDataOf(cluster, api, 'staging');
    expect(staging.database).toMatchObject({ name: 'app-staging', server: 'main', serverNamespace: 'databases', owner: 'app-staging', secret: 'pg-app-staging', stage: 'staging' });
    expect(staging.cache).toMatchObject({ name: 'sessions-staging', namespaces: ['staging'] });
    expect(staging.produce).toEqual(['videos-staging']);
    expect(staging.shared).toEqual([]);
    const production = stageDataOf(cluster, api, 'production');
    expect(production.database).toMatchObject({ name: 'app', owner: 'app', secret: 'pg-app', namespaces: ['production'] });
    expect(production.produce).toEqual(['videos']);
    const worker = cluster.apps[2]!;
    expect(stageDataOf(cluster, worker, 'staging')).toMatchObject({ consume: ['videos-staging'], scaleTopic: 'videos-staging', consumerGroup: 'worker-staging' });
    expect(stageDataOf(cluster, worker, 'production')).toMatchObject({ consume: ['videos'], scaleTopic: 'videos', consumerGroup: 'worker' });

    expect(find(tree, 'Database', 'databases', 'app-staging')!.spec).toEqual({
      name: 'app-staging', owner: 'app-staging', cluster: { name: 'main' }, ensure: 'present', databaseReclaimPolicy: 'retain',
    });
    expect(find(tree, 'StringSecret', 'databases', 'pg-app-staging')!.spec.data).toEqual({ username: 'app-staging' });
    const roles = find(tree, 'Cluster', 'databases', 'main')!.spec.managed.roles as { name: string; passwordSecret: { name: string } }[];
    expect(roles.map((r) => [r.name, r.passwordSecret.name])).toEqual([['app', 'pg-app'], ['app-staging', 'pg-app-staging']]);
    expect(find(tree, 'ValkeyCluster', 'valkey', 'sessions-staging')!.spec.users[0].passwordSecret).toEqual({ name: 'valkey-sessions-staging', keys: ['password'] });
    expect(find(tree, 'StringSecret', 'valkey', 'valkey-sessions-staging')).toBeDefined();
    expect(find(tree, 'Topic', 'redpanda', 'videos-staging')!.spec).toEqual(find(tree, 'Topic', 'redpanda', 'videos')!.spec);

    const scaler = find(tree, 'ScaledObject', 'staging', 'worker')!.spec.triggers[0].metadata;
    expect(scaler).toMatchObject({ topic: 'videos-staging', consumerGroup: 'worker-staging' });
    expect(env(tree, 'worker', 'staging')).toMatchObject({ KAFKA_CONSUME_TOPICS: 'videos-staging', KAFKA_CONSUMER_GROUP: 'worker-staging', PGDATABASE: 'app-staging' });
    expect(find(tree, 'ScaledObject', 'production', 'worker')!.spec.triggers[0].metadata).toMatchObject({ topic: 'videos', consumerGroup: 'worker' });
  });

  it("copies each stage's credentials only into its own namespace: staging never receives production's", () => {
    const { tree } = render(twoStages());
    const copies = Object.fromEntries(objectsOf(tree, 'ClusterSecret').map((c) => [c.metadata.name, c.matchNamespace]));
    expect(copies).toEqual({
      'pg-app': ['^production$'],
      'pg-app-staging': ['^staging$'],
      'valkey-sessions': ['^production$'],
      'valkey-sessions-staging': ['^staging$'],
    });
    // Every Secret a staging object refers to is a staging copy.
    const staging = tree.objects.filter((o) => o.object.metadata.namespace === 'staging');
    const referenced = JSON.stringify(staging.map((o) => o.object)).match(/"(pg|valkey)-[a-z-]+"/g) ?? [];
    expect(new Set(referenced)).toEqual(new Set(['"pg-app-staging"', '"valkey-sessions-staging"']));
  });

  it("lets each stage's NetworkPolicy reach only its own database server and cache pods", () => {
    const { tree } = render(twoStages((c) => {
      c.postgres.servers.push({ name: 'scratch' });
      c.postgres.databases[0].stages = { staging: { server: 'scratch' } };
    }));
    const egress = (app: string, stage: string) => find(tree, 'NetworkPolicy', stage, app)!.spec.egress.slice(1, 3).map((r: any) => r.to[0]);
    expect(egress('api', 'staging')).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } }, podSelector: { matchLabels: { 'cnpg.io/cluster': 'scratch' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'valkey' } }, podSelector: { matchLabels: { 'valkey.io/cluster': 'sessions-staging' } } },
    ]);
    expect(egress('api', 'production')).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } }, podSelector: { matchLabels: { 'cnpg.io/cluster': 'main' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'valkey' } }, podSelector: { matchLabels: { 'valkey.io/cluster': 'sessions' } } },
    ]);
    expect(find(tree, 'Database', 'databases', 'app-staging')!.spec.cluster).toEqual({ name: 'scratch' });
    expect(env(tree, 'api', 'staging')).toMatchObject({ PGHOST: 'scratch-rw.databases.svc', PGDATABASE: 'app-staging' });
    // The scratch server holds only the staging copy's role.
    expect(find(tree, 'Cluster', 'databases', 'scratch')!.spec.managed.roles.map((r: { name: string }) => r.name)).toEqual(['app-staging']);
  });

  it('renders every copy as the pinned CRDs accept it', async () => {
    const { tree } = render(twoStages());
    const copies = tree.objects.filter((o) => ['Database', 'ValkeyCluster', 'Topic', 'Cluster', 'StringSecret', 'ScaledObject'].includes(o.object.kind));
    expect(copies.length).toBeGreaterThan(8);
    expect(await customResourceProblems(copies)).toEqual([]);
  });

  it("shares the last stage's data only where the config says so, with a reason that validate warns about and the catalogue lists", () => {
    const reason = 'the cache holds only feature flags';
    const { resolved, tree } = render(twoStages((c) => (c.caches[0].stages = { staging: { share: reason } })));
    expect(objectsOf(tree, 'ValkeyCluster').map((v) => v.metadata.name)).toEqual(['sessions']);
    expect(find(tree, 'ClusterSecret', undefined, 'valkey-sessions')!.matchNamespace).toEqual(['^production$', '^staging$']);
    expect(env(tree, 'web', 'staging')).toMatchObject({ VALKEY_HOST: 'valkey-sessions.valkey.svc.cluster.local' });
    expect(find(tree, 'Deployment', 'staging', 'web')!.metadata.annotations['plinth.dev/shares-cache']).toBe(`sessions of stage production: ${reason}`);
    expect(sharedData(resolved.config)).toEqual([
      { kind: 'cache', name: 'sessions', stage: 'staging', lastStage: 'production', reason, path: 'caches[0].stages.staging.share' },
    ]);
    const findings = checkRules(tree.objects.map(({ file, object }) => ({ file, document: 1, object })), { cluster: resolved.config });
    const shared = findings.filter((f) => f.rule === 'isolation/shared-data');
    expect(shared.map((f) => [f.severity, f.object, f.message])).toEqual([
      ['warning', 'Deployment/staging/api', `Deployment in stage "staging" uses the cache sessions of stage production: ${reason}`],
      ['warning', 'Deployment/staging/web', `Deployment in stage "staging" uses the cache sessions of stage production: ${reason}`],
    ]);
    expect(renderCatalogue(resolved.config, tree.components)).toContain(`| \`staging\` | cache \`sessions\` | \`production\` | ${reason} | \`caches[0].stages.staging.share\` |`);
    // Isolated stages: no warning, no catalogue section.
    const isolated = render(twoStages());
    expect(checkRules(isolated.tree.objects.map(({ file, object }) => ({ file, document: 1, object })), { cluster: isolated.resolved.config }).filter((f) => f.rule === 'isolation/shared-data')).toEqual([]);
    expect(renderCatalogue(isolated.resolved.config, isolated.tree.components)).not.toContain('Stages sharing data');
  });

  it('keeps a single-stage app on the declared data, as before', () => {
    const { tree } = render(minimalCluster());
    expect(objectsOf(tree, 'Database').map((d) => d.metadata.name)).toEqual(['app']);
    expect(objectsOf(tree, 'Topic').map((d) => d.metadata.name)).toEqual(['videos']);
    expect(objectsOf(tree, 'ValkeyCluster').map((d) => d.metadata.name)).toEqual(['sessions']);
  });
});

describe('stage data: config mistakes', () => {
  it('refuses a share without a reason', () => {
    expect(configIssues(twoStages((c) => (c.postgres.databases[0].stages = { staging: { share: '  ' } })))).toEqual([
      {
        path: 'postgres.databases[0].stages.staging.share',
        message: '"  " gives no reason: sharing the last stage\'s data with an earlier stage must say why',
        hint: 'write why this stage may see that data, e.g. "the cache holds only feature flags", or remove share to give the stage its own',
      },
    ]);
  });

  it('refuses stage options for the last stage, for a stage no app uses it in, and for an undeclared server', () => {
    expect(configIssues(twoStages((c) => (c.topics[0].stages = { production: { share: 'x' }, dev: { share: 'y' } })))).toEqual([
      {
        path: 'topics[0].stages.production',
        message: '"production" is the last stage of an app using topic "videos": it always uses the declared topic',
        hint: 'name one of the earlier stages: staging',
      },
      { path: 'topics[0].stages.dev', message: 'no app uses topic "videos" in stage "dev"', hint: 'name one of the earlier stages: staging' },
    ]);
    expect(configIssues(twoStages((c) => (c.postgres.databases[0].stages = { staging: { server: 'scratch', share: 'demo data' } })))).toEqual([
      {
        path: 'postgres.databases[0].stages.staging.server',
        message: 'stage "staging" shares the last stage\'s database, so it has no server of its own',
        hint: 'remove server, or remove share to give the stage its own database on that server',
      },
      {
        path: 'postgres.databases[0].stages.staging.server',
        message: 'database server "scratch" is not declared',
        hint: 'use one of main, or declare it in postgres.servers',
      },
    ]);
  });

  it("refuses a stage's copy named like a declared database, and a stage that is one app's last and another's earlier", () => {
    expect(configIssues(twoStages((c) => c.postgres.databases.push({ name: 'app-staging' })))).toEqual([
      {
        path: 'postgres.databases[0].name',
        message: 'stage "staging" gets its own database "app-staging", which postgres.databases[1].name already declares',
        hint: 'rename postgres.databases[1].name, or let stage "staging" share: stages: { staging: { share: "<reason>" } }',
      },
    ]);
    const issues = configIssues(twoStages((c) => (c.apps[2].stages = ['staging'])));
    expect(issues).toContainEqual({
      path: 'apps[1].stages',
      message: 'stage "staging" is the last stage of app "worker", which uses the declared database "app" there, but an earlier stage of this app, which would get its own copy in the same namespace',
      hint: 'list the stages in the same order in both apps (the last one is production), or rename one of the stages',
    });
  });
});
