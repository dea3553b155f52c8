import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import { clusterWith, rejectionOf, renderWith, testRegistry } from '../../../test/components.ts';
import { chartFacts, customResourceProblems, valuesValidator } from '../../../test/upstream.ts';
import { barmanCloud } from '../barman-cloud/index.ts';
import { barmanCloudCommands, barmanCloudEnvironment, postgresTargetTime, recoveryCluster, type StoreConfiguration } from './backup.ts';
import { cloudnativePg } from './index.ts';

const registry = testRegistry(cloudnativePg, barmanCloud);
const backup = { destinationPath: 's3://pg-backups/mswa', endpointURL: 'https://js2.jetstream-cloud.org:8001' };
const components = (options: Record<string, unknown>) => ({
  'cloudnative-pg': { backup: { ...backup, ...options } },
  'barman-cloud': {},
  'cert-manager': { acmeEmail: 'ops@example.org' },
  'external-secrets': {},
  'secret-generator': {},
});
const twoServers = (c: Record<string, any>) => {
  c.postgres = { servers: [{ name: 'main' }, { name: 'analytics' }], databases: [{ name: 'mswa', server: 'main' }] };
  c.apps = [];
};
const find = (tree: RenderedTree, kind: string, name: string) =>
  tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object as Record<string, any>;

describe('cloudnative-pg backups through the Barman Cloud plugin', () => {
  const tree = renderWith(registry, components({}), twoServers);

  it('renders an ObjectStore per server: bucket path, S3 endpoint, keys from the declared secret input, gzip for WAL and data, retention', () => {
    expect(find(tree, 'ObjectStore', 'main')).toEqual({
      apiVersion: 'barmancloud.cnpg.io/v1',
      kind: 'ObjectStore',
      metadata: expect.objectContaining({ name: 'main', namespace: 'databases' }),
      spec: {
        retentionPolicy: '30d',
        configuration: {
          destinationPath: 's3://pg-backups/mswa',
          endpointURL: 'https://js2.jetstream-cloud.org:8001',
          s3Credentials: {
            accessKeyId: { name: 'postgres-backup-s3', key: 'accessKeyId' },
            secretAccessKey: { name: 'postgres-backup-s3', key: 'secretAccessKey' },
          },
          wal: { compression: 'gzip' },
          data: { compression: 'gzip' },
        },
      },
    });
    // The Secret the ObjectStore reads holds exactly the keys it names, copied from the secret input.
    expect(find(tree, 'ExternalSecret', 'postgres-backup-s3').spec.data).toEqual([
      { secretKey: 'accessKeyId', remoteRef: { key: 'postgres-backup-s3', property: 'accessKeyId' } },
      { secretKey: 'secretAccessKey', remoteRef: { key: 'postgres-backup-s3', property: 'secretAccessKey' } },
    ]);
  });

  it('has each Cluster archive WAL through the plugin into its own folder, and schedules plugin base backups', () => {
    expect(find(tree, 'Cluster', 'analytics').spec.plugins).toEqual([
      { name: 'barman-cloud.cloudnative-pg.io', enabled: true, isWALArchiver: true, parameters: { barmanObjectName: 'analytics', serverName: 'analytics' } },
    ]);
    expect(find(tree, 'ScheduledBackup', 'analytics').spec).toEqual({
      cluster: { name: 'analytics' },
      schedule: '0 0 3 * * *',
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      immediate: true,
      backupOwnerReference: 'self',
    });
  });

  it('takes compression, retention and a restored server\'s archive folder from the options', () => {
    const custom = renderWith(registry, components({ compression: { wal: 'zstd', data: 'bzip2' }, retentionPolicy: '8w', serverNames: { main: 'main-2' } }), twoServers);
    const store = find(custom, 'ObjectStore', 'main').spec;
    expect([store.retentionPolicy, store.configuration.wal, store.configuration.data]).toEqual(['8w', { compression: 'zstd' }, { compression: 'bzip2' }]);
    expect(find(custom, 'Cluster', 'main').spec.plugins[0].parameters).toEqual({ barmanObjectName: 'main', serverName: 'main-2' });
    expect(find(custom, 'Cluster', 'analytics').spec.plugins[0].parameters).toEqual({ barmanObjectName: 'analytics', serverName: 'analytics' });
  });

  it('renders objects the pinned CNPG and barman-cloud CRDs accept, and the check catches a wrong field', { timeout: 120_000 }, async () => {
    const custom = renderWith(registry, components({ compression: { wal: 'xz', data: 'snappy' }, serverNames: { main: 'main-2' } }), twoServers);
    for (const t of [tree, custom]) expect(await customResourceProblems(t.objects.filter((o) => o.owner === 'cloudnative-pg'))).toEqual([]);
    const store = structuredClone(tree.objects.find((o) => o.object.kind === 'ObjectStore')!);
    (store.object.spec as any).configuration.wal.compression = 'brotli';
    (store.object.spec as any).retentionPolicy = '30 days';
    const problems = (await customResourceProblems([store])).join('\n');
    expect(problems).toContain('/spec/configuration/wal/compression must be equal to one of the allowed values');
    expect(problems).toContain('/spec/retentionPolicy must match pattern');
  });

  it('rejects bad backup options with their path', () => {
    const config = clusterWith(components({ compression: { wal: 'brotli' }, serverNames: { main: 'Main_2' } }));
    expect(rejectionOf(config, registry).map((i) => i.path)).toEqual([
      'components["cloudnative-pg"].backup.compression.wal',
      'components["cloudnative-pg"].backup.serverNames.main',
    ]);
  });

  it('installs the plugin chart pinned in charts.json into the operator namespace, after cert-manager and before the servers', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'barman-cloud')!;
    const app = find(tree, 'Application', 'barman-cloud');
    expect(app.spec.destination.namespace).toBe('cnpg-system');
    expect(app.spec.sources[0]).toMatchObject({ repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version });
    const validate = await valuesValidator('barman-cloud-values.schema.json');
    const values = app.spec.sources[0].helm.valuesObject;
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...values, crds: { create: 'yes' } })).toBe(false);
    const wave = (id: string) => Number(find(tree, 'Application', id).metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave('cert-manager')).toBeLessThan(wave('barman-cloud'));
    expect(wave('barman-cloud')).toBeLessThan(wave('cloudnative-pg'));
  });
});

describe('barman-cloud command lines from an ObjectStore', () => {
  const store: StoreConfiguration = {
    destinationPath: 's3://pg-backups/mswa',
    endpointURL: 'https://js2.jetstream-cloud.org:8001',
    s3Credentials: { accessKeyId: { name: 'postgres-backup-s3', key: 'accessKeyId' }, secretAccessKey: { name: 'postgres-backup-s3', key: 'secretAccessKey' } },
    wal: { compression: 'gzip' },
    data: { compression: 'bzip2' },
  };

  it('builds each command as the plugin does, in its argument order', () => {
    const commands = barmanCloudCommands(store, 'main');
    const tail = ['--endpoint-url', 'https://js2.jetstream-cloud.org:8001', '--cloud-provider', 'aws-s3', 's3://pg-backups/mswa', 'main'];
    expect(commands.walArchive('pg_wal/000000010000000000000001')).toEqual(['barman-cloud-wal-archive', '--gzip', ...tail, 'pg_wal/000000010000000000000001']);
    expect(commands.backup('nightly')).toEqual(['barman-cloud-backup', '--user', 'postgres', '--name', 'nightly', '--bzip2', ...tail]);
    expect(commands.backupList()).toEqual(['barman-cloud-backup-list', '--format', 'json', ...tail]);
    expect(commands.restore('20261206T030904', '/pgdata')).toEqual([
      'barman-cloud-restore', '--cloud-provider', 'aws-s3', '--endpoint-url', 'https://js2.jetstream-cloud.org:8001', 's3://pg-backups/mswa', 'main', '20261206T030904', '/pgdata',
    ]);
    expect(commands.walRestore('000000010000000000000002', '/pgdata/pg_wal/RECOVERYXLOG')).toEqual([
      'barman-cloud-wal-restore', ...tail, '000000010000000000000002', '/pgdata/pg_wal/RECOVERYXLOG',
    ]);
  });

  it('leaves out what the store does not set (AWS S3 itself, no compression)', () => {
    const commands = barmanCloudCommands({ destinationPath: 's3://b/p', s3Credentials: {} }, 'main');
    expect(commands.walArchive('w')).toEqual(['barman-cloud-wal-archive', '--cloud-provider', 'aws-s3', 's3://b/p', 'main', 'w']);
  });

  it('reads the S3 keys from the Secret the store names, and fails as the plugin fails on a missing key', () => {
    const secret = { accessKeyId: 'AKID', secretAccessKey: 'shh' };
    expect(barmanCloudEnvironment(store, { 'postgres-backup-s3': secret })).toEqual({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'shh' });
    expect(() => barmanCloudEnvironment(store, { 'postgres-backup-s3': { accessKeyID: 'AKID', secretAccessKey: 'shh' } })).toThrow(
      'missing key accessKeyId, inside secret postgres-backup-s3',
    );
    expect(() => barmanCloudEnvironment(store, {})).toThrow('while getting secret postgres-backup-s3');
  });
});

describe('recovery Cluster', () => {
  const tree = renderWith(registry, components({}), twoServers);
  const cluster = tree.objects.find((o) => o.object.kind === 'Cluster' && o.object.metadata.name === 'main')!.object;

  it('bootstraps from the server\'s ObjectStore and archive folder, to a point in time, archiving to a new folder', async () => {
    const recovered = recoveryCluster({ cluster, as: 'main-restored', archivedAs: 'main', archiveAs: 'main-restored', toTime: '2026-12-06T03:10:00Z' });
    expect(recovered.metadata).toEqual({ name: 'main-restored', namespace: 'databases', labels: { 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'cloudnative-pg' } });
    const spec = recovered.spec as Record<string, any>;
    expect(spec.bootstrap).toEqual({ recovery: { source: 'main-backup', recoveryTarget: { targetTime: '2026-12-06T03:10:00Z' } } });
    expect(spec.externalClusters).toEqual([
      { name: 'main-backup', plugin: { name: 'barman-cloud.cloudnative-pg.io', enabled: true, isWALArchiver: false, parameters: { barmanObjectName: 'main', serverName: 'main' } } },
    ]);
    expect(spec.plugins).toEqual([
      { name: 'barman-cloud.cloudnative-pg.io', enabled: true, isWALArchiver: true, parameters: { barmanObjectName: 'main', serverName: 'main-restored' } },
    ]);
    expect(spec.storage).toEqual((cluster.spec as any).storage);
    expect(spec.walStorage).toEqual((cluster.spec as any).walStorage);
    expect(await customResourceProblems([{ file: 'recovery', object: recovered }])).toEqual([]);
  });

  it('recovers to the end of the archive without a target', () => {
    const recovered = recoveryCluster({ cluster, as: 'main', archivedAs: 'main', archiveAs: 'main-2' });
    expect((recovered.spec as any).bootstrap).toEqual({ recovery: { source: 'main-backup' } });
  });
});

describe('recovery target time', () => {
  it('writes RFC 3339 as PostgreSQL reads recovery_target_time: microseconds and a numeric offset', () => {
    expect(postgresTargetTime('2026-12-06T03:17:28.583435Z')).toBe('2026-12-06 03:17:28.583435+00:00');
    expect(postgresTargetTime('2026-12-06T03:17:28+02:00')).toBe('2026-12-06 03:17:28.000000+02:00');
    expect(postgresTargetTime('2026-12-06 03:17:28.5-0530')).toBe('2026-12-06 03:17:28.500000-05:30');
    expect(postgresTargetTime('2026-12-06 03:17:28+01')).toBe('2026-12-06 03:17:28.000000+01:00');
  });

  it('refuses a time without a zone, an impossible date and other text', () => {
    for (const bad of ['2026-12-06T03:17:28', '2026-02-30T00:00:00Z', '2026-12-06T24:00:00Z', 'yesterday', '1733455048'])
      expect(postgresTargetTime(bad), bad).toBeUndefined();
  });
});

describe('backup options checked against the servers', () => {
  it('refuses a serverNames entry for no server, and two servers archiving to one folder', () => {
    const config = clusterWith(components({ serverNames: { mian: 'main-2', analytics: 'main' } }));
    twoServers(config);
    expect(rejectionOf(config, registry)).toEqual([
      { path: 'components["cloudnative-pg"].backup.serverNames.mian', message: 'names no server of postgres.servers', hint: 'the servers are: main, analytics' },
      {
        path: 'components["cloudnative-pg"].backup.serverNames.analytics',
        message: 'servers "main" and "analytics" would both archive to s3://pg-backups/mswa/main',
        hint: 'give each server its own folder',
      },
    ]);
  });
});
