import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { resolveGraph, type ResolvedGraph } from '../core/graph.ts';
import { deploymentPatchIssues } from '../core/merge.ts';
import { envContractIssues } from '../apps/env.ts';
import { namespaceNameProblem, objectNameProblem } from '../core/names.ts';
import type { AnyComponent, K8sObject } from '../core/types.ts';
import { baseShape, clusterSchema, commonComponentOptions, componentsSchema, INT32_MAX, type ClusterConfig, type EnabledComponent, type EnvironmentInfo, type Registry } from './schema.ts';
import { appHosts, componentHosts, hostCollisions } from './hosts.ts';
import { formatPath, suggestion } from './paths.ts';
import { toPlainData } from './plain.ts';
import { requirementIssues } from './requirements.ts';
import { ssoIssues } from '../core/sso.ts';
import { chartIssues, enabledCharts, withUserCharts } from './charts.ts';
import { workloadIssues } from '../apps/workload-checks.ts';
import { imageIssues } from '../apps/images.ts';
import { networkIssues } from '../apps/network-options.ts';
import { appSecretIssues } from '../apps/secrets.ts';
import { backupIssues } from '../components/cloudnative-pg/backup.ts';
import { stageDataIssues } from '../apps/stage-data.ts';
import { bootstrapIssues } from '../components/cloudnative-pg/bootstrap.ts';

export interface ResolvedCluster {
  config: ClusterConfig;
  graph: ResolvedGraph;
}

/**
 * Validates a cluster definition against the registry's components and resolves their dependency graph.
 * Throws a ConfigError carrying every problem found, each with its config path.
 */
export function resolveCluster(raw: unknown, registry: Registry, file?: string, environment?: EnvironmentInfo): ResolvedCluster {
  // The API takes any value: what is not plain data (a cycle, a getter, NaN) is reported here, not met in the render.
  const plain = toPlainData(raw);
  if (!plain.ok) throw new ConfigError(plain.issues, file);
  const input = plain.value;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError([{ path: '(root)', message: `must be an object, got ${typeName(input)}`, hint: 'export default defineCluster({ ... })' }], file);
  }
  // The components and the rest are checked apart, so a mistake in one does not hide the other's problems.
  const normalized = normalizeComponents(input);
  const base = z.strictObject({ ...baseShape, components: z.unknown() }).safeParse(normalized, { reportInput: true });
  const parsedComponents = componentsSchema(registry).safeParse(normalized.components ?? {}, { reportInput: true });
  const issues: ConfigIssue[] = [];
  // A missing `components` is reported once, below, with its own hint.
  if (!base.success)
    issues.push(
      ...base.error.issues
        .filter((issue) => !(issue.path.length === 1 && issue.path[0] === 'components'))
        .flatMap((issue) => describeIssue(issue, input, registry)),
    );
  if (!parsedComponents.success)
    issues.push(
      ...parsedComponents.error.issues.flatMap((issue) =>
        describeIssue({ ...issue, path: ['components', ...issue.path] }, input, registry),
      ),
    );
  if ((input as { components?: unknown }).components === undefined)
    issues.push({ path: 'components', message: 'is required', hint: 'enable components, e.g. components: { "argo-cd": {} }' });

  const components: Record<string, EnabledComponent> = {};
  if (parsedComponents.success) {
    for (const [id, value] of Object.entries(parsedComponents.data)) {
      if (value === undefined) continue;
      const { namespace, needs, values, extraObjects, sso, ...options } = value as Record<string, never>;
      components[id] = { options, common: { namespace, needs, values, extraObjects, ...(sso !== undefined && { sso }) } };
    }
    issues.push(...componentIssues(components));
  }
  // From here on each chart is a component of its own (src/config/charts.ts, docs/adr/0007-charts-as-components.md).
  if (base.success) {
    const declared = base.data as Pick<ClusterConfig, 'charts'>;
    issues.push(...chartIssues(declared, registry));
    const charts = enabledCharts(declared, registry);
    issues.push(...componentIssues(charts));
    Object.assign(components, charts);
    registry = withUserCharts(registry, declared);
  }
  // The environment is known to the checks: a spoke's apps are deployed by its hub's Argo CD (src/config/hub.ts).
  const config = base.success ? ({ ...(base.data as Omit<ClusterConfig, 'components'>), components, ...(environment && { environment }) } as ClusterConfig) : undefined;
  if (config) issues.push(...semanticIssues(config));
  if (config) issues.push(...workloadIssues(config, input));
  if (config) issues.push(...imageIssues(config, input));
  if (config && parsedComponents.success) {
    issues.push(...requirementIssues(config, new Set(Object.keys(components))));
    issues.push(...componentDataIssues(config));
  }
  // The components' hosts come from rendering their charts, which is only safe on an otherwise valid config.
  if (config) issues.push(...hostIssues(config, parsedComponents.success && issues.length === 0 ? registry : undefined));
  // After the host checks: which hosts `sso` protects is found in the components' rendered charts too.
  if (config) issues.push(...ssoIssues(config, parsedComponents.success && issues.length === 0 ? registry : undefined));

  const graphResult = parsedComponents.success
    ? resolveGraph(
        Object.keys(components).map((id) => ({
          id,
          needs: componentNeeds(registry[id]!, components[id]!.options),
          uses: (registry[id]!.uses?.(components[id]!.options, { components }) ?? []).map((used) => ({
            id: used,
            path: formatPath(['components', id]),
            hint: `enable it with components: { "${used}": {} }, or change components[${JSON.stringify(id)}]'s options so it does not need it`,
          })),
          extraNeeds: components[id]!.common.needs,
          conflicts: registry[id]!.conflicts,
          ...(components[id]!.path && { path: components[id]!.path }),
        })),
        Object.keys(registry),
      )
    : undefined;
  if (graphResult && !graphResult.ok) issues.push(...graphResult.issues);
  if (issues.length > 0 || !config || !graphResult?.ok) throw new ConfigError(issues, file);
  return { config, graph: graphResult.graph };
}

export function componentNeeds(component: AnyComponent, options: Record<string, unknown>): readonly string[] {
  return typeof component.needs === 'function' ? component.needs(options) : component.needs;
}

/** `components: { "cert-manager": true }` is shorthand for the component with default options. */
function normalizeComponents(input: object): Record<string, unknown> & { components?: unknown } {
  const { components } = input as { components?: unknown };
  if (typeof components !== 'object' || components === null) return input as Record<string, unknown>;
  const normalized = Object.fromEntries(
    Object.entries(components).map(([id, value]) => [id, value === true ? {} : value === false ? undefined : value]),
  );
  return { ...input, components: normalized };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return `the BigInt ${value}n`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${JSON.stringify(value)}`;
  return typeof value;
}

/** A fix for a value of the wrong type that plain data never holds (the API takes any object). */
function typeHint(value: unknown): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return 'use a finite number';
  if (typeof value === 'bigint') return `write ${value} without the "n"`;
  if (typeof value === 'function' || typeof value === 'symbol') return 'a config holds data only: use a plain value';
  return undefined;
}

const withHint = (issue: ConfigIssue, hint: string | undefined): ConfigIssue => (hint ? { ...issue, hint } : issue);

/** Keys a strict object schema accepts at a path, found by walking the schema alongside the path. */
function knownKeysAt(registry: Registry, path: readonly PropertyKey[]): string[] {
  if (path[0] === 'components') {
    if (path.length === 1) return Object.keys(registry);
    const component = registry[String(path[1])];
    if (!component) return [];
    return keysOf(z.object({ ...component.options.shape, ...commonComponentOptions }), path.slice(2));
  }
  return keysOf(clusterSchema({}), path);
}

function keysOf(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    const def = (s as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if (def.innerType) return unwrap(def.innerType);
    if (def.type === 'pipe' && def.in) return unwrap(def.in);
    return s;
  };
  for (const key of path) {
    if (!current) return [];
    const s = unwrap(current);
    if (s instanceof z.ZodObject) current = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) current = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) current = s.valueType as z.ZodType;
    else return [];
  }
  if (!current) return [];
  const s = unwrap(current);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, registry: Registry): ConfigIssue[] {
  const path = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(registry, path);
      const isComponent = path.length === 1 && path[0] === 'components';
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        message: isComponent ? `unknown component "${key}"` : `unknown key "${key}"`,
        hint: suggestion(key, known, isComponent ? 'component' : 'key'),
      }));
    }
    case 'invalid_type': {
      const actual = valueAt(input, path);
      if (actual === undefined) {
        // zod's "nonoptional" is a key whose schema takes anything, but not nothing.
        const expected = issue.expected === 'nonoptional' ? '' : ` (${issue.expected})`;
        return [{ path: formatPath(path), message: `is required${expected}`, hint: `add ${formatPath(path)}` }];
      }
      return [withHint({ path: formatPath(path), message: `must be ${article(issue.expected)}, got ${typeName(actual)}` }, typeHint(actual))];
    }
    case 'invalid_key': {
      const key = String(path.at(-1));
      const reason = issue.issues.find((sub) => sub.message)?.message ?? 'is not a valid key here';
      return [{ path: formatPath(path), message: `key ${JSON.stringify(key)} ${reason}`, hint: 'rename the key' }];
    }
    case 'invalid_value':
      return [{ path: formatPath(path), message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const relation = issue.code === 'too_small' ? 'at least' : 'at most';
      const unit = issue.origin === 'array' ? ' entries' : issue.origin === 'string' ? ' characters' : '';
      const described = { path: formatPath(path), message: `must be ${relation} ${String(bound)}${unit}, got ${typeName(valueAt(input, path))}` };
      return [bound === INT32_MAX ? { ...described, hint: 'Kubernetes stores this count as a 32-bit integer: use a realistic number' } : described];
    }
    case 'invalid_format':
    case 'custom':
    default: {
      const actual = valueAt(input, path);
      const shown = typeof actual === 'string' ? `"${actual.length > 80 ? `${actual.slice(0, 77)}...` : actual}" ` : '';
      const message = issue.message.startsWith('"') || issue.message.startsWith('Invalid') ? issue.message : `${shown}${issue.message}`;
      const hint = issue.code === 'custom' ? (issue.params as { hint?: unknown } | undefined)?.hint : undefined;
      return [withHint({ path: formatPath(path), message }, typeof hint === 'string' ? hint : undefined)];
    }
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function semanticIssues(config: ClusterConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const unique = (items: { name: string }[], collection: (string | number)[], noun: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.name);
      if (first === undefined) seen.set(item.name, i);
      else
        issues.push({
          path: formatPath([...collection, i, 'name']),
          message: `duplicate ${noun} name "${item.name}" (first declared at ${formatPath([...collection, first, 'name'])})`,
          hint: `rename one of them: ${noun} names must be unique`,
        });
    });
  };
  unique(config.apps, ['apps'], 'app');
  issues.push(...networkIssues(config.apps));
  issues.push(...deploymentPatchIssues(config.apps));
  issues.push(...envContractIssues(config));
  issues.push(...appSecretIssues(config));
  issues.push(...backupIssues(config));
  issues.push(...stageDataIssues(config));
  issues.push(...bootstrapIssues(config.postgres.servers));
  unique(config.topics, ['topics'], 'topic');
  unique(config.caches, ['caches'], 'cache');
  unique(config.postgres.servers, ['postgres', 'servers'], 'database server');
  unique(config.postgres.databases, ['postgres', 'databases'], 'database');
  const servers = config.postgres.servers.map((s) => s.name);
  const databases = config.postgres.databases.map((d) => d.name);
  const topics = config.topics.map((t) => t.name);
  const caches = config.caches.map((c) => c.name);
  const appNames = config.apps.map((a) => a.name);
  config.postgres.databases.forEach((db, i) => {
    if (!servers.includes(db.server))
      issues.push({
        path: formatPath(['postgres', 'databases', i, 'server']),
        message: `database server "${db.server}" is not declared`,
        hint: servers.length ? suggestion(db.server, servers, 'server') : `declare it: postgres: { servers: [{ name: "${db.server}" }] }`,
      });
  });

  const reference = (path: (string | number)[], name: string, declared: string[], noun: string, collection: string) => {
    if (declared.includes(name)) return;
    issues.push({
      path: formatPath(path),
      message: `${noun} "${name}" is not declared`,
      hint: !declared.length
        ? `declare it in ${collection}`
        : suggestion(name, declared, noun).startsWith('did you mean')
          ? `declare it in ${collection} or ${suggestion(name, declared, noun)}`
          : `declare it in ${collection}, or use one that is declared: ${[...declared].sort().join(', ')}`,
    });
  };
  config.apps.forEach((app, i) => {
    if (app.database) reference(['apps', i, 'database'], app.database, databases, 'database', 'postgres.databases');
    if (app.cache) reference(['apps', i, 'cache'], app.cache, caches, 'cache', 'caches');
    app.topics.produce.forEach((t, j) => reference(['apps', i, 'topics', 'produce', j], t, topics, 'topic', 'topics'));
    app.topics.consume.forEach((t, j) => reference(['apps', i, 'topics', 'consume', j], t, topics, 'topic', 'topics'));
    if (app.scale) {
      reference(['apps', i, 'scale', 'topic'], app.scale.topic, topics, 'topic', 'topics');
      if (!app.topics.consume.includes(app.scale.topic))
        issues.push({
          path: formatPath(['apps', i, 'scale', 'topic']),
          message: `scales on the lag of "${app.scale.topic}", which the app does not consume`,
          hint: `add "${app.scale.topic}" to apps[${i}].topics.consume`,
        });
      if (app.scale.minReplicas > app.scale.maxReplicas)
        issues.push({
          path: formatPath(['apps', i, 'scale', 'minReplicas']),
          message: `minReplicas ${app.scale.minReplicas} exceeds maxReplicas ${app.scale.maxReplicas}`,
          hint: 'lower minReplicas or raise maxReplicas',
        });
    }
    if (app.host) {
      if (app.host !== config.domain && !app.host.endsWith(`.${config.domain}`))
        issues.push({
          path: formatPath(['apps', i, 'host']),
          message: `"${app.host}" is outside the cluster domain "${config.domain}", so external-dns would not publish it`,
          hint: `use a name under the domain, e.g. "${app.name}.${config.domain}"`,
        });
    }
    app.calls.forEach((callee, j) => {
      if (callee === app.name)
        issues.push({ path: formatPath(['apps', i, 'calls', j]), message: `"${callee}" is the app itself`, hint: 'list only other apps it sends requests to' });
      else reference(['apps', i, 'calls', j], callee, appNames, 'app', 'apps');
      const target = config.apps.find((a) => a.name === callee);
      const missing = target && app.stages.filter((stage) => !target.stages.includes(stage));
      if (missing?.length)
        issues.push({
          path: formatPath(['apps', i, 'calls', j]),
          message: `"${callee}" does not run in stage${missing.length > 1 ? 's' : ''} ${missing.map((s) => `"${s}"`).join(', ')}, where this app calls it`,
          hint: `add ${missing.map((s) => `"${s}"`).join(', ')} to the stages of "${callee}"`,
        });
    });
    app.stages.forEach((stage, j) => {
      const application = `${app.name}-${stage}`;
      if (application in config.components || stage === 'pipeline')
        issues.push({
          path: formatPath(['apps', i, 'stages', j]),
          message: `the Argo CD Application "${application}" of this stage would collide with ${application in config.components ? `the component "${application}"` : "the app's pipeline"}`,
          hint: 'rename the stage or the app',
        });
    });
    issues.push(...extraObjectIssues(app.extraObjects, ['apps', i, 'extraObjects']));
    const stages = new Set<string>();
    app.stages.forEach((stage, j) => {
      if (stages.has(stage))
        issues.push({ path: formatPath(['apps', i, 'stages', j]), message: `stage "${stage}" is listed twice`, hint: 'list each stage once, in promotion order' });
      stages.add(stage);
    });
  });

  return issues;
}

function componentIssues(components: Record<string, EnabledComponent>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [id, component] of Object.entries(components)) {
    issues.push(...extraObjectIssues(component.common.extraObjects ?? [], [...(component.path ?? ['components', id]), 'extraObjects']));
    issues.push(...int32Issues(component.options, component.path ?? ['components', id]));
  }
  return issues;
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Raw objects are checked as the API server would check their names, since each one's kind, namespace and name
 * also name its file in the tree: `../` in any of them would write outside it.
 */
function extraObjectIssues(objects: readonly K8sObject[], path: (string | number)[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  objects.forEach((object, i) => {
    const at = [...path, i];
    const { kind, apiVersion, metadata } = object;
    if (kind === 'Secret' && (object.data !== undefined || object.stringData !== undefined))
      issues.push({
        path: formatPath(at),
        message: `Secret "${metadata.name}" carries data, which would land in git`,
        hint: 'declare the secret as an input and set it with `plinth secrets set`; External Secrets delivers it',
      });
    // A kind is a DNS-1035 label once lowercased (k8s.io/apiextensions-apiserver
    // pkg/apis/apiextensions/validation/validation.go, ValidateCustomResourceDefinitionNames).
    if (!DNS1035_LABEL.test(kind.toLowerCase()))
      issues.push({
        path: formatPath([...at, 'kind']),
        message: `${JSON.stringify(kind.length > 80 ? `${kind.slice(0, 77)}...` : kind)} is not a Kubernetes kind`,
        hint: 'a kind is one word of letters and digits, such as "ConfigMap" or "ClusterIssuer"',
      });
    const nameProblem = objectNameProblem(kind, apiVersion, metadata.name);
    if (nameProblem)
      issues.push({
        path: formatPath([...at, 'metadata', 'name']),
        message: nameProblem,
        hint: `Kubernetes refuses this name for a ${DNS1035_LABEL.test(kind.toLowerCase()) ? kind : 'object'}: rename it`,
      });
    if (metadata.namespace !== undefined) {
      const namespaceProblem =
        typeof metadata.namespace === 'string' ? namespaceNameProblem(metadata.namespace) : `must be a string, got ${typeName(metadata.namespace)}`;
      if (namespaceProblem)
        issues.push({ path: formatPath([...at, 'metadata', 'namespace']), message: namespaceProblem, hint: 'use the name of a namespace, or leave it out' });
    }
  });
  return issues;
}

/** Integer options of components count replicas, brokers, shards: Kubernetes stores such counts as int32. */
function int32Issues(value: unknown, path: (string | number)[]): ConfigIssue[] {
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) > INT32_MAX
      ? [
          {
            path: formatPath(path),
            message: `must be at most ${INT32_MAX}, got number ${value}`,
            hint: 'Kubernetes stores this count as a 32-bit integer: use a realistic number',
          },
        ]
      : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => int32Issues(child, [...path, Array.isArray(value) ? Number(key) : key]));
}

/**
 * One host, one Ingress: an app's host (in any stage) that a component or another app already serves would leave
 * one of the two without traffic, with nothing in any status to say so.
 */
function hostIssues(config: ClusterConfig, registry: Registry | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const reported = new Set<string>();
  for (const { claim, first } of hostCollisions([...(registry ? componentHosts(config, registry) : []), ...appHosts(config)])) {
    const key = `${claim.path} ${first.path}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const where = claim.app?.stage ? ` (its stage "${claim.app.stage}" is served there)` : '';
    if (claim.app && first.app && !claim.app.stage && !first.app.stage)
      issues.push({ path: claim.path, message: `host "${claim.host}" is already used by apps[${first.app.index}]`, hint: 'give each app its own host' });
    else if (first.app)
      issues.push({
        path: claim.path,
        message: `host "${claim.host}"${where} is already the host of ${first.owner}, so two Ingresses would claim it`,
        hint: 'give each app its own host: a stage before the last is served at "<stage>-<host>"',
      });
    else
      issues.push({
        path: claim.path,
        message: `host "${claim.host}"${where} is already served by ${first.owner}, so two Ingresses would claim it and one would get no traffic`,
        hint: `use another host${first.option ? `, or move the component's with ${first.option}` : ''}`,
      });
  }
  return issues;
}

/** Checks of declarations against the options of the component that serves them. */
function componentDataIssues(config: ClusterConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // Only Let's Encrypt has an account to write to; the local CA has none.
  const certManager = config.components['cert-manager']?.options as { issuer?: string; acmeEmail?: string } | undefined;
  if (certManager && certManager.issuer !== 'local-ca' && certManager.acmeEmail === undefined)
    issues.push({
      path: formatPath(['components', 'cert-manager', 'acmeEmail']),
      message: "is required: Let's Encrypt sends expiry notices to it and recovers the account with it",
      hint: 'add components["cert-manager"].acmeEmail, e.g. "ops@example.org" (or issuer: "local-ca" on a cluster no public CA can reach)',
    });
  const redpanda = config.components['redpanda'];
  if (redpanda) {
    const brokers = (redpanda.options as { brokers: number }).brokers;
    config.topics.forEach((topic, i) => {
      if (topic.replicas > brokers)
        issues.push({
          path: formatPath(['topics', i, 'replicas']),
          message: `replication factor ${topic.replicas} exceeds the ${brokers} Redpanda broker${brokers === 1 ? '' : 's'}`,
          hint: `lower topics[${i}].replicas to at most ${brokers}, or raise components.redpanda.brokers`,
        });
      else if (topic.replicas % 2 === 0)
        issues.push({
          path: formatPath(['topics', i, 'replicas']),
          message: `replication factor ${topic.replicas} is even; Redpanda requires an odd one`,
          hint: `use ${topic.replicas - 1} or ${topic.replicas + 1}`,
        });
    });
  }
  // Each database generates its owner's password, so two databases cannot share an owner on one server.
  const owners = new Map<string, number>();
  config.postgres.databases.forEach((db, i) => {
    const owner = db.owner ?? db.name;
    const key = `${db.server}/${owner}`;
    const first = owners.get(key);
    if (first === undefined) return void owners.set(key, i);
    if (db.sharedOwner && config.postgres.databases[first]!.sharedOwner) return;
    issues.push({
      path: formatPath(['postgres', 'databases', i, db.owner ? 'owner' : 'name']),
      message: `owner "${owner}" already owns postgres.databases[${first}] on server "${db.server}"`,
      hint: 'give each database its own owner (each one gets its own generated password), or state sharedOwner: true on every database of that owner',
    });
  });
  return issues;
}
