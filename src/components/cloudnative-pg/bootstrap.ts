import type { PostgresServerConfig } from '../../config/schema.ts';
import { formatPath } from '../../config/paths.ts';
import type { ConfigIssue } from '../../errors.ts';
import { externalSecret } from '../../core/conventions.ts';
import type { K8sObject, SecretInput } from '../../core/types.ts';

/** The secret input holding the password of the PostgreSQL a server imports from. */
export const importPasswordInput = (server: string): string => `pg-import-${server}`;
/** The externalClusters entry a server imports from. */
export const importSourceName = (server: string): string => `${server}-import`;

/**
 * `spec.bootstrap` and `spec.externalClusters` of a server's Cluster (CloudNativePG v1.30.0 api/v1/cluster_types.go
 * BootstrapInitDB, Import, ExternalCluster; postgresql.cnpg.io_clusters.yaml). CloudNativePG reads bootstrap only
 * when it creates the Cluster, so stating an adopted Cluster's original initdb changes nothing on it: it only keeps
 * the rendered object equal to the live one.
 */
export function bootstrapSpec(server: PostgresServerConfig): Record<string, unknown> {
  const initdb = server.initdb;
  if (!initdb) return {};
  const source = initdb.import;
  return {
    bootstrap: {
      initdb: {
        ...(initdb.database && { database: initdb.database }),
        ...(initdb.owner && { owner: initdb.owner }),
        ...(initdb.postInitSQL && { postInitSQL: initdb.postInitSQL }),
        ...(initdb.postInitApplicationSQL && { postInitApplicationSQL: initdb.postInitApplicationSQL }),
        ...(source && {
          import: {
            type: source.type,
            databases: source.databases,
            ...(source.roles && { roles: source.roles }),
            ...(source.schemaOnly !== undefined && { schemaOnly: source.schemaOnly }),
            source: { externalCluster: importSourceName(server.name) },
          },
        }),
      },
    },
    ...(source && {
      externalClusters: [
        {
          name: importSourceName(server.name),
          // libpq connection keywords (CloudNativePG passes them to pg_dump as a connection string).
          connectionParameters: {
            host: source.source.host,
            port: String(source.source.port),
            user: source.source.user,
            dbname: source.source.dbname,
            sslmode: source.source.sslmode,
          },
          password: { name: importPasswordInput(server.name), key: 'password' },
        },
      ],
    }),
  };
}

/** The ExternalSecret bringing an importing server's source password next to its Cluster. */
export function importObjects(server: PostgresServerConfig, namespace: string): K8sObject[] {
  if (!server.initdb?.import) return [];
  const name = importPasswordInput(server.name);
  return [externalSecret({ name, namespace, keys: [{ secretKey: 'password', input: name, key: 'password' }] })];
}

/** The secret input of an importing server. */
export function importSecretInputs(server: PostgresServerConfig): SecretInput[] {
  const source = server.initdb?.import?.source;
  if (!source) return [];
  return [
    {
      name: importPasswordInput(server.name),
      keys: [{ key: 'password', description: `password of the user "${source.user}" on ${source.host}:${source.port}` }],
      purpose: `lets CloudNativePG copy ${server.initdb!.import!.databases.join(', ')} from ${source.host} into server ${server.name} (initdb.import)`,
      howToGet: `the password the source PostgreSQL's administrator gives for "${source.user}"; the user needs to read every imported database`,
    },
  ];
}

/**
 * What CloudNativePG's admission webhook refuses in an import (v1.30.0 internal/webhook/v1/cluster_webhook.go
 * validateMicroservice, validateMonolith), said at the config path instead of at apply time.
 */
export function bootstrapIssues(servers: readonly PostgresServerConfig[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  servers.forEach((server, i) => {
    const source = server.initdb?.import;
    if (!source) return;
    const at = (...path: (string | number)[]) => formatPath(['postgres', 'servers', i, 'initdb', 'import', ...path]);
    if (source.type === 'microservice') {
      if (source.databases.length !== 1 || source.databases[0]!.includes('*'))
        issues.push({
          path: at('databases'),
          message: `a microservice import copies exactly one database, named without "*"; got ${source.databases.map((d) => JSON.stringify(d)).join(', ')}`,
          hint: 'name the one database to copy into the server\'s initdb database, or use type: "monolith" to copy several with their roles',
        });
      if (source.roles !== undefined)
        issues.push({ path: at('roles'), message: 'a microservice import copies no roles', hint: 'remove roles, or use type: "monolith"' });
    } else if (source.databases.length > 1 && source.databases.includes('*')) {
      issues.push({ path: at('databases'), message: '"*" (every database) cannot be listed beside other names', hint: 'give either ["*"] or the names' });
    }
  });
  return issues;
}
