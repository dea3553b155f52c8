import { databaseSecretName } from '../core/conventions.ts';
import { POSTGRES_PORT, postgresHost } from '../components/cloudnative-pg/index.ts';
import { kafkaBootstrapServers } from '../components/redpanda/index.ts';
import { cacheConnection } from '../components/valkey/index.ts';
import type { StageContext } from './context.ts';

const envName = (app: string) => app.toUpperCase().replaceAll('-', '_');
const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
const valueEnv = (name: string, value: string) => ({ name, value });

/**
 * What the app is told about its dependencies. Secrets come by reference only; `$(VAR)` is expanded by the
 * kubelet, and DATABASE_URL leaves the password out because a generated one may hold URL-reserved characters:
 * libpq and node-postgres take it from PGPASSWORD.
 */
export function environment({ cluster, app, stage }: StageContext) {
  const env: { name: string; value?: string; valueFrom?: unknown }[] = [valueEnv('PORT', String(app.port))];
  if (app.database) {
    const db = cluster.postgres.databases.find((d) => d.name === app.database)!;
    const host = postgresHost(db.server);
    const secret = databaseSecretName(db.name);
    env.push(
      valueEnv('PGHOST', host),
      valueEnv('PGPORT', String(POSTGRES_PORT)),
      valueEnv('PGDATABASE', db.name),
      secretEnv('PGUSER', secret, 'username'),
      secretEnv('PGPASSWORD', secret, 'password'),
      valueEnv('DATABASE_URL', `postgresql://$(PGUSER)@${host}:${POSTGRES_PORT}/${db.name}`),
    );
  }
  if (app.cache) {
    const cache = cacheConnection(cluster, app.cache);
    env.push(
      valueEnv('VALKEY_HOST', cache.host),
      valueEnv('VALKEY_PORT', String(cache.port)),
      valueEnv('VALKEY_USERNAME', 'default'),
      secretEnv('VALKEY_PASSWORD', cache.secretName, cache.passwordKey),
      valueEnv('VALKEY_CLUSTER_MODE', 'true'),
    );
  }
  const { produce, consume } = app.topics;
  if (produce.length + consume.length > 0) {
    env.push(valueEnv('KAFKA_BROKERS', kafkaBootstrapServers(cluster)));
    if (produce.length > 0) env.push(valueEnv('KAFKA_PRODUCE_TOPICS', produce.join(',')));
    if (consume.length > 0) env.push(valueEnv('KAFKA_CONSUME_TOPICS', consume.join(',')), valueEnv('KAFKA_CONSUMER_GROUP', app.name));
  }
  for (const callee of app.calls) env.push(valueEnv(`${envName(callee)}_URL`, `http://${callee}.${stage}.svc.cluster.local`));
  for (const [name, value] of Object.entries(app.env).sort(([a], [b]) => (a < b ? -1 : 1))) env.push(valueEnv(name, value));
  return env;
}

