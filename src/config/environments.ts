import { z } from 'zod';
import { ConfigError, UsageError, type ConfigIssue } from '../errors.ts';
import { dnsLabel, type ClusterConfig, type EnvironmentInfo, type Registry } from './schema.ts';
import { formatPath, suggestion, type PathSegment } from './paths.ts';
import { toPlainData } from './plain.ts';
import { stageRuns } from './stages.ts';
import { presets as PRESETS } from './presets.ts';
import { linkHubs } from './hub.ts';
import { resolveCluster, type ResolvedCluster } from './validate.ts';

export { stageRuns };
export type { EnvironmentInfo };

type Plain = Record<string, unknown>;

/**
 * An input merged under an environment's own overrides (the `local` preset): given the base input, it returns
 * overrides in the same shape as an environment's.
 */
export type Preset = (base: Readonly<Plain>) => Plain;

/** The keys of an environment that are about the environment itself; every other key overrides the base. */
const ENVIRONMENT_KEYS = ['context', 'preset', 'managedBy', 'server', 'stages'] as const;

const httpsServer = z.url({ protocol: /^https$/ });

const environmentShape = {
  context: z.string().min(1),
  preset: z.enum(['local']).optional(),
  managedBy: dnsLabel.optional(),
  server: httpsServer.optional(),
  stages: z.array(dnsLabel).min(1).optional(),
};

/**
 * Lists of named things an override merges into item by item, as a strategic merge does: an item whose `name`
 * is in the base changes that item, a new name is added. Every other list is replaced (Helm merges values so).
 */
const NAMED_LISTS = new Set(['apps', 'topics', 'caches', 'charts', 'postgres.servers', 'postgres.databases']);

const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNamed = (value: unknown): value is Plain & { name: string } => isPlain(value) && typeof value.name === 'string';

/**
 * The base input with an environment's overrides merged onto it. Objects merge key by key, named lists by name,
 * other values are replaced; under `components`, `false` turns a component off and `true` keeps the base's options.
 */
export function mergeOverrides(base: Plain, override: Plain, path: string[] = []): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    const at = [...path, key];
    if (path.length === 1 && path[0] === 'components' && value === true && isPlain(current)) continue;
    if (isPlain(current) && isPlain(value)) out[key] = mergeOverrides(current, value, at);
    else if (NAMED_LISTS.has(at.join('.')) && Array.isArray(current) && Array.isArray(value)) out[key] = mergeNamed(current, value, at);
    else out[key] = value;
  }
  return out;
}

function mergeNamed(base: unknown[], override: unknown[], path: string[]): unknown[] {
  const out = [...base];
  for (const item of override) {
    const index = isNamed(item) ? out.findIndex((b) => isNamed(b) && b.name === item.name) : -1;
    if (index >= 0) out[index] = mergeOverrides(out[index] as Plain, item as Plain, path);
    else out.push(item);
  }
  return out;
}

/** Reads a path as formatPath writes it (`apps[2].host`, `components["cert-manager"]`); undefined for `(root)` and the like. */
export function parsePath(formatted: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  const token = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = formatted;
  while (rest) {
    const match = token.exec(rest);
    if (!match || (segments.length === 0 && rest.startsWith('.'))) return undefined;
    segments.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : (JSON.parse(match[3]!) as string)));
    rest = rest.slice(match[0].length);
  }
  return segments.length ? segments : undefined;
}

/**
 * Where a path of the merged input is set in an environment's overrides, or undefined when the override does not
 * set it (the base does). A named list's index in the merged input is the item's index in the override.
 */
function overridePath(merged: unknown, override: unknown, path: readonly PathSegment[]): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  let m = merged;
  let o = override;
  for (const segment of path) {
    if (o === true || o === false) return out; // a component switched on or off: the issue is about the switch
    if (typeof segment === 'number') {
      if (!Array.isArray(o) || !Array.isArray(m)) return undefined;
      const item = m[segment];
      // A replaced list is the override's own; a named list's item is found by its name.
      const index = o === m ? segment : isNamed(item) ? o.findIndex((x) => isNamed(x) && x.name === item.name) : -1;
      if (index < 0 || index >= o.length) return undefined;
      out.push(index);
      m = item;
      o = o[index];
    } else {
      if (!isPlain(o) || !(segment in o)) return undefined;
      out.push(segment);
      m = isPlain(m) ? m[segment] : undefined;
      o = o[segment];
    }
  }
  return out;
}

export interface ResolvedEnvironment extends ResolvedCluster {
  config: ClusterConfig & { environment: EnvironmentInfo };
}

/**
 * Every cluster a config declares: one per environment, each the base input with the environment's preset and
 * overrides merged onto it, validated as a config of its own; or the one cluster of a config without
 * `environments`, exactly as resolveCluster gives it. An issue inside an environment's overrides is named at
 * `environments.<env>.<path>`; an issue of the base once, at its own path, with the environments it occurs in
 * when not all of them.
 */
export function resolveEnvironments(
  raw: unknown,
  registry: Registry,
  file?: string,
  presets: Readonly<Record<string, Preset>> = PRESETS,
): ResolvedCluster[] {
  const plain = toPlainData(raw);
  if (!plain.ok) throw new ConfigError(plain.issues, file);
  const input = plain.value;
  if (!isPlain(input) || !('environments' in input)) return [resolveCluster(input, registry, file)];
  const { environments, ...base } = input;
  if (!isPlain(environments) || Object.keys(environments).length === 0)
    throw new ConfigError(
      [{ path: 'environments', message: isPlain(environments) ? 'is empty' : 'must be an object of environments by name', hint: 'declare one: environments: { production: { context: "prod" } }, or remove environments for one cluster' }],
      file,
    );
  const names = Object.keys(environments);
  const issues: ConfigIssue[] = [];
  const baseIssues = new Map<string, { issue: ConfigIssue; in: string[] }>();
  const resolved: ResolvedCluster[] = [];
  const declaredStages = new Set<string>();
  for (const app of Array.isArray(base.apps) ? base.apps : []) if (isPlain(app) && Array.isArray(app.stages)) app.stages.forEach((s) => typeof s === 'string' && declaredStages.add(s));

  for (const name of names) {
    const entry = environments[name];
    const at = (...path: PathSegment[]) => formatPath(['environments', name, ...path]);
    const nameCheck = dnsLabel.safeParse(name);
    if (!nameCheck.success) {
      issues.push({ path: at(), message: `"${name}" is not a DNS label: it names the environment's folder and its cluster's identity`, hint: 'use lowercase letters, digits and "-", e.g. "staging"' });
      continue;
    }
    if (!isPlain(entry)) {
      issues.push({ path: at(), message: 'must be an object', hint: `write environments: { ${name}: { context: "<kubeconfig context>" } }` });
      continue;
    }
    const own = Object.fromEntries(ENVIRONMENT_KEYS.filter((k) => k in entry).map((k) => [k, entry[k]]));
    const parsed = z.strictObject(environmentShape).safeParse(own);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(environmentIssue(issue, own, at));
      continue;
    }
    const info: EnvironmentInfo = { name, ...parsed.data };
    if ('environments' in entry) issues.push({ path: at('environments'), message: 'environments do not nest', hint: 'declare every environment at the top level' });
    if (info.managedBy !== undefined) {
      const hub = environments[info.managedBy];
      if (info.managedBy === name) issues.push({ path: at('managedBy'), message: 'names the environment itself', hint: 'name the environment whose Argo CD manages this one, or remove managedBy' });
      else if (!isPlain(hub)) issues.push({ path: at('managedBy'), message: `environment "${info.managedBy}" is not declared`, hint: suggestion(info.managedBy, names.filter((n) => n !== name), 'environment') });
      else if (hub.managedBy !== undefined) issues.push({ path: at('managedBy'), message: `environment "${info.managedBy}" is itself managed by "${String(hub.managedBy)}": a hub manages its spokes itself`, hint: `set managedBy: "${String(hub.managedBy)}"` });
      if (info.server === undefined) issues.push({ path: at('server'), message: `is required with managedBy: the hub's Argo CD reaches this cluster's API server at it`, hint: `add server: "https://<api server of ${name}>:6443"` });
    }
    (info.stages ?? []).forEach((stage, i) => {
      if (!declaredStages.has(stage))
        issues.push({
          path: at('stages', i),
          message: `stage "${stage}" is not a stage of any app`,
          hint: declaredStages.size ? suggestion(stage, [...declaredStages], 'stage') : 'declare it in apps[].stages, or remove it',
        });
    });

    const override = Object.fromEntries(Object.entries(entry).filter(([k]) => !(ENVIRONMENT_KEYS as readonly string[]).includes(k) && k !== 'environments'));
    const preset = info.preset ? presets[info.preset] : undefined;
    const withPreset = preset ? mergeOverrides(base, preset(base)) : base;
    const merged = mergeOverrides(withPreset, override);
    // Each environment's tree goes to its own folder of the base git.path unless it names one.
    if (!(isPlain(override.git) && 'path' in override.git) && isPlain(merged.git))
      merged.git = { ...merged.git, path: `${typeof merged.git.path === 'string' ? merged.git.path : 'rendered'}/${name}` };
    try {
      const cluster = resolveCluster(merged, registry, file, info);
      resolved.push({ ...cluster, config: { ...cluster.config, environment: info } });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const issue of error.issues) {
        const path = parsePath(issue.path);
        const inOverride = path && overridePath(merged, override, path);
        if (inOverride) issues.push({ ...issue, path: at(...inOverride) });
        else {
          const key = `${issue.path}\0${issue.message}`;
          const seen = baseIssues.get(key);
          if (seen) seen.in.push(name);
          else baseIssues.set(key, { issue, in: [name] });
        }
      }
    }
  }
  // Two environments writing one folder would overwrite each other's tree.
  // One inside the other alike: rendering the outer one removes the inner tree's files as no longer rendered.
  const folders = new Map<string, string>();
  const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (const { config } of resolved) {
    const [folder, other] = [...folders].find(([path]) => overlaps(path, config.git.path)) ?? [];
    if (other === undefined) folders.set(config.git.path, config.environment!.name);
    else
      issues.push({
        path: formatPath(['environments', config.environment!.name, 'git', 'path']),
        message: `"${config.git.path}" ${folder === config.git.path ? 'is also' : 'overlaps'} the tree folder of environment "${other}"${folder === config.git.path ? '' : ` ("${folder}")`}: each would overwrite the other's tree`,
        hint: `give each environment its own folder, or leave git.path out (its tree then goes to ${config.git.path.split('/').slice(0, -1).join('/') || 'rendered'}/${config.environment!.name})`,
      });
  }
  // A stage no environment runs would never be deployed anywhere.
  const stagesRun = names.map((n) => (isPlain(environments[n]) ? environments[n].stages : undefined));
  if (issues.length === 0 && !stagesRun.some((s) => s === undefined)) {
    const everywhere = new Set(stagesRun.flatMap((s) => (Array.isArray(s) ? s : [])));
    (Array.isArray(base.apps) ? base.apps : []).forEach((app, i) => {
      if (!isPlain(app) || !Array.isArray(app.stages)) return;
      app.stages.forEach((stage, j) => {
        if (typeof stage === 'string' && !everywhere.has(stage))
          issues.push({
            path: formatPath(['apps', i, 'stages', j]),
            message: `stage "${stage}" runs in no environment: every environment lists its stages, and none lists it`,
            hint: `add it to the stages of the environment it runs in, e.g. environments.${names[0]}.stages`,
          });
      });
    });
  }
  for (const { issue, in: where } of baseIssues.values())
    issues.push(where.length === names.length ? issue : { ...issue, message: `${issue.message} (in environment${where.length === 1 ? '' : 's'} ${where.map((w) => `"${w}"`).join(', ')})` });
  if (issues.length > 0) throw new ConfigError(issues, file);
  return linkHubs(resolved, registry, file);
}

function environmentIssue(issue: z.core.$ZodIssue, own: Plain, at: (...path: PathSegment[]) => string): ConfigIssue {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const where = at(...path);
  if (issue.code === 'invalid_type' && own[String(path[0])] === undefined)
    return { path: where, message: 'is required: the kubeconfig context of the environment\'s cluster', hint: `add ${where}: "<context name>" (kubectl config get-contexts lists them)` };
  if (issue.code === 'invalid_value') return { path: where, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
  if (path[0] === 'server') return { path: where, message: 'must be the https URL of the cluster\'s API server', hint: 'e.g. "https://10.0.0.10:6443"' };
  return { path: where, message: issue.message };
}

/** The environments an app's stage runs in, in the order they are declared. */
export function environmentsOfStage(clusters: readonly ResolvedCluster[], app: string, stage: string): string[] {
  return clusters.flatMap(({ config }) =>
    config.environment && config.apps.some((a) => a.name === app && a.stages.includes(stage)) && stageRuns(config, stage) ? [config.environment.name] : [],
  );
}

/**
 * The cluster a command works on: with environments, the one --env names (required); without, the only one
 * (and --env is refused, so a typo never falls back to the wrong cluster).
 */
export function pickEnvironment(clusters: readonly ResolvedCluster[], env: string | undefined): ResolvedCluster {
  const names = clusters.flatMap((c) => (c.config.environment ? [c.config.environment.name] : []));
  if (names.length === 0) {
    if (env !== undefined)
      throw new UsageError(`--env ${env}: the config declares no environments; it is one cluster`, 'leave out --env, or declare environments: { ... } in the config (docs/environments.md)');
    return clusters[0]!;
  }
  if (env === undefined)
    throw new UsageError(`the config declares environments (${names.join(', ')}): say which cluster with --env NAME`, `e.g. --env ${names[0]}`);
  const found = clusters.find((c) => c.config.environment?.name === env);
  if (!found) throw new UsageError(`--env ${env}: no such environment`, suggestion(env, names, 'environment'));
  return found;
}
