import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { closest, formatPath, type PathSegment } from '../config/paths.ts';
import type { ClusterConfig } from '../config/schema.ts';
import type { RenderedTree } from '../core/render.ts';
import { readYaml } from '../core/yaml.ts';
import type { Finding } from './finding.ts';
import { VALUES_SOURCES, type ValuesSource } from './values-sources.ts';

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Values a user set for one chart: where they sit in the config, and everything Plinth hands Helm for it. */
export interface ValuesTarget {
  /** Config path of the user's values, e.g. `['components', 'eraser', 'values']`. */
  path: PathSegment[];
  chart: string;
  version: string;
  user: Plain;
  /** The values of the rendered Application: the component's typed values with the user's merged last. */
  rendered: Plain;
  /** Values inside a manifest's Argo CD Application rather than a config: `path` is then a JSON Pointer into it. */
  object?: { file: string; document: number; name: string };
}

/** Where a target's findings point, and how a path under it is written: a config path, or a JSON Pointer. */
interface Where {
  file: string;
  document: number;
  object: string;
  chart: string;
  show: (path: PathSegment[]) => string;
}

const pointer = (path: PathSegment[]) => path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/**
 * Options of a component that pass values to a second chart it renders itself, by option name and chart:
 * istio renders istiod's Application, and istio-cni's and ztunnel's in ambient mode (src/components/istio/index.ts).
 */
const OPTION_VALUES: Record<string, { option: string; chart: string }[]> = {
  istio: [
    { option: 'istiodValues', chart: 'istiod' },
    { option: 'cniValues', chart: 'cni' },
    { option: 'ztunnelValues', chart: 'ztunnel' },
  ],
};

/**
 * List options whose items each render an Application of a second chart, found by the Application's name: runners
 * renders one gha-runner-scale-set Application per set (src/components/runners/index.ts applicationName).
 */
const ITEM_VALUES: Record<string, { option: string; chart: string; application: (item: Plain) => string }[]> = {
  runners: [{ option: 'sets', chart: 'gha-runner-scale-set', application: (set) => `runner-set-${String(set.name)}` }],
};

interface HelmSource {
  chart?: string;
  targetRevision?: string;
  helm?: { valuesObject?: Plain };
}

function helmSources(object: Plain): HelmSource[] {
  const spec = (object.spec ?? {}) as { source?: HelmSource; sources?: HelmSource[] };
  return [...(spec.source ? [spec.source] : []), ...(spec.sources ?? [])].filter((s) => typeof s.chart === 'string');
}

/** The values each enabled component's config sets, with the chart they go to, read off the render. */
export function valuesTargets(cluster: ClusterConfig, tree: RenderedTree): ValuesTarget[] {
  const targets: ValuesTarget[] = [];
  for (const component of tree.components) {
    const enabled = cluster.components[component.id];
    if (!enabled) continue;
    const owned = tree.objects.filter((o) => o.object.kind === 'Application' && (o.file === `apps/${component.id}.yaml` || o.file.startsWith(`manifests/${component.id}/`)));
    const sourceOf = (chart: string) => owned.flatMap((o) => helmSources(o.object)).find((s) => s.chart === chart);
    const add = (user: unknown, path: PathSegment[], chart: string) => {
      const source = sourceOf(chart);
      if (!isPlain(user) || Object.keys(user).length === 0 || !source?.targetRevision) return;
      targets.push({ path, chart, version: source.targetRevision, user, rendered: source.helm?.valuesObject ?? {} });
    };
    if (component.chart) add(enabled.common.values, [...(enabled.path ?? ['components', component.id]), 'values'], component.chart.chart);
    for (const { option, chart } of OPTION_VALUES[component.id] ?? []) add(enabled.options[option], ['components', component.id, option], chart);
    for (const { option, chart, application } of ITEM_VALUES[component.id] ?? []) {
      const items = enabled.options[option];
      (Array.isArray(items) ? items : []).forEach((item, i) => {
        const source = isPlain(item) ? owned.filter((o) => o.object.metadata.name === application(item)).flatMap((o) => helmSources(o.object)).find((s) => s.chart === chart) : undefined;
        if (!isPlain(item) || !isPlain(item.values) || Object.keys(item.values).length === 0 || !source?.targetRevision) return;
        targets.push({ path: ['components', component.id, option, i, 'values'], chart, version: source.targetRevision, user: item.values, rendered: source.helm?.valuesObject ?? {} });
      });
    }
  }
  return targets;
}

/** Helm values an Argo CD Application sets: `valuesObject` over the YAML of `values`, as Argo CD merges them. */
function applicationValues(source: HelmSource & { helm?: { values?: unknown } }): Plain | undefined {
  let values: Plain = {};
  if (typeof source.helm?.values === 'string')
    try {
      const parsed = readYaml(source.helm.values);
      if (isPlain(parsed)) values = parsed;
    } catch {
      // a values string that is not YAML fails in Argo CD itself; nothing to check here
    }
  if (isPlain(source.helm?.valuesObject)) values = helmMerge(values, source.helm.valuesObject);
  return Object.keys(values).length ? values : undefined;
}

/**
 * The Helm values of Argo CD Applications written by hand: in a config's extraObjects (at their config path), or in
 * manifests being validated (at a JSON Pointer into the object). Only the charts whose values Plinth knows are checked.
 */
export function applicationTargets(applications: { object: Plain; path?: PathSegment[]; at?: { file: string; document: number; name: string } }[]): ValuesTarget[] {
  const targets: ValuesTarget[] = [];
  for (const { object, path, at } of applications) {
    if (object.kind !== 'Application' || !String(object.apiVersion ?? '').startsWith('argoproj.io/')) continue;
    const spec = (isPlain(object.spec) ? object.spec : {}) as { source?: HelmSource; sources?: HelmSource[] };
    const sources: [HelmSource, PathSegment[]][] = [
      ...(isPlain(spec.source) ? [[spec.source, ['spec', 'source']] as [HelmSource, PathSegment[]]] : []),
      ...(Array.isArray(spec.sources) ? spec.sources.map((s, i) => [s, ['spec', 'sources', i]] as [HelmSource, PathSegment[]]) : []),
    ];
    for (const [source, under] of sources) {
      if (!isPlain(source)) continue;
      const { chart, targetRevision, helm } = source as HelmSource;
      if (typeof chart !== 'string' || typeof targetRevision !== 'string') continue;
      const values = applicationValues(source as HelmSource);
      if (!values) continue;
      targets.push({
        path: [...(path ?? []), ...under, 'helm', isPlain(helm?.valuesObject) ? 'valuesObject' : 'values'],
        chart,
        version: targetRevision,
        user: values,
        rendered: values,
        ...(at ? { object: at } : {}),
      });
    }
  }
  return targets;
}

/** A tree of the keys a chart's values.yaml lists; `open` where any key may go (maps left empty, lists, subcharts). */
type KeyNode = { open: true } | { open: false; children: Map<string, KeyNode> };
const OPEN: KeyNode = { open: true };

function keyTree(value: unknown): KeyNode {
  if (!isPlain(value) || Object.keys(value).length === 0) return OPEN;
  return { open: false, children: new Map(Object.entries(value).map(([k, v]) => [k, keyTree(v)])) };
}

/**
 * Keys a values.yaml documents only as comments (`# podAnnotations: {}`), with their parents by indentation:
 * many charts list optional keys that way (the upstream sources list, caveat 15). Prose that happens to look like
 * `# word: ...` only adds a key nobody sets.
 */
export function commentedKeys(text: string): PathSegment[][] {
  const stack: { indent: number; segments: string[] }[] = [];
  const found: PathSegment[][] = [];
  for (const line of text.split('\n')) {
    const commented = /^(\s*)#( ?)(\s*)(- )?([A-Za-z0-9_.$/-]+):(\s|$)/.exec(line);
    const real = commented ? undefined : /^(\s*)(- )?("[^"]+"|'[^']+'|[^\s#'"][^:#]*?):(\s|$)/.exec(line);
    if (!commented && !real) continue;
    // `#   key` under `# parent` is a child of it: the spaces after the marker count as indentation.
    const indent = commented ? commented[1]!.length + commented[3]!.length : real![1]!.length;
    const item = commented ? commented[4] : real![2];
    const key = (commented ? commented[5]! : real![3]!).replace(/^["']|["']$/g, '');
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    // Keys inside list items are not checked (a list replaces the default); `[]` keeps them from matching map keys.
    const segments = item ? ['[]', key] : [key];
    const path = [...stack.flatMap((s) => s.segments), ...segments];
    if (commented && !path.includes('[]')) found.push(path);
    stack.push({ indent, segments });
  }
  return found;
}

/** Istio's charts nest every default under this key; users set them at the top level (SOURCES.md caveat 15). */
const ISTIO_DEFAULTS = '_internal_defaults_do_not_set';
/**
 * Top-level keys Istio's templates/zzz_profile.yaml reads besides the defaults (istio/istio
 * manifests/charts/base/templates/zzz_profile.yaml at 1.30.3, lines 18-41: `.Values.defaults`, `.Values.profile`,
 * `.Values.compatibilityVersion`, `.Values.platform`; every Istio chart has the same file).
 */
const ISTIO_PROFILE_KEYS = ['defaults', 'profile', 'platform', 'compatibilityVersion'];

/**
 * Keys a chart's templates read that its values.yaml does not list, not even in a comment: istio base reads
 * `base.validationFailurePolicy` (istio/istio manifests/charts/base/templates/defaultrevision-validatingwebhookconfiguration.yaml:49
 * at 1.30.3), which istiod's values.yaml lists only as a comment.
 */
const READ_BUT_UNLISTED: Record<string, string[][]> = {
  base: [['base', 'validationFailurePolicy']],
  // kiali-server writes every value but kiali_route_url into Kiali's config.yaml (kiali/helm-charts
  // kiali-server/templates/configmap.yaml `omit .Values "kiali_route_url"` at v2.29.0), so Kiali's own config keys
  // its values.yaml leaves out are read too: the Prometheus URL and the Istio namespace the kiali component sets.
  'kiali-server': [['external_services', 'prometheus', 'url'], ['istio_namespace']],
};

/**
 * Maps a chart's templates pass whole into a configuration of their own, so their keys are that program's, not
 * the chart's: istiod merges `meshConfig` into the mesh config (istio/istio
 * manifests/charts/istio-control/istio-discovery/templates/configmap.yaml:79 at 1.30.3); Argo CD's chart writes
 * `configs.cm`, `configs.params` and `configs.rbac`, less `create` and `annotations`, into the argocd-cm,
 * argocd-cmd-params-cm and argocd-rbac-cm ConfigMaps (argoproj/argo-helm charts/argo-cd/templates/_helpers.tpl
 * `argo-cd.config.cm` and line 257, templates/argocd-configs/argocd-rbac-cm.yaml:15, at argo-cd-10.1.1). ARC's
 * gha-runner-scale-set renders every key of `template.spec` into the runner pods' spec (actions/actions-runner-controller
 * charts/gha-runner-scale-set/templates/autoscalingrunnerset.yaml `range $key, $val := .Values.template.spec`, and
 * `.Values.template.spec.volumes` in templates/_helpers.tpl, at gha-runner-scale-set-0.14.2): a PodTemplateSpec's keys.
 */
const PASSED_WHOLE: Record<string, string[][]> = {
  istiod: [['meshConfig']],
  'argo-cd': [['configs', 'cm'], ['configs', 'params'], ['configs', 'rbac']],
  'gha-runner-scale-set': [['template']],
  // kiali-server/templates/ingress.yaml at v2.29.0: `toYaml .Values.deployment.ingress.override_yaml.spec` is the Ingress's spec.
  'kiali-server': [['deployment', 'ingress', 'override_yaml', 'spec']],
};

/** The keys a chart accepts according to its default values.yaml, with the known gaps of that list left open. */
export function chartKeys(text: string, source: Pick<ValuesSource, 'chart' | 'subcharts'>): KeyNode {
  let defaults = readYaml(text) as unknown;
  let commented = commentedKeys(text);
  const istio = isPlain(defaults) && ISTIO_DEFAULTS in defaults;
  if (istio) {
    defaults = { ...(defaults as Plain)[ISTIO_DEFAULTS] as Plain, ...Object.fromEntries(ISTIO_PROFILE_KEYS.map((k) => [k, {}])) };
    commented = commented.filter((p) => p[0] === ISTIO_DEFAULTS).map((p) => p.slice(1));
  }
  const root = keyTree(defaults);
  if (root.open) return root;
  // `global` is shared with every subchart; a subchart's keys are its own chart's, listed only in part by the parent.
  for (const key of ['global', ...(source.subcharts ?? [])]) root.children.set(key, OPEN);
  for (const path of PASSED_WHOLE[source.chart] ?? []) {
    const parent = path.slice(0, -1).reduce<KeyNode | undefined>((node, key) => (node && !node.open ? node.children.get(key) : undefined), root);
    if (parent && !parent.open) parent.children.set(path[path.length - 1]!, OPEN);
  }
  for (const path of [...commented, ...(READ_BUT_UNLISTED[source.chart] ?? [])]) {
    let node: KeyNode = root;
    for (const segment of path) {
      if (node.open) break;
      const child = node.children.get(String(segment));
      if (!child) {
        node.children.set(String(segment), OPEN);
        break;
      }
      node = child;
    }
  }
  return root;
}

function allPaths(node: KeyNode, prefix: string[] = [], out: string[][] = []): string[][] {
  if (node.open) return out;
  for (const [key, child] of node.children) {
    out.push([...prefix, key]);
    allPaths(child, [...prefix, key], out);
  }
  return out;
}

/** The first path of leaves under a value, for suggesting where the whole setting belongs. */
function firstLeaf(value: unknown): string[] {
  if (!isPlain(value)) return [];
  const [key, child] = Object.entries(value)[0] ?? [];
  return key === undefined ? [] : [key, ...firstLeaf(child)];
}

const sharedPrefix = (a: string[], b: string[]) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** Whether the chart lists a path, or a map it leaves open holds it. */
function listed(root: KeyNode, path: string[]): boolean {
  let node = root;
  for (const segment of path) {
    if (node.open) return true;
    const child = node.children.get(segment);
    if (!child) return false;
    node = child;
  }
  return true;
}

/**
 * Where a key the chart does not list was probably meant to go: a dotted key written as the path it names
 * (`crds.enabled`, as `--set` reads it, is one key in values), the same key with the same keys beneath it elsewhere
 * in the chart (`manager.scanner.enabled` for `components.scanner.enabled`), else a sibling it is a typo of.
 */
function suggest(root: KeyNode, parent: string[], key: string, value: unknown, siblings: Iterable<string>): Suggestion | undefined {
  if (key.includes('.') && listed(root, [...parent, ...key.split('.')])) return { path: [...parent, ...key.split('.')], dotted: true };
  const tail = [key, ...firstLeaf(value)];
  const paths = allPaths(root);
  const ends = (path: string[], suffix: string[]) => path.length >= suffix.length && suffix.every((s, i) => path[path.length - suffix.length + i] === s);
  for (const suffix of [tail, [key], tail.slice(-1)]) {
    const moved = paths
      .filter((p) => ends(p, suffix))
      .sort((a, b) => sharedPrefix(b, parent) - sharedPrefix(a, parent) || a.length - b.length || a.join('.').localeCompare(b.join('.')));
    if (moved.length) return { path: moved[0]! };
    if (suffix === tail) {
      const typo = closest(key, siblings);
      if (typo) return { path: [...parent, typo, ...tail.slice(1)] };
    }
  }
  return undefined;
}

interface Suggestion {
  path: string[];
  /** The key was a dotted path written as one key. */
  dotted?: true;
}

interface Unknown {
  at: string[];
  value: unknown;
  suggestion?: Suggestion;
}

function unknownKeys(root: KeyNode, values: Plain): Unknown[] {
  const out: Unknown[] = [];
  const walk = (node: KeyNode, value: Plain, at: string[]) => {
    if (node.open) return;
    for (const [key, child] of Object.entries(value)) {
      const known = node.children.get(key);
      if (!known) {
        const suggestion = suggest(root, at, key, child, node.children.keys());
        out.push({ at: [...at, key], value: child, ...(suggestion ? { suggestion } : {}) });
      } else if (isPlain(child)) walk(known, child, [...at, key]);
    }
  };
  walk(root, values, []);
  return out;
}

/** A dotted key is one key in Helm values; only `--set` reads dots as a path. */
const DOTTED = 'a dotted key is one key in Helm values, not a path as in --set: nest it';

const leafPath = (u: Unknown) => [...u.at, ...firstLeaf(u.value)].join('.');

/** Helm's merge of values: maps merge, anything else replaces, and `null` deletes the key. */
function helmMerge(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = isPlain(out[key]) && isPlain(value) ? helmMerge(out[key] as Plain, value) : value;
  }
  return out;
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validators = new Map<string, Promise<Validator>>();

/**
 * Helm validates with the draft the schema names; ajv has one class per draft. Formats are not asserted, as in Helm.
 * Shared subschemas stay functions of their own (inlineRefs: false), which compiles Redpanda's 1.6 MB schema faster.
 */
function compile(file: string, text: string): Promise<Validator> {
  let compiled = validators.get(file);
  if (!compiled) {
    compiled = (async () => {
      const schema = JSON.parse(text) as Plain;
      const draft2020 = String(schema.$schema ?? '').includes('2020-12');
      const { default: AjvClass } = draft2020 ? await import('ajv/dist/2020.js') : await import('ajv');
      const Ctor = AjvClass as unknown as new (options: object) => { compile: (schema: object) => Validator };
      return new Ctor({ strict: false, allErrors: true, verbose: true, inlineRefs: false, logger: false, validateFormats: false, validateSchema: false }).compile(schema);
    })();
    validators.set(file, compiled);
  }
  return compiled;
}

const decodePointer = (pointer: string) => (pointer ? pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')) : []);

function has(values: unknown, path: string[]): boolean {
  let node = values;
  for (const segment of path) {
    if (!isPlain(node) && !Array.isArray(node)) return false;
    if (!(segment in (node as Plain))) return false;
    node = (node as Plain)[segment];
  }
  return true;
}

function schemaFindings(target: ValuesTarget, validate: Validator, defaults: Plain, where: Where): Finding[] {
  if (validate(helmMerge(defaults, target.rendered))) return [];
  const byPath = new Map<string, { path: string[]; messages: string[]; hint?: string }>();
  for (const error of validate.errors ?? []) {
    // anyOf/oneOf restate their branches' errors as one vaguer line.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
    const path = decodePointer(error.instancePath);
    let message = error.message ?? 'is invalid';
    let hint: string | undefined;
    if (error.keyword === 'additionalProperties') {
      const extra = String((error.params as { additionalProperty: string }).additionalProperty);
      path.push(extra);
      message = 'is not a key the chart accepts';
      const known = Object.keys(((error.parentSchema as Plain | undefined)?.properties ?? {}) as Plain);
      const match = closest(extra, known);
      const dotted = extra.includes('.') && known.includes(extra.split('.')[0]!);
      hint = dotted
        ? `${DOTTED}, ${where.show([...target.path, ...path.slice(0, -1), ...extra.split('.')])}`
        : match ? `did you mean "${[...path.slice(0, -1), match].join('.')}"?` : known.length ? `keys here: ${known.sort().join(', ')}` : undefined;
    } else if (error.keyword === 'required') {
      path.push(String((error.params as { missingProperty: string }).missingProperty));
      message = 'is required by the chart';
    } else if (error.keyword === 'enum') message = `must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    const key = path.join('\u0000');
    const entry = byPath.get(key) ?? { path, messages: [] };
    if (!entry.messages.includes(message)) entry.messages.push(message);
    entry.hint ??= hint;
    byPath.set(key, entry);
  }
  return [...byPath.values()].map(({ path, messages, hint }) => {
    const mine = has(target.user, path);
    const shown = path.join('.') || '(the values)';
    return {
      file: where.file,
      document: where.document,
      object: where.object,
      path: where.show(mine ? [...target.path, ...path] : target.path),
      rule: 'values/schema',
      severity: 'error',
      message: `${mine ? '' : `${shown}, in the values merged from the chart's defaults, Plinth's and yours: `}${messages.slice(0, 3).join('; ')} (${where.chart}'s values.schema.json): Helm refuses to install the chart`,
      hint: hint ?? (mine ? `change or remove ${where.show([...target.path, ...path])}` : `check what ${where.show(target.path)} changes under ${shown}`),
    } satisfies Finding;
  });
}

export interface ValuesCheckOptions {
  /** The schemas directory: values files under its values/, values.schema.json files under its schemas/. */
  dir: string;
  /** The config file, as findings name it. */
  file: string;
}

/**
 * Checks the Helm values a config sets against each pinned chart: its values.schema.json when it ships one (an error,
 * as Helm refuses such values), otherwise the keys its default values.yaml lists (a warning, since a chart may read
 * keys it does not list). A key Helm does not read is otherwise silently ignored, and the setting quietly missing.
 */
export async function checkValues(targets: ValuesTarget[], options: ValuesCheckOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const missing = new Set<string>();
  for (const target of targets) {
    const source = VALUES_SOURCES.find((s) => s.chart === target.chart && s.version === target.version);
    const chart = `${target.chart} ${target.version}`;
    const where: Where = target.object
      ? { file: target.object.file, document: target.object.document, object: target.object.name, chart, show: pointer }
      : { file: options.file, document: 1, object: '', chart, show: formatPath };
    const read = (file: string) => readFile(file, 'utf8').catch(() => undefined);
    const valuesText = source && (await read(join(options.dir, 'values', source.values.file)));
    const schemaText = source?.schema && (await read(join(options.dir, 'schemas', source.schema.file)));
    // An Application of a chart Plinth does not pin is someone else's to check.
    if (!source && (target.object || target.path.includes('extraObjects'))) continue;
    if (!source || (valuesText === undefined && schemaText === undefined)) {
      missing.add(`${target.object ? `${target.object.name} ${pointer(target.path)}` : formatPath(target.path)} (${chart})`);
      continue;
    }
    if (schemaText !== undefined) {
      const defaults = valuesText === undefined ? {} : ((readYaml(valuesText) as Plain | null) ?? {});
      const validate = await compile(join(options.dir, 'schemas', source.schema!.file), schemaText);
      findings.push(...schemaFindings(target, validate, defaults, where));
      continue;
    }
    const root = chartKeys(valuesText!, source);
    for (const unknown of unknownKeys(root, target.user))
      findings.push({
        file: where.file,
        document: where.document,
        object: where.object,
        path: where.show([...target.path, ...unknown.at]),
        rule: 'values/unknown-key',
        severity: 'warning',
        message: `${leafPath(unknown)} is not a key of chart ${chart}'s default values.yaml: Helm ignores keys a chart does not read, so this setting may do nothing`,
        hint: unknown.suggestion
          ? unknown.suggestion.dotted
            ? `${DOTTED}, ${where.show([...target.path, ...unknown.suggestion.path])}`
            : `did you mean "${unknown.suggestion.path.join('.')}"? (${where.show([...target.path, ...unknown.suggestion.path])})`
          : `check the key against the chart's values.yaml; if the chart reads it anyway (a key its templates use but its values.yaml does not list), the warning can stay`,
      });
  }
  if (missing.size)
    findings.push({
      file: options.file,
      document: 1,
      object: '',
      path: '',
      rule: 'values/unchecked',
      severity: 'info',
      message: `chart values not checked, no values.yaml or values.schema.json of the pinned chart in ${options.dir}: ${[...missing].sort().join(', ')}`,
      hint: 'run `plinth schemas pull` to fetch the pinned charts\' values files, or set PLINTH_SCHEMAS_DIR to a folder holding values/ and schemas/',
    });
  return findings;
}
