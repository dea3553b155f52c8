import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { loadAll } from 'js-yaml';
import type { K8sObject } from '../src/core/types.ts';
import { FORMATS } from '../src/validate/schema/formats.ts';
import { cacheDir, openSchemaRegistry, type SchemaRegistry } from '../src/validate/schema/registry.ts';
import { rootToAjv } from '../src/validate/schema/structural.ts';
import { UPSTREAM } from './helpers.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  ajv.addFormat('int32', true).addFormat('int64', true).addFormat('byte', true);
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format as RegExp);
  return ajv;
}

/** A CRD version's schema compiled the way plinth validate reads it (unknown fields rejected, metadata checked). */
export async function crdValidator(file: string, version: string): Promise<ValidateFunction> {
  const crd = (loadAll(await readFile(join(UPSTREAM, 'crds', file), 'utf8')) as any[]).find((d) => d?.kind === 'CustomResourceDefinition');
  return newAjv().compile(rootToAjv(crd.spec.versions.find((v: { name: string }) => v.name === version).schema.openAPIV3Schema));
}

let registry: Promise<SchemaRegistry> | undefined;

/**
 * Checks a custom resource with plinth validate's schema registry (upstream CRDs, CEL rules, list-map
 * keys, metadata), and returns its errors worded as ajv words them, or one when no CRD serves the kind.
 */
export async function checkCustomResource(object: { apiVersion: string; kind: string }): Promise<string[]> {
  registry ??= openSchemaRegistry({ schemasDir: UPSTREAM, cacheDir: cacheDir() });
  const problems = await (await registry).check(object as K8sObject);
  return problems
    .filter((p) => p.severity === 'error')
    .map((p) =>
      p.rule === 'schema/unknown-kind'
        ? `no upstream CRD serves ${object.apiVersion}/${object.kind}`
        : p.ajv
          ? `${p.ajv.instancePath || '/'} ${p.ajv.message} ${JSON.stringify(p.ajv.params)}`
          : `${p.path || '/'} ${p.message} [${p.rule}]`,
    );
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
