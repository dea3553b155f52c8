import type { ClusterConfig, EnvironmentInfo } from '../config/schema.ts';
import type { K8sObject } from '../core/types.ts';
import { UsageError } from '../errors.ts';
import type { ConnectOptions, LiveCluster } from '../kube/client.ts';
import type { LiveContext } from './live.ts';

/**
 * Where Plinth records which environment a cluster is: a ConfigMap in kube-system, which every cluster has and
 * no tree renders into. Not labelled managed-by plinth, so `apply --prune` never takes it for a removed object.
 */
export const IDENTITY = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plinth-cluster', namespace: 'kube-system' } } as const;

export interface ClusterIdentity {
  environment: string;
  /** The config's cluster name, for a person reading the ConfigMap. */
  cluster: string;
  /**
   * The uid of the cluster's kube-system Namespace: the API server gives each cluster its own, so a copied
   * ConfigMap (a restore of kube-system from another cluster) does not pass for this cluster's.
   */
  kubeSystemUid: string;
}

/** The kubeconfig context of a command: --context, else the environment's. */
export function connectOptions<T extends ConnectOptions>(options: T, config: Pick<ClusterConfig, 'environment'>): T {
  return options.context === undefined && config.environment ? { ...options, context: config.environment.context } : options;
}

/**
 * Opens the cluster a command works on. With environments, it connects through the environment's context and
 * refuses a cluster that Plinth recorded as another environment: the wrong-cluster guard.
 */
export async function connectEnvironment(ctx: LiveContext, options: ConnectOptions, config: Pick<ClusterConfig, 'environment'>): Promise<LiveCluster> {
  const cluster = await ctx.connect(connectOptions(options, config));
  if (config.environment) await checkIdentity(cluster, config.environment, options.context ?? config.environment.context);
  return cluster;
}

async function kubeSystemUid(cluster: LiveCluster): Promise<string> {
  const namespace = await cluster.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  const uid = namespace?.metadata.uid;
  if (typeof uid !== 'string') throw new UsageError(`${cluster.server} has no kube-system namespace: it is not a Kubernetes cluster Plinth can tell apart`, 'check the kubeconfig context');
  return uid;
}

/** What the cluster records about itself, if anything. */
export async function readIdentity(cluster: LiveCluster): Promise<(Partial<ClusterIdentity> & { object: K8sObject }) | undefined> {
  const object = await cluster.get(IDENTITY);
  if (!object) return undefined;
  const data = (object.data ?? {}) as Record<string, string>;
  return { object, environment: data.environment, cluster: data.cluster, kubeSystemUid: data['kube-system-uid'] };
}

/** Refuses (exit 2) a cluster recorded as another environment, or a record copied from another cluster. */
export async function checkIdentity(cluster: LiveCluster, env: EnvironmentInfo, context: string): Promise<ClusterIdentity | undefined> {
  const recorded = await readIdentity(cluster);
  if (!recorded) return undefined;
  const where = `kubeconfig context "${context}" (${cluster.server})`;
  if (recorded.environment !== env.name)
    throw new UsageError(
      `refusing to work on ${where} as environment "${env.name}": Plinth recorded it as the cluster of environment "${recorded.environment ?? '(none)'}" (ConfigMap kube-system/${IDENTITY.metadata.name})`,
      recorded.environment
        ? `pass --env ${recorded.environment} to work on that environment, or point environments.${env.name}.context (or --context) at the ${env.name} cluster`
        : `the ConfigMap names no environment: delete it (kubectl -n kube-system delete configmap ${IDENTITY.metadata.name}) and run plinth bootstrap --env ${env.name} again`,
    );
  const uid = await kubeSystemUid(cluster);
  if (recorded.kubeSystemUid !== uid)
    throw new UsageError(
      `refusing to work on ${where}: its record of environment "${env.name}" was made on another cluster (kube-system uid ${recorded.kubeSystemUid ?? '(none)'}, this cluster's is ${uid}), so it was copied here`,
      `if this really is the ${env.name} cluster, delete the copy (kubectl -n kube-system delete configmap ${IDENTITY.metadata.name}) and run plinth bootstrap --env ${env.name}`,
    );
  return { environment: env.name, cluster: recorded.cluster ?? '', kubeSystemUid: uid };
}

/** Records the cluster as the environment (bootstrap, and the first apply); unchanged when it already is. */
export async function recordIdentity(cluster: LiveCluster, config: Pick<ClusterConfig, 'environment' | 'name'>): Promise<'created' | 'unchanged' | undefined> {
  const env = config.environment;
  if (!env) return undefined;
  const recorded = await readIdentity(cluster);
  if (recorded) return 'unchanged';
  const data: Record<string, string> = { environment: env.name, cluster: config.name, 'kube-system-uid': await kubeSystemUid(cluster) };
  await cluster.apply({ ...IDENTITY, metadata: { ...IDENTITY.metadata, labels: { 'plinth.dev/cluster-identity': 'true' } }, data } as K8sObject);
  return 'created';
}
