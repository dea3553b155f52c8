import { describe, expect, it } from 'vitest';
import { minimalCluster } from '../../../test/helpers.ts';
import { configIssues } from '../../../test/components.ts';
import { customResourceProblems } from '../../../test/upstream.ts';
import { registry } from '../index.ts';
import { resolveCluster } from '../../config/validate.ts';
import { renderTree, type RenderedTree } from '../../core/render.ts';
import { namedPhases } from '../../kube/apply.ts';

/** The seed's existing server: default/pgcluster, 400Gi data and 100Gi WAL, created with an initdb owner and postInitSQL. */
const POST_INIT = ['CREATE EXTENSION IF NOT EXISTS pg_stat_statements'];
function adopting(change: (config: Record<string, any>) => void = () => {}): Record<string, any> {
  const config = minimalCluster();
  config.postgres = {
    servers: [{ name: 'pgcluster', namespace: 'default', dataSize: '400Gi', walSize: '100Gi', initdb: { database: 'app', owner: 'app', postInitSQL: POST_INIT } }],
    databases: [{ name: 'app', server: 'pgcluster' }],
  };
  config.apps[1].stages = ['staging', 'production'];
  change(config);
  return config;
}

const render = (config: Record<string, any>) => renderTree(resolveCluster(config, registry), registry);
const objectsOf = (tree: RenderedTree, kind: string) => tree.objects.filter((o) => o.object.kind === kind).map((o) => o.object as Record<string, any>);
const find = (tree: RenderedTree, kind: string, namespace: string | undefined, name: string) =>
  objectsOf(tree, kind).find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
const envOf = (tree: RenderedTree, stage: string, app = 'api') =>
  Object.fromEntries((find(tree, 'Deployment', stage, app)!.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('adopting an existing CloudNativePG Cluster in place', () => {
  it('renders the Cluster where it is, with its volumes and initdb as created, and leaves its namespace and initdb owner alone', async () => {
    const tree = render(adopting());
    const cluster = find(tree, 'Cluster', 'default', 'pgcluster')!;
    expect(cluster.spec.storage).toEqual({ size: '400Gi' });
    expect(cluster.spec.walStorage).toEqual({ size: '100Gi' });
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: 'app', owner: 'app', postInitSQL: POST_INIT } });
    // The initdb owner keeps the password CloudNativePG gave it; only the staging copy's role is Plinth's.
    expect(cluster.spec.managed.roles.map((r: { name: string; passwordSecret: { name: string } }) => [r.name, r.passwordSecret.name])).toEqual([['app-staging', 'pg-app-staging']]);
    expect(objectsOf(tree, 'Namespace').map((n) => n.metadata.name)).not.toContain('default');
    expect(objectsOf(tree, 'Namespace').map((n) => n.metadata.name)).not.toContain('databases');
    // Nor does apply make one: `default` is the API server's, never labelled or pruned as Plinth's.
    const applied = namedPhases(tree).flatMap((phase) => phase.objects).filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    expect(applied).toContain('valkey');
    expect(applied).not.toContain('default');
    expect(find(tree, 'Database', 'default', 'app')!.spec).toMatchObject({ name: 'app', owner: 'app', cluster: { name: 'pgcluster' } });
    expect(objectsOf(tree, 'StringSecret').filter((s) => s.metadata.namespace === 'default').map((s) => s.metadata.name)).toEqual(['pg-app-staging']);
    expect(await customResourceProblems(tree.objects.filter((o) => o.object.apiVersion === 'postgresql.cnpg.io/v1'))).toEqual([]);
  });

  it("points production at the server's own Service and CloudNativePG's app Secret, staging at its own copy", () => {
    const tree = render(adopting());
    expect(envOf(tree, 'production')).toMatchObject({
      PGHOST: 'pgcluster-rw.default.svc',
      PGDATABASE: 'app',
      PGUSER: { secretKeyRef: { name: 'pgcluster-app', key: 'username' } },
      PGPASSWORD: { secretKeyRef: { name: 'pgcluster-app', key: 'password' } },
    });
    expect(envOf(tree, 'staging')).toMatchObject({ PGHOST: 'pgcluster-rw.default.svc', PGDATABASE: 'app-staging', PGUSER: { secretKeyRef: { name: 'pg-app-staging', key: 'username' } } });
    const copies = Object.fromEntries(objectsOf(tree, 'ClusterSecret').filter((c) => c.metadata.name !== 'valkey-sessions').map((c) => [c.metadata.name, [c.data.valueFrom.secretKeyRef.namespace, c.matchNamespace]]));
    expect(copies).toEqual({ 'pgcluster-app': ['default', ['^production$']], 'pg-app-staging': ['default', ['^staging$']] });
    expect(find(tree, 'NetworkPolicy', 'production', 'api')!.spec.egress[1].to).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'default' } }, podSelector: { matchLabels: { 'cnpg.io/cluster': 'pgcluster' } } },
    ]);
  });

  it('gives several databases one owner when each says sharedOwner, with one Secret for the role', () => {
    const tree = render(adopting((c) => {
      c.postgres.servers = [{ name: 'main' }];
      c.postgres.databases = [
        { name: 'orders', server: 'main', owner: 'shop', sharedOwner: true },
        { name: 'billing', server: 'main', owner: 'shop', sharedOwner: true },
      ];
      c.apps[1].database = 'orders';
      c.apps[1].stages = ['production'];
      c.apps[2].database = 'billing';
    }));
    expect(find(tree, 'Cluster', 'databases', 'main')!.spec.managed.roles.map((r: { name: string; passwordSecret: { name: string } }) => [r.name, r.passwordSecret.name])).toEqual([
      ['shop', 'pg-role-shop'],
    ]);
    expect(objectsOf(tree, 'StringSecret').filter((s) => s.metadata.namespace === 'databases').map((s) => [s.metadata.name, s.spec.data])).toEqual([
      ['pg-role-shop', { username: 'shop' }],
    ]);
    expect(objectsOf(tree, 'Database').map((d) => [d.metadata.name, d.spec.owner]).sort()).toEqual([['billing', 'shop'], ['orders', 'shop']]);
    expect(envOf(tree, 'production', 'worker')).toMatchObject({ PGDATABASE: 'billing', PGUSER: { secretKeyRef: { name: 'pg-role-shop', key: 'username' } } });
    // Only one of them saying so is still the mistake it always was.
    const one = adopting((c) => {
      c.postgres.servers = [{ name: 'main' }];
      c.postgres.databases = [{ name: 'orders', server: 'main', owner: 'shop', sharedOwner: true }, { name: 'billing', server: 'main', owner: 'shop' }];
      c.apps[1].database = 'orders';
    });
    expect(configIssues(one)).toEqual([
      {
        path: 'postgres.databases[1].owner',
        message: 'owner "shop" already owns postgres.databases[0] on server "main"',
        hint: 'give each database its own owner (each one gets its own generated password), or state sharedOwner: true on every database of that owner',
      },
    ]);
  });
});

describe('importing databases into a new server (initdb.import)', () => {
  const importing = (imported: Record<string, unknown>) =>
    adopting((c) => {
      c.postgres.servers = [{ name: 'main', initdb: { import: { source: { host: 'old-db.example.org' }, ...imported } } }];
      c.postgres.databases = [{ name: 'app', server: 'main' }];
    });

  it('renders the import, its external cluster and the ExternalSecret of its password, as the CRD accepts them', async () => {
    const tree = render(importing({ type: 'monolith', databases: ['app', 'reports'], roles: ['reporting'] }));
    const spec = find(tree, 'Cluster', 'databases', 'main')!.spec;
    expect(spec.bootstrap).toEqual({
      initdb: { import: { type: 'monolith', databases: ['app', 'reports'], roles: ['reporting'], source: { externalCluster: 'main-import' } } },
    });
    expect(spec.externalClusters).toEqual([
      {
        name: 'main-import',
        connectionParameters: { host: 'old-db.example.org', port: '5432', user: 'postgres', dbname: 'postgres', sslmode: 'require' },
        password: { name: 'pg-import-main', key: 'password' },
      },
    ]);
    expect(find(tree, 'ExternalSecret', 'databases', 'pg-import-main')!.spec.data).toEqual([{ secretKey: 'password', remoteRef: { key: 'pg-import-main', property: 'password' } }]);
    const component = tree.components.find((c) => c.id === 'cloudnative-pg')!;
    expect(component.secrets.map((s) => [s.name, s.keys.map((k) => k.key)])).toContainEqual(['pg-import-main', ['password']]);
    expect(await customResourceProblems(tree.objects.filter((o) => o.object.kind === 'Cluster'))).toEqual([]);
  });

  it('refuses what the CloudNativePG webhook would refuse, and an import without external-secrets', () => {
    expect(configIssues(importing({ databases: ['app', 'reports'], roles: ['reporting'] }))).toEqual([
      {
        path: 'postgres.servers[0].initdb.import.databases',
        message: 'a microservice import copies exactly one database, named without "*"; got "app", "reports"',
        hint: 'name the one database to copy into the server\'s initdb database, or use type: "monolith" to copy several with their roles',
      },
      { path: 'postgres.servers[0].initdb.import.roles', message: 'a microservice import copies no roles', hint: 'remove roles, or use type: "monolith"' },
    ]);
    expect(configIssues(importing({ type: 'monolith', databases: ['*', 'app'] }))).toEqual([
      { path: 'postgres.servers[0].initdb.import.databases', message: '"*" (every database) cannot be listed beside other names', hint: 'give either ["*"] or the names' },
    ]);
    const withoutEso = importing({ databases: ['app'] });
    delete withoutEso.components['external-secrets'];
    expect(configIssues(withoutEso)).toContainEqual({
      path: 'postgres.servers[0].initdb.import',
      message: 'needs the "external-secrets" component, which brings the import source\'s password next to the server, but it is not enabled',
      hint: 'enable it with components: { "external-secrets": {} }, or remove this declaration',
    });
  });
});
