import { z } from 'zod';
import { quantity, type ClusterConfig, type DatabaseConfig, type PostgresServerConfig } from '../../config/schema.ts';
import { DATABASES_NAMESPACE, generatedSecret } from '../../core/conventions.ts';
import { postgresAlerts, postgresTargets } from './alerts.ts';
import { defineComponent, type HealthCheck, type K8sObject } from '../../core/types.ts';
import { serverNamespace, stageDatabases, type StageDatabase } from '../../apps/stage-data.ts';
import { bootstrapSpec, importObjects, importSecretInputs } from './bootstrap.ts';
import { archivingPlugin, backupCredentialsHealth, backupHealth, backupObjects, backupOptions, BACKUP_CREDENTIALS } from './backup.ts';

export { BACKUP_CREDENTIALS };
export const POSTGRES_PORT = 5432;

/** The read-write Service CloudNativePG creates for a server: it always points at the current primary. */
export const postgresHost = (server: string, namespace: string = DATABASES_NAMESPACE): string => `${server}-rw.${namespace}.svc`;

/** The role owning a database: its declared owner, or a role named after the database. */
export const databaseOwner = (database: Pick<DatabaseConfig, 'name' | 'owner'>): string => database.owner ?? database.name;

const options = z.strictObject({
  /** CPU and memory of each PostgreSQL instance: requested, and memory also as the limit. */
  resources: z.strictObject({ cpu: quantity.default('250m'), memory: quantity.default('512Mi') }).prefault({}),
  /**
   * A Prometheus Operator PodMonitor for the operator (needs the monitoring.coreos.com CRDs). The servers' own
   * PodMonitors come with alerting: when grafana collects alerts, each server is scraped for its rules (alerts.ts).
   */
  monitoring: z.boolean().default(false),
  /** Continuous WAL archiving and scheduled base backups to S3-compatible object storage. */
  backup: backupOptions.optional(),
});

type Options = z.output<typeof options>;

function ownerRoles(databases: StageDatabase[]) {
  const roles = new Map<string, { name: string; ensure: string; login: boolean; connectionLimit: number; inherit: boolean; passwordSecret: { name: string } }>();
  for (const database of databases) {
    const owner = database.owner;
    // One role per owner: the config allows a shared owner only when every database of it says sharedOwner, and then
    // they share one Secret. The initdb owner is CloudNativePG's own (its password in `<server>-app`): left alone.
    if (!roles.has(owner) && !database.initdbOwner)
      // connectionLimit and inherit are the CRD's defaults (postgresql.cnpg.io_clusters.yaml, spec.managed.roles[]),
      // stated so that the list Argo CD compares is the list the API server keeps: no drift in any diff mode.
      roles.set(owner, { name: owner, ensure: 'present', login: true, connectionLimit: -1, inherit: true, passwordSecret: { name: database.secret } });
  }
  return [...roles.values()];
}

function postgresCluster(server: PostgresServerConfig, cluster: ClusterConfig, options: Options): K8sObject {
  const volume = (size: string) => ({ size, ...(server.storageClass && { storageClass: server.storageClass }) });
  const roles = ownerRoles(stageDatabases(cluster).filter((db) => db.server === server.name));
  const { resources, backup } = options;
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: server.name, namespace: serverNamespace(server) },
    spec: {
      instances: server.instances,
      ...bootstrapSpec(server),
      // The seed keeps data and write-ahead log on two separate volumes.
      storage: volume(server.dataSize),
      walStorage: volume(server.walSize),
      resources: {
        requests: { cpu: resources.cpu, memory: resources.memory },
        limits: { memory: resources.memory },
      },
      ...(roles.length > 0 && { managed: { roles } }),
      ...(backup && { plugins: [archivingPlugin(server.name, backup)] }),
    },
  };
}

function database(db: StageDatabase): K8sObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: { name: db.name, namespace: db.serverNamespace },
    spec: {
      name: db.name,
      owner: db.owner,
      cluster: { name: db.server },
      ensure: 'present',
      // Removing a database from the config stops managing it; dropping it stays a human decision.
      databaseReclaimPolicy: 'retain',
    },
  };
}

/** The servers and where their Clusters live, for their PodMonitors and rules. */
const monitoredServers = (cluster: ClusterConfig) => cluster.postgres.servers.map((server) => ({ name: server.name, namespace: serverNamespace(server) }));
/** A daily base backup (the default schedule) is overdue two hours after the next one was due. */
const BACKUP_MAX_AGE_HOURS = 26;

export const cloudnativePg = defineComponent({
  id: 'cloudnative-pg',
  description: 'CloudNativePG: the PostgreSQL operator, the declared servers, their databases and owner credentials',
  namespace: 'cnpg-system',
  // The Barman Cloud plugin (its ObjectStore CRD and the Service the operator finds it by) comes before the servers naming it.
  needs: (options) => (options.backup ? ['barman-cloud', 'external-secrets', 'secret-generator'] : ['secret-generator']),
  options,
  chart: ({ options }) => ({
    repoURL: 'https://cloudnative-pg.github.io/charts',
    chart: 'cloudnative-pg',
    version: '0.29.0',
    releaseName: 'cloudnative-pg',
    values: {
      crds: { create: true },
      monitoring: { podMonitorEnabled: options.monitoring },
    },
  }),
  resources: ({ cluster, options }) => {
    const { servers, databases } = cluster.postgres;
    if (servers.length === 0 && databases.length === 0) return [];
    // An adopted server stays in its own namespace, which Plinth neither renders nor owns.
    const objects: K8sObject[] = servers.some((server) => server.namespace === undefined)
      ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DATABASES_NAMESPACE } }]
      : [];
    for (const server of servers) {
      objects.push(postgresCluster(server, cluster, options), ...importObjects(server, serverNamespace(server)));
    }
    const secrets = new Set<string>();
    for (const db of stageDatabases(cluster)) {
      objects.push(database(db));
      // A shared owner's databases share its one Secret; the initdb owner's is CloudNativePG's.
      if (db.initdbOwner || secrets.has(`${db.serverNamespace}/${db.secret}`)) continue;
      secrets.add(`${db.serverNamespace}/${db.secret}`);
      objects.push(
        generatedSecret({
          name: db.secret,
          namespace: db.serverNamespace,
          type: 'kubernetes.io/basic-auth',
          data: { username: db.owner },
          generate: { password: 32 },
        }),
      );
    }
    if (options.backup) objects.push(...backupObjects(servers.map((server) => ({ name: server.name, namespace: serverNamespace(server) })), options.backup));
    return objects;
  },
  secrets: ({ cluster, options }) => [
    ...cluster.postgres.servers.flatMap(importSecretInputs),
    ...(options.backup
      ? [
          {
            name: BACKUP_CREDENTIALS,
            keys: [
              { key: 'accessKeyId', description: 'S3 access key id with read and write access to the backup bucket' },
              { key: 'secretAccessKey', description: 'the matching S3 secret access key' },
            ],
            purpose: `lets CloudNativePG archive WAL and base backups to ${options.backup.destinationPath}`,
            howToGet:
              'Jetstream2: `openstack ec2 credentials create` prints `access` and `secret`; create the bucket with `aws s3api --endpoint https://js2.jetstream-cloud.org:8001 create-bucket --bucket <name>` and use that endpoint as backup.endpointURL',
          },
        ]
      : []),
  ],
  health: ({ cluster, options, namespace }) => {
    const checks: HealthCheck[] = [
      { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cloudnative-pg', namespace },
    ];
    for (const server of cluster.postgres.servers) {
      checks.push({ description: `PostgreSQL server ${server.name}`, apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: server.name, namespace: serverNamespace(server) });
      if (options.backup) checks.push(...backupHealth(server.name, serverNamespace(server)));
    }
    for (const db of stageDatabases(cluster)) {
      checks.push(
        { description: `database ${db.name}`, apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', name: db.name, namespace: db.serverNamespace },
        {
          description: `credentials of database ${db.name}`,
          apiVersion: 'v1',
          kind: 'Secret',
          name: db.secret,
          namespace: db.serverNamespace,
          blame: db.initdbOwner ? 'cloudnative-pg' : 'secret-generator',
        },
      );
    }
    if (options.backup)
      for (const namespace of new Set(cluster.postgres.servers.map(serverNamespace))) checks.push(backupCredentialsHealth(namespace));
    return checks;
  },
  alerts: ({ cluster, options }) =>
    postgresAlerts(monitoredServers(cluster), { backups: options.backup !== undefined, backupMaxAgeHours: BACKUP_MAX_AGE_HOURS, volumePercent: 80 }),
  scrapeTargets: ({ cluster, options, monitoring }) => postgresTargets(monitoredServers(cluster), options.backup !== undefined, monitoring?.labels ?? {}),
});
