import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems, valuesValidator } from '../../../test/upstream.ts';
import { cloudnativePg, postgresHost } from './index.ts';

const registry = testRegistry(cloudnativePg);
const base = { 'secret-generator': {} };
const backup = { destinationPath: 's3://pg-backups/mswa', endpointURL: 'https://js2.jetstream-cloud.org:8001' };
/** What backups need besides: the plugin (which needs cert-manager) and the bucket keys through external-secrets. */
const withBackup = { 'barman-cloud': {}, 'cert-manager': { acmeEmail: 'ops@example.org' }, 'external-secrets': {}, ...base };

const find = (tree: RenderedTree, kind: string, name: string) =>
  tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object as Record<string, any> | undefined;
const application = (tree: RenderedTree) => find(tree, 'Application', 'cloudnative-pg')!;
const kinds = (tree: RenderedTree) =>
  tree.objects.filter((o) => o.owner === 'cloudnative-pg').map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort();

function issuesOf(components: Record<string, unknown>, change: (c: Record<string, any>) => void = () => {}): ConfigIssue[] {
  const config = clusterWith(components);
  change(config);
  return rejectionOf(config, registry);
}

/**
 * Two servers, four databases: two owned by roles named after them, and `media` owning one database on
 * each server (an owner is per server: one on two servers is two roles, each with its own password).
 */
const twoServers = (c: Record<string, any>) => {
  c.postgres = {
    servers: [
      { name: 'main', instances: 2, storageClass: 'fast', dataSize: '20Gi', walSize: '5Gi' },
      { name: 'analytics' },
    ],
    databases: [
      { name: 'mswa', server: 'main' },
      { name: 'videos', server: 'main', owner: 'media' },
      { name: 'thumbnails', server: 'analytics', owner: 'media' },
      { name: 'events', server: 'analytics' },
    ],
  };
  c.apps = [];
};

describe('cloudnative-pg', () => {
  it('pins the operator chart from charts.json, into cnpg-system, with its CRDs', async () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base });
    const fact = (await chartFacts()).find((f) => f.component === 'cloudnative-pg')!;
    const app = application(tree);
    expect(app.spec.destination.namespace).toBe('cnpg-system');
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(app.spec.sources[0]).toEqual({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'cloudnative-pg', valuesObject: { crds: { create: true }, monitoring: { podMonitorEnabled: false } } },
    });
    expect(app.spec.sources[1].path).toBe('rendered/manifests/cloudnative-pg');
  });

  it('renders a Cluster per server with separate data and WAL volumes, resources and one owner role per database', () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base }, twoServers);
    expect(kinds(tree)).toEqual([
      'Cluster/analytics',
      'Cluster/main',
      'Database/events',
      'Database/mswa',
      'Database/thumbnails',
      'Database/videos',
      'Namespace/databases',
      'StringSecret/pg-events',
      'StringSecret/pg-mswa',
      'StringSecret/pg-thumbnails',
      'StringSecret/pg-videos',
    ]);
    const main = find(tree, 'Cluster', 'main')!;
    expect(main.metadata.namespace).toBe('databases');
    expect(main.spec).toEqual({
      instances: 2,
      storage: { size: '20Gi', storageClass: 'fast' },
      walStorage: { size: '5Gi', storageClass: 'fast' },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
      managed: {
        roles: [
          { name: 'mswa', ensure: 'present', login: true, connectionLimit: -1, inherit: true, passwordSecret: { name: 'pg-mswa' } },
          { name: 'media', ensure: 'present', login: true, connectionLimit: -1, inherit: true, passwordSecret: { name: 'pg-videos' } },
        ],
      },
    });
    const analytics = find(tree, 'Cluster', 'analytics')!;
    expect(analytics.spec.instances).toBe(1);
    expect(analytics.spec.storage).toEqual({ size: '10Gi' });
    expect(analytics.spec.walStorage).toEqual({ size: '2Gi' });
    expect(analytics.spec.managed.roles).toEqual([
      { name: 'media', ensure: 'present', login: true, connectionLimit: -1, inherit: true, passwordSecret: { name: 'pg-thumbnails' } },
      { name: 'events', ensure: 'present', login: true, connectionLimit: -1, inherit: true, passwordSecret: { name: 'pg-events' } },
    ]);
    expect(analytics.spec.backup).toBeUndefined();
    expect(postgresHost('main')).toBe('main-rw.databases.svc');
  });

  it('renders a Database and generated basic-auth credentials per database, owner defaulting to the name', () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base }, twoServers);
    expect(find(tree, 'Database', 'videos')).toMatchObject({
      apiVersion: 'postgresql.cnpg.io/v1',
      metadata: { name: 'videos', namespace: 'databases' },
      spec: { name: 'videos', owner: 'media', cluster: { name: 'main' }, ensure: 'present', databaseReclaimPolicy: 'retain' },
    });
    expect(find(tree, 'Database', 'events')!.spec).toMatchObject({ owner: 'events', cluster: { name: 'analytics' } });
    expect(find(tree, 'Database', 'thumbnails')!.spec).toMatchObject({ owner: 'media', cluster: { name: 'analytics' } });
    expect(find(tree, 'StringSecret', 'pg-videos')).toMatchObject({
      metadata: { name: 'pg-videos', namespace: 'databases' },
      spec: {
        forceRegenerate: false,
        type: 'kubernetes.io/basic-auth',
        data: { username: 'media' },
        fields: [{ fieldName: 'password', encoding: 'base64url', length: '32' }],
      },
    });
    expect(find(tree, 'StringSecret', 'pg-mswa')!.spec.data).toEqual({ username: 'mswa' });
    for (const { object } of tree.objects) expect(object.kind).not.toBe('Secret');
  });

  it('renders nothing in the databases namespace when no server or database is declared', () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base }, (c) => {
      c.postgres = { servers: [], databases: [] };
      c.apps = [];
    });
    expect(kinds(tree)).toEqual([]);
    expect(application(tree).spec.sources).toHaveLength(1);
  });

  it('with backup: each server archives through the Barman Cloud plugin (backup.test.ts has the details), needs barman-cloud and external-secrets', () => {
    const tree = renderWith(registry, { 'cloudnative-pg': { backup }, ...withBackup }, twoServers);
    expect(find(tree, 'Cluster', 'main')!.spec.backup).toBeUndefined();
    expect(find(tree, 'Cluster', 'main')!.spec.plugins).toEqual([
      { name: 'barman-cloud.cloudnative-pg.io', enabled: true, isWALArchiver: true, parameters: { barmanObjectName: 'main', serverName: 'main' } },
    ]);
    expect(kinds(tree).filter((k) => /ObjectStore|ScheduledBackup|ExternalSecret/.test(k))).toEqual([
      'ExternalSecret/postgres-backup-s3',
      'ObjectStore/analytics',
      'ObjectStore/main',
      'ScheduledBackup/analytics',
      'ScheduledBackup/main',
    ]);
    const component = tree.components.find((c) => c.id === 'cloudnative-pg')!;
    expect(component.needs).toEqual(['barman-cloud', 'external-secrets', 'secret-generator']);
    expect(component.secrets.map((s) => [s.name, s.keys.map((k) => k.key)])).toEqual([
      ['postgres-backup-s3', ['accessKeyId', 'secretAccessKey']],
    ]);
    expect(component.health.filter((h) => h.blame).map((h) => `${h.kind}/${h.name}:${h.blame}`)).toEqual([
      'ObjectStore/main:barman-cloud',
      'ObjectStore/analytics:barman-cloud',
      'Secret/pg-mswa:secret-generator',
      'Secret/pg-videos:secret-generator',
      'Secret/pg-thumbnails:secret-generator',
      'Secret/pg-events:secret-generator',
      'ExternalSecret/postgres-backup-s3:external-secrets',
    ]);
  });

  it('without backup: no backup objects, no secret inputs, and external-secrets is not needed', () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base });
    const component = tree.components.find((c) => c.id === 'cloudnative-pg')!;
    expect(component.needs).toEqual(['secret-generator']);
    expect(component.secrets).toEqual([]);
    expect(kinds(tree).filter((k) => /ScheduledBackup|ExternalSecret/.test(k))).toEqual([]);
    expect(component.health.map((h) => `${h.kind}/${h.name}`)).toEqual([
      'Deployment/cloudnative-pg',
      'Cluster/main',
      'Database/app',
      'Secret/pg-app',
    ]);
  });

  it('with monitoring: the operator PodMonitor through the chart; no server PodMonitor without alerting', async () => {
    const tree = renderWith(registry, { 'cloudnative-pg': { monitoring: true, resources: { cpu: '1', memory: '2Gi' } }, ...base }, twoServers);
    expect(application(tree).spec.sources[0].helm.valuesObject.monitoring).toEqual({ podMonitorEnabled: true });
    expect(tree.objects.some((o) => o.object.kind === 'PodMonitor')).toBe(false);
    expect(find(tree, 'Cluster', 'main')!.spec.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } });
  });

  it('with alerting (grafana): a PodMonitor per server labelled for the cluster\'s Prometheus, checked by doctor, and its rules', async () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base, 'argo-cd': {}, 'external-secrets': {}, grafana: {} }, twoServers);
    const podMonitor = find(tree, 'PodMonitor', 'main')!;
    expect(podMonitor).toMatchObject({
      metadata: { namespace: 'databases', labels: { release: 'magnum' } },
      spec: { selector: { matchLabels: { 'cnpg.io/cluster': 'main' } }, podTargetLabels: ['cnpg.io/cluster'], podMetricsEndpoints: [{ port: 'metrics' }] },
    });
    expect(await customResourceProblems(tree.objects.filter((o) => o.object.kind === 'PodMonitor'))).toEqual([]);
    const component = tree.components.find((c) => c.id === 'cloudnative-pg')!;
    expect(component.health.filter((h) => h.kind === 'PodMonitor').map((h) => `${h.namespace}/${h.name}`)).toEqual(['databases/main', 'databases/analytics']);
    // Without backups, no backup or archiving rule: nothing would feed them.
    expect(component.alerts.map((r) => r.uid)).toEqual([
      'plinth-postgres-down', 'plinth-postgres-replication-lag', 'plinth-postgres-volume-full', 'plinth-postgres-volume-filling',
    ]);
    expect(component.alerts.find((r) => r.uid === 'plinth-postgres-volume-full')!.query).toContain('persistentvolumeclaim=~"(main|analytics)-[0-9]+(-wal)?"');
  });

  it('renders custom resources that pass the upstream CRDs, in every option combination', { timeout: 120_000 }, async () => {
    for (const options of [{}, { backup }, { backup: { destinationPath: 's3://pg-archive/x', schedule: '0 30 1 * * 0', retentionPolicy: '4w' }, monitoring: true }]) {
      const tree = renderWith(registry, { 'cloudnative-pg': options, ...withBackup }, twoServers);
      expect(await customResourceProblems(tree.objects)).toEqual([]);
    }
  });

  it('the CRD check catches a wrong field (it can fail)', { timeout: 120_000 }, async () => {
    const tree = renderWith(registry, { 'cloudnative-pg': {}, ...base });
    const cluster = structuredClone(tree.objects.find((o) => o.object.kind === 'Cluster')!);
    (cluster.object.spec as any).walStorage.sizee = '1Gi';
    expect((await customResourceProblems([cluster])).join()).toContain('/spec/walStorage must NOT have additional properties');
  });

  it("renders Helm values the chart's values schema accepts, and the schema rejects a wrong one", { timeout: 120_000 }, async () => {
    const validate = await valuesValidator('cloudnative-pg-values.schema.json');
    for (const monitoring of [false, true]) {
      const values = application(renderWith(registry, { 'cloudnative-pg': { monitoring }, ...base })).spec.sources[0].helm.valuesObject;
      expect(validate(values) ? [] : validate.errors).toEqual([]);
      expect(validate({ ...values, crds: { create: 'yes' } })).toBe(false);
    }
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ 'cloudnative-pg': { backup: { destinationPath: 'https://bucket' } }, 'external-secrets': {}, ...base })).toEqual([
      { path: 'components["cloudnative-pg"].backup.destinationPath', message: '"https://bucket" must be an S3 URL such as "s3://postgres-backups/mswa"' },
    ]);
    expect(
      issuesOf({ 'cloudnative-pg': { backup: { ...backup, schedule: '0 3 * * *', retentionPolicy: '30 days' } }, 'external-secrets': {}, ...base }),
    ).toEqual([
      { path: 'components["cloudnative-pg"].backup.schedule', message: '"0 3 * * *" must have six cron fields, seconds first, e.g. "0 0 3 * * *"' },
      { path: 'components["cloudnative-pg"].backup.retentionPolicy', message: '"30 days" must be a number followed by d, w or m, e.g. "30d"' },
    ]);
    expect(issuesOf({ 'cloudnative-pg': { resources: { memory: 'lots' } }, ...base })).toEqual([
      { path: 'components["cloudnative-pg"].resources.memory', message: '"lots" must be a Kubernetes quantity such as "500m", "256Mi" or "20Gi"' },
    ]);
  });

  it('rejects two databases sharing an owner on one server, since each database generates its owner a password', () => {
    const sharing = (c: Record<string, any>) => {
      twoServers(c);
      c.postgres.databases[2].server = 'main';
    };
    expect(issuesOf({ 'cloudnative-pg': {}, ...base }, sharing)).toEqual([
      {
        path: 'postgres.databases[2].owner',
        message: 'owner "media" already owns postgres.databases[1] on server "main"',
        hint: 'give each database its own owner (each one gets its own generated password), or state sharedOwner: true on every database of that owner',
      },
    ]);
  });

  it('rejects the config when a dependency is disabled, naming it', () => {
    expect(issuesOf({ 'cloudnative-pg': {} })).toEqual([
      {
        path: 'components["cloudnative-pg"]',
        message: '"cloudnative-pg" needs "secret-generator", which is not enabled',
        hint: 'enable it with components: { "secret-generator": {} } or remove "cloudnative-pg"',
      },
    ]);
    expect(issuesOf({ 'cloudnative-pg': { backup }, ...base }).map((i) => i.message)).toEqual([
      '"cloudnative-pg" needs "barman-cloud", which is not enabled',
      '"cloudnative-pg" needs "external-secrets", which is not enabled',
    ]);
  });
});
