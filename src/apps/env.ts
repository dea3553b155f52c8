import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { formatPath } from '../config/paths.ts';
import { databaseSecretName } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';
import type { ConfigIssue } from '../errors.ts';
import { POSTGRES_PORT, postgresHost } from '../components/cloudnative-pg/index.ts';
import { DATABASE_SECRET_KEYS } from '../components/clustersecret/index.ts';
import { kafkaBootstrapServers } from '../components/redpanda/index.ts';
import { cacheConnection } from '../components/valkey/index.ts';
import { migrationInputAnnotations, type StageContext } from './context.ts';
import { stageDataOf } from './stage-data.ts';

const envName = (app: string) => app.toUpperCase().replaceAll('-', '_');
const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
const valueEnv = (name: string, value: string) => ({ name, value });

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/**
 * The consumer group of an app in a stage: the one it is told (KAFKA_CONSUMER_GROUP) and the one KEDA measures lag
 * for. Its own per stage (src/apps/stage-data.ts), so staging never takes production's jobs or scales on their lag.
 */
export const consumerGroup = (cluster: ClusterConfig, app: AppConfig, stage: string): string => stageDataOf(cluster, app, stage).consumerGroup;

/** The Secret (and the ExternalSecret and store that build it) holding an app's connection URLs in a stage. */
export const connectionSecretName = (app: string): string => `${app}-connections`;

/**
 * What Plinth tells the app about its dependencies, under Plinth's names. Secrets come by reference only; `$(VAR)`
 * is expanded by the kubelet, and DATABASE_URL leaves the password out: a URL with the credential is only built
 * in the cluster (connectionUrls).
 */
function generated({ cluster, app, stage }: Pick<StageContext, 'cluster' | 'app' | 'stage'>): EnvVar[] {
  const env: EnvVar[] = app.kind === 'service' ? [valueEnv('PORT', String(app.port))] : [];
  // The stage's own database, cache and topics (or the last stage's, where the config shares them, with a reason).
  const data = stageDataOf(cluster, app, stage);
  if (app.database) {
    const db = data.database;
    const host = postgresHost(db?.server ?? '', db?.serverNamespace);
    const secret = db?.secret ?? databaseSecretName(app.database);
    const name = db?.name ?? app.database;
    env.push(
      valueEnv('PGHOST', host),
      valueEnv('PGPORT', String(POSTGRES_PORT)),
      valueEnv('PGDATABASE', name),
      secretEnv('PGUSER', secret, 'username'),
      secretEnv('PGPASSWORD', secret, 'password'),
    );
    if (!app.connectionUrls?.database) env.push(valueEnv('DATABASE_URL', `postgresql://$(PGUSER)@${host}:${POSTGRES_PORT}/${name}`));
  }
  if (app.cache) {
    const cache = cacheConnection(cluster, data.cache?.name ?? app.cache);
    env.push(
      valueEnv('VALKEY_HOST', cache.host),
      valueEnv('VALKEY_PORT', String(cache.port)),
      valueEnv('VALKEY_USERNAME', 'default'),
      secretEnv('VALKEY_PASSWORD', cache.secretName, cache.passwordKey),
      valueEnv('VALKEY_CLUSTER_MODE', 'true'),
    );
  }
  const { produce, consume } = data;
  if (produce.length + consume.length > 0) {
    env.push(valueEnv('KAFKA_BROKERS', kafkaBootstrapServers(cluster)));
    if (produce.length > 0) env.push(valueEnv('KAFKA_PRODUCE_TOPICS', produce.join(',')));
    if (consume.length > 0) env.push(valueEnv('KAFKA_CONSUME_TOPICS', consume.join(',')), valueEnv('KAFKA_CONSUMER_GROUP', data.consumerGroup));
  }
  for (const callee of app.calls) env.push(valueEnv(`${envName(callee)}_URL`, `http://${callee}.${stage}.svc.cluster.local`));
  return env;
}

/** The variables Plinth generates for an app, by Plinth's name: what `envNames` may rename. */
export const generatedNames = (cluster: ClusterConfig, app: AppConfig): string[] => generated({ cluster, app, stage: app.stages.at(-1)! }).map((v) => v.name);

/**
 * The app's environment: the generated variables under the app's names (a rename follows into every `$(VAR)`
 * that refers to it), its connection URLs from the Secret built in the cluster, then its own `env`.
 */
export function environment(ctx: StageContext): EnvVar[] {
  const { app } = ctx;
  const rename = (name: string) => app.envNames[name] ?? name;
  const env = generated(ctx).map((v) => ({
    ...v,
    name: rename(v.name),
    ...(v.value !== undefined && { value: v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name: string) => `$(${rename(name)})`) }),
  }));
  for (const name of connectionUrlNames(app)) env.push(secretEnv(name, connectionSecretName(app.name), name));
  for (const [name, value] of Object.entries(app.env).sort(([a], [b]) => (a < b ? -1 : 1))) env.push(valueEnv(name, value));
  return env;
}

const connectionUrlNames = (app: AppConfig): string[] =>
  [app.connectionUrls?.database, app.connectionUrls?.cache].filter((name): name is string => name !== undefined);

/**
 * The objects that build an app's connection URLs in a stage, from the database and cache Secrets ClusterSecret
 * copies into the stage namespace: a ServiceAccount allowed to read exactly those Secrets (one Role and binding,
 * which also let the ESO controller mint that ServiceAccount's token and nothing else), a SecretStore reading
 * the namespace as it (external-secrets kubernetes provider), and an ExternalSecret whose template writes each URL.
 * The credential exists only in the cluster. Generated passwords are base64url (URL-safe); the template still
 * percent-encodes any character a URL reserves (`escaped`).
 */
export function connectionObjects(ctx: StageContext): K8sObject[] {
  const { app, namespace, cluster } = ctx;
  const urls = app.connectionUrls;
  if (!urls || (!urls.database && !urls.cache)) return [];
  const stageData = stageDataOf(cluster, app, ctx.stage);
  const name = connectionSecretName(app.name);
  const labels = { 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/component': 'connections' };
  // Orphan (below, with a migration): the Secret outlives the hook's re-creation at each sync, so running pods never see it missing.
  const annotations = migrationInputAnnotations(app);
  const hook = annotations !== undefined;
  const metadata = { name, namespace, labels, ...(annotations && { annotations }) };
  const rbac = 'rbac.authorization.k8s.io';
  const data: { secretKey: string; remoteRef: { key: string; property: string } }[] = [];
  const template: Record<string, string> = {};
  const db = urls.database ? stageData.database : undefined;
  if (urls.database && db) {
    for (const key of DATABASE_SECRET_KEYS) data.push({ secretKey: `database_${key}`, remoteRef: { key: db.secret, property: key } });
    template[urls.database] =
      `postgresql://${escaped('database_username')}:${escaped('database_password')}@${postgresHost(db.server, db.serverNamespace)}:${POSTGRES_PORT}/${db.name}`;
  }
  if (urls.cache && app.cache) {
    const cache = cacheConnection(cluster, stageData.cache?.name ?? app.cache);
    data.push({ secretKey: 'cache_password', remoteRef: { key: cache.secretName, property: cache.passwordKey } });
    template[urls.cache] = `redis://default:${escaped('cache_password')}@${cache.host}:${cache.port}`;
  }
  const secrets = [...new Set(data.map((d) => d.remoteRef.key))].sort();
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false },
    {
      apiVersion: `${rbac}/v1`,
      kind: 'Role',
      metadata,
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: secrets, verbs: ['get'] },
        // The controller's chart RBAC may not mint tokens (rbac.serviceAccountTokenCreate: false): only this one's.
        { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [name], verbs: ['create'] },
      ],
    },
    // The reader, and the ESO controller that mints the reader's token. The controller's own ClusterRole already
    // reads every Secret (external-secrets chart 2.9.0, templates/rbac.yaml, `<fullname>-controller`), so the
    // shared Role grants it nothing more.
    {
      apiVersion: `${rbac}/v1`,
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: rbac, kind: 'Role', name },
      subjects: [
        { kind: 'ServiceAccount', name, namespace },
        { kind: 'ServiceAccount', name: EXTERNAL_SECRETS_CONTROLLER, namespace: ctx.namespaceOf('external-secrets') },
      ],
    },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata,
      spec: {
        provider: {
          kubernetes: {
            remoteNamespace: namespace,
            // Every namespace carries the API server's CA in this ConfigMap.
            server: { url: 'https://kubernetes.default.svc', caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt' } },
            auth: { serviceAccount: { name } },
          },
        },
      },
    },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata,
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'SecretStore', name },
        target: {
          name,
          creationPolicy: hook ? 'Orphan' : 'Owner',
          template: { engineVersion: 'v2', data: template },
        },
        data,
      },
    },
  ];
}

/**
 * A secret value percent-encoded for a URL's userinfo, in the ExternalSecret template: text/template's `urlquery`
 * writes a space as "+", which a URL's userinfo keeps literally, so sprig's `replace` turns those into "%20" (a "+"
 * of the value is already "%2B").
 */
const escaped = (key: string): string => `{{ .${key} | urlquery | replace "+" "%20" }}`;

/** The chart's controller ServiceAccount (src/components/external-secrets): its fullname for release `external-secrets`. */
const EXTERNAL_SECRETS_CONTROLLER = 'external-secrets';

/** The environment contract's cross-field checks, each with its config path. */
export function envContractIssues(config: ClusterConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.apps.forEach((app, i) => {
    const at = (...path: (string | number)[]) => formatPath(['apps', i, ...path]);
    const names = generatedNames(config, app);
    const taken = new Map<string, string>();
    for (const name of names) taken.set(app.envNames[name] ?? name, `the generated ${name}`);
    for (const [from, to] of Object.entries(app.envNames)) {
      if (!names.includes(from)) {
        issues.push({
          path: at('envNames', from),
          message: `"${from}" is not a variable Plinth generates for app "${app.name}"`,
          hint: names.length > 0 ? `rename one of ${names.join(', ')}` : 'this app is given no generated variable: remove envNames',
        });
      } else if (names.filter((n) => (app.envNames[n] ?? n) === to).length > 1) {
        issues.push({ path: at('envNames', from), message: `"${to}" would name two generated variables`, hint: 'give each variable its own name' });
      }
    }
    const urls = app.connectionUrls;
    const external = 'external-secrets' in config.components;
    for (const [kind, name, source] of [['database', urls?.database, app.database], ['cache', urls?.cache, app.cache]] as const) {
      if (name === undefined) continue;
      if (!source) {
        issues.push({
          path: at('connectionUrls', kind),
          message: `a ${kind} URL needs the app to use a ${kind}`,
          hint: `declare ${kind}: "<name>" on the app, or remove connectionUrls.${kind}`,
        });
      } else if (!external) {
        issues.push({
          path: at('connectionUrls', kind),
          message: 'connection URLs are built by an ExternalSecret, and "external-secrets" is not enabled',
          hint: 'enable it with components: { "external-secrets": {} }, or read the generated variables instead',
        });
      }
      if (taken.has(name)) {
        issues.push({ path: at('connectionUrls', kind), message: `"${name}" is already the name of a generated variable`, hint: 'choose another name, or rename the generated one with envNames' });
      }
      taken.set(name, `connectionUrls.${kind}`);
    }
    if (urls?.database !== undefined && urls.database === urls.cache) {
      issues.push({ path: at('connectionUrls', 'cache'), message: `"${urls.cache}" already names the database URL`, hint: 'give each URL its own name' });
    }
    for (const name of Object.keys(app.env)) {
      const owner = taken.get(name);
      if (owner) issues.push({ path: at('env', name), message: `"${name}" is already set by Plinth (${owner})`, hint: 'rename the generated variable with envNames, or drop this one' });
    }
    if (app.topics.consumerGroup !== undefined && app.topics.consume.length === 0) {
      issues.push({
        path: at('topics', 'consumerGroup'),
        message: 'a consumer group without topics to consume',
        hint: 'list the topics under topics.consume, or remove consumerGroup',
      });
    }
  });
  return issues;
}
