import type { AppConfig, CacheConfig, ClusterConfig, DatabaseConfig, PostgresServerConfig, TopicConfig } from '../config/schema.ts';
import { formatPath } from '../config/paths.ts';
import { stageRuns } from '../config/stages.ts';
import { DATABASES_NAMESPACE, databaseSecretName, stageNamespace } from '../core/conventions.ts';
import type { ConfigIssue } from '../errors.ts';

/**
 * The one place that decides which data each stage of an app uses. Stages are isolated by default: the app's last
 * stage (the one that gets `host`, production) uses the declared database, cache and topics; every earlier stage
 * gets its own `<name>-<stage>`, with its own owner role, password and consumer group. A stage uses the last
 * stage's data only when the data service says so, with a reason (`stages: { staging: { share: '...' } }`).
 * The components render what `stageDatabases`, `stageCaches` and `stageTopics` list; the apps read `stageDataOf`.
 */

export type DataKind = 'database' | 'cache' | 'topic';

interface Instance<T> {
  /** Its name in the cluster: the declared name for the last stage (and stages sharing it), `<name>-<stage>` otherwise. */
  name: string;
  declared: T;
  /** The stage this copy belongs to; undefined for the declared one (the last stage's). */
  stage?: string;
  /** The namespaces of the stages whose apps use it, sorted. */
  namespaces: string[];
}

export interface StageDatabase extends Instance<DatabaseConfig> {
  server: string;
  /** Namespace of its server's CloudNativePG Cluster, where the Database, role and credentials live. */
  serverNamespace: string;
  owner: string;
  /** The basic-auth Secret (`username`, `password`) of the owner, copied into `namespaces`. */
  secret: string;
  /** The owner is the server's initdb owner: CloudNativePG created the role and keeps its password in `<server>-app`. */
  initdbOwner: boolean;
}

export type StageCache = Instance<CacheConfig>;
export type StageTopic = Instance<TopicConfig>;

/** A stage using the last stage's data, with the reason the config gives. */
export interface SharedData {
  kind: DataKind;
  /** The declared (last stage's) name. */
  name: string;
  stage: string;
  /** The stage whose data it uses. */
  lastStage: string;
  reason: string;
  /** The config path of the opt-out. */
  path: string;
}

/** What an app uses in one stage, by the names they have in the cluster. */
export interface StageData {
  database?: StageDatabase;
  cache?: StageCache;
  produce: string[];
  consume: string[];
  scaleTopic?: string;
  /** Its consumer group: the configured one (or the app's name) in the last stage, `<group>-<stage>` before it. */
  consumerGroup: string;
  /** What this stage shares with the last stage, and why. */
  shared: SharedData[];
}

export const serverNamespace = (server: Pick<PostgresServerConfig, 'namespace'> | undefined): string => server?.namespace ?? DATABASES_NAMESPACE;

/**
 * The Secret CloudNativePG creates for the initdb owner of a Cluster: `<cluster>-app` (cloudnative-pg v1.30.0
 * api/v1/cluster_funcs.go GetApplicationSecretName; api/v1/cluster_types.go ApplicationUserSecretSuffix = "-app").
 */
export const initdbSecretName = (server: string): string => `${server}-app`;

const copyName = (name: string, stage: string | undefined) => (stage === undefined ? name : `${name}-${stage}`);

interface Usage {
  /** The apps that use it, with their index in `apps`. */
  users: { app: AppConfig; index: number }[];
}

function uses(app: AppConfig, kind: DataKind, name: string): boolean {
  if (kind === 'database') return app.database === name;
  if (kind === 'cache') return app.cache === name;
  return app.topics.produce.includes(name) || app.topics.consume.includes(name) || app.scale?.topic === name;
}

function usage(cluster: ClusterConfig, kind: DataKind, name: string): Usage {
  return { users: cluster.apps.flatMap((app, index) => (uses(app, kind, name) ? [{ app, index }] : [])) };
}

/** Whether `stage` is the last stage of an app using the data service: there the declared one is used. */
const isLastStage = (u: Usage, stage: string): boolean => u.users.some(({ app }) => app.stages.at(-1) === stage);

/** The stages the users run, in the order they first appear (promotion order within each app). */
function stagesOf(u: Usage): string[] {
  const stages: string[] = [];
  for (const { app } of u.users) for (const stage of app.stages) if (!stages.includes(stage)) stages.push(stage);
  return stages;
}

/** Which copy a stage uses: undefined for the declared one (an app's last stage, or a stage that shares it). */
function copyFor(declared: { stages: Record<string, { share?: string | undefined }> }, stage: string, u: Usage): string | undefined {
  return isLastStage(u, stage) || declared.stages[stage]?.share !== undefined ? undefined : stage;
}

function instances<T extends { name: string; stages: Record<string, { share?: string | undefined }> }>(
  cluster: ClusterConfig,
  kind: DataKind,
  declared: readonly T[],
): Instance<T>[] {
  const declaredCopies: Instance<T>[] = [];
  const stageCopies: Instance<T>[] = [];
  for (const item of declared) {
    const u = usage(cluster, kind, item.name);
    const byCopy = new Map<string | undefined, Set<string>>([[undefined, new Set()]]);
    const used = stagesOf(u);
    for (const stage of used.filter((s) => stageRuns(cluster, s))) {
      const copy = copyFor(item, stage, u);
      byCopy.set(copy, (byCopy.get(copy) ?? new Set()).add(stageNamespace(stage)));
    }
    // In an environment, the declared copy exists where a stage using it runs (or where nothing uses it).
    if (used.length > 0 && byCopy.get(undefined)!.size === 0 && used.some((s) => !stageRuns(cluster, s))) byCopy.delete(undefined);
    for (const [stage, namespaces] of byCopy) {
      const instance = { name: copyName(item.name, stage), declared: item, ...(stage !== undefined && { stage }), namespaces: [...namespaces].sort() };
      (stage === undefined ? declaredCopies : stageCopies).push(instance);
    }
  }
  return [...declaredCopies, ...stageCopies];
}

/** The owner role of a database copy: the declared owner (or the database's name), `-<stage>` for a stage's copy. */
const ownerOf = (db: DatabaseConfig, stage: string | undefined): string => copyName(db.owner ?? db.name, stage);

const databasesByConfig = new WeakMap<ClusterConfig, StageDatabase[]>();

/** Every database to render: the declared ones, then each stage's copy. */
export function stageDatabases(cluster: ClusterConfig): StageDatabase[] {
  const cached = databasesByConfig.get(cluster);
  if (cached) return cached;
  const servers = new Map(cluster.postgres.servers.map((s) => [s.name, s]));
  const result = instances(cluster, 'database', cluster.postgres.databases).map((instance): StageDatabase => {
    const db = instance.declared;
    const serverName = (instance.stage !== undefined && db.stages[instance.stage]?.server) || db.server;
    const server = servers.get(serverName);
    const owner = ownerOf(db, instance.stage);
    const initdbOwner = instance.stage === undefined && server?.initdb !== undefined && (server.initdb.owner ?? server.initdb.database ?? 'app') === owner;
    const secret = initdbOwner
      ? initdbSecretName(serverName)
      : db.sharedOwner
        ? databaseSecretName(`role-${owner}`)
        : databaseSecretName(instance.name);
    return { ...instance, server: serverName, serverNamespace: serverNamespace(server), owner, secret, initdbOwner };
  });
  databasesByConfig.set(cluster, result);
  return result;
}

export const stageCaches = (cluster: ClusterConfig): StageCache[] => instances(cluster, 'cache', cluster.caches);
export const stageTopics = (cluster: ClusterConfig): StageTopic[] => instances(cluster, 'topic', cluster.topics);

/** The name a declared data service has in a stage of an app. */
function nameIn<T extends { name: string; stages: Record<string, { share?: string | undefined }> }>(
  cluster: ClusterConfig,
  kind: DataKind,
  declared: readonly T[],
  name: string,
  stage: string,
): string {
  const item = declared.find((d) => d.name === name);
  if (!item) return name;
  return copyName(name, copyFor(item, stage, usage(cluster, kind, name)));
}

/** What `app` uses in `stage`. */
export function stageDataOf(cluster: ClusterConfig, app: AppConfig, stage: string): StageData {
  const shared: SharedData[] = [];
  const note = (kind: DataKind, declared: { name: string; stages: Record<string, { share?: string | undefined }> } | undefined, path: (string | number)[]) => {
    const reason = declared?.stages[stage]?.share;
    if (declared && reason !== undefined && !isLastStage(usage(cluster, kind, declared.name), stage))
      shared.push({ kind, name: declared.name, stage, lastStage: app.stages.at(-1)!, reason, path: formatPath([...path, 'stages', stage, 'share']) });
  };
  let database: StageDatabase | undefined;
  if (app.database) {
    const name = nameIn(cluster, 'database', cluster.postgres.databases, app.database, stage);
    database = stageDatabases(cluster).find((d) => d.name === name && d.declared.name === app.database);
    const index = cluster.postgres.databases.findIndex((d) => d.name === app.database);
    note('database', cluster.postgres.databases[index], ['postgres', 'databases', index]);
  }
  let cache: StageCache | undefined;
  if (app.cache) {
    const name = nameIn(cluster, 'cache', cluster.caches, app.cache, stage);
    cache = stageCaches(cluster).find((c) => c.name === name && c.declared.name === app.cache);
    const index = cluster.caches.findIndex((c) => c.name === app.cache);
    note('cache', cluster.caches[index], ['caches', index]);
  }
  const topic = (name: string) => nameIn(cluster, 'topic', cluster.topics, name, stage);
  for (const name of [...new Set([...app.topics.produce, ...app.topics.consume, ...(app.scale ? [app.scale.topic] : [])])]) {
    const index = cluster.topics.findIndex((t) => t.name === name);
    note('topic', cluster.topics[index], ['topics', index]);
  }
  const group = app.topics.consumerGroup ?? app.name;
  return {
    ...(database && { database }),
    ...(cache && { cache }),
    produce: app.topics.produce.map(topic),
    consume: app.topics.consume.map(topic),
    ...(app.scale && { scaleTopic: topic(app.scale.topic) }),
    consumerGroup: stage === app.stages.at(-1) ? group : `${group}-${stage}`,
    shared,
  };
}

/** Every stage of every app that uses the last stage's data, with its reason. */
export function sharedData(cluster: ClusterConfig): SharedData[] {
  const seen = new Set<string>();
  const out: SharedData[] = [];
  for (const app of cluster.apps)
    for (const stage of app.stages)
      for (const s of stageDataOf(cluster, app, stage).shared) {
        const key = `${s.kind}/${s.name}/${s.stage}`;
        if (!seen.has(key)) (seen.add(key), out.push(s));
      }
  return out;
}

const KINDS: { kind: DataKind; noun: string; collection: (string | number)[]; list: (c: ClusterConfig) => readonly { name: string; stages: Record<string, { share?: string | undefined; server?: string | undefined }> }[] }[] = [
  { kind: 'database', noun: 'database', collection: ['postgres', 'databases'], list: (c) => c.postgres.databases },
  { kind: 'cache', noun: 'cache', collection: ['caches'], list: (c) => c.caches },
  { kind: 'topic', noun: 'topic', collection: ['topics'], list: (c) => c.topics },
];

/** The config's stage-data mistakes, each with its path. */
export function stageDataIssues(cluster: ClusterConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const servers = cluster.postgres.servers.map((s) => s.name);
  for (const { kind, noun, collection, list } of KINDS) {
    const declared = list(cluster);
    const names = new Map(declared.map((d, i) => [d.name, i]));
    declared.forEach((item, i) => {
      const at = (...path: (string | number)[]) => formatPath([...collection, i, ...path]);
      const u = usage(cluster, kind, item.name);
      const stages = stagesOf(u);
      // A stage that is one app's last and another's earlier stage would hold both the declared data's credentials and its copy's.
      for (const stage of stages) {
        const last = u.users.find(({ app }) => app.stages.at(-1) === stage);
        const earlier = u.users.find(({ app }) => app.stages.includes(stage) && app.stages.at(-1) !== stage);
        if (last && earlier)
          issues.push({
            path: formatPath(['apps', earlier.index, 'stages']),
            message: `stage "${stage}" is the last stage of app "${last.app.name}", which uses the declared ${noun} "${item.name}" there, but an earlier stage of this app, which would get its own copy in the same namespace`,
            hint: `list the stages in the same order in both apps (the last one is production), or rename one of the stages`,
          });
      }
      const earlierStages = stages.filter((s) => !isLastStage(u, s));
      for (const [stage, options] of Object.entries(item.stages)) {
        if (!earlierStages.includes(stage))
          issues.push({
            path: at('stages', stage),
            message: stages.includes(stage)
              ? `"${stage}" is the last stage of an app using ${noun} "${item.name}": it always uses the declared ${noun}`
              : `no app uses ${noun} "${item.name}" in stage "${stage}"`,
            hint: earlierStages.length > 0 ? `name one of the earlier stages: ${earlierStages.join(', ')}` : `remove stages.${stage}`,
          });
        if (options.share !== undefined && options.server !== undefined)
          issues.push({
            path: at('stages', stage, 'server'),
            message: `stage "${stage}" shares the last stage's ${noun}, so it has no server of its own`,
            hint: 'remove server, or remove share to give the stage its own database on that server',
          });
        if (options.server !== undefined && !servers.includes(options.server))
          issues.push({
            path: at('stages', stage, 'server'),
            message: `database server "${options.server}" is not declared`,
            hint: servers.length > 0 ? `use one of ${servers.join(', ')}, or declare it in postgres.servers` : 'declare it in postgres.servers',
          });
      }
      for (const stage of earlierStages) {
        if (item.stages[stage]?.share !== undefined) continue;
        const copy = copyName(item.name, stage);
        const clash = names.get(copy);
        if (clash !== undefined)
          issues.push({
            path: at('name'),
            message: `stage "${stage}" gets its own ${noun} "${copy}", which ${formatPath([...collection, clash, 'name'])} already declares`,
            hint: `rename ${formatPath([...collection, clash, 'name'])}, or let stage "${stage}" share: stages: { ${stage}: { share: "<reason>" } }`,
          });
        else if (copy.length > 63 || (kind === 'database' && ownerOf(item as DatabaseConfig, stage).length > 63))
          issues.push({
            path: at('name'),
            message: `stage "${stage}" gets its own ${noun} "${copy}"${kind === 'database' ? ' (and owner role)' : ''}, longer than the 63 characters a name may have`,
            hint: `shorten the ${noun} name or the stage name`,
          });
      }
    });
  }
  // Two copies must not end up with one owner role on one server: each generates the role's password.
  const owners = new Map<string, StageDatabase>();
  for (const db of stageDatabases(cluster)) {
    // A copy named like a declared database is reported above.
    if (db.stage === undefined || cluster.postgres.databases.some((d) => d.name === db.name)) continue;
    const key = `${db.serverNamespace}/${db.server}/${db.owner}`;
    const first = owners.get(key) ?? stageDatabases(cluster).find((d) => d.stage === undefined && d.server === db.server && d.owner === db.owner);
    if (first && first !== db && !(db.declared.sharedOwner && first.declared.sharedOwner)) {
      const index = cluster.postgres.databases.indexOf(db.declared);
      issues.push({
        path: formatPath(['postgres', 'databases', index, 'name']),
        message: `the copy "${db.name}" of stage "${db.stage}" would be owned by role "${db.owner}", which already owns "${first.name}" on server "${db.server}"`,
        hint: 'rename the database or its owner, or put the stage\'s copy on another server with stages: { <stage>: { server: "<name>" } }',
      });
    } else owners.set(key, db);
  }
  return issues;
}

/** Annotation of a workload that uses the last stage's data: `plinth.dev/shares-<kind>: <name> of stage <last>: <reason>`. */
export const SHARES_PREFIX = 'plinth.dev/shares-';

/** The annotations saying what a stage's workload shares with the last stage, and why: validate warns on each. */
export function sharedDataAnnotations(shared: readonly SharedData[]): Record<string, string> {
  const byKind = new Map<DataKind, string[]>();
  for (const s of shared) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), `${s.name} of stage ${s.lastStage}: ${s.reason.trim()}`]);
  return Object.fromEntries([...byKind].map(([kind, notes]) => [`${SHARES_PREFIX}${kind}`, notes.join('; ')]));
}
