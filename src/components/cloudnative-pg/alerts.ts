import type { AlertRule, ScrapeTarget } from '../../core/alerts.ts';
import type { K8sObject } from '../../core/types.ts';

export interface MonitoredServer {
  name: string;
  namespace: string;
}

/**
 * Metrics of each PostgreSQL instance pod, on its `metrics` port (9187) at CloudNativePG 1.30.0:
 * cnpg_collector_up (pkg/management/postgres/webserver/metricserver/pg_collector.go), and the default monitoring
 * queries (config/manager/default-monitoring.yaml: pg_replication lag, pg_stat_archiver times, -1 when never). The
 * Barman Cloud plugin's sidecar adds its backup times on the same endpoint (plugin-barman-cloud v0.13.0
 * internal/cnpgi/instance/metrics.go): the operator's own cnpg_collector_last_available_backup_timestamp stays 0
 * for plugin backups (pkg/management/postgres/backup.go).
 */
export const UP = 'cnpg_collector_up';
export const REPLICATION_LAG = 'cnpg_pg_replication_lag';
export const LAST_ARCHIVED = 'cnpg_pg_stat_archiver_last_archived_time';
export const LAST_FAILED_ARCHIVAL = 'cnpg_pg_stat_archiver_last_failed_time';
export const LAST_BACKUP = 'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp';

/**
 * A PodMonitor per server, as CloudNativePG's docs/src/monitoring.md recommends now that the Cluster's
 * spec.monitoring.enablePodMonitor is deprecated (api/v1/cluster_types.go): the instance pods carry
 * `cnpg.io/cluster: <server>`, and the label travels with each series so rules can name the server.
 */
export function postgresTargets(servers: MonitoredServer[], backups: boolean, labels: Record<string, string>): ScrapeTarget[] {
  return servers.map((server) => {
    const podMonitor: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: server.name, namespace: server.namespace, labels },
      spec: {
        selector: { matchLabels: { 'cnpg.io/cluster': server.name } },
        podTargetLabels: ['cnpg.io/cluster'],
        podMetricsEndpoints: [{ port: 'metrics' }],
      },
    };
    return {
      id: `postgres-${server.name}`,
      description: `PostgreSQL server ${server.name}'s instances`,
      metrics: [UP, REPLICATION_LAG, LAST_ARCHIVED, LAST_FAILED_ARCHIVAL, ...(backups ? [LAST_BACKUP] : [])],
      objects: [podMonitor],
      check: {
        description: `PodMonitor: Prometheus scrapes PostgreSQL server ${server.name}`,
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        name: server.name,
        namespace: server.namespace,
      },
    };
  });
}

const oneOf = (values: string[]) => (values.length === 1 ? `"${values[0]}"` : `"${values.join('|')}"`);

export interface PostgresAlertOptions {
  /** Backups and WAL archiving are configured: their rules apply. */
  backups: boolean;
  /** Hours after which the last successful base backup is too old. */
  backupMaxAgeHours: number;
  volumePercent: number;
}

/** The rules a patient-data database needs: down, lagging, its volumes filling, archiving and backups failing. */
export function postgresAlerts(servers: MonitoredServer[], options: PostgresAlertOptions): AlertRule[] {
  if (servers.length === 0) return [];
  // CloudNativePG names an instance's volumes <server>-<n> (data) and <server>-<n>-wal (pkg/specs/pvcs.go).
  const volumes = `namespace=~${oneOf([...new Set(servers.map((s) => s.namespace))])},persistentvolumeclaim=~"(${servers.map((s) => s.name).join('|')})-[0-9]+(-wal)?"`;
  const server = servers[0]!;
  const pod = `${server.name}-1`;
  const instance = `namespace="${server.namespace}",pod="${pod}",cnpg_io_cluster="${server.name}"`;
  const rules: AlertRule[] = [
    {
      uid: 'plinth-postgres-down',
      title: 'PostgreSQL instance down',
      name: 'PostgresInstanceDown',
      group: 'databases',
      query: `min by (namespace, pod) (${UP})`,
      op: 'lt',
      threshold: 1,
      for: '5m',
      severity: 'critical',
      noData: 'NoData',
      noDataWhy: 'every instance exports cnpg_collector_up: no data means the instances or their scrape are gone, which is as bad',
      summary: 'PostgreSQL instance {{ $labels.namespace }}/{{ $labels.pod }} cannot reach its database',
      runbook: 'kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }}; kubectl cnpg status; plinth doctor',
      tests: {
        fires: { series: [{ series: `${UP}{${instance}}`, values: '1 0x10' }], at: '8m', labels: { namespace: server.namespace, pod } },
        silent: { series: [{ series: `${UP}{${instance}}`, values: '1x10' }], at: '8m' },
      },
    },
    {
      uid: 'plinth-postgres-replication-lag',
      title: 'PostgreSQL replica lagging',
      name: 'PostgresReplicationLag',
      group: 'databases',
      query: `max by (namespace, pod) (${REPLICATION_LAG})`,
      op: 'gt',
      threshold: 300,
      for: '10m',
      severity: 'warning',
      noData: 'OK',
      noDataWhy: 'a single-instance server has no replica, so no lag series',
      summary: 'Replica {{ $labels.namespace }}/{{ $labels.pod }} is more than 5 minutes behind its primary',
      runbook: 'a failover now would lose those minutes: check the replica volume, network and the primary WAL rate (kubectl cnpg status)',
      tests: {
        fires: { series: [{ series: `${REPLICATION_LAG}{${instance}}`, values: '600x20' }], at: '15m', labels: { namespace: server.namespace, pod } },
        silent: { series: [{ series: `${REPLICATION_LAG}{${instance}}`, values: '2x20' }], at: '15m' },
      },
    },
    {
      uid: 'plinth-postgres-volume-full',
      title: 'PostgreSQL volume almost full',
      name: 'PostgresVolumeAlmostFull',
      group: 'databases',
      query: `100 * max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${volumes}} / kubelet_volume_stats_capacity_bytes{${volumes}})`,
      op: 'gt',
      threshold: options.volumePercent,
      for: '5m',
      severity: 'critical',
      noData: 'NoData',
      noDataWhy: 'the servers\' volumes are always mounted: no data means the kubelet stats are not scraped, and a filling database volume would go unseen (the seed\'s first incident)',
      summary: `PostgreSQL volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is more than ${options.volumePercent}% full`,
      runbook: 'PostgreSQL stops when data or WAL fills: grow the volume (postgres.servers[].dataSize / walSize, when the StorageClass allows expansion), or check WAL archiving, which frees WAL',
      description: '{{ $labels.persistentvolumeclaim }} is {{ humanize $values.A.Value }}% full.',
      tests: {
        fires: {
          series: [
            { series: `kubelet_volume_stats_used_bytes{namespace="${server.namespace}",persistentvolumeclaim="${server.name}-1-wal"}`, values: '95x10' },
            { series: `kubelet_volume_stats_capacity_bytes{namespace="${server.namespace}",persistentvolumeclaim="${server.name}-1-wal"}`, values: '100x10' },
          ],
          at: '8m',
          labels: { namespace: server.namespace, persistentvolumeclaim: `${server.name}-1-wal` },
        },
        silent: {
          series: [
            { series: `kubelet_volume_stats_used_bytes{namespace="${server.namespace}",persistentvolumeclaim="${server.name}-1"}`, values: '40x10' },
            { series: `kubelet_volume_stats_capacity_bytes{namespace="${server.namespace}",persistentvolumeclaim="${server.name}-1"}`, values: '100x10' },
            // Another app's full volume is the generic volume rule's business, not this one's.
            { series: `kubelet_volume_stats_used_bytes{namespace="${server.namespace}",persistentvolumeclaim="scratch"}`, values: '99x10' },
            { series: `kubelet_volume_stats_capacity_bytes{namespace="${server.namespace}",persistentvolumeclaim="scratch"}`, values: '100x10' },
          ],
          at: '8m',
        },
      },
    },
    {
      uid: 'plinth-postgres-volume-filling',
      title: 'PostgreSQL volume fills within a day',
      name: 'PostgresVolumeFillingUp',
      group: 'databases',
      query: `min by (namespace, persistentvolumeclaim) (predict_linear(kubelet_volume_stats_available_bytes{${volumes}}[6h], 86400))`,
      op: 'lt',
      threshold: 0,
      for: '30m',
      severity: 'critical',
      noData: 'OK',
      noDataWhy: 'the prediction needs hours of history: a new volume has none, and the almost-full rule covers it meanwhile',
      summary: 'PostgreSQL volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} will be full within 24 hours at this rate',
      runbook: 'find what writes (a runaway table, WAL not archived), then grow the volume before it fills',
      tests: {
        // 100 GB free, losing 2 GB a minute.
        fires: {
          series: [{ series: `kubelet_volume_stats_available_bytes{namespace="${server.namespace}",persistentvolumeclaim="${server.name}-1"}`, values: '100000000000-2000000000x45' }],
          at: '45m',
          labels: { namespace: server.namespace, persistentvolumeclaim: `${server.name}-1` },
        },
        silent: {
          series: [{ series: `kubelet_volume_stats_available_bytes{namespace="${server.namespace}",persistentvolumeclaim="${server.name}-1"}`, values: '100000000000-1000x45' }],
          at: '45m',
        },
      },
    },
  ];
  if (!options.backups) return rules;
  return [
    ...rules,
    {
      uid: 'plinth-postgres-archiving-failing',
      title: 'PostgreSQL WAL archiving failing',
      name: 'PostgresWalArchivingFailing',
      group: 'databases',
      // The last attempt failed when the last failure is later than the last success (both -1 when never).
      query: `max by (namespace, pod) (${LAST_FAILED_ARCHIVAL} - ${LAST_ARCHIVED})`,
      op: 'gt',
      threshold: 0,
      for: '10m',
      severity: 'critical',
      noData: 'NoData',
      noDataWhy: 'the primary always reports pg_stat_archiver: no data means it is not scraped, and archiving could fail unseen',
      summary: 'WAL archiving of {{ $labels.namespace }}/{{ $labels.pod }} is failing: point-in-time recovery stops at the last archived segment',
      runbook: 'check the bucket credentials (plinth secrets check postgres-backup-s3) and the ObjectStore; plinth doctor shows the last archiving error',
      tests: {
        fires: {
          series: [
            { series: `${LAST_ARCHIVED}{${instance}}`, values: '1000x15' },
            { series: `${LAST_FAILED_ARCHIVAL}{${instance}}`, values: '1060x15' },
          ],
          at: '12m',
          labels: { namespace: server.namespace, pod },
        },
        silent: {
          series: [
            { series: `${LAST_ARCHIVED}{${instance}}`, values: '1060x15' },
            { series: `${LAST_FAILED_ARCHIVAL}{${instance}}`, values: '-1x15' },
          ],
          at: '12m',
        },
      },
    },
    {
      uid: 'plinth-postgres-backup-stale',
      title: 'PostgreSQL backup too old',
      name: 'PostgresBackupTooOld',
      group: 'databases',
      query: `(time() - max by (namespace, cnpg_io_cluster) (${LAST_BACKUP})) / 3600`,
      op: 'gt',
      threshold: options.backupMaxAgeHours,
      for: '30m',
      severity: 'critical',
      noData: 'NoData',
      noDataWhy: 'every instance serves the plugin\'s backup times: no data means the plugin or the scrape is missing, and backups could stop unseen',
      summary: `The last successful backup of PostgreSQL server {{ $labels.namespace }}/{{ $labels.cnpg_io_cluster }} is more than ${options.backupMaxAgeHours} hours old`,
      runbook: 'kubectl -n {{ $labels.namespace }} get backups; plinth doctor names the last failure; a restore can only reach the last good backup plus archived WAL',
      tests: {
        // promtool's clock starts at 0: a backup at t=0 is 30 h old at 30 h.
        fires: { series: [{ series: `${LAST_BACKUP}{${instance}}`, values: '0x2000' }], at: '30h', labels: { namespace: server.namespace, cnpg_io_cluster: server.name } },
        silent: { series: [{ series: `${LAST_BACKUP}{${instance}}`, values: '0+60x2000' }], at: '30h' },
      },
    },
  ];
}
