import { z } from 'zod';
import type { ClusterConfig } from '../../config/schema.ts';
import { DATABASES_NAMESPACE, databaseSecretName, stageNamespace } from '../../core/conventions.ts';
import { compareStrings } from '../../core/compare.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';

const options = z.strictObject({
  /** Overwrite a same-named Secret the operator did not create (e.g. one made by hand before Plinth). */
  replaceExisting: z.boolean().default(false),
});

/** The keys of a database credentials Secret that apps receive. */
export const DATABASE_SECRET_KEYS = ['username', 'password'] as const;

/** Each declared database that an app uses, in declaration order, with the sorted namespaces of those apps' stages. */
export function databaseConsumers(cluster: ClusterConfig): { database: string; namespaces: string[] }[] {
  return cluster.postgres.databases.flatMap(({ name }) => {
    const namespaces = new Set(
      cluster.apps.filter((app) => app.database === name).flatMap((app) => app.stages.map(stageNamespace)),
    );
    // An app staged in the databases namespace already sits beside the original.
    namespaces.delete(DATABASES_NAMESPACE);
    return namespaces.size > 0 ? [{ database: name, namespaces: [...namespaces].sort(compareStrings) }] : [];
  });
}

/** ClusterSecret matches namespaces by regular expression from the start of the name; anchor both ends. */
const exactly = (namespace: string): string => `^${namespace}$`;

export const clusterSecret = defineComponent({
  id: 'clustersecret',
  description: 'ClusterSecret: copies each database\'s credentials into the namespaces of the apps that use it',
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
  resources: ({ cluster }): K8sObject[] =>
    databaseConsumers(cluster).map(({ database, namespaces }) => ({
      apiVersion: 'clustersecret.io/v1',
      kind: 'ClusterSecret',
      metadata: { name: databaseSecretName(database) },
      type: 'kubernetes.io/basic-auth',
      matchNamespace: namespaces.map(exactly),
      data: {
        valueFrom: {
          secretKeyRef: { name: databaseSecretName(database), namespace: DATABASES_NAMESPACE, keys: [...DATABASE_SECRET_KEYS] },
        },
      },
    })),
  health: ({ cluster, namespace }) => [
    { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cluster-secret-clustersecret', namespace },
    ...databaseConsumers(cluster).map(({ database, namespaces }) => ({
      description: `copies ${databaseSecretName(database)} from ${DATABASES_NAMESPACE} to ${namespaces.join(', ')} (status.create_fn.syncedns)`,
      apiVersion: 'clustersecret.io/v1',
      kind: 'ClusterSecret',
      name: databaseSecretName(database),
      blame: 'cloudnative-pg',
    })),
  ],
});
