import { z } from 'zod';
import type { ClusterConfig } from '../../config/schema.ts';
import { DATABASES_NAMESPACE, databaseSecretName, stageNamespace } from '../../core/conventions.ts';
import { compareStrings } from '../../core/compare.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { VALKEY_NAMESPACE, VALKEY_PASSWORD_KEY, valkeySecretName } from '../valkey/index.ts';

const options = z.strictObject({
  /** Overwrite a same-named Secret the operator did not create (e.g. one made by hand before Plinth). */
  replaceExisting: z.boolean().default(false),
});

/** The keys of a database credentials Secret that apps receive. */
export const DATABASE_SECRET_KEYS = ['username', 'password'] as const;

/** The namespaces of the stages of the apps matching `uses`, sorted, without `except` (where the original lives). */
function consumerNamespaces(cluster: ClusterConfig, uses: (app: ClusterConfig['apps'][number]) => boolean, except: string): string[] {
  const namespaces = new Set(cluster.apps.filter(uses).flatMap((app) => app.stages.map(stageNamespace)));
  namespaces.delete(except);
  return [...namespaces].sort(compareStrings);
}

/** Each declared database that an app uses, in declaration order, with the sorted namespaces of those apps' stages. */
export function databaseConsumers(cluster: ClusterConfig): { database: string; namespaces: string[] }[] {
  return cluster.postgres.databases.flatMap(({ name }) => {
    const namespaces = consumerNamespaces(cluster, (app) => app.database === name, DATABASES_NAMESPACE);
    return namespaces.length > 0 ? [{ database: name, namespaces }] : [];
  });
}

/** Each declared cache that an app uses, with the namespaces its password must be copied to. */
export function cacheConsumers(cluster: ClusterConfig): { cache: string; namespace: string; namespaces: string[] }[] {
  const namespace = cluster.components['valkey']?.common.namespace ?? VALKEY_NAMESPACE;
  return cluster.caches.flatMap(({ name }) => {
    const namespaces = consumerNamespaces(cluster, (app) => app.cache === name, namespace);
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
    ...databaseConsumers(cluster).map(({ database, namespaces }) =>
      copy(databaseSecretName(database), DATABASES_NAMESPACE, [...DATABASE_SECRET_KEYS], namespaces, 'kubernetes.io/basic-auth'),
    ),
    ...cacheConsumers(cluster).map(({ cache, namespace, namespaces }) =>
      copy(valkeySecretName(cache), namespace, [VALKEY_PASSWORD_KEY], namespaces),
    ),
  ],
  health: ({ cluster, namespace }) => [
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cluster-secret-clustersecret', namespace },
    ...databaseConsumers(cluster).map(({ database, namespaces }) => ({
      description: `copies ${databaseSecretName(database)} from ${DATABASES_NAMESPACE} to ${namespaces.join(', ')} (status.create_fn.syncedns)`,
      apiVersion: 'clustersecret.io/v1',
      kind: 'ClusterSecret',
      name: databaseSecretName(database),
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
