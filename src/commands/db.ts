import {
  BARMAN_CLOUD_PLUGIN,
  postgresTargetTime,
  recoveryCluster,
  type StoreConfiguration,
} from '../components/cloudnative-pg/backup.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { PlinthError, UsageError } from '../errors.ts';
import { KubeError, type ConnectOptions } from '../kube/client.ts';
import type { LiveContext } from './live.ts';
import { connectEnvironment } from './environment.ts';

export interface DbRestoreOptions extends ConnectOptions {
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  config?: string;
  /** Point in time to recover to, RFC 3339 with a zone; the end of the archive when absent. */
  toTime?: string;
  /** Name of the Cluster to create; the server's own name (rebuild in place) when absent. */
  as?: string;
  /** The folder under the bucket path the restored Cluster archives to; its name when that differs from the source folder. */
  archiveAs?: string;
  /** Create the Cluster on the cluster instead of printing it. */
  apply?: boolean;
}

export interface DbRestoreResult {
  server: string;
  /** The Cluster the restore creates. */
  cluster: { name: string; namespace: string };
  /** Where the backups are read from: the ObjectStore, its bucket path and the archive folder. */
  source: { objectStore: string; destinationPath: string; serverName: string };
  /** The folder the restored Cluster archives to. */
  archivesTo: string;
  /** The recovery target as CloudNativePG gets it; absent: the end of the archive. */
  targetTime?: string;
  object: K8sObject;
  /** The API server it was created on, with --apply. */
  appliedTo?: string;
  /** What the user does next. */
  next: string[];
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/;
const ref = (kind: string, apiVersion: string, name: string, namespace: string) => ({ apiVersion, kind, metadata: { name, namespace } });

/**
 * `plinth db restore SERVER`: a CloudNativePG Cluster bootstrapped by recovery from the server's ObjectStore
 * (components/cloudnative-pg/backup.ts recoveryCluster), printed, or created with --apply. It never touches the
 * server's own Cluster: a restore in place needs the broken one gone first, which stays a human decision.
 */
export async function dbRestore(serverName: string, options: DbRestoreOptions, ctx: LiveContext): Promise<DbRestoreResult> {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const servers = resolved.config.postgres.servers.map((s) => s.name);
  if (!servers.includes(serverName))
    throw new UsageError(
      `no PostgreSQL server "${serverName}" in the config`,
      servers.length > 0 ? `the servers are: ${servers.join(', ')}` : 'the config declares no postgres.servers',
    );
  const tree = renderTree(resolved, ctx.registry);
  const find = (kind: string) => tree.objects.find((o) => o.owner === 'cloudnative-pg' && o.object.kind === kind && o.object.metadata.name === serverName)?.object;
  const cluster = find('Cluster');
  const store = find('ObjectStore');
  const archiving = ((cluster?.spec as { plugins?: { name: string; parameters?: Record<string, string> }[] } | undefined)?.plugins ?? []).find(
    (p) => p.name === BARMAN_CLOUD_PLUGIN,
  );
  if (!cluster || !store || !archiving)
    throw new UsageError(
      `server "${serverName}" has no backups to restore from: components["cloudnative-pg"].backup is not set`,
      'set components["cloudnative-pg"].backup = { destinationPath: "s3://<bucket>/<prefix>", endpointURL: "<S3 endpoint>" } to the bucket the backups are in, and enable components["barman-cloud"]',
    );
  const namespace = cluster.metadata.namespace!;
  const as = options.as ?? serverName;
  if (!NAME.test(as)) throw new UsageError(`--as "${as}" is not a Cluster name`, 'use lowercase letters, digits and "-", at most 50 characters, e.g. --as main-restored');

  const archivedAs = archiving.parameters?.serverName ?? serverName;
  const archiveAs = options.archiveAs ?? (as === archivedAs ? undefined : as);
  const configuration = (store.spec as { configuration: StoreConfiguration }).configuration;
  const folder = (name: string) => `${configuration.destinationPath.replace(/\/$/, '')}/${name}`;
  if (archiveAs === undefined || archiveAs === archivedAs)
    throw new UsageError(
      `the restored server would archive into ${folder(archivedAs)}, the folder it recovers from, and CloudNativePG archives only into an empty one`,
      `name a new folder: --archive-as ${serverName}-2, and set components["cloudnative-pg"].backup.serverNames = { ${serverName}: "${serverName}-2" } so later renders keep archiving there`,
    );
  if (!NAME.test(archiveAs)) throw new UsageError(`--archive-as "${archiveAs}" is not a folder name Plinth accepts`, 'use lowercase letters, digits and "-", e.g. --archive-as main-2');

  let targetTime: string | undefined;
  if (options.toTime !== undefined) {
    targetTime = postgresTargetTime(options.toTime);
    if (!targetTime)
      throw new UsageError(
        `--to-time "${options.toTime}" is not a time with a zone`,
        'give an RFC 3339 time such as 2026-12-06T03:10:00Z or 2026-12-06T04:10:00+01:00 (a time without a zone would be read in the server\'s zone)',
      );
  }

  const object = recoveryCluster({ cluster, as, archivedAs, archiveAs, ...(targetTime && { toTime: targetTime }) });
  const result: DbRestoreResult = {
    server: serverName,
    cluster: { name: as, namespace },
    source: { objectStore: `${namespace}/${store.metadata.name}`, destinationPath: configuration.destinationPath, serverName: archivedAs },
    archivesTo: archiveAs,
    ...(targetTime && { targetTime }),
    object,
    next: [],
  };
  const watch = `kubectl -n ${namespace} get cluster ${as} -w`;
  const keep =
    as === serverName
      ? `set components["cloudnative-pg"].backup.serverNames = { ${serverName}: "${archiveAs}" } in the config and commit, so plinth apply and Argo CD keep archiving to ${folder(archiveAs)}`
      : `point the apps at ${as} (or restore in place once it is verified), and keep its archive folder ${folder(archiveAs)}`;
  if (!options.apply) {
    const again = [`plinth db restore ${serverName}`, options.as && `--as ${as}`, options.archiveAs && `--archive-as ${archiveAs}`, options.toTime && `--to-time ${options.toTime}`, '--apply'];
    result.next = [`${again.filter(Boolean).join(' ')} creates it (or kubectl apply -f the manifest printed)`, keep];
    return result;
  }

  const live = await connectEnvironment(ctx, options, resolved.config);
  for (const [apiVersion, kind, owner] of [['postgresql.cnpg.io/v1', 'Cluster', 'cloudnative-pg'], ['barmancloud.cnpg.io/v1', 'ObjectStore', 'barman-cloud']] as const)
    if (!(await live.serves(apiVersion, kind)))
      throw new PlinthError(`${live.server} serves no ${kind} (${apiVersion}): the ${owner} component is not installed there`, 'run plinth bootstrap (a fresh cluster) or plinth apply first: they install the operator, the plugin and the ObjectStore');
  if (!(await live.get(ref('ObjectStore', store.apiVersion, store.metadata.name, namespace))))
    throw new PlinthError(
      `ObjectStore ${namespace}/${store.metadata.name} does not exist on ${live.server}: the restore reads the backups through it`,
      'plinth apply creates it from the config (with the bucket keys as the secret input postgres-backup-s3: plinth secrets check), then run the restore again',
    );
  if (await live.get(ref('Cluster', cluster.apiVersion, as, namespace)))
    throw new UsageError(
      `Cluster ${namespace}/${as} already exists on ${live.server}: a restore creates a new Cluster and never replaces one`,
      as === serverName
        ? `restore beside it with --as ${serverName}-restored, or, to rebuild in place, delete the broken Cluster yourself first (kubectl -n ${namespace} delete cluster ${as}: its volumes go with it)`
        : `pick another name with --as, or delete ${namespace}/${as} first`,
    );
  ctx.progress(`creating Cluster ${namespace}/${as}, recovering from ${folder(archivedAs)}${targetTime ? ` to ${targetTime}` : ''}`, { phase: true });
  try {
    await live.create(object);
  } catch (error) {
    if (error instanceof KubeError && (error.status === 400 || error.status === 422))
      throw new PlinthError(`${live.server} refused the recovery Cluster ${namespace}/${as}: ${error.message}`, 'a CloudNativePG admission webhook may refuse it: read its message; plinth db restore without --apply prints the object');
    throw error;
  }
  result.appliedTo = live.server;
  result.next = [`${watch}  (the recovery job restores the base backup, then replays WAL${targetTime ? ` to ${targetTime}` : ''}; the Cluster is ready when it says "Cluster in healthy state")`, keep];
  return result;
}
