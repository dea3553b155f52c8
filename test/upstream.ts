import { readFile } from 'node:fs/promises';
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
  return ajv;
}

export async function crdValidator(file: string, version: string): Promise<ValidateFunction> {
  const docs = parseAllDocuments(await readFile(join(UPSTREAM, 'crds', file), 'utf8'));
  const crd = docs.map((d) => d.toJS()).find((d) => d?.kind === 'CustomResourceDefinition');
  const schema = crd.spec.versions.find((v: { name: string }) => v.name === version).schema.openAPIV3Schema;
  const closed = closeObjects(schema) as Record<string, unknown>;
  // metadata is validated by the API server itself, not by the CRD schema.
  (closed.properties as Record<string, unknown>).metadata = { type: 'object' };
  return newAjv().compile(closed);
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

export async function chartFacts(): Promise<ChartFact[]> {
  return JSON.parse(await readFile(join(UPSTREAM, 'charts.json'), 'utf8'));
}
