// Doctor's backup checks, per PostgreSQL server that archives through the Barman Cloud plugin: WAL archiving works,
// the last successful base backup is recent enough for its schedule, and the last failure with its message. They
// read what CloudNativePG and the plugin write: the Cluster's conditions ContinuousArchiving and LastBackupSucceeded
// (CloudNativePG api/v1 cluster_types.go ConditionContinuousArchiving, ConditionBackup), the ObjectStore's
// status.serverRecoveryWindow[serverName] (plugin api/v1 objectstore_types.go RecoveryWindow), the Backup objects'
// phase, stoppedAt and error (postgresql.cnpg.io_backups.yaml), and the ScheduledBackup's schedule times.
import type { K8sObject } from '../core/types.ts';
import type { DoctorCheck } from './doctor.ts';
import type { Snapshot } from './snapshot.ts';

const CNPG = 'postgresql.cnpg.io/v1';
const PLUGIN = 'barman-cloud.cloudnative-pg.io';
const HOUR = 3_600_000;
/** A base backup may be this late after its scheduled time before doctor says so (a backup takes a while). */
const GRACE = HOUR;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

const conditionOf = (object: K8sObject | undefined, type: string): Condition | undefined =>
  ((object?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
const time = (value: unknown): number | undefined => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? Date.parse(value) : undefined);

export function describeAge(ms: number): string {
  if (ms < HOUR) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (ms < 48 * HOUR) return `${Math.round(ms / HOUR)} h`;
  return `${Math.round(ms / (24 * HOUR))} days`;
}

/** The server a rendered ObjectStore serves: the Cluster whose WAL-archiver plugin entry names it, and its archive folder. */
function archivingCluster(store: K8sObject, rendered: K8sObject[]): { cluster: K8sObject; serverName: string } | undefined {
  for (const object of rendered) {
    if (object.kind !== 'Cluster' || object.metadata.namespace !== store.metadata.namespace) continue;
    const plugins = ((object.spec as { plugins?: { name: string; isWALArchiver?: boolean; parameters?: Record<string, string> }[] }).plugins ?? []);
    const entry = plugins.find((p) => p.name === PLUGIN && p.isWALArchiver && p.parameters?.barmanObjectName === store.metadata.name);
    if (entry) return { cluster: object, serverName: entry.parameters?.serverName ?? object.metadata.name };
  }
  return undefined;
}

/** How often base backups are due: between the last and next scheduled times CloudNativePG reports, else a day. */
function interval(scheduled: K8sObject | undefined): number {
  const status = (scheduled?.status ?? {}) as { lastScheduleTime?: string; nextScheduleTime?: string };
  const last = time(status.lastScheduleTime);
  const next = time(status.nextScheduleTime);
  return last !== undefined && next !== undefined && next > last ? next - last : 24 * HOUR;
}

interface BackupRun {
  name: string;
  phase: string;
  at: number;
  error?: string;
}

function backupRuns(backups: K8sObject[], cluster: string, namespace: string | undefined): BackupRun[] {
  return backups
    .filter((b) => b.metadata.namespace === namespace && (b.spec as { cluster?: { name?: string } } | undefined)?.cluster?.name === cluster)
    .map((b) => {
      const status = (b.status ?? {}) as { phase?: string; stoppedAt?: string; startedAt?: string; error?: string };
      const at = time(status.stoppedAt) ?? time(status.startedAt) ?? time(b.metadata.creationTimestamp) ?? 0;
      return { name: b.metadata.name, phase: status.phase ?? '', at, ...(status.error && { error: status.error }) };
    })
    .sort((a, b) => a.at - b.at);
}

export function backupChecks(rendered: K8sObject[], snapshot: Snapshot): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const now = snapshot.now.getTime();
  for (const store of rendered.filter((o) => o.kind === 'ObjectStore')) {
    const served = archivingCluster(store, rendered);
    if (!served) continue;
    const { name, namespace } = served.cluster.metadata;
    const ref = `Cluster/${namespace}/${name}`;
    const logs = `kubectl -n ${namespace} logs -l cnpg.io/cluster=${name} --all-containers --tail=50`;
    const liveCluster = snapshot.get(CNPG, 'Cluster', name, namespace);
    if (!liveCluster) {
      checks.push({ name: `backups of ${name}`, ref, status: 'skip', message: `the Cluster ${name} does not exist yet: see its own check` });
      continue;
    }

    const archiving = conditionOf(liveCluster, 'ContinuousArchiving');
    if (archiving?.status === 'True') checks.push({ name: `${name}: WAL archiving`, ref, status: 'pass', message: archiving.message || 'continuous archiving is working' });
    else if (archiving?.status === 'False')
      checks.push({
        name: `${name}: WAL archiving`,
        ref,
        status: 'fail',
        message: `WAL archiving fails${archiving.lastTransitionTime ? ` since ${archiving.lastTransitionTime}` : ''}: ${archiving.message || archiving.reason || 'no message'}`,
        hint: `the WAL piles up on the server's volume until archiving works again: check the bucket keys (plinth secrets check postgres-backup-s3), the endpoint and bucket of ObjectStore ${namespace}/${store.metadata.name}, then ${logs}`,
      });
    else checks.push({ name: `${name}: WAL archiving`, ref, status: 'warn', message: 'no WAL segment archived yet (no ContinuousArchiving condition)', hint: logs });

    const runs = backupRuns(snapshot.list(CNPG, 'Backup'), name, namespace);
    const liveStore = snapshot.get(store.apiVersion, 'ObjectStore', store.metadata.name, namespace);
    const window = ((liveStore?.status as { serverRecoveryWindow?: Record<string, { lastSuccessfulBackupTime?: string; lastFailedBackupTime?: string }> } | undefined)
      ?.serverRecoveryWindow ?? {})[served.serverName];
    const completed = runs.filter((r) => r.phase === 'completed');
    const failed = runs.filter((r) => r.phase === 'failed');
    const lastSuccess = Math.max(-Infinity, ...[time(window?.lastSuccessfulBackupTime), completed.at(-1)?.at].filter((t): t is number => t !== undefined));
    const every = interval(snapshot.get(CNPG, 'ScheduledBackup', name, namespace));
    const schedule = `base backups are due every ${describeAge(every)}`;
    if (lastSuccess === -Infinity) {
      checks.push({
        name: `${name}: last base backup`,
        ref,
        status: failed.length > 0 ? 'fail' : 'warn',
        message: failed.length > 0 ? 'no base backup has ever succeeded' : 'no base backup has completed yet',
        hint: `kubectl -n ${namespace} get backups.postgresql.cnpg.io; ${logs}`,
      });
    } else {
      const age = now - lastSuccess;
      const at = new Date(lastSuccess).toISOString();
      const status = age > 2 * every + GRACE ? 'fail' : age > every + GRACE ? 'warn' : 'pass';
      checks.push({
        name: `${name}: last base backup`,
        ref,
        status,
        message: `the last successful base backup finished ${describeAge(age)} ago (${at}); ${schedule}`,
        ...(status !== 'pass' && {
          hint: `backups are stale: check the ScheduledBackup ${namespace}/${name} (kubectl -n ${namespace} describe scheduledbackup ${name}) and the latest Backup objects; take one now with kubectl cnpg backup ${name} -n ${namespace} --method plugin --plugin-name ${PLUGIN}`,
        }),
      });
    }

    // The last failure: a Backup that failed, or the ObjectStore's lastFailedBackupTime, or the Cluster's LastBackupSucceeded.
    const lastFailure = failed.at(-1);
    const backupCondition = conditionOf(liveCluster, 'LastBackupSucceeded');
    const failedAt = Math.max(lastFailure?.at ?? -Infinity, time(window?.lastFailedBackupTime) ?? -Infinity);
    const message = lastFailure?.error ?? (backupCondition?.status === 'False' ? backupCondition.message : undefined) ?? 'no message recorded';
    if (failedAt === -Infinity && backupCondition?.status !== 'False')
      checks.push({ name: `${name}: backup failures`, ref, status: 'pass', message: 'no failed backup on record' });
    else if (failedAt > lastSuccess || backupCondition?.status === 'False')
      checks.push({
        name: `${name}: backup failures`,
        ref: lastFailure ? `Backup/${namespace}/${lastFailure.name}` : ref,
        status: 'fail',
        message: `the last backup failed${failedAt > -Infinity ? ` at ${new Date(failedAt).toISOString()}` : ''}: ${message}`,
        hint: `fix the cause, then take a backup: kubectl cnpg backup ${name} -n ${namespace} --method plugin --plugin-name ${PLUGIN}; ${logs}`,
      });
    else
      checks.push({
        name: `${name}: backup failures`,
        ref,
        status: 'pass',
        message: `a later backup succeeded after the last failure (${new Date(failedAt).toISOString()}: ${message})`,
      });
  }
  return checks;
}
