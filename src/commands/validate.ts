import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { ClusterConfig, Registry } from '../config/schema.ts';
import type { Finding, Subject } from '../validate/finding.ts';
import { readManifests } from '../validate/documents.ts';
import { formatBytes, jsonBytesOver, MAX_OBJECT_BYTES, TOO_LARGE_HINT, worthMeasuring } from '../validate/limits.ts';
import { describeObject, type K8sObject } from '../core/types.ts';
import { validateSubjects } from '../validate/index.ts';
import { optOuts } from '../validate/rules/policies.ts';
import { summarize, type ValidateReport } from '../validate/report.ts';
import { sortFindings } from '../validate/schema-findings.ts';
import { clientVersion } from '../validate/schema/builtin.ts';
import { cacheDir, openSchemaRegistry, schemasDir } from '../validate/schema/registry.ts';
import type { PullResult } from '../validate/schema/pull.ts';
import type { Context } from './context.ts';
import type { ResolvedCluster } from '../config/validate.ts';

export interface ValidateOptions {
  config?: string;
  /** With environments: which one's tree (required then). */
  env?: string;
  /** Manifest files or directories; without them, the render of the config is validated. */
  paths?: string[];
  /** Schemas directory (CRDs under its crds/); default $PLINTH_SCHEMAS_DIR or the pulled cache. */
  schemas?: string;
  /** Warnings fail the run too. */
  strict?: boolean;
  /** Manifest paths that hold no objects pass; without it, they are a usage error (a CI step pointed at the wrong folder). */
  allowEmpty?: boolean;
}

export interface ValidateResult {
  report: ValidateReport;
  subjects: Subject[];
  /** File -> line where each document starts, for SARIF. */
  lines: Map<string, number[]>;
}

/** Validating manifests needs no components; a render does, and defaults to the built-in ones. */
export type ValidateContext = Omit<Context, 'registry'> & { registry?: Registry; env?: Record<string, string | undefined> };

export async function validate(options: ValidateOptions, ctx: ValidateContext): Promise<ValidateResult> {
  const paths = options.paths ?? [];
  if (!paths.length && options.env === undefined) {
    // A config with environments: every environment's render, one report (each finding names its tree's file).
    const [{ loadEnvironments }, registry] = await Promise.all([import('../config/load.ts'), ctx.registry ?? import('../components/index.ts').then((m) => m.registry)]);
    const { file, clusters } = await loadEnvironments(ctx.cwd, options.config, registry);
    const results: ValidateResult[] = [];
    for (const cluster of clusters) results.push(await validateOne(options, { ...ctx, registry }, { ...cluster, file }));
    return results.length === 1 ? results[0]! : mergeResults(results, options.strict ?? false);
  }
  return validateOne(options, ctx);
}

function mergeResults(results: ValidateResult[], strict: boolean): ValidateResult {
  const findings = sortFindings(results.flatMap((r) => r.report.findings));
  const first = results[0]!.report;
  return {
    report: {
      source: [...new Set(results.map((r) => r.report.source))].join(' '),
      files: results.reduce((n, r) => n + r.report.files, 0),
      objects: results.reduce((n, r) => n + r.report.objects, 0),
      ...summarize(findings, strict),
      strict,
      findings,
      schemas: first.schemas,
      optOuts: results.flatMap((r) => r.report.optOuts),
    },
    subjects: results.flatMap((r) => r.subjects),
    lines: new Map(results.flatMap((r) => [...r.lines])),
  };
}

async function validateOne(options: ValidateOptions, ctx: ValidateContext, loaded?: ResolvedCluster & { file: string }): Promise<ValidateResult> {
  const env = ctx.env ?? process.env;
  const paths = options.paths ?? [];
  if (options.config && paths.length) throw new UsageError('pass either --config or manifest paths, not both', 'plinth validate --config plinth.config.ts, or plinth validate rendered/');
  const dir = options.schemas ? resolve(ctx.cwd, options.schemas) : schemasDir(env);
  const schemas = await openSchemaRegistry({ schemasDir: dir, cacheDir: cacheDir(env) });
  let subjects: Subject[];
  let lines = new Map<string, number[]>();
  let source: string;
  let files: number;
  const findings: Finding[] = [];
  let cluster: ClusterConfig | undefined;
  if (paths.length) {
    ctx.progress(`reading ${paths.join(', ')}`);
    const read = await readManifests(paths, ctx.cwd);
    ({ subjects, lines, files } = read);
    findings.push(...read.findings);
    source = paths.join(' ');
    if (subjects.length === 0 && !options.allowEmpty && !findings.some((f) => f.severity === 'error')) throw nothingToValidate(paths, files, findings);
  } else {
    const [{ loadCluster }, { renderTree }] = await Promise.all([import('../config/load.ts'), import('../core/render.ts')]);
    const registry = ctx.registry ?? (await import('../components/index.ts')).registry;
    const resolved = loaded ?? (await loadCluster(ctx.cwd, options.config, registry, options.env));
    ctx.progress(`rendering ${relative(ctx.cwd, resolved.file) || resolved.file}`);
    const tree = renderTree(resolved, registry);
    const root = relative(ctx.cwd, join(dirname(resolved.file), resolved.config.git.path)) || '.';
    subjects = [];
    for (const { file, object } of tree.objects) {
      const problem = renderedSizeProblem(object, tree.files.get(file)?.length ?? 0);
      if (problem) findings.push({ file: join(root, file), document: 1, ...problem });
      else subjects.push({ file: join(root, file), document: 1, object });
    }
    source = relative(ctx.cwd, resolved.file) || resolved.file;
    files = tree.files.size;
    cluster = resolved.config;
    const { applicationTargets, checkValues, valuesTargets } = await import('../validate/values.ts');
    const extraApplications = Object.entries(resolved.config.components).flatMap(([id, enabled]) =>
      (enabled.common.extraObjects ?? []).map((object, i) => ({ object, path: ['components', id, 'extraObjects', i] })),
    );
    findings.push(...(await checkValues([...valuesTargets(resolved.config, tree), ...applicationTargets(extraApplications)], { dir, file: source })));
    const { chartCrdFindings } = await import('../validate/chart-crds.ts');
    findings.push(...(await chartCrdFindings(resolved.config, dir, source)));
  }
  if (paths.length) {
    const { applicationTargets, checkValues } = await import('../validate/values.ts');
    const applications = subjects.filter((s) => s.object.kind === 'Application' && typeof s.object.metadata?.name === 'string');
    const targets = applicationTargets(applications.map((s) => ({ object: s.object, at: { file: s.file, document: s.document, name: describeObject(s.object) } })));
    if (targets.length) findings.push(...(await checkValues(targets, { dir, file: source })));
  }
  ctx.progress(`validating ${subjects.length} objects`);
  findings.push(...(await validateSubjects(subjects, { schemas, ...(cluster ? { cluster } : {}) })));
  await schemas.flush();
  const strict = options.strict ?? false;
  const sorted = sortFindings(findings);
  return {
    report: {
      source,
      files,
      objects: subjects.length,
      ...summarize(sorted, strict),
      strict,
      findings: sorted,
      schemas: { crds: schemas.crdsDir, crdVersions: schemas.crdCount, builtin: `@kubernetes/client-node ${await clientVersion()}` },
      optOuts: optOuts(subjects),
    },
    subjects,
    lines,
  };
}

/** Why validating these paths checked nothing, as a usage error: passing on nothing would hide a wrong path. */
function nothingToValidate(paths: string[], files: number, findings: Finding[]): UsageError {
  const where = paths.join(', ');
  const cycles = findings.filter((f) => f.rule === 'input/symlink-cycle').map((f) => f.file);
  const what = files === 0 ? 'no .yaml, .yml or .json files' : `${files} file${files === 1 ? '' : 's'}, but no objects in ${files === 1 ? 'it' : 'them'} (empty, or only comments)`;
  const skipped = cycles.length ? `; symbolic link cycle${cycles.length === 1 ? '' : 's'} not followed: ${cycles.slice(0, 3).join(', ')}${cycles.length > 3 ? ', ...' : ''}` : '';
  return new UsageError(
    `no Kubernetes objects to validate in ${where}: ${what}${skipped}`,
    'check the path (validating nothing would pass); pass --allow-empty where no objects is expected',
  );
}

/** A rendered object too large for a cluster to store (a config's huge dashboard or values), measured only when its file is large. */
function renderedSizeProblem(object: object, textLength: number): Omit<Finding, 'file' | 'document'> | undefined {
  if (!worthMeasuring(textLength, false)) return undefined;
  if (jsonBytesOver(object, MAX_OBJECT_BYTES) === undefined) return undefined;
  const limit = formatBytes(MAX_OBJECT_BYTES);
  return {
    object: describeObject(object as K8sObject), path: '', rule: 'input/too-large', severity: 'error',
    message: `the object is more than ${limit} as JSON: a cluster stores at most ${limit} per object (etcd's default --max-request-bytes), so the API server refuses it; not validated further`,
    hint: TOO_LARGE_HINT,
  };
}

export interface SchemasPullOptions {
  out?: string;
  from?: string;
  component?: string[];
}

export async function schemasPull(options: SchemasPullOptions, ctx: ValidateContext): Promise<PullResult> {
  const out = options.out ? resolve(ctx.cwd, options.out) : schemasDir(ctx.env ?? process.env);
  const [{ pullSchemas, pullValues }, { CRD_SOURCES }, { VALUES_SOURCES }] = await Promise.all([
    import('../validate/schema/pull.ts'),
    import('../validate/schema/crd-sources.ts'),
    import('../validate/values-sources.ts'),
  ]);
  const withCrds = new Set(CRD_SOURCES.map((s) => s.file.split('/')[0]!));
  const withValues = new Set(VALUES_SOURCES.map((s) => s.component));
  const names = options.component ?? [];
  const unknown = names.filter((c) => !withCrds.has(c) && !withValues.has(c));
  if (unknown.length)
    throw new UsageError(`no CRDs or chart values known for ${unknown.join(', ')}`, `components with CRDs: ${[...withCrds].join(', ')}; charts with values: ${[...withValues].join(', ')}`);
  const common = {
    out,
    ...(options.from ? { from: options.from } : {}),
    progress: (message: string) => ctx.progress(`  ${message}`, { phase: true }),
  };
  const crdNames = names.filter((c) => withCrds.has(c));
  let result: PullResult = { dir: join(out, 'crds'), files: [] };
  if (!names.length || crdNames.length) {
    ctx.progress(`pulling CRDs into ${out}`, { phase: true });
    result = await pullSchemas({
      ...common,
      ...(crdNames.length ? { components: crdNames } : {}),
      counted: (done, total) => ctx.progress(`  ${done}/${total} CRD files`, { transient: true }),
    });
  }
  const valueNames = names.filter((c) => withValues.has(c));
  if (names.length && !valueNames.length) return result;
  ctx.progress(`pulling chart values into ${out}`, { phase: true });
  const values = await pullValues({
    ...common,
    ...(valueNames.length ? { components: valueNames } : {}),
    counted: (done, total) => ctx.progress(`  ${done}/${total} values files`, { transient: true }),
  });
  return { ...result, values };
}
