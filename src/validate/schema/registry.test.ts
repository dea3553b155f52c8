import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, UPSTREAM } from '../../../test/helpers.ts';
import type { K8sObject } from '../../core/types.ts';
import { toYaml } from '../../core/yaml.ts';
import { openSchemaRegistry, type SchemaProblem, type SchemaRegistry } from './registry.ts';

/** A CRD whose schema uses each Kubernetes extension once, so each can be shown to pass and to fail. */
const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.plinth.dev' },
  spec: {
    group: 'test.plinth.dev',
    names: { kind: 'Widget', plural: 'widgets' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                'x-kubernetes-validations': [
                  { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas', fieldPath: '.minReplicas' },
                  { rule: "self.mode != 'Fixed' || has(self.size)", messageExpression: "'mode ' + self.mode + ' needs size'" },
                  { rule: 'self.ratio < 1.5' },
                  { rule: 'isURL(self.endpoint)' },
                  { rule: "quantity(self.size).compareTo(quantity('1Gi')) <= 0", message: 'size must be at most 1Gi' },
                ],
                properties: {
                  port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  minReplicas: { type: 'integer', default: 1 },
                  maxReplicas: { type: 'integer', default: 3 },
                  mode: { type: 'string', enum: ['Auto', 'Fixed'], default: 'Auto' },
                  size: { type: 'string', default: '1Gi' },
                  ratio: { type: 'number', default: 1 },
                  endpoint: { type: 'string', default: 'https://example.org' },
                  timeout: { type: 'string', format: 'duration' },
                  values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                  strict: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { data: { type: 'object', additionalProperties: { type: 'string' } } } },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['port', 'protocol'],
                    items: { type: 'object', required: ['port'], properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
                  },
                  tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
                  previous: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }] },
                  routes: {
                    type: 'array',
                    items: { type: 'object', properties: { path: { type: 'string' } } },
                    'x-kubernetes-validations': [{ rule: 'size(self) == 0 || has(self[0].path)' }],
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

const widget = (spec: Record<string, unknown>): K8sObject => ({
  apiVersion: 'test.plinth.dev/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'default' },
  spec,
});

const errors = (problems: SchemaProblem[]) => problems.filter((p) => p.severity !== 'info');
const paths = (problems: SchemaProblem[]) => errors(problems).map((p) => `${p.rule} ${p.path}`);

let registry: SchemaRegistry;
beforeAll(async () => {
  registry = await openSchemaRegistry({ schemasDir: await tempDir(), cacheDir: false });
  registry.addCrds([WIDGET_CRD], 'widgets.yaml');
});

describe('Kubernetes schema extensions', () => {
  it('x-kubernetes-int-or-string: an integer or a string, nothing else', async () => {
    expect(paths(await registry.check(widget({ port: 80 })))).toEqual([]);
    expect(paths(await registry.check(widget({ port: 'http' })))).toEqual([]);
    const problems = await registry.check(widget({ port: true }));
    expect(paths(problems)).toEqual(['schema /spec/port']);
    expect(problems[0]!.message).toBe('must be integer or string (found boolean true)');
  });

  it('x-kubernetes-preserve-unknown-fields keeps any field; a sibling without it rejects unknown ones', async () => {
    expect(paths(await registry.check(widget({ values: { anything: { goes: [1, 'two'] } } })))).toEqual([]);
    const problems = await registry.check(widget({ valuse: {} }));
    expect(paths(problems)).toEqual(['schema /spec/valuse']);
    expect(problems[0]!.hint).toContain('did you mean "values"?');
  });

  it('x-kubernetes-embedded-resource: apiVersion and kind required, metadata checked, rest per the schema', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } };
    expect(paths(await registry.check(widget({ template: pod, strict: { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } } })))).toEqual([]);
    expect(paths(await registry.check(widget({ template: { metadata: { name: 'p' } } })))).toEqual(['schema /spec/template/apiVersion', 'schema /spec/template/kind']);
    expect(paths(await registry.check(widget({ template: { ...pod, metadata: { nmae: 'p' } } })))).toEqual(['schema /spec/template/metadata/nmae']);
    expect(paths(await registry.check(widget({ strict: { apiVersion: 'v1', kind: 'ConfigMap', spec: {} } })))).toEqual(['schema /spec/strict/spec']);
  });

  it('list-map keys: items unique by all keys together, defaults included', async () => {
    expect(paths(await registry.check(widget({ ports: [{ port: 53 }, { port: 53, protocol: 'UDP' }] })))).toEqual([]);
    const problems = await registry.check(widget({ ports: [{ port: 53 }, { port: 80 }, { port: 53, protocol: 'TCP' }] }));
    expect(paths(problems)).toEqual(['schema/list-map-key /spec/ports/2']);
    expect(problems[0]!.message).toBe('duplicate entry: port=53, protocol="TCP" is also item 0');
  });

  it('list sets: duplicates are an error', async () => {
    expect(paths(await registry.check(widget({ tags: ['a', 'b'] })))).toEqual([]);
    expect(paths(await registry.check(widget({ tags: ['a', 'b', 'a'] })))).toEqual(['schema/list-set /spec/tags/2']);
  });

  it('CEL rules run on the defaulted object, with fieldPath, message and messageExpression', async () => {
    expect(paths(await registry.check(widget({ minReplicas: 2, maxReplicas: 5, mode: 'Fixed', size: '512Mi', ratio: 1.25 })))).toEqual([]);
    const tooMany = await registry.check(widget({ minReplicas: 4 }));
    expect(tooMany.map((p) => [p.rule, p.path, p.message])).toContainEqual(['schema/cel', '/spec/minReplicas', 'minReplicas must not exceed maxReplicas']);
    const quantity = errors(await registry.check(widget({ size: '2Gi', endpoint: 'not a url', ratio: 2 }))).map((p) => p.message);
    expect(quantity).toContain('size must be at most 1Gi');
    expect(quantity).toContain('failed rule: self.ratio < 1.5');
    expect(quantity).toContain('failed rule: isURL(self.endpoint)');
  });

  it('evaluates a rule on a number field as a double and on an integer field as an int', async () => {
    expect(paths(await registry.check(widget({ ratio: 1.4, minReplicas: 1, maxReplicas: 1 })))).toEqual([]);
  });

  it('reports the rules it cannot evaluate as info, never as a pass', async () => {
    const problems = await registry.check(widget({ previous: 'x', routes: [{ path: '/' }] }));
    const infos = problems.filter((p) => p.rule === 'schema/cel-unevaluated');
    expect(infos.map((p) => p.path).sort()).toEqual(['/spec/previous', '/spec/routes']);
    expect(infos.every((p) => p.severity === 'info')).toBe(true);
    expect(infos.find((p) => p.path === '/spec/previous')!.message).toContain('transition rule');
    expect(infos.find((p) => p.path === '/spec/routes')!.message).toContain('not supported by the CEL evaluator');
  });

  it('reads null as an unset field, as the API server does', async () => {
    expect(paths(await registry.check(widget({ port: null, size: null })))).toEqual([]);
  });

  it('checks Go durations, not ISO 8601 ones', async () => {
    expect(paths(await registry.check(widget({ timeout: '1h30m' })))).toEqual([]);
    expect(paths(await registry.check(widget({ timeout: 'PT1M' })))).toEqual(['schema /spec/timeout']);
  });
});

describe('built-in kinds', () => {
  let upstream: SchemaRegistry;
  beforeAll(async () => {
    upstream = await openSchemaRegistry({ schemasDir: UPSTREAM, cacheDir: false });
  });

  const deployment = (container: Record<string, unknown>, extra: Record<string, unknown> = {}): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'ghcr.io/x/web:1.0', ...container }] } },
      ...extra,
    },
  });

  it('accepts a valid Deployment, quantities as numbers and named ports', async () => {
    const ok = deployment({ ports: [{ name: 'http', containerPort: 8080 }], resources: { limits: { cpu: 1, memory: '256Mi' } }, readinessProbe: { httpGet: { port: 'http', path: '/' } } });
    expect(await upstream.check(ok)).toEqual([]);
  });

  it('rejects wrong types, unknown fields and missing required fields, each at its path', async () => {
    const problems = await upstream.check(deployment({ ports: [{ containerPort: '80' }], env: [{ name: 'PORT', value: 8080 }], imagePullPolicy: 'Always', imagePolicy: 'x' }, { replicas: 'two' }));
    expect(paths(problems).sort()).toEqual([
      'schema /spec/replicas',
      'schema /spec/template/spec/containers/0/env/0/value',
      'schema /spec/template/spec/containers/0/imagePolicy',
      'schema /spec/template/spec/containers/0/ports/0/containerPort',
    ]);
    expect(problems.find((p) => p.path.endsWith('/value'))!.hint).toContain('quote the value');
    expect(paths(await upstream.check(deployment({}, { selector: undefined, template: { spec: { containers: [{ image: 'x' }] } } }))).sort()).toEqual([
      'schema /spec/selector',
      'schema /spec/template/spec/containers/0/name',
    ]);
  });

  it('checks metadata: typos, label values, names, and a namespace on a cluster-scoped kind', async () => {
    const problems = await upstream.check({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', namespace: 'x', labes: {}, labels: { ok: 'not ok!' } } });
    expect(problems.map((p) => `${p.severity} ${p.rule} ${p.path}`).sort()).toEqual([
      'error schema /metadata/labels/ok',
      'error schema /metadata/labes',
      'warning schema/scope /metadata/namespace',
    ]);
    expect(paths(await upstream.check({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'x' } } as unknown as K8sObject))).toEqual(['schema /metadata/name']);
  });

  it('reports a kind without a schema, and the versions that do serve it', async () => {
    const [unknown] = await upstream.check({ apiVersion: 'example.org/v1', kind: 'Gadget', metadata: { name: 'g' } });
    expect(unknown).toMatchObject({ rule: 'schema/unknown-kind', severity: 'error', path: '' });
    const [wrongVersion] = await upstream.check({ apiVersion: 'cert-manager.io/v1beta1', kind: 'Certificate', metadata: { name: 'c' } });
    expect(wrongVersion!.hint).toBe('Certificate is served as cert-manager.io/v1');
    const [oldApi] = await upstream.check({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'i' } });
    expect(oldApi!.hint).toBe('Ingress is served as networking.k8s.io/v1');
  });
});

describe('the validator cache', () => {
  it('gives the same results compiled fresh and loaded from the cache', async () => {
    const cacheDir = await tempDir();
    const object: K8sObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c', namespace: 'n' }, spec: { secretName: 's', issuerRef: { name: 'i' }, duraton: '1h' } };
    const check = async () => {
      const registry = await openSchemaRegistry({ schemasDir: UPSTREAM, cacheDir });
      const problems = await registry.check(object);
      await registry.flush();
      return problems;
    };
    const cold = await check();
    expect((await readdir(join(cacheDir, 'validators'))).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    const warm = await check();
    expect(cold.map((p) => p.path)).toEqual(['/spec/duraton']);
    expect(warm).toEqual(cold);
  });

  it('is keyed by the CRD files\' contents: a fresh checkout reuses it, a changed CRD is compiled again', async () => {
    const schemas = await tempDir();
    const cacheDir = await tempDir();
    const crdFile = join(schemas, 'crds', 'widgets.yaml');
    await mkdir(join(schemas, 'crds'));
    await writeFile(crdFile, toYaml(WIDGET_CRD));
    const validators = async () => (await readdir(join(cacheDir, 'validators'))).filter((f) => !f.startsWith('crd-hashes-')).sort();
    const run = async () => {
      const registry = await openSchemaRegistry({ schemasDir: schemas, cacheDir });
      const problems = await registry.check(widget({ port: true }));
      await registry.flush();
      return problems;
    };
    const first = await run();
    expect(paths(first)).toEqual(['schema /spec/port']);
    const compiled = await validators();
    expect(compiled.filter((f) => f.startsWith('crd-index-'))).toHaveLength(1);
    // A checkout gives every file a new time; the content, and so the cache, is the same.
    await utimes(crdFile, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(await run()).toEqual(first);
    expect(await validators()).toEqual(compiled);
    // A changed CRD is a new index and a new validator.
    await writeFile(crdFile, `# upgraded\n${toYaml(WIDGET_CRD)}`);
    expect(await run()).toEqual(first);
    const after = await validators();
    expect(after.filter((f) => f.startsWith('crd-index-'))).toHaveLength(2);
    expect(after.filter((f) => f.endsWith('.json') && !f.startsWith('crd-index-'))).toHaveLength(2);
  });

});

describe("names under Kubernetes' rules for the kind", () => {
  const named = (apiVersion: string, kind: string, name: string, namespace?: string): K8sObject =>
    ({ apiVersion, kind, metadata: { name, ...(namespace && { namespace }) }, ...(kind === 'Widget' && { spec: {} }) }) as K8sObject;
  const nameFindings = async (object: K8sObject) => (await registry.check(object)).filter((p) => p.path.startsWith('/metadata/'));

  it('refuses a ConfigMap named Bad_Name..x, which the OpenAPI schema lets through, and suggests a name that passes', async () => {
    const [problem, ...rest] = await nameFindings(named('v1', 'ConfigMap', 'Bad_Name..x', 'apps'));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ rule: 'schema/name', severity: 'error', path: '/metadata/name' });
    expect(problem!.message).toBe('metadata.name "Bad_Name..x" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"');
    expect(problem!.hint).toBe('the API server refuses this ConfigMap name; e.g. rename it "bad-name.x"');
  });

  it('applies the rule of each kind: Services are DNS-1035 labels, Namespaces DNS labels, RBAC names path segments', async () => {
    expect(await nameFindings(named('v1', 'Service', 'web.v2', 'apps'))).toMatchObject([{ rule: 'schema/name', hint: expect.stringContaining('"web-v2"') }]);
    expect(await nameFindings(named('v1', 'Service', '9web', 'apps'))).toMatchObject([{ rule: 'schema/name', hint: expect.stringContaining('"web"') }]);
    expect(await nameFindings(named('v1', 'ConfigMap', 'web.v2', 'apps'))).toEqual([]);
    expect(await nameFindings(named('v1', 'Namespace', 'apps.prod'))).toMatchObject([{ rule: 'schema/name', path: '/metadata/name' }]);
    expect(await nameFindings(named('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:aggregate-to-edit'))).toEqual([]);
    expect(await nameFindings(named('rbac.authorization.k8s.io/v1', 'ClusterRole', 'a/b'))).toMatchObject([{ rule: 'schema/name' }]);
    // Custom resources: DNS-1123 subdomains, whether or not a schema is known.
    expect(await nameFindings(named('test.plinth.dev/v1', 'Widget', 'My_Widget', 'apps'))).toMatchObject([{ rule: 'schema/name' }]);
    expect((await registry.check(named('unknown.example/v1', 'Gizmo', 'My_Gizmo', 'apps'))).map((p) => p.rule)).toEqual(['schema/unknown-kind', 'schema/name']);
  });

  it('reports a bad namespace once, in words, instead of the schema pattern', async () => {
    const problems = await registry.check(named('v1', 'ConfigMap', 'settings', 'Apps_1'));
    expect(problems.map((p) => `${p.rule} ${p.path}`)).toEqual(['schema/name /metadata/namespace']);
    expect(problems[0]!.message).toContain('metadata.namespace "Apps_1" is not a valid name: lowercase letters, digits and "-", at most 63');
    expect(problems[0]!.hint).toContain('"apps-1"');
  });
});
