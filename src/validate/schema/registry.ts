import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { closest } from '../../config/paths.ts';
import type { Ajv, ErrorObject } from 'ajv';
import { nameRuleFor, nameRuleProblem, namespaceNameProblem, objectNameProblem, type NameRule } from '../../core/names.ts';
import type { K8sObject } from '../../core/types.ts';
import { readYamlAll } from '../../core/yaml.ts';
import { builtinKinds, builtinSchema, clientVersion } from './builtin.ts';
import { compileRule, evaluateRule, toCel } from './cel.ts';
import { FORMATS, IGNORED_FORMATS } from './formats.ts';
import { extensionsOf, fieldsAt, rootToAjv, shareRepeatedSubschemas, METADATA, type ExtNode, type Schema } from './structural.ts';

const nodeRequire = createRequire(import.meta.url);

/** Where Plinth keeps what it can rebuild: pulled CRDs and compiled validators. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.PLINTH_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'plinth'));
}

/**
 * The schemas directory: `$PLINTH_SCHEMAS_DIR` (CRDs under its `crds/`), else the cache `plinth schemas pull` fills.
 */
export function schemasDir(env: Record<string, string | undefined> = process.env): string {
  return env.PLINTH_SCHEMAS_DIR ? resolve(env.PLINTH_SCHEMAS_DIR) : join(cacheDir(env), 'schemas');
}

/** A schema problem; `ajv` keeps the validator's own wording for callers that match on it. */
export interface SchemaProblem {
  path: string;
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  hint?: string;
  ajv?: { instancePath: string; message: string; params: Record<string, unknown> };
  /** An unknown kind while the schemas directory holds no CRDs at all: reported once for the run, not per object. */
  noSchemas?: boolean;
}

interface Entry {
  source: 'built-in' | 'crd';
  /** Where the schema comes from, for messages: a CRD file or the client-node release. */
  origin: string;
  namespaced: boolean;
  cacheKey: string;
  /** The kind's schema as ajv reads it (built-ins) or as the CRD states it (structural). */
  load: () => Promise<Schema>;
  structural: boolean;
}

interface Compiled {
  validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
  ext: ExtNode | undefined;
  defaults: boolean;
}

/** A validator's code as V8 compiled it, and where its code cache goes if it had none that V8 accepted. */
interface Loaded {
  script: Script;
  codeCacheFile: string | undefined;
  needsCodeCache: boolean;
}

interface CrdVersionRef {
  file: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
}

/** The sources of the schema code, so a cached validator is rebuilt whenever the way it is made changes. */
let compilerHash: Promise<string> | undefined;
function compilerVersion(): Promise<string> {
  compilerHash ??= (async () => {
    const hash = createHash('sha256');
    for (const file of ['structural.ts', 'builtin.ts', 'formats.ts', 'registry.ts']) hash.update(await readFile(new URL(file, import.meta.url)));
    hash.update(JSON.parse(await readFile(nodeRequire.resolve('ajv/package.json'), 'utf8')).version);
    return hash.digest('hex').slice(0, 16);
  })();
  return compilerHash;
}

/** V8 rejects another version's code cache; naming the files by version lets several Node versions share a cache. */
const V8_TAG = process.versions.v8.replace(/[^0-9a-z.]/gi, '_');

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/** Parses the CRDs of a file as the API server would receive them; js-yaml because upstream CRD files are large. */
function crdsIn(text: string): any[] {
  return (readYamlAll(text) as any[]).filter((d) => d?.kind === 'CustomResourceDefinition' && d.apiVersion === 'apiextensions.k8s.io/v1');
}

function crdVersions(crd: any, file: string): CrdVersionRef[] {
  return (crd.spec?.versions ?? [])
    .filter((v: any) => v.served !== false && v.schema?.openAPIV3Schema)
    .map((v: any) => ({ file, group: crd.spec.group, version: v.name, kind: crd.spec.names.kind, namespaced: crd.spec.scope !== 'Cluster' }));
}

/**
 * The content hash of each CRD file. A hash is remembered with the file's size and time, so an unchanged
 * file is not read again; a fresh checkout (same content, new times, as on a CI machine with a restored
 * cache) hashes each file once, and everything keyed by the hashes is reused.
 */
async function contentHashes(dir: string, files: string[], cache: string): Promise<Map<string, string>> {
  type Memo = Record<string, { size: number; mtimeMs: number; hash: string }>;
  const memoFile = join(cache, `crd-hashes-${sha(dir)}.json`);
  let memo: Memo = {};
  try {
    memo = JSON.parse(await readFile(memoFile, 'utf8')) as Memo;
  } catch {
    // not remembered yet
  }
  let changed = false;
  await Promise.all(
    files.map(async (file) => {
      const { size, mtimeMs } = await stat(join(dir, file));
      if (memo[file]?.size === size && memo[file].mtimeMs === mtimeMs) return;
      memo[file] = { size, mtimeMs, hash: createHash('sha256').update(await readFile(join(dir, file))).digest('hex').slice(0, 32) };
      changed = true;
    }),
  );
  if (changed || Object.keys(memo).length !== files.length)
    await writeAtomic(memoFile, JSON.stringify(Object.fromEntries(files.map((f) => [f, memo[f]])))).catch(() => {});
  return new Map(files.map((f) => [f, memo[f]!.hash]));
}

/** Every served CRD version under `dir`, keyed `group/version/Kind`, cached on disk by the files' contents. */
async function crdIndex(dir: string, cache: string | undefined): Promise<{ index: Map<string, CrdVersionRef>; stamps: Map<string, string> }> {
  let files: string[] = [];
  try {
    files = (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    return { index: new Map(), stamps: new Map() };
  }
  // The hashes key what is cached; without a cache there is nothing to key.
  const stamps = cache ? await contentHashes(dir, files, cache) : new Map(files.map((f) => [f, '']));
  const indexFile = cache && join(cache, `crd-index-${sha([...stamps].join('\n'))}.json`);
  if (indexFile)
    try {
      return { index: new Map(JSON.parse(await readFile(indexFile, 'utf8'))), stamps };
    } catch {
      // not cached yet
    }
  const index = new Map<string, CrdVersionRef>();
  for (const file of files)
    for (const crd of crdsIn(readFileSync(join(dir, file), 'utf8')))
      for (const ref of crdVersions(crd, file)) index.set(`${ref.group}/${ref.version}/${ref.kind}`, ref);
  if (indexFile) await writeAtomic(indexFile, JSON.stringify([...index])).catch(() => {});
  return { index, stamps };
}

export interface RegistryOptions {
  /** The schemas directory; CRDs are read from its `crds/` folder. */
  schemasDir: string;
  /** Where compiled validators are kept between runs; false for none. */
  cacheDir?: string | false;
}

export interface KindInfo {
  source: 'built-in' | 'crd';
  origin: string;
  namespaced: boolean;
}

export interface SchemaRegistry {
  readonly crdsDir: string;
  /** How many CRD versions the schemas directory serves. */
  readonly crdCount: number;
  kind(apiVersion: string, kind: string): KindInfo | undefined;
  /**
   * Finishes writing the cache: the validators this run compiled, and V8's compiled code of them, so the
   * next run neither compiles a schema nor parses a validator. Call it once the objects are checked.
   */
  flush(): Promise<void>;
  /** Adds the schemas of CustomResourceDefinition objects (e.g. from the manifests being validated). */
  addCrds(objects: unknown[], origin: string): void;
  check(object: K8sObject): Promise<SchemaProblem[]>;
}

export async function openSchemaRegistry(options: RegistryOptions): Promise<SchemaRegistry> {
  const crdsDir = join(options.schemasDir, 'crds');
  const cache = options.cacheDir === false ? undefined : join(options.cacheDir ?? cacheDir(), 'validators');
  if (cache) await mkdir(cache, { recursive: true }).catch(() => {});
  const [{ index: crds, stamps }, builtins, version, client] = await Promise.all([
    crdIndex(crdsDir, cache),
    builtinKinds(),
    compilerVersion(),
    clientVersion(),
  ]);

  const entries = new Map<string, Entry>();
  const parsedFiles = new Map<string, Promise<any[]>>();
  const crdSchema = (ref: CrdVersionRef) => async () => {
    let docs = parsedFiles.get(ref.file);
    if (!docs) parsedFiles.set(ref.file, (docs = readFile(join(crdsDir, ref.file), 'utf8').then(crdsIn)));
    const crd = (await docs).find((c) => c.spec.group === ref.group && c.spec.names.kind === ref.kind);
    return crd.spec.versions.find((v: any) => v.name === ref.version).schema.openAPIV3Schema as Schema;
  };
  for (const [key, ref] of crds)
    entries.set(`${ref.group}/${ref.version}/${ref.kind}`, {
      source: 'crd',
      origin: join(crdsDir, ref.file),
      namespaced: ref.namespaced,
      cacheKey: sha(`${version}\n${ref.file}\n${stamps.get(ref.file)}\n${key}`),
      load: crdSchema(ref),
      structural: true,
    });
  for (const [key, b] of builtins)
    entries.set(key, {
      source: 'built-in',
      origin: `Kubernetes (@kubernetes/client-node ${client})`,
      namespaced: b.namespaced,
      cacheKey: sha(`${version}\n${client}\n${key}`),
      load: () => builtinSchema(b.model),
      structural: false,
    });

  // The compiler is loaded only when a validator is not cached yet: running a cached one needs ajv's runtime only.
  let compiler: Promise<{ ajv: Ajv; standaloneCode: (ajv: Ajv, fn: unknown) => string }> | undefined;
  const newCompiler = async () => {
    const [{ Ajv, _ }, standalone] = await Promise.all([import('ajv'), import('ajv/dist/standalone/index.js')]);
    const instance = new Ajv({
      strict: false,
      allErrors: true,
      useDefaults: true,
      // Shared subschemas stay functions of their own instead of being copied into each use.
      inlineRefs: false,
      logger: false,
      unicodeRegExp: false,
      // ajv's pass over the generated code took about a third of compiling and saved nothing measurable at run time.
      code: { source: true, optimize: false, formats: _`require("plinth-formats")` },
    });
    for (const [name, format] of Object.entries(FORMATS)) instance.addFormat(name, format as RegExp);
    for (const name of IGNORED_FORMATS) instance.addFormat(name, true);
    return { ajv: instance, standaloneCode: standalone.default as unknown as (ajv: Ajv, fn: unknown) => string };
  };
  const loaded: Loaded[] = [];
  const writes: Promise<void>[] = [];
  /**
   * Runs a standalone validator's code. V8 compiles functions lazily on their first call, so its code cache
   * is taken after the run (flush) and then holds every function the objects needed.
   */
  const load = (code: string, name: string, codeCacheFile?: string): Compiled['validate'] => {
    let cachedData: Buffer | undefined;
    if (codeCacheFile)
      try {
        cachedData = readFileSync(codeCacheFile);
      } catch {
        // no code cache yet: V8 compiles from source
      }
    const script = new Script(`(function (module, exports, require) {${code}\n})`, { filename: `plinth-validator:${name}`, ...(cachedData && { cachedData }) });
    loaded.push({ script, codeCacheFile, needsCodeCache: !cachedData || script.cachedDataRejected === true });
    const module = { exports: {} as any };
    script.runInThisContext()(module, module.exports, (id: string) => (id === 'plinth-formats' ? FORMATS : nodeRequire(id)));
    return module.exports.default ?? module.exports;
  };
  const compiled = new Map<string, Promise<Compiled>>();
  const compile = (key: string, entry: Entry): Promise<Compiled> => {
    let result = compiled.get(key);
    if (result) return result;
    result = (async (): Promise<Compiled> => {
      const file = cache && join(cache, `${entry.cacheKey}.json`);
      const codeCacheFile = cache && join(cache, `${entry.cacheKey}.v8-${V8_TAG}.bin`);
      if (file)
        try {
          const stored = JSON.parse(await readFile(file, 'utf8')) as { code: string; ext?: ExtNode; defaults: boolean };
          return { validate: load(stored.code, key, codeCacheFile), ext: stored.ext, defaults: stored.defaults };
        } catch {
          // not cached yet, or unreadable: compile
        }
      const schema = await entry.load();
      const ajvSchema = entry.structural ? rootToAjv(schema) : { ...schema, properties: { ...schema.properties, metadata: METADATA } };
      const ext = entry.structural ? extensionsOf(schema) : undefined;
      const defaults = entry.structural && JSON.stringify(schema).includes('"default":');
      const { ajv, standaloneCode } = await (compiler ??= newCompiler());
      const fn = ajv.compile(shareRepeatedSubschemas(safePatterns(ajvSchema)));
      const code = standaloneCode(ajv, fn);
      ajv.removeSchema();
      // Written while the objects are checked; flush() waits for it.
      if (file) writes.push(writeAtomic(file, JSON.stringify({ code, ext, defaults })).catch(() => {}));
      return { validate: load(code, key, codeCacheFile), ext, defaults };
    })();
    compiled.set(key, result);
    return result;
  };

  const lookup = (apiVersion: string, kind: string): [string, Entry | undefined] => {
    const key = `${apiVersion}/${kind}`;
    return [key, entries.get(key)];
  };

  return {
    crdsDir,
    crdCount: crds.size,
    kind(apiVersion, kind) {
      const entry = lookup(apiVersion, kind)[1];
      return entry && { source: entry.source, origin: entry.origin, namespaced: entry.namespaced };
    },
    async flush() {
      await Promise.all(writes.splice(0));
      const pending = loaded.filter((l) => l.needsCodeCache && l.codeCacheFile);
      await Promise.all(pending.map((l) => writeAtomic(l.codeCacheFile!, l.script.createCachedData()).catch(() => {})));
      for (const l of pending) l.needsCodeCache = false;
    },
    addCrds(objects, origin) {
      for (const crd of objects as any[]) {
        if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec?.names?.kind) continue;
        for (const ref of crdVersions(crd, origin)) {
          const key = `${ref.group}/${ref.version}/${ref.kind}`;
          const schema = crd.spec.versions.find((v: any) => v.name === ref.version).schema.openAPIV3Schema;
          entries.set(key, {
            source: 'crd', origin, namespaced: ref.namespaced, structural: true,
            cacheKey: sha(`${version}\n${JSON.stringify(schema)}`),
            load: async () => schema,
          });
          compiled.delete(key);
        }
      }
    },
    async check(object) {
      const [key, entry] = lookup(object.apiVersion, object.kind);
      const names = nameProblems(object);
      if (!entry) return [unknownKind(object, entries, crds.size, crdsDir), ...names];
      const { validate, ext, defaults } = await compile(key, entry);
      const data = prepare(object, defaults);
      const problems: SchemaProblem[] = [];
      if (!validate(data)) {
        // A name or namespace the name rules report is not reported again by the schema's looser pattern.
        const named = new Set(names.map((n) => n.path));
        problems.push(...(await explain(validate.errors ?? [], entry, data)).filter((p) => !named.has(p.path)));
      }
      problems.push(...names);
      const meta = (data as K8sObject).metadata;
      if (meta && typeof meta === 'object' && !meta.name && !meta.generateName)
        problems.push({ path: '/metadata/name', rule: 'schema', severity: 'error', message: 'metadata.name is missing', hint: 'every object needs a name (or generateName, for objects created with kubectl create)' });
      if (!entry.namespaced && meta?.namespace)
        problems.push({ path: '/metadata/namespace', rule: 'schema/scope', severity: 'warning', message: `${object.kind} is cluster-scoped, so metadata.namespace "${meta.namespace}" is ignored`, hint: 'remove metadata.namespace' });
      if (ext) walk(ext, data, '', problems, new Set());
      return problems;
    },
  };
}

/**
 * Go's RE2 and JavaScript disagree on a few pattern forms; the ones JavaScript cannot compile are
 * translated where the meaning is the same (`\z`, a leading `(?i)`), and otherwise left unchecked.
 */
function safePatterns(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(safePatterns);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'pattern' && typeof value === 'string') {
      const translated = value.replace(/\\z/g, '$').replace(/^\(\?i\)/, '');
      try {
        new RegExp(translated, value.startsWith('(?i)') ? 'i' : '');
        out.pattern = translated;
      } catch {
        // unchecked: JavaScript cannot read this RE2 pattern
      }
    } else if (key === 'properties' || key === 'patternProperties' || key === '$defs') {
      out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, safePatterns(v)]));
    } else out[key] = safePatterns(value);
  }
  return out;
}

/** Kubernetes reads `field: null` as an unset field; defaults are applied to a copy, as the API server does. */
function prepare(object: K8sObject, defaults: boolean): unknown {
  const hasNull = (v: unknown): boolean =>
    v !== null && typeof v === 'object' && (Array.isArray(v) ? v.some(hasNull) : Object.values(v).some((x) => x === null || hasNull(x)));
  if (!defaults && !hasNull(object)) return object;
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  return copy(object);
}

function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const token of path.split('/').slice(1)) value = (value as Record<string, unknown> | undefined)?.[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  return value;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  const kind = Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value;
  return text.length > 40 ? `${kind} ${text.slice(0, 37)}...` : `${kind} ${text}`;
}

const pointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');


async function explain(errors: ErrorObject[], entry: Entry, data: unknown): Promise<SchemaProblem[]> {
  // Alternatives (int-or-string, anyOf branches) fail as a group: report the group once.
  const groups = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inGroup = (e: ErrorObject) => groups.some((g) => g !== e && e.instancePath === g.instancePath && e.schemaPath.startsWith(`${g.schemaPath}/`));
  let schema: Schema | undefined;
  const problems: SchemaProblem[] = [];
  for (const e of errors) {
    if (inGroup(e)) continue;
    const ajv = { instancePath: e.instancePath, message: e.message ?? e.keyword, params: e.params as Record<string, unknown> };
    const problem: SchemaProblem = { path: e.instancePath, rule: 'schema', severity: 'error', message: ajv.message, ajv };
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = String(e.params.additionalProperty);
        problem.path = `${e.instancePath}/${pointer(field)}`;
        problem.message = `unknown field "${field}"`;
        if (!schema) {
          const raw = await entry.load();
          schema = entry.structural ? rootToAjv(raw) : { ...raw, properties: { ...raw.properties, metadata: METADATA } };
        }
        const loaded: Schema = schema!;
        const known = fieldsAt(loaded, e.instancePath);
        const guess = closest(field, known);
        problem.hint = guess
          ? `did you mean "${guess}"? Kubernetes drops unknown fields silently`
          : `Kubernetes drops unknown fields silently; fields here: ${known.slice(0, 12).join(', ') || 'none'}`;
        break;
      }
      case 'required':
        problem.path = `${e.instancePath}/${pointer(String(e.params.missingProperty))}`;
        problem.message = `required field "${e.params.missingProperty}" is missing`;
        break;
      case 'enum':
        problem.message = `must be one of: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'anyOf':
      case 'oneOf': {
        const branches = errors.filter((b) => b !== e && b.instancePath === e.instancePath && b.schemaPath.startsWith(`${e.schemaPath}/`));
        const types = [...new Set(branches.filter((b) => b.keyword === 'type').map((b) => String(b.params.type)))];
        problem.message = types.length === branches.length && types.length ? `must be ${types.join(' or ')}` : `must match one of the allowed forms (${[...new Set(branches.map((b) => b.message))].join('; ')})`;
        break;
      }
    }
    if (e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'pattern' || e.keyword === 'format') {
      const found = valueAt(data, e.instancePath);
      if (found !== undefined) problem.message += ` (found ${preview(found)})`;
    }
    if (e.keyword === 'type' && e.params.type === 'string') problem.hint = 'quote the value in YAML, e.g. "8080" or "true"';
    problems.push(problem);
  }
  return problems;
}

/** A name as close to `name` as the rule allows, to suggest: lowercased, other characters turned into `-`. */
function suggestName(rule: NameRule, name: string): string | undefined {
  if (rule === 'path-segment') return undefined;
  const max = rule === 'dns1123-subdomain' ? 253 : 63;
  let fixed = name.toLowerCase().replace(rule === 'dns1123-subdomain' ? /[^a-z0-9.-]+/g : /[^a-z0-9-]+/g, '-');
  if (rule === 'dns1123-subdomain') fixed = fixed.replace(/\.{2,}/g, '.').replace(/-*\.-*/g, '.');
  fixed = fixed.replace(/-{2,}/g, '-').slice(0, max).replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  if (rule === 'dns1035-label') fixed = fixed.replace(/^[0-9-]+/, '');
  return fixed && fixed !== name && !nameRuleProblem(rule, fixed) ? fixed : undefined;
}

/**
 * `metadata.name` and `metadata.namespace` under Kubernetes' own name rules for the kind (src/core/names.ts):
 * a ConfigMap named `Bad_Name..x` passes the OpenAPI schema and is refused by the API server.
 */
function nameProblems(object: K8sObject): SchemaProblem[] {
  const meta = object.metadata as unknown;
  if (!meta || typeof meta !== 'object') return [];
  const { name, namespace } = meta as { name?: unknown; namespace?: unknown };
  const problems: SchemaProblem[] = [];
  if (typeof name === 'string' && name !== '') {
    const problem = objectNameProblem(object.kind, object.apiVersion, name);
    if (problem) {
      const rule = nameRuleFor(object.kind, object.apiVersion);
      const suggestion = suggestName(rule, name);
      problems.push({
        path: '/metadata/name', rule: 'schema/name', severity: 'error',
        message: `metadata.name ${problem}`,
        hint: `the API server refuses this ${object.kind} name${suggestion ? `; e.g. rename it ${JSON.stringify(suggestion)}` : ''}`,
      });
    }
  }
  if (typeof namespace === 'string' && namespace !== '') {
    const problem = namespaceNameProblem(namespace);
    if (problem) {
      const suggestion = suggestName('dns1123-label', namespace);
      problems.push({
        path: '/metadata/namespace', rule: 'schema/name', severity: 'error',
        message: `metadata.namespace ${problem}`,
        hint: `a namespace name is a DNS label; no such namespace can exist${suggestion ? `; e.g. ${JSON.stringify(suggestion)}` : ''}`,
      });
    }
  }
  return problems;
}

function unknownKind(object: K8sObject, entries: Map<string, Entry>, crdCount: number, crdsDir: string): SchemaProblem {
  const served = [...entries.keys()].filter((k) => k.endsWith(`/${object.kind}`)).map((k) => k.slice(0, -object.kind.length - 1));
  return {
    path: '',
    rule: 'schema/unknown-kind',
    severity: 'error',
    message: `no schema for ${object.kind} in ${object.apiVersion}`,
    hint: served.length
      ? `${object.kind} is served as ${served.join(', ')}`
      : crdCount === 0
        ? `no CRD schemas found in ${crdsDir}: run \`plinth schemas pull\` or set PLINTH_SCHEMAS_DIR`
        : `add the CRD that defines it to ${crdsDir}, or validate it with the manifests that contain its CustomResourceDefinition`,
    ...(served.length === 0 && crdCount === 0 && { noSchemas: true }),
  };
}

function walk(node: ExtNode, value: unknown, path: string, out: SchemaProblem[], seen: Set<string>): void {
  if (value === undefined) return;
  for (const rule of node.rules ?? []) {
    const program = compileRule(rule.rule);
    const at = rule.fieldPath ? `${path}${fieldPathToPointer(rule.fieldPath)}` : path;
    const outcome = 'unevaluated' in program ? program : evaluateRule(program, toCel(value, node.doubles), rule.messageExpression);
    if ('unevaluated' in outcome) {
      if (seen.has(rule.rule)) continue;
      seen.add(rule.rule);
      out.push({ path: at, rule: 'schema/cel-unevaluated', severity: 'info', message: `CEL rule not evaluated, ${outcome.unevaluated}: ${rule.rule}`, hint: 'the API server still enforces it; check this rule by hand or with a dry-run apply' });
    } else if (!outcome.ok)
      out.push({ path: at, rule: 'schema/cel', severity: 'error', message: outcome.message ?? rule.message ?? `failed rule: ${rule.rule}`, hint: `the CRD's rule: ${rule.rule}` });
  }
  if (Array.isArray(value)) {
    if (node.mapKeys || node.set) {
      const keyOf = (item: unknown) => JSON.stringify(node.mapKeys ? node.mapKeys.map((k) => (item as Record<string, unknown>)?.[k] ?? null) : item);
      const first = new Map<string, number>();
      value.forEach((item, i) => {
        const key = keyOf(item);
        const earlier = first.get(key);
        if (earlier === undefined) return void first.set(key, i);
        out.push(
          node.mapKeys
            ? { path: `${path}/${i}`, rule: 'schema/list-map-key', severity: 'error', message: `duplicate entry: ${node.mapKeys.map((k) => `${k}=${JSON.stringify((item as Record<string, unknown>)?.[k])}`).join(', ')} is also item ${earlier}`, hint: `items of this list are keyed by ${node.mapKeys.join(' + ')}; the API server rejects duplicates and server-side apply merges by these keys` }
            : { path: `${path}/${i}`, rule: 'schema/list-set', severity: 'error', message: `duplicate value ${key}, also item ${earlier}`, hint: 'this list is a set: remove the duplicate' },
        );
      });
    }
    if (node.items) value.forEach((item, i) => walk(node.items!, item, `${path}/${i}`, out, seen));
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const next = node.props?.[key] ?? node.additional;
      if (next) walk(next, child, `${path}/${pointer(key)}`, out, seen);
    }
  }
}

/** `.spec.foo['bar.baz']` (a rule's fieldPath) as a JSON Pointer suffix. */
function fieldPathToPointer(fieldPath: string): string {
  return [...fieldPath.matchAll(/\.([^.[\]]+)|\[['"]([^'"]+)['"]\]|\[([0-9]+)\]/g)].map((m) => `/${pointer(m[1] ?? m[2] ?? m[3]!)}`).join('');
}
