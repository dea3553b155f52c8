import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { UPSTREAM } from './helpers.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Kubernetes prunes fields a structural schema does not name, which hides typos; for checking what
 * we render, every object schema that lists its properties is closed unless it preserves unknown fields.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = closeObjects(value);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', true).addFormat('int64', true).addFormat('byte', true);
  // Kubernetes durations are Go's (`1h30m`), not ISO 8601 as in ajv-formats.
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  return ajv;
}

function compileCrdSchema(schema: unknown): ValidateFunction {
  const closed = closeObjects(schema) as Record<string, unknown>;
  // metadata is validated by the API server itself, and apiVersion and kind are always accepted,
  // whether or not the CRD schema lists them.
  const root = closed.properties as Record<string, unknown>;
  root.metadata = { type: 'object' };
  root.apiVersion ??= { type: 'string' };
  root.kind ??= { type: 'string' };
  return newAjv().compile(closed);
}

export async function crdValidator(file: string, version: string): Promise<ValidateFunction> {
  const docs = parseAllDocuments(await readFile(join(UPSTREAM, 'crds', file), 'utf8'));
  const crd = docs.map((d) => d.toJS()).find((d) => d?.kind === 'CustomResourceDefinition');
  return compileCrdSchema(crd.spec.versions.find((v: { name: string }) => v.name === version).schema.openAPIV3Schema);
}

interface CrdVersion {
  file: string;
  schema: unknown;
}

let crdIndex: Promise<Map<string, CrdVersion>> | undefined;

/** Every served CRD version under the upstream crds directory, keyed by `group/version/Kind`. */
function loadCrdIndex(): Promise<Map<string, CrdVersion>> {
  crdIndex ??= (async () => {
    const index = new Map<string, CrdVersion>();
    const root = join(UPSTREAM, 'crds');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.yaml')).sort();
    // Parsing every CRD takes seconds; each test file needs the index, so it is kept on disk by content stamp.
    const stamps = await Promise.all(files.map(async (f) => `${f}:${(await stat(join(root, f))).size}:${(await stat(join(root, f))).mtimeMs}`));
    const cache = join(tmpdir(), `plinth-crd-index-${createHash('sha256').update(root + stamps.join()).digest('hex').slice(0, 16)}.json`);
    try {
      return new Map(JSON.parse(await readFile(cache, 'utf8')) as [string, CrdVersion][]);
    } catch {
      // not cached yet
    }
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(join(root, file), 'utf8'))) {
        const crd = doc.toJS();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const version of crd.spec.versions ?? []) {
          if (version.served === false || !version.schema?.openAPIV3Schema) continue;
          index.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, { file, schema: version.schema.openAPIV3Schema });
        }
      }
    }
    await writeFile(`${cache}.${process.pid}`, JSON.stringify([...index]));
    await rename(`${cache}.${process.pid}`, cache);
    return index;
  })();
  return crdIndex;
}

const compiled = new Map<string, ValidateFunction>();

/**
 * Checks a custom resource against the upstream CRD of its apiVersion and kind, with unknown fields
 * rejected. Returns the problems found, or a single problem when no CRD serves that kind.
 */
export async function checkCustomResource(object: { apiVersion: string; kind: string }): Promise<string[]> {
  const key = `${object.apiVersion}/${object.kind}`;
  const crd = (await loadCrdIndex()).get(key);
  if (!crd) return [`no upstream CRD serves ${key}`];
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = compileCrdSchema(crd.schema)));
  return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

export async function valuesValidator(file: string): Promise<ValidateFunction> {
  const schema = JSON.parse(await readFile(join(UPSTREAM, 'schemas', file), 'utf8'));
  delete schema.$schema;
  return newAjv().compile(schema);
}

export interface ChartFact {
  component: string;
  chartRepo: string;
  chart: string;
  version: string;
}

/** Components whose id differs from their entry's name in charts.json. */
const FACT_IDS: Record<string, string> = {
  'secret-generator': 'kubernetes-secret-generator',
  'designate-webhook': 'designate-certmanager-webhook',
  redpanda: 'redpanda-operator',
  valkey: 'valkey-operator',
  istio: 'istio-base',
  grafana: 'grafana-operator',
};
export const chartFactId = (component: string): string => FACT_IDS[component] ?? component;

export async function chartFacts(): Promise<ChartFact[]> {
  return JSON.parse(await readFile(join(UPSTREAM, 'charts.json'), 'utf8'));
}

/** API groups Kubernetes serves itself; everything else must match an upstream CRD. */
const BUILT_IN = /^(v1|(apps|batch|policy|autoscaling|networking\.k8s\.io|rbac\.authorization\.k8s\.io|storage\.k8s\.io|apiextensions\.k8s\.io|admissionregistration\.k8s\.io|scheduling\.k8s\.io|coordination\.k8s\.io|discovery\.k8s\.io|certificates\.k8s\.io|node\.k8s\.io|apiregistration\.k8s\.io)\/.+)$/;

/** Problems of every custom resource among rendered objects, keyed `file: problem`; empty when all are valid. */
export async function customResourceProblems(objects: { file: string; object: { apiVersion: string; kind: string } }[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { file, object } of objects) {
    if (BUILT_IN.test(object.apiVersion)) continue;
    for (const problem of await checkCustomResource(object)) problems.push(`${file}: ${problem}`);
  }
  return problems;
}
