import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import type { ConfigIssue } from '../errors.ts';
import { minimalCluster, REPO } from '../../test/helpers.ts';
import { customResourceProblems } from '../../test/upstream.ts';
import { configIssues } from '../../test/components.ts';

/** An ExternalSecret template value rendered by Go's text/template, as external-secrets renders it (test/esotemplate). */
async function goTemplate(template: string, data: Record<string, string>): Promise<string> {
  const child = promisify(execFile)('go', ['run', join(REPO, 'test', 'esotemplate', 'main.go')], { env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '' } });
  child.child.stdin!.end(JSON.stringify({ template, data }));
  return (await child).stdout;
}

const render = (config: Record<string, any>): RenderedTree => renderTree(resolveCluster(config, registry), registry);
const issues = (config: Record<string, any>): ConfigIssue[] => configIssues(config);
const find = (tree: RenderedTree, kind: string, name: string, namespace = 'production') =>
  tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name && o.object.metadata.namespace === namespace)?.object as Record<string, any>;
const envOf = (tree: RenderedTree, app: string) => find(tree, 'Deployment', app).spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
const envMap = (tree: RenderedTree, app: string) => Object.fromEntries(envOf(tree, app).map((e) => [e.name, e.value ?? e.valueFrom]));

/** The seed's team: a front end with a cache URL, an API with a database URL that migrates, a worker in a fixed group. */
function team(change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  config.apps[0].connectionUrls = { cache: 'KV_URL' };
  config.apps[1].connectionUrls = { database: 'DATABASE_URL' };
  config.apps[1].envNames = { KAFKA_BROKERS: 'BROKER_URL', PGUSER: 'DB_USER' };
  config.apps[2].topics.consumerGroup = 'video-workers';
  change(config);
  return config;
}

describe('envNames', () => {
  it('renames generated variables and follows a rename into the $(VAR) references of the others', () => {
    const config = minimalCluster();
    config.apps[1].envNames = { KAFKA_BROKERS: 'BROKER_URL', PGUSER: 'DB_USER' };
    const env = envMap(render(config), 'api');
    expect(Object.keys(env)).toEqual(['PORT', 'PGHOST', 'PGPORT', 'PGDATABASE', 'DB_USER', 'PGPASSWORD', 'DATABASE_URL', 'BROKER_URL', 'KAFKA_PRODUCE_TOPICS']);
    expect(env.DB_USER).toEqual({ secretKeyRef: { name: 'pg-app', key: 'username' } });
    expect(env.DATABASE_URL).toBe('postgresql://$(DB_USER)@main-rw.databases.svc:5432/app');
    expect(env.BROKER_URL).toBe('redpanda.redpanda.svc.cluster.local:9093');
  });

  it('gives a worker no PORT: it listens on none', () => {
    const config = minimalCluster();
    config.apps[2].kind = 'worker';
    expect(Object.keys(envMap(render(config), 'worker'))).toEqual(['KAFKA_BROKERS', 'KAFKA_CONSUME_TOPICS', 'KAFKA_CONSUMER_GROUP']);
  });

  it('refuses a name that is not generated for the app, listing those that are', () => {
    const config = minimalCluster();
    config.apps[1].envNames = { VALKEY_HOST: 'CACHE_HOST' };
    expect(issues(config)).toEqual([
      {
        path: 'apps[1].envNames.VALKEY_HOST',
        message: '"VALKEY_HOST" is not a variable Plinth generates for app "api"',
        hint: 'rename one of PORT, PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, DATABASE_URL, KAFKA_BROKERS, KAFKA_PRODUCE_TOPICS',
      },
    ]);
  });

  it('refuses two variables under one name, an env entry hiding a generated one, and a name that is not a variable name', () => {
    const config = minimalCluster();
    config.apps[1].envNames = { PGHOST: 'DB', PGPORT: 'DB' };
    config.apps[0].env = { VALKEY_HOST: 'elsewhere' };
    expect(issues(config)).toEqual([
      { path: 'apps[0].env.VALKEY_HOST', message: '"VALKEY_HOST" is already set by Plinth (the generated VALKEY_HOST)', hint: 'rename the generated variable with envNames, or drop this one' },
      { path: 'apps[1].envNames.PGHOST', message: '"DB" would name two generated variables', hint: 'give each variable its own name' },
      { path: 'apps[1].envNames.PGPORT', message: '"DB" would name two generated variables', hint: 'give each variable its own name' },
    ]);
    const bad = minimalCluster();
    bad.apps[1].envNames = { PGHOST: 'db-host' };
    expect(issues(bad).map((i) => [i.path, i.message])).toEqual([
      ['apps[1].envNames.PGHOST', '"db-host" must be an environment variable name (letters, digits and "_", not starting with a digit)'],
    ]);
  });
});

describe('connectionUrls', () => {
  const tree = render(team());

  it('hands the app each URL from the Secret built in the cluster, instead of the URL without the password', () => {
    const api = envMap(tree, 'api');
    expect(api.DATABASE_URL).toEqual({ secretKeyRef: { name: 'api-connections', key: 'DATABASE_URL' } });
    expect(envOf(tree, 'api').filter((e) => e.name === 'DATABASE_URL')).toHaveLength(1);
    expect(envMap(tree, 'web').KV_URL).toEqual({ secretKeyRef: { name: 'web-connections', key: 'KV_URL' } });
    expect(envMap(tree, 'web').VALKEY_HOST).toBe('valkey-sessions.valkey.svc.cluster.local');
  });

  it('builds the URLs with an ExternalSecret template over the copied database and cache Secrets, escaping the credential', () => {
    expect(find(tree, 'ExternalSecret', 'api-connections').spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: 'api-connections' },
      target: {
        name: 'api-connections',
        creationPolicy: 'Owner',
        template: {
          engineVersion: 'v2',
          data: {
            DATABASE_URL:
              'postgresql://{{ .database_username | urlquery | replace "+" "%20" }}:{{ .database_password | urlquery | replace "+" "%20" }}@main-rw.databases.svc:5432/app',
          },
        },
      },
      data: [
        { secretKey: 'database_username', remoteRef: { key: 'pg-app', property: 'username' } },
        { secretKey: 'database_password', remoteRef: { key: 'pg-app', property: 'password' } },
      ],
    });
    expect(find(tree, 'ExternalSecret', 'web-connections').spec.target.template.data).toEqual({
      KV_URL: 'redis://default:{{ .cache_password | urlquery | replace "+" "%20" }}@valkey-sessions.valkey.svc.cluster.local:6379',
    });
    expect(find(tree, 'ExternalSecret', 'web-connections').spec.data).toEqual([
      { secretKey: 'cache_password', remoteRef: { key: 'valkey-sessions', property: 'password' } },
    ]);
  });

  it('reads the stage namespace with an identity that may get exactly those Secrets, its token minted by the ESO controller only', () => {
    const store = find(tree, 'SecretStore', 'api-connections');
    expect(store.spec.provider.kubernetes).toEqual({
      remoteNamespace: 'production',
      server: { url: 'https://kubernetes.default.svc', caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt' } },
      auth: { serviceAccount: { name: 'api-connections' } },
    });
    expect(find(tree, 'ServiceAccount', 'api-connections').automountServiceAccountToken).toBe(false);
    expect(find(tree, 'Role', 'api-connections').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['pg-app'], verbs: ['get'] },
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['api-connections'], verbs: ['create'] },
    ]);
    expect(find(tree, 'RoleBinding', 'api-connections')).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'api-connections' },
      subjects: [
        { kind: 'ServiceAccount', name: 'api-connections', namespace: 'production' },
        { kind: 'ServiceAccount', name: 'external-secrets', namespace: 'external-secrets' },
      ],
    });
  });

  it('gives URLs a client decodes back to the exact credential, whatever characters it holds (Go text/template, as ESO runs it)', { timeout: 120_000 }, async () => {
    const template = (name: string, key: string) => find(tree, 'ExternalSecret', name).spec.target.template.data[key] as string;
    const password = 'p@ss w/rd:+%?#&=~ü';
    const database = new URL(await goTemplate(template('api-connections', 'DATABASE_URL'), { database_username: 'app', database_password: password }));
    expect([database.protocol, decodeURIComponent(database.username), decodeURIComponent(database.password), database.host, database.pathname]).toEqual([
      'postgresql:', 'app', password, 'main-rw.databases.svc:5432', '/app',
    ]);
    const cache = new URL(await goTemplate(template('web-connections', 'KV_URL'), { cache_password: password }));
    expect([cache.username, decodeURIComponent(cache.password), cache.hostname, cache.port]).toEqual(['default', password, 'valkey-sessions.valkey.svc.cluster.local', '6379']);
    // A generated (base64url) password needs no escaping at all.
    expect(await goTemplate(template('web-connections', 'KV_URL'), { cache_password: 'Ab-_09' })).toContain('default:Ab-_09@');
  });

  it("lists the objects in the stage's kustomization, so they reach the cluster with the stage", () => {
    const kustomization = parse(tree.files.get('workloads/api/stages/production/kustomization.yaml')!);
    expect(kustomization.resources).toEqual(
      expect.arrayContaining([
        'externalsecret-api-connections.yaml',
        'role-api-connections.yaml',
        'rolebinding-api-connections.yaml',
        'secretstore-api-connections.yaml',
        'serviceaccount-api-connections.yaml',
      ]),
    );
    expect(tree.objects.filter((o) => o.object.metadata.name?.startsWith('worker-connections'))).toEqual([]);
  });

  it('writes no credential into the tree', () => {
    for (const [file, content] of tree.files) {
      if (!file.includes('connections')) continue;
      expect(content).not.toMatch(/password:\s*\S|kind: Secret\n/);
    }
  });

  it('builds the URLs before a migration runs: as PreSync hooks of an earlier wave, their Secret outliving each re-creation', () => {
    const migrating = render(team((c) => (c.apps[1].migrate = { command: ['npm', 'run', 'db:migrate'] })));
    const objects = migrating.objects.filter((o) => o.object.metadata.name?.startsWith('api-connections')).map((o) => o.object);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ExternalSecret', 'Role', 'RoleBinding', 'SecretStore', 'ServiceAccount']);
    for (const object of objects) {
      expect(object.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/hook': 'PreSync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        'argocd.argoproj.io/sync-wave': '-1',
      });
    }
    expect(find(migrating, 'ExternalSecret', 'api-connections').spec.target.creationPolicy).toBe('Orphan');
    const job = migrating.objects.find((o) => o.object.kind === 'Job')!.object as any;
    expect(job.spec.template.spec.containers[0].env).toContainEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'api-connections', key: 'DATABASE_URL' } } });
  });

  it('renders custom resources the upstream external-secrets CRDs accept, and the check can fail', { timeout: 120_000 }, async () => {
    const rendered = tree.objects.filter((o) => o.object.metadata.name?.endsWith('-connections') && o.object.apiVersion.startsWith('external-secrets.io'));
    expect(rendered).toHaveLength(4);
    expect(await customResourceProblems(rendered)).toEqual([]);
    const broken = structuredClone(rendered.find((o) => o.object.kind === 'SecretStore')!);
    (broken.object as any).spec.provider.kubernetes.auth.serviceAccount = { account: 'x' };
    expect((await customResourceProblems([broken])).join()).toMatch(/serviceAccount/);
  });

  it('refuses a URL for what the app does not use, a taken name, and a missing external-secrets', () => {
    const config = team((c) => {
      c.apps[2].connectionUrls = { database: 'DATABASE_URL' };
      c.apps[1].connectionUrls = { database: 'PGHOST' };
    });
    expect(issues(config)).toEqual([
      { path: 'apps[1].connectionUrls.database', message: '"PGHOST" is already the name of a generated variable', hint: 'choose another name, or rename the generated one with envNames' },
      { path: 'apps[2].connectionUrls.database', message: 'a database URL needs the app to use a database', hint: 'declare database: "<name>" on the app, or remove connectionUrls.database' },
    ]);
    const without = team();
    delete without.components['external-secrets'];
    expect(issues(without).filter((i) => i.path.includes('connectionUrls'))).toEqual(
      ['apps[0].connectionUrls.cache', 'apps[1].connectionUrls.database'].map((path) => ({
        path,
        message: 'connection URLs are built by an ExternalSecret, and "external-secrets" is not enabled',
        hint: 'enable it with components: { "external-secrets": {} }, or read the generated variables instead',
      })),
    );
  });
});

describe('topics.consumerGroup', () => {
  it('is the group the app is told and the one KEDA measures lag for', () => {
    const tree = render(team());
    expect(envMap(tree, 'worker').KAFKA_CONSUMER_GROUP).toBe('video-workers');
    expect(find(tree, 'ScaledObject', 'worker').spec.triggers[0].metadata.consumerGroup).toBe('video-workers');
    const defaults = render(minimalCluster());
    expect(envMap(defaults, 'worker').KAFKA_CONSUMER_GROUP).toBe('worker');
    expect(find(defaults, 'ScaledObject', 'worker').spec.triggers[0].metadata.consumerGroup).toBe('worker');
  });

  it('refuses a group for an app that consumes nothing, and an id KEDA or a shell could not carry', () => {
    const config = minimalCluster();
    config.apps[1].topics.consumerGroup = 'api';
    config.apps[2].topics.consumerGroup = 'video workers';
    expect(issues(config).map((i) => [i.path, i.message, i.hint])).toEqual([
      ['apps[2].topics.consumerGroup', '"video workers" must be 1 to 249 letters, digits, ".", "_" or "-"', undefined],
    ]);
    const valid = minimalCluster();
    valid.apps[1].topics.consumerGroup = 'api';
    expect(issues(valid)).toEqual([
      { path: 'apps[1].topics.consumerGroup', message: 'a consumer group without topics to consume', hint: 'list the topics under topics.consume, or remove consumerGroup' },
    ]);
  });
});
