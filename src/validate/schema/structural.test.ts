import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { shareRepeatedSubschemas, type Schema } from './structural.ts';

const probe: Schema = {
  type: 'object',
  properties: {
    path: { type: 'string', pattern: '^/' },
    port: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
    initialDelaySeconds: { type: 'integer', minimum: 0 },
    scheme: { type: 'string', enum: ['HTTP', 'HTTPS'], default: 'HTTP' },
  },
  required: ['port'],
  additionalProperties: false,
};
const container: Schema = {
  type: 'object',
  properties: { name: { type: 'string' }, livenessProbe: probe, readinessProbe: probe, startupProbe: probe },
  additionalProperties: false,
};
const LARGE_DEFAULT = { note: 'x'.repeat(300) };
const schema: Schema = {
  type: 'object',
  properties: {
    containers: { type: 'array', items: container },
    initContainers: { type: 'array', items: container },
    a: { type: 'object', default: LARGE_DEFAULT, properties: { note: { type: 'string' } } },
    b: { type: 'object', default: LARGE_DEFAULT, properties: { note: { type: 'string' } } },
    c: { enum: [LARGE_DEFAULT] },
    d: { enum: [LARGE_DEFAULT] },
  },
  $defs: { Existing: { type: 'string' } },
};

const errorsOf = (s: Schema, data: unknown) => {
  const validate = new Ajv({ allErrors: true, useDefaults: true, inlineRefs: false }).compile(s);
  const copy = structuredClone(data);
  validate(copy);
  return { errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).sort(), data: copy };
};

describe('shareRepeatedSubschemas', () => {
  const shared = shareRepeatedSubschemas(schema);

  it('keeps one copy of each repeated subschema, referenced from every use', () => {
    const refs = JSON.stringify(shared).match(/"\$ref":"#\/\$defs\/plinth-shared-\d+"/g) ?? [];
    expect(refs.length).toBeGreaterThanOrEqual(2);
    const pods: Schema = { type: 'object', properties: { containers: schema.properties.containers, initContainers: schema.properties.initContainers } };
    expect(JSON.stringify(shareRepeatedSubschemas(pods)).length).toBeLessThan(JSON.stringify(pods).length / 2);
    expect(shared.$defs.Existing).toEqual({ type: 'string' });
    expect(JSON.stringify(shared).split('"pattern":"^/"').length - 1).toBe(1);
  });

  it('never rewrites data, and keeps a subschema with a default where it is declared', () => {
    const resolve = (s: Schema): Schema => (s.$ref ? shared.$defs[s.$ref.slice('#/$defs/'.length)] : s);
    expect(resolve(shared.properties.a).default).toEqual(LARGE_DEFAULT);
    expect(resolve(shared.properties.c).enum).toEqual([LARGE_DEFAULT]);
  });

  it('keeps a subschema that declares a default where it is declared: ajv ignores a default at the root of a reference', () => {
    const withDefault = { ...probe, default: { port: 80 } };
    const original: Schema = { type: 'object', properties: { e: { type: 'object', properties: { probe: withDefault } }, f: { type: 'object', properties: { probe: withDefault, x: { type: 'string' } } } } };
    const result = shareRepeatedSubschemas(original);
    expect(result.properties.e.properties.probe.default).toEqual({ port: 80 });
    expect(result.properties.f.properties.probe.default).toEqual({ port: 80 });
    for (const data of [{ e: {}, f: {} }, { e: { probe: { port: true } }, f: { probe: {} } }]) expect(errorsOf(result, data)).toEqual(errorsOf(original, data));
    expect(errorsOf(result, { e: {} }).data).toEqual({ e: { probe: { port: 80, scheme: 'HTTP' } } });
  });

  it('validates exactly as the original: same errors at the same paths, same defaults applied', () => {
    const cases = [
      { containers: [{ name: 'web', livenessProbe: { path: '/healthz', port: 8080 } }], initContainers: [{ name: 'init' }] },
      { containers: [{ name: 'web', livenessProbe: { path: 'healthz', port: true, extra: 1 } }], initContainers: [{ readinessProbe: {} }], c: { note: 'other' } },
      { a: {}, b: { note: 1 } },
    ];
    for (const data of cases) expect(errorsOf(shared, data)).toEqual(errorsOf(schema, data));
    expect(errorsOf(shared, cases[1]).errors.length).toBeGreaterThan(3);
  });

  it('leaves a schema without repeats unchanged', () => {
    expect(shareRepeatedSubschemas(probe)).toEqual(probe);
  });
});
