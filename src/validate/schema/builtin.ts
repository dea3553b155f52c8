import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Schema } from './structural.ts';

/**
 * Built-in kinds come from the models of @kubernetes/client-node (generated from Kubernetes' own OpenAPI
 * document, release noted in each model's header), which Plinth already uses to talk to clusters. Each
 * model lists its fields with their types (`attributeTypeMap`) and its declaration file marks the required
 * ones; the API classes pair each collection path (`/apis/apps/v1/namespaces/{namespace}/deployments`)
 * with the model its create call takes, which gives apiVersion, kind and scope.
 */
const MODELS = join(dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')), 'gen');

export interface BuiltinKind {
  apiVersion: string;
  kind: string;
  model: string;
  namespaced: boolean;
}

export async function clientVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(MODELS, '..', '..', 'package.json'), 'utf8')) as { version: string };
  const header = await readFile(join(MODELS, 'models', 'V1Pod.js'), 'utf8');
  return `${pkg.version} (${/OpenAPI spec version: (\S+)/.exec(header)?.[1] ?? 'unknown'})`;
}

const COLLECTION = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(namespaces\/\{namespace\}\/)?([a-z0-9]+)$/;

/** Every creatable built-in kind, keyed `apiVersion/Kind`. */
export async function builtinKinds(): Promise<Map<string, BuiltinKind>> {
  const kinds = new Map<string, BuiltinKind>();
  const dir = join(MODELS, 'apis');
  for (const file of (await readdir(dir)).filter((f) => /V[0-9]+((alpha|beta)[0-9]+)?Api\.js$/.test(f)).sort()) {
    const text = await readFile(join(dir, file), 'utf8');
    let path: string | undefined;
    for (const match of text.matchAll(/localVarPath = '([^']+)'|ObjectSerializer\.serialize\(body, "(\w+)"/g)) {
      if (match[1]) {
        path = match[1];
        continue;
      }
      const model = match[2]!;
      const m = path && COLLECTION.exec(path);
      path = undefined;
      if (!m || model === 'V1DeleteOptions') continue;
      const apiVersion = m[1] ?? `${m[2]}/${m[3]}`;
      const kind = model.replace(/^([A-Z][a-z]+)?V[0-9]+((alpha|beta)[0-9]+)?/, '');
      kinds.set(`${apiVersion}/${kind}`, { apiVersion, kind, model, namespaced: Boolean(m[4]) });
    }
  }
  return kinds;
}

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

/**
 * Fields typed as strings in the models that hold a resource.Quantity, which Kubernetes also reads
 * from a number (`cpu: 1`); the models do not mark them, so they are listed here.
 */
const QUANTITIES: Record<string, string[]> = {
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceQuotaSpec: ['hard'],
  V1ResourceQuotaStatus: ['hard', 'used'],
  V1LimitRangeItem: ['default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio'],
  V1PersistentVolumeSpec: ['capacity'],
  V1PersistentVolumeClaimStatus: ['capacity', 'allocatedResources'],
  V1NodeStatus: ['capacity', 'allocatable'],
  V1PodSpec: ['overhead'],
  V1Overhead: ['podFixed'],
  V1ResourceFieldSelector: ['divisor'],
  V1CSIStorageCapacity: ['capacity', 'maximumVolumeSize'],
  V2MetricTarget: ['averageValue', 'value'],
  V2MetricValueStatus: ['averageValue', 'value'],
};
const QUANTITY: Schema = { anyOf: [{ type: 'string' }, { type: 'number' }] };

async function readModel(name: string): Promise<{ attributes: Attribute[]; required: Set<string> }> {
  const js = await readFile(join(MODELS, 'models', `${name}.js`), 'utf8');
  const list = /\.attributeTypeMap = (\[[\s\S]*?\]);/.exec(js);
  const attributes = list ? (JSON.parse(list[1]!) as Attribute[]) : [];
  const dts = await readFile(join(MODELS, 'models', `${name}.d.ts`), 'utf8');
  const required = new Set([...dts.matchAll(/^ {4}'([^']+)': /gm)].map((m) => m[1]!));
  return { attributes, required };
}

/** The JSON Schema of a built-in kind's model, closed at every level, with its referenced models in $defs. */
export async function builtinSchema(model: string): Promise<Schema> {
  const defs: Record<string, Schema> = {};
  const pending = [model];
  const typeSchema = (type: string, format: string): Schema => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: typeSchema(array[1]!, format) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, format) };
    switch (type) {
      case 'string':
        return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
      case 'number':
        return format === 'int32' || format === 'int64' ? { type: 'integer' } : { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
        return { type: 'string' };
      case 'IntOrString':
        return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
      case 'any':
      case 'object':
        return {};
      default:
        if (!/^[A-Z]\w+$/.test(type)) return {};
        if (!(type in defs) && !pending.includes(type)) pending.push(type);
        return { $ref: `#/$defs/${type}` };
    }
  };
  while (pending.length) {
    const name = pending.shift()!;
    const { attributes, required } = await readModel(name);
    const properties: Record<string, Schema> = {};
    for (const { baseName, type, format } of attributes) {
      const quantity = QUANTITIES[name]?.includes(baseName);
      properties[baseName] = quantity ? (type.startsWith('{') ? { type: 'object', additionalProperties: QUANTITY } : QUANTITY) : typeSchema(type, format);
    }
    const schema: Schema = { type: 'object', properties, additionalProperties: false };
    const req = attributes.map((a) => a.baseName).filter((n) => required.has(n));
    if (req.length) schema.required = req;
    defs[name] = schema;
  }
  const { [model]: root, ...rest } = defs;
  return { ...root, $defs: rest };
}
