/**
 * Kubernetes structural schemas (OpenAPI v3 with x-kubernetes-* extensions) turned into what ajv checks,
 * plus a small "extension tree" for what JSON Schema cannot say: CEL rules, list-map keys and list sets.
 */

export type Schema = Record<string, any>;

/** A CEL rule of `x-kubernetes-validations`, as the CRD states it. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
  optionalOldSelf?: boolean;
}

/** Only the parts of a schema that hold extensions ajv cannot check, with the paths that lead to them. */
export interface ExtNode {
  rules?: CelRule[];
  /** `x-kubernetes-list-type: map`: the key fields that must be unique together. */
  mapKeys?: string[];
  /** `x-kubernetes-list-type: set`: items must be unique. */
  set?: boolean;
  /** Where `type: number` sits below a node with rules: those values are doubles in CEL, other numbers ints. */
  doubles?: DoubleTree;
  props?: Record<string, ExtNode>;
  items?: ExtNode;
  additional?: ExtNode;
}

export type DoubleTree = true | { p?: Record<string, DoubleTree>; i?: DoubleTree; a?: DoubleTree };

const DROPPED = new Set(['description', 'example', 'externalDocs', '$schema', 'nullable', 'x-kubernetes-map-type']);

/**
 * ObjectMeta as the API server reads it in a manifest: the fields a user may set, closed, so a typo
 * such as `metadata.labes` is reported instead of dropped. Read-only fields the server sets are accepted.
 */
export const METADATA: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^/%]+$' },
    generateName: { type: 'string' },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: {
      type: 'object',
      propertyNames: { maxLength: 317, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$' },
      additionalProperties: { type: 'string', maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$' },
    },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        additionalProperties: false,
        properties: {
          apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' },
          controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: {},
    deletionTimestamp: {},
    deletionGracePeriodSeconds: { type: 'integer' },
    managedFields: { type: 'array' },
    selfLink: { type: 'string' },
  },
};

const isObjectSchema = (s: Schema) => s.type === 'object' || (s.type === undefined && (s.properties || s.additionalProperties));

/** One node of a structural schema converted for ajv: unknown fields rejected, int-or-string, embedded resources. */
export function toAjv(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || (key.startsWith('x-kubernetes-') && key !== 'x-kubernetes-preserve-unknown-fields')) continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toAjv(v)]));
    else if (key === 'items') out.items = Array.isArray(value) ? value.map(toAjv) : toAjv(value);
    else if (key === 'additionalProperties' && typeof value === 'object') out.additionalProperties = toAjv(value);
    else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') out[key] = (value as Schema[]).map(toAjvBranch);
    else if (key === 'not') out.not = toAjvBranch(value);
    else out[key] = value;
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  delete out['x-kubernetes-preserve-unknown-fields'];
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf ??= [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema['x-kubernetes-embedded-resource']) {
    out.type = 'object';
    out.properties = { apiVersion: { type: 'string', minLength: 1 }, kind: { type: 'string', minLength: 1 }, metadata: METADATA, ...out.properties };
    out.required = [...new Set([...(out.required ?? []), 'apiVersion', 'kind'])];
  }
  // Kubernetes prunes fields a structural schema does not name, which hides typos: report them instead.
  if (!preserve && out.additionalProperties === undefined && isObjectSchema(out)) out.additionalProperties = false;
  return out;
}

/** anyOf/allOf/oneOf branches only constrain values; they never name fields, so they are not closed. */
function toAjvBranch(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toAjvBranch(v)]));
    else if (key === 'items') out.items = toAjvBranch(value);
    else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') out[key] = (value as Schema[]).map(toAjvBranch);
    else if (key === 'not') out.not = toAjvBranch(value);
    else out[key] = value;
  }
  return out;
}

/** The root schema of a kind: apiVersion and kind always accepted, metadata checked as ObjectMeta. */
export function rootToAjv(schema: Schema): Schema {
  const root = toAjv({ type: 'object', ...schema });
  root.properties = { ...root.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: METADATA };
  return root;
}

function doublesOf(schema: Schema): DoubleTree | undefined {
  if (schema.type === 'number') return true;
  const tree: { p?: Record<string, DoubleTree>; i?: DoubleTree; a?: DoubleTree } = {};
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const d = doublesOf(sub);
    if (d) (tree.p ??= {})[key] = d;
  }
  if (schema.items && !Array.isArray(schema.items)) {
    const d = doublesOf(schema.items);
    if (d) tree.i = d;
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const d = doublesOf(schema.additionalProperties);
    if (d) tree.a = d;
  }
  return tree.p || tree.i || tree.a ? tree : undefined;
}

/** The extension tree of a schema, or undefined when nothing below it needs more than ajv. */
export function extensionsOf(schema: Schema): ExtNode | undefined {
  const node: ExtNode = {};
  const rules = schema['x-kubernetes-validations'] as CelRule[] | undefined;
  if (rules?.length) {
    node.rules = rules.map(({ rule, message, messageExpression, fieldPath, reason, optionalOldSelf }) =>
      Object.fromEntries(Object.entries({ rule, message, messageExpression, fieldPath, reason, optionalOldSelf }).filter(([, v]) => v !== undefined)) as unknown as CelRule);
    const doubles = doublesOf(schema);
    if (doubles) node.doubles = doubles;
  }
  if (schema['x-kubernetes-list-type'] === 'map' && Array.isArray(schema['x-kubernetes-list-map-keys'])) node.mapKeys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] === 'set') node.set = true;
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const ext = extensionsOf(sub);
    if (ext) (node.props ??= {})[key] = ext;
  }
  if (schema.items && !Array.isArray(schema.items)) {
    const ext = extensionsOf(schema.items);
    if (ext) node.items = ext;
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const ext = extensionsOf(schema.additionalProperties);
    if (ext) node.additional = ext;
  }
  return Object.keys(node).length ? node : undefined;
}

/** Property names a schema accepts at a JSON Pointer inside it, for "did you mean" hints. */
export function fieldsAt(schema: Schema, pointer: string, defs: Record<string, Schema> = schema.$defs ?? {}): string[] {
  let node: Schema | undefined = schema;
  const deref = (s: Schema | undefined) => {
    while (s?.$ref) s = defs[String(s.$ref).replace('#/$defs/', '')];
    return s;
  };
  for (const token of pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    node = deref(node);
    if (!node) return [];
    if (/^[0-9]+$/.test(token) && node.items) node = node.items;
    else if (node.properties?.[token]) node = node.properties[token];
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties;
    else return [];
  }
  node = deref(node);
  return Object.keys(node?.properties ?? {});
}

/** Keywords whose value is a schema, a list of schemas, or a map of name -> schema; every other value is data. */
const SUBSCHEMA = new Set(['additionalProperties', 'items', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'additionalItems']);
const SUBSCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SUBSCHEMA_MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SHARED_PREFIX = 'plinth-shared-';

/**
 * The same schema with each subschema that occurs more than once (CRDs repeat whole pod templates, probes
 * and affinity blocks inline) moved into `$defs` and referenced. The generated validator then holds each
 * once: Redpanda's shrinks from 4.7 MB of JavaScript to under 1 MB, and compiles about five times faster.
 * Subschemas smaller than `minSize` characters of JSON, or declaring a default, stay inline; data (`default`,
 * `enum`) is never touched.
 */
export function shareRepeatedSubschemas(schema: Schema, minSize = 200): Schema {
  const counts = new Map<string, number>();
  const eachSubschema = (node: Schema, visit: (child: Schema) => Schema): Schema => {
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (value && typeof value === 'object') {
        if (SUBSCHEMA.has(key) && !Array.isArray(value)) out[key] = visit(value);
        else if ((SUBSCHEMA_LIST.has(key) || key === 'items') && Array.isArray(value)) out[key] = value.map((v) => (v && typeof v === 'object' ? visit(v) : v));
        else if (SUBSCHEMA_MAP.has(key)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v && typeof v === 'object' ? visit(v as Schema) : v]));
        else out[key] = value;
      } else out[key] = value;
    }
    return out;
  };
  const count = (node: Schema): Schema => {
    const json = JSON.stringify(node);
    // ajv applies a default from where a field is declared, never from the root of a referenced schema.
    if (json.length >= minSize && !('default' in node)) counts.set(json, (counts.get(json) ?? 0) + 1);
    return eachSubschema(node, count);
  };
  eachSubschema(schema, count);
  const shared = new Map<string, string>();
  const defs: Record<string, Schema> = {};
  const rewrite = (node: Schema): Schema => {
    const json = JSON.stringify(node);
    if ((counts.get(json) ?? 0) < 2) return eachSubschema(node, rewrite);
    let name = shared.get(json);
    if (!name) {
      name = `${SHARED_PREFIX}${shared.size}`;
      shared.set(json, name);
      defs[name] = eachSubschema(node, rewrite);
    }
    return { $ref: `#/$defs/${name}` };
  };
  const root = eachSubschema(schema, rewrite);
  return shared.size ? { ...root, $defs: { ...root.$defs, ...defs } } : root;
}
