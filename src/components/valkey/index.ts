import { z } from 'zod';
import { dnsLabel, quantity, type CacheConfig, type ClusterConfig } from '../../config/schema.ts';
import { generatedSecret } from '../../core/conventions.ts';
import { defineComponent, type HealthCheck, type K8sObject } from '../../core/types.ts';
import { stageCaches } from '../../apps/stage-data.ts';

export const VALKEY_NAMESPACE = 'valkey';
export const VALKEY_PORT = 6379;
/** The password field of a cache's generated Secret; the username is always `default`. */
export const VALKEY_PASSWORD_KEY = 'password';

export const valkeySecretName = (cache: string): string => `valkey-${cache}`;

/**
 * The headless Service the operator creates for a ValkeyCluster: `resourcePrefix + cluster name`, port 6379.
 * Upstream valkey-io/valkey-operator v0.4.0: internal/controller/valkeycluster_controller.go
 * (`headlessServiceName`, `upsertService`, `DefaultPort`) and internal/controller/utils.go (`resourcePrefix = "valkey-"`).
 */
export const valkeyServiceName = (cache: string): string => `valkey-${cache}`;

/**
 * The label the operator puts on every pod of a ValkeyCluster and selects its Service by: `valkey.io/cluster: <name>`
 * (valkey-io/valkey-operator v0.4.0 internal/controller/utils.go LabelCluster, valkeycluster_controller.go upsertService).
 */
export const valkeyPodLabels = (cache: string): Record<string, string> => ({ 'valkey.io/cluster': cache });

export interface CacheConnection {
  /** The ValkeyCluster's headless Service `valkey-<cache>`: resolves to every node, a cluster-mode client discovers the rest. */
  host: string;
  port: number;
  /** Secret in the valkey namespace with `username` (`default`) and `password`. */
  secretName: string;
  passwordKey: string;
  /** Valkey Cluster mode: clients must be cluster-aware (ioredis `Redis.Cluster`, node-redis `createCluster`). */
  clusterMode: true;
}

/** Where an app finds a declared cache and its credentials. */
export function cacheConnection(cluster: Pick<ClusterConfig, 'components'>, cache: string): CacheConnection {
  const namespace = cluster.components['valkey']?.common.namespace ?? VALKEY_NAMESPACE;
  return {
    host: `${valkeyServiceName(cache)}.${namespace}.svc.cluster.local`,
    port: VALKEY_PORT,
    secretName: valkeySecretName(cache),
    passwordKey: VALKEY_PASSWORD_KEY,
    clusterMode: true,
  };
}

const memory = z
  .string()
  .regex(/^[1-9][0-9]*(Ki|Mi|Gi|Ti|k|M|G|T)?$/, { error: 'must be a whole memory quantity such as "256Mi" or "1Gi"' });

const BYTES: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const bytesOf = (value: string): number => {
  const [, number, unit] = /^([0-9]+)([A-Za-z]*)$/.exec(value)!;
  return Number(number) * BYTES[unit!]!;
};

const options = z.strictObject({
  /** Shards (primaries) per cache; each shard also gets the cache's `replicas`. */
  shards: z.int().min(1).default(1),
  /** StorageClass of every cache's volumes; immutable once a cache exists. */
  storageClass: dnsLabel.optional(),
  /** CPU request and memory request/limit of each Valkey pod. */
  resources: z.strictObject({ cpu: quantity.default('100m'), memory: memory.default('256Mi') }).prefault({}),
});

type Options = z.output<typeof options>;

/** A cache's ValkeyCluster, under `name`: the declared one's, or a stage's copy `<cache>-<stage>` of the same shape. */
function valkeyCluster(name: string, cache: CacheConfig, namespace: string, options: Options): K8sObject {
  const { cpu, memory: limit } = options.resources;
  return {
    apiVersion: 'valkey.io/v1alpha1',
    kind: 'ValkeyCluster',
    metadata: { name, namespace },
    spec: {
      shards: options.shards,
      replicas: cache.replicas,
      persistence: {
        size: cache.size,
        ...(options.storageClass && { storageClassName: options.storageClass }),
        reclaimPolicy: 'Retain',
      },
      resources: { requests: { cpu, memory: limit }, limits: { memory: limit } },
      // Keeps the dataset below the container limit, so Valkey refuses writes instead of being OOM-killed.
      config: { maxmemory: String(Math.floor(bytesOf(limit) * 0.8)) },
      // Protects the default user, so clients authenticate with the password alone. enabled, nopass and resetpass
      // are the CRD's defaults (valkey.io_valkeyclusters.yaml, spec.users[]), stated so that the list Argo CD compares
      // is the list the API server keeps.
      users: [
        {
          name: 'default',
          enabled: true,
          nopass: false,
          resetpass: false,
          passwordSecret: { name: valkeySecretName(name), keys: [VALKEY_PASSWORD_KEY] },
          keys: { readWrite: ['*'] },
          channels: { patterns: ['*'] },
          commands: { allow: ['@all'] },
        },
      ],
    },
  };
}

export const valkey = defineComponent({
  id: 'valkey',
  description: 'Valkey: the valkey-operator and one ValkeyCluster per declared cache, with generated passwords',
  namespace: VALKEY_NAMESPACE,
  needs: ['secret-generator'],
  options,
  chart: ({ namespace }) => ({
    repoURL: 'https://valkey.io/valkey-helm/',
    chart: 'valkey-operator',
    version: '0.4.0',
    releaseName: 'valkey-operator',
    values: {
      manager: { watchNamespaces: [namespace] },
    },
  }),
  resources: ({ cluster, namespace, options }) =>
    stageCaches(cluster).flatMap(({ name, declared: cache }) => [
      valkeyCluster(name, cache, namespace, options),
      generatedSecret({
        name: valkeySecretName(name),
        namespace,
        data: { username: 'default' },
        generate: { [VALKEY_PASSWORD_KEY]: 32 },
      }),
    ]),
  health: ({ cluster, namespace }) => {
    const checks: HealthCheck[] = [
      { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'valkey-operator', namespace },
    ];
    for (const { name } of stageCaches(cluster)) {
      checks.push(
        { description: `cache ${name}`, apiVersion: 'valkey.io/v1alpha1', kind: 'ValkeyCluster', name, namespace },
        {
          description: `password of cache ${name}`,
          apiVersion: 'v1',
          kind: 'Secret',
          name: valkeySecretName(name),
          namespace,
          blame: 'secret-generator',
        },
      );
    }
    return checks;
  },
});
