// Backups of the PostgreSQL servers through the Barman Cloud plugin (plugin-barman-cloud v0.13.0, chart
// plugin-barman-cloud 0.7.0; component barman-cloud), which replaces the Cluster's in-tree
// `spec.backup.barmanObjectStore`, deprecated since CloudNativePG 1.26. Per server: an ObjectStore, the Cluster's
// `spec.plugins` entry, a ScheduledBackup with `method: plugin`. And the pure mapping from an ObjectStore to the
// barman-cloud command lines the plugin runs, which the backup/restore integration test runs for real.
import { z } from 'zod';
import { formatPath } from '../../config/paths.ts';
import { externalSecret } from '../../core/conventions.ts';
import type { ConfigIssue } from '../../errors.ts';
import type { HealthCheck, K8sObject } from '../../core/types.ts';

/** Secret input holding the S3 keys of the backup bucket, and the Secret it becomes beside each server. */
export const BACKUP_CREDENTIALS = 'postgres-backup-s3';
/** Keys of that Secret, as the ObjectStore names them. */
export const BACKUP_CREDENTIAL_KEYS = { accessKeyId: 'accessKeyId', secretAccessKey: 'secretAccessKey' } as const;

/** The plugin's name, as its Service label `cnpg.io/pluginName` announces it (chart templates/service.yaml). */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

const serverName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: 'must be a lowercase name such as "main-2"' });

export const backupOptions = z.strictObject({
  /** Bucket and prefix; each server writes under `<destinationPath>/<server>/`. */
  destinationPath: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, { error: 'must be an S3 URL such as "s3://postgres-backups/mswa"' }),
  /** S3-compatible endpoint (e.g. OpenStack Swift's S3 API); omit for AWS S3. */
  endpointURL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of the S3 endpoint' }).optional(),
  /** Base backup schedule: six cron fields, seconds first (CloudNativePG's format). WAL is archived continuously. */
  schedule: z
    .string()
    .regex(/^\S+(\s+\S+){5}$/, { error: 'must have six cron fields, seconds first, e.g. "0 0 3 * * *"' })
    .default('0 0 3 * * *'),
  /** How long backups and WAL are kept: a number and d, w or m (the ObjectStore's retentionPolicy pattern). */
  retentionPolicy: z
    .string()
    .regex(/^[1-9][0-9]*[dwm]$/, { error: 'must be a number followed by d, w or m, e.g. "30d"' })
    .default('30d'),
  /** Compression of WAL files and of base backups (the ObjectStore CRD's enums for wal and data). */
  compression: z
    .strictObject({
      wal: z.enum(['bzip2', 'gzip', 'lz4', 'snappy', 'xz', 'zstd']).default('gzip'),
      data: z.enum(['bzip2', 'gzip', 'lz4', 'snappy']).default('gzip'),
    })
    .prefault({}),
  /**
   * The folder a server archives to under destinationPath, when it is not the server's name: after a restore in
   * place (`plinth db restore main --archive-as main-2`), the restored server writes a new folder, because
   * CloudNativePG refuses to archive into one that already holds WAL.
   */
  serverNames: z.record(serverName, serverName).default({}),
});

export type BackupOptions = z.output<typeof backupOptions>;

/** The folder under destinationPath where a server's WAL and base backups are. */
export const archiveName = (server: string, backup: BackupOptions): string => backup.serverNames[server] ?? server;

/**
 * The server's ObjectStore (barmancloud.cnpg.io/v1, plugin-barman-cloud api/v1/objectstore_types.go, whose
 * `configuration` is barman-cloud's BarmanObjectStoreConfiguration: pkg/api/config.go).
 */
export function objectStore(server: string, namespace: string, backup: BackupOptions): K8sObject {
  return {
    apiVersion: 'barmancloud.cnpg.io/v1',
    kind: 'ObjectStore',
    metadata: { name: server, namespace },
    spec: {
      retentionPolicy: backup.retentionPolicy,
      configuration: {
        destinationPath: backup.destinationPath,
        ...(backup.endpointURL && { endpointURL: backup.endpointURL }),
        s3Credentials: {
          accessKeyId: { name: BACKUP_CREDENTIALS, key: BACKUP_CREDENTIAL_KEYS.accessKeyId },
          secretAccessKey: { name: BACKUP_CREDENTIALS, key: BACKUP_CREDENTIAL_KEYS.secretAccessKey },
        },
        wal: { compression: backup.compression.wal },
        data: { compression: backup.compression.data },
      },
    },
  };
}

/**
 * The Cluster's `spec.plugins` entry: the plugin archives WAL (isWALArchiver) to the ObjectStore named by
 * `barmanObjectName`, under the folder `serverName` (plugin internal/cnpgi/operator/config/config.go NewFromCluster
 * reads both parameters; without serverName it uses the Cluster's name). `enabled` is the CRD default, stated so
 * the live object equals the rendered one.
 */
export function archivingPlugin(server: string, backup: BackupOptions, archive = archiveName(server, backup)) {
  return {
    name: BARMAN_CLOUD_PLUGIN,
    enabled: true,
    isWALArchiver: true,
    parameters: { barmanObjectName: server, serverName: archive },
  };
}

/** Base backups on the schedule, taken by the plugin (ScheduledBackup `method: plugin`, `pluginConfiguration.name`). */
export function scheduledBackup(server: string, namespace: string, backup: BackupOptions): K8sObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: { name: server, namespace },
    spec: {
      cluster: { name: server },
      schedule: backup.schedule,
      method: 'plugin',
      pluginConfiguration: { name: BARMAN_CLOUD_PLUGIN },
      immediate: true,
      backupOwnerReference: 'self',
    },
  };
}

/** The bucket keys copied from the secret input into a namespace holding servers (one per namespace). */
export function backupCredentials(namespace: string): K8sObject {
  return externalSecret({
    name: BACKUP_CREDENTIALS,
    namespace,
    keys: Object.values(BACKUP_CREDENTIAL_KEYS).map((key) => ({ secretKey: key, input: BACKUP_CREDENTIALS, key })),
  });
}

/** Everything backups add beside the servers: per server an ObjectStore and a ScheduledBackup, per namespace the keys. */
export function backupObjects(servers: { name: string; namespace: string }[], backup: BackupOptions): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const server of servers) objects.push(objectStore(server.name, server.namespace, backup), scheduledBackup(server.name, server.namespace, backup));
  for (const namespace of [...new Set(servers.map((s) => s.namespace))].sort()) objects.push(backupCredentials(namespace));
  return objects;
}

/** What doctor finds per server (src/health/backups.ts reads archiving, backup age and failures from them). */
export function backupHealth(server: string, namespace: string): HealthCheck[] {
  return [
    { description: `object store of ${server}`, apiVersion: 'barmancloud.cnpg.io/v1', kind: 'ObjectStore', name: server, namespace, blame: 'barman-cloud' },
    { description: `scheduled backups of ${server}`, apiVersion: 'postgresql.cnpg.io/v1', kind: 'ScheduledBackup', name: server, namespace },
  ];
}

export function backupCredentialsHealth(namespace: string): HealthCheck {
  return {
    description: `backup bucket credentials in ${namespace}`,
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    name: BACKUP_CREDENTIALS,
    namespace,
    blame: 'external-secrets',
  };
}

/** The part of an ObjectStore's configuration the barman-cloud command lines depend on. */
export interface StoreConfiguration {
  destinationPath: string;
  endpointURL?: string;
  s3Credentials?: { accessKeyId?: { name: string; key: string }; secretAccessKey?: { name: string; key: string } };
  wal?: { compression?: string };
  data?: { compression?: string };
}

/**
 * The barman-cloud command lines the plugin runs for an ObjectStore and an archive folder, argument for argument, as
 * github.com/cloudnative-pg/barman-cloud (the version plugin-barman-cloud v0.13.0 pins, bd68198c31dc) builds them:
 * - wal-archive: pkg/archiver/command.go BarmanCloudWalArchiveOptions (compression, endpoint, provider, path, server),
 *   then the WAL file (pkg/archiver/archiver.go);
 * - backup: pkg/backup/backup.go GetBarmanCloudBackupOptions (`--user postgres --name`, data compression, endpoint,
 *   provider, path, server); the instance's libpq environment says where PostgreSQL listens;
 * - backup-list: pkg/command/backuplist.go executeQueryCommand (`--format json`, endpoint, provider, path, server);
 * - restore: plugin internal/cnpgi/restore/restore.go restoreDataDir (provider, endpoint, path, server, backup id, PGDATA);
 * - wal-restore: pkg/command/commandbuilder.go CloudWalRestoreOptions (endpoint, provider, path, server), then
 *   the WAL name and destination (pkg/restorer/restorer.go Restore).
 * `--cloud-provider aws-s3` comes from s3Credentials (commandbuilder.go appendCloudProviderOptions).
 */
export function barmanCloudCommands(store: StoreConfiguration, server: string) {
  const endpoint = store.endpointURL ? ['--endpoint-url', store.endpointURL] : [];
  const provider = store.s3Credentials ? ['--cloud-provider', 'aws-s3'] : [];
  const location = [store.destinationPath, server];
  const walCompression = store.wal?.compression ? [`--${store.wal.compression}`] : [];
  const dataCompression = store.data?.compression ? [`--${store.data.compression}`] : [];
  return {
    walArchive: (walPath: string) => ['barman-cloud-wal-archive', ...walCompression, ...endpoint, ...provider, ...location, walPath],
    backup: (name: string) => ['barman-cloud-backup', '--user', 'postgres', '--name', name, ...dataCompression, ...endpoint, ...provider, ...location],
    backupList: () => ['barman-cloud-backup-list', '--format', 'json', ...endpoint, ...provider, ...location],
    restore: (backupId: string, pgdata: string) => ['barman-cloud-restore', ...provider, ...endpoint, ...location, backupId, pgdata],
    walRestore: (walName: string, destination: string) => ['barman-cloud-wal-restore', ...endpoint, ...provider, ...location, walName, destination],
  };
}

/**
 * The environment the plugin gives those commands: the S3 keys read from the Secrets the ObjectStore names
 * (barman-cloud pkg/credentials/env.go envSetAWSCredentials, extractValueFromSecret), failing as it fails when a
 * Secret or key is missing. `secrets` maps Secret name to its data.
 */
export function barmanCloudEnvironment(store: StoreConfiguration, secrets: Record<string, Record<string, string>>): Record<string, string> {
  const credentials = store.s3Credentials;
  if (!credentials) throw new Error('missing S3 credentials');
  const value = (ref: { name: string; key: string } | undefined, what: string): string => {
    if (!ref) throw new Error(`missing ${what}`);
    const secret = secrets[ref.name];
    if (!secret) throw new Error(`while getting secret ${ref.name}: not found`);
    const found = secret[ref.key];
    if (found === undefined) throw new Error(`missing key ${ref.key}, inside secret ${ref.name}`);
    return found;
  };
  return {
    AWS_ACCESS_KEY_ID: value(credentials.accessKeyId, 'access key ID'),
    AWS_SECRET_ACCESS_KEY: value(credentials.secretAccessKey, 'secret access key'),
  };
}

/** The external cluster a recovery reads from: the archive of the server being restored. */
export const recoverySourceName = (server: string): string => `${server}-backup`;

export interface RecoveryRequest {
  /** The rendered Cluster of the server whose backups are restored. */
  cluster: K8sObject;
  /** The name of the Cluster to create; the server's own name to rebuild it in place. */
  as: string;
  /** The folder under destinationPath the server archived to. */
  archivedAs: string;
  /** The folder the recovered Cluster archives to: never the one it recovers from. */
  archiveAs: string;
  /** Point in time to recover to (RFC 3339); the end of the archive when absent. */
  toTime?: string;
}

/**
 * A Cluster bootstrapped by recovery from a server's ObjectStore, as the plugin documents it: `bootstrap.recovery.source`
 * names an `externalClusters` entry whose `plugin` points at the ObjectStore (`barmanObjectName`) and the archive folder
 * (`serverName`; plugin config.go getRecoveryParameters, CloudNativePG v1.30 api/v1 BootstrapRecovery, ExternalCluster,
 * RecoveryTarget.targetTime). The recovered Cluster keeps archiving to the same ObjectStore, in its own folder.
 */
export function recoveryCluster(request: RecoveryRequest): K8sObject {
  const { cluster } = request;
  const server = cluster.metadata.name;
  const { bootstrap: _bootstrap, externalClusters: _external, plugins: _plugins, ...spec } = (cluster.spec ?? {}) as Record<string, unknown>;
  const source = recoverySourceName(server);
  return {
    apiVersion: cluster.apiVersion,
    kind: cluster.kind,
    // The rendered labels (managed-by plinth, component) keep it Plinth's; the rendered annotations are Argo CD's sync options.
    metadata: {
      name: request.as,
      ...(cluster.metadata.namespace && { namespace: cluster.metadata.namespace }),
      ...(cluster.metadata.labels && { labels: { ...cluster.metadata.labels } }),
    },
    spec: {
      ...spec,
      bootstrap: { recovery: { source, ...(request.toTime && { recoveryTarget: { targetTime: request.toTime } }) } },
      // enabled and isWALArchiver are the CRD defaults the API server fills in: stated, so the live object is the printed one.
      externalClusters: [
        { name: source, plugin: { name: BARMAN_CLOUD_PLUGIN, enabled: true, isWALArchiver: false, parameters: { barmanObjectName: server, serverName: request.archivedAs } } },
      ],
      plugins: [{ name: BARMAN_CLOUD_PLUGIN, enabled: true, isWALArchiver: true, parameters: { barmanObjectName: server, serverName: request.archiveAs } }],
    },
  };
}

const TARGET_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * A recovery target time as PostgreSQL and CloudNativePG both read it, from RFC 3339 (a zone is required: a time
 * without one would be read in the server's zone). PostgreSQL refuses a zone abbreviation such as `Z` in
 * recovery_target_time (measured with postgres 15: "invalid value for parameter"), and CloudNativePG passes a value it
 * cannot parse as RFC 3339 through unchanged (pkg/utils/time.go ConvertToPostgresFormat) while ParseTargetTime accepts
 * `YYYY-MM-DD HH24:MI:SS.FF6TZH:TZM`: so the offset is written as digits. Undefined when the text is not such a time.
 */
export function postgresTargetTime(text: string): string | undefined {
  const match = TARGET_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, date, time, fraction = '', zone] = match;
  const [year, month, day] = date!.split('-').map(Number);
  const [hours, minutes, seconds] = time!.split(':').map(Number);
  const probe = new Date(Date.UTC(year!, month! - 1, day!, hours, minutes, seconds));
  if (probe.getUTCDate() !== day || probe.getUTCMonth() !== month! - 1 || hours! > 23 || minutes! > 59 || seconds! > 59) return undefined;
  const digits = zone!.toUpperCase() === 'Z' ? '+0000' : zone!.replace(':', '').padEnd(5, '0');
  return `${date} ${time}.${fraction.padEnd(6, '0')}${digits.slice(0, 3)}:${digits.slice(3)}`;
}

/**
 * What the options alone cannot check: every `serverNames` entry names a declared server, and no two servers archive
 * to one folder (each server's WAL would land among the other's, and the second one's archiving is refused).
 */
export function backupIssues(config: { components: Record<string, { options: Record<string, unknown> } | undefined>; postgres: { servers: { name: string }[] } }): ConfigIssue[] {
  const backup = config.components['cloudnative-pg']?.options.backup as BackupOptions | undefined;
  if (!backup) return [];
  const issues: ConfigIssue[] = [];
  const servers = config.postgres.servers.map((s) => s.name);
  const at = (server: string) => formatPath(['components', 'cloudnative-pg', 'backup', 'serverNames', server]);
  for (const server of Object.keys(backup.serverNames))
    if (!servers.includes(server))
      issues.push({ path: at(server), message: `names no server of postgres.servers`, hint: servers.length > 0 ? `the servers are: ${servers.join(', ')}` : 'declare the server in postgres.servers' });
  const folders = new Map<string, string>();
  for (const server of servers) {
    const folder = archiveName(server, backup);
    const other = folders.get(folder);
    if (other !== undefined)
      issues.push({
        path: backup.serverNames[server] !== undefined ? at(server) : at(other),
        message: `servers "${other}" and "${server}" would both archive to ${backup.destinationPath.replace(/\/$/, '')}/${folder}`,
        hint: 'give each server its own folder',
      });
    else folders.set(folder, server);
  }
  return issues;
}
