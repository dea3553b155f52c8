import { z } from 'zod';
import type { ClusterConfig } from '../../config/schema.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { stageCaches, stageDatabases } from '../../apps/stage-data.ts';
import { VALKEY_NAMESPACE, VALKEY_PASSWORD_KEY, valkeySecretName } from '../valkey/index.ts';

const options = z.strictObject({
  /** Overwrite a same-named Secret the operator did not create (e.g. one made by hand before Plinth). */
  replaceExisting: z.boolean().default(false),
});

/** The keys of a database credentials Secret that apps receive. */
export const DATABASE_SECRET_KEYS = ['username', 'password'] as const;

/**
 * Each credentials Secret of a database that an app uses (src/apps/stage-data.ts: one per stage's copy, or per
 * shared owner), with the namespaces of exactly the stages that use that copy: a stage never receives another
 * stage's credentials. Without the server's own namespace, where the original lives.
 */
export function databaseConsumers(cluster: ClusterConfig): { secret: string; namespace: string; namespaces: string[] }[] {
  const bySecret = new Map<string, { secret: string; namespace: string; namespaces: Set<string> }>();
  for (const db of stageDatabases(cluster)) {
    const key = `${db.serverNamespace}/${db.secret}`;
    const entry = bySecret.get(key) ?? { secret: db.secret, namespace: db.serverNamespace, namespaces: new Set<string>() };
    for (const namespace of db.namespaces) if (namespace !== db.serverNamespace) entry.namespaces.add(namespace);
    bySecret.set(key, entry);
  }
  return [...bySecret.values()].flatMap((e) => (e.namespaces.size > 0 ? [{ secret: e.secret, namespace: e.namespace, namespaces: [...e.namespaces].sort() }] : []));
}

/** Each cache (a stage's copy or the declared one) that an app uses, with the namespaces of the stages that use it. */
export function cacheConsumers(cluster: ClusterConfig): { cache: string; namespace: string; namespaces: string[] }[] {
  const namespace = cluster.components['valkey']?.common.namespace ?? VALKEY_NAMESPACE;
  return stageCaches(cluster).flatMap(({ name, namespaces: used }) => {
    const namespaces = used.filter((n) => n !== namespace);
    return namespaces.length > 0 ? [{ cache: name, namespace, namespaces }] : [];
  });
}

/** ClusterSecret matches namespaces by regular expression from the start of the name; anchor both ends. */
const exactly = (namespace: string): string => `^${namespace}$`;

function copy(name: string, from: string, keys: string[], to: string[], type?: string): K8sObject {
  return {
    apiVersion: 'clustersecret.io/v1',
    kind: 'ClusterSecret',
    metadata: { name },
    ...(type && { type }),
    matchNamespace: to.map(exactly),
    data: { valueFrom: { secretKeyRef: { name, namespace: from, keys } } },
  };
}

export const clusterSecret = defineComponent({
  id: 'clustersecret',
  description: 'ClusterSecret: copies the credentials of each database and cache into the namespaces of the apps that use it',
  namespace: 'clustersecret',
  needs: [],
  options,
  chart: ({ options }) => ({
    repoURL: 'https://charts.clustersecret.com/',
    chart: 'cluster-secret',
    version: '0.7.0',
    releaseName: 'cluster-secret',
    values: { replace_existing: String(options.replaceExisting) },
  }),
  resources: ({ cluster }): K8sObject[] => [
    ...databaseConsumers(cluster).map(({ secret, namespace, namespaces }) =>
      copy(secret, namespace, [...DATABASE_SECRET_KEYS], namespaces, 'kubernetes.io/basic-auth'),
    ),
    ...cacheConsumers(cluster).map(({ cache, namespace, namespaces }) =>
      copy(valkeySecretName(cache), namespace, [VALKEY_PASSWORD_KEY], namespaces),
    ),
  ],
  health: ({ cluster, namespace }) => [
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cluster-secret-clustersecret', namespace },
    ...databaseConsumers(cluster).map(({ secret, namespace: from, namespaces }) => ({
      description: `copies ${secret} from ${from} to ${namespaces.join(', ')} (status.create_fn.syncedns)`,
      apiVersion: 'clustersecret.io/v1',
      kind: 'ClusterSecret',
      name: secret,
      blame: 'cloudnative-pg',
    })),
    ...cacheConsumers(cluster).map(({ cache, namespace: from, namespaces }) => ({
      description: `copies ${valkeySecretName(cache)} from ${from} to ${namespaces.join(', ')} (status.create_fn.syncedns)`,
      apiVersion: 'clustersecret.io/v1',
      kind: 'ClusterSecret',
      name: valkeySecretName(cache),
      blame: 'valkey',
    })),
  ],
});
