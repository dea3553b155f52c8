import { z } from 'zod';
import { quantity, type ClusterConfig, type DatabaseConfig, type PostgresServerConfig } from '../../config/schema.ts';
import { DATABASES_NAMESPACE, databaseSecretName, generatedSecret } from '../../core/conventions.ts';
import { postgresAlerts, postgresTargets } from './alerts.ts';
import { defineComponent, type HealthCheck, type K8sObject } from '../../core/types.ts';
import { archivingPlugin, backupCredentialsHealth, backupHealth, backupObjects, backupOptions, BACKUP_CREDENTIALS } from './backup.ts';

export { BACKUP_CREDENTIALS };
export const POSTGRES_PORT = 5432;

/** The read-write Service CloudNativePG creates for a server: it always points at the current primary. */
export const postgresHost = (server: string): string => `${server}-rw.${DATABASES_NAMESPACE}.svc`;

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

function ownerRoles(databases: DatabaseConfig[]) {
  const roles = new Map<string, { name: string; ensure: string; login: boolean; connectionLimit: number; inherit: boolean; passwordSecret: { name: string } }>();
  for (const database of databases) {
    const owner = databaseOwner(database);
    // The config rejects two databases with one owner on a server, so each role belongs to one database.
    if (!roles.has(owner))
      // connectionLimit and inherit are the CRD's defaults (postgresql.cnpg.io_clusters.yaml, spec.managed.roles[]),
      // stated so that the list Argo CD compares is the list the API server keeps: no drift in any diff mode.
      roles.set(owner, { name: owner, ensure: 'present', login: true, connectionLimit: -1, inherit: true, passwordSecret: { name: databaseSecretName(database.name) } });
  }
  return [...roles.values()];
}

function postgresCluster(server: PostgresServerConfig, cluster: ClusterConfig, options: Options): K8sObject {
  const volume = (size: string) => ({ size, ...(server.storageClass && { storageClass: server.storageClass }) });
  const roles = ownerRoles(cluster.postgres.databases.filter((db) => db.server === server.name));
  const { resources, backup } = options;
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: server.name, namespace: DATABASES_NAMESPACE },
    spec: {
      instances: server.instances,
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

function database(db: DatabaseConfig): K8sObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: { name: db.name, namespace: DATABASES_NAMESPACE },
    spec: {
      name: db.name,
      owner: databaseOwner(db),
      cluster: { name: db.server },
      ensure: 'present',
      // Removing a database from the config stops managing it; dropping it stays a human decision.
      databaseReclaimPolicy: 'retain',
    },
  };
}

/** The servers and where their Clusters live, for their PodMonitors and rules. */
const monitoredServers = (cluster: ClusterConfig) => cluster.postgres.servers.map((server) => ({ name: server.name, namespace: DATABASES_NAMESPACE }));
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
    const objects: K8sObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DATABASES_NAMESPACE } }];
    for (const server of servers) {
      objects.push(postgresCluster(server, cluster, options));
    }
    for (const db of databases) {
      objects.push(
        database(db),
        generatedSecret({
          name: databaseSecretName(db.name),
          namespace: DATABASES_NAMESPACE,
          type: 'kubernetes.io/basic-auth',
          data: { username: databaseOwner(db) },
          generate: { password: 32 },
        }),
      );
    }
    if (options.backup) objects.push(...backupObjects(servers.map((server) => ({ name: server.name, namespace: DATABASES_NAMESPACE })), options.backup));
    return objects;
  },
  secrets: ({ options }) =>
    options.backup
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
      : [],
  health: ({ cluster, options, namespace }) => {
    const checks: HealthCheck[] = [
      { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cloudnative-pg', namespace },
    ];
    for (const server of cluster.postgres.servers) {
      checks.push({ description: `PostgreSQL server ${server.name}`, apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: server.name, namespace: DATABASES_NAMESPACE });
      if (options.backup) checks.push(...backupHealth(server.name, DATABASES_NAMESPACE));
    }
    for (const db of cluster.postgres.databases) {
      checks.push(
        { description: `database ${db.name}`, apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', name: db.name, namespace: DATABASES_NAMESPACE },
        {
          description: `credentials of database ${db.name}`,
          apiVersion: 'v1',
          kind: 'Secret',
          name: databaseSecretName(db.name),
          namespace: DATABASES_NAMESPACE,
          blame: 'secret-generator',
        },
      );
    }
    if (options.backup && cluster.postgres.servers.length > 0) checks.push(backupCredentialsHealth(DATABASES_NAMESPACE));
    return checks;
  },
  alerts: ({ cluster, options }) =>
    postgresAlerts(monitoredServers(cluster), { backups: options.backup !== undefined, backupMaxAgeHours: BACKUP_MAX_AGE_HOURS, volumePercent: 80 }),
  scrapeTargets: ({ cluster, options, monitoring }) => postgresTargets(monitoredServers(cluster), options.backup !== undefined, monitoring?.labels ?? {}),
});
