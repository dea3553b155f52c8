import { createServer, type Server } from 'node:http';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, tempDir, UPSTREAM } from './helpers.ts';
import { CRD_SOURCES } from '../src/validate/schema/crd-sources.ts';

const env = (cache: string) => ({ PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: cache });

/** A minimal XML reader: enough to prove the JUnit output is well-formed and to count its elements. */
function parseXml(text: string): { name: string; attrs: Record<string, string>; children: any[] } {
  const root = { name: '#root', attrs: {}, children: [] as any[] };
  const stack = [root];
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let consumed = 0;
  for (const m of body.matchAll(token)) {
    if (m.index !== consumed) throw new Error(`not XML at ${m.index}: ${body.slice(consumed, consumed + 40)}`);
    consumed = m.index + m[0].length;
    if (m[5] !== undefined) {
      if (/[<>]|&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`bad text: ${m[5]}`);
      continue;
    }
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      if (stack.pop()!.name !== name) throw new Error(`mismatched </${name}>`);
      continue;
    }
    const attrs = Object.fromEntries([...attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
    const element = { name: name!, attrs, children: [] };
    stack.at(-1)!.children.push(element);
    if (!selfClose) stack.push(element);
  }
  if (consumed !== body.length || stack.length !== 1) throw new Error('unterminated XML');
  return root.children[0];
}

let dir: string;
let cache: string;
beforeAll(async () => {
  dir = await tempDir();
  cache = await tempDir();
  await writeFile(
    join(dir, 'good.yaml'),
    [
      '# a comment header',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: settings, namespace: apps}',
      'data: {mode: fast}',
      '---',
      'apiVersion: v1',
      'kind: Namespace',
      'metadata: {name: apps}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'bad.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: broken, namespace: apps}',
      'dta: {mode: fast}',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: web, namespace: apps}',
      'spec:',
      '  ports: [{port: "80"}]',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: [unclosed',
      '---',
      'metadata: {name: nokind}',
      '',
    ].join('\n'),
  );
});

describe('plinth validate on manifests', () => {
  it('exits 0 on valid manifests and says what it checked', async () => {
    const result = await runCli(['validate', join(dir, 'good.yaml')], { env: env(cache) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ 2 objects in 1 file from .*good\.yaml: 0 errors, 0 warnings/);
  });

  it('exits 1 and reports each finding with file, document, object, path, rule, message and hint', async () => {
    const result = await runCli(['validate', join(dir, 'bad.yaml'), '--json'], { env: env(cache) });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const brief = report.findings.map((f: any) => `${f.document} ${f.object} ${f.path} ${f.rule}`);
    expect(brief).toEqual([
      '1 ConfigMap/apps/broken /dta schema',
      '2 Service/apps/web /spec/ports/0/port schema',
      '3 document 3  input/yaml',
      '4 document 4 /apiVersion input/no-kind',
    ]);
    expect(report.findings[0]).toMatchObject({ message: 'unknown field "dta"', hint: expect.stringContaining('did you mean "data"?') });
    expect(report.findings[1].message).toBe('must be integer (found string "80")');
    expect(report.findings[2].message).toMatch(/^invalid YAML at .*bad\.yaml:14: /);
    expect(report).toMatchObject({ objects: 2, files: 1, errors: 4, failed: true });
  });

  it('prints a table grouped by file and object, with hints', async () => {
    const result = await runCli(['validate', dir], { env: env(cache) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  ConfigMap/apps/broken\n    ✗ /dta: unknown field "dta" [schema]\n      hint: did you mean "data"?');
    expect(result.stdout).toMatch(/✗ 4 objects in 2 files from .*: 4 errors, 0 warnings/);
  });

  it('fails on warnings only with --strict', async () => {
    const file = join(await tempDir(), 'ns.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: apps, namespace: default}\n');
    const lenient = await runCli(['validate', file], { env: env(cache) });
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('! /metadata/namespace: Namespace is cluster-scoped');
    const strict = await runCli(['validate', file, '--strict'], { env: env(cache) });
    expect(strict.code).toBe(1);
  });

  it('reports a kind with no schema anywhere, and validates custom resources against CRDs beside them', async () => {
    const local = await tempDir();
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.org' },
      spec: { group: 'example.org', scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }] },
    };
    await writeFile(join(local, 'gadget.yaml'), 'apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g, namespace: apps}\nspec: {size: big}\n');
    const alone = JSON.parse((await runCli(['validate', join(local, 'gadget.yaml'), '--json'], { env: env(cache) })).stdout);
    expect(alone.findings.map((f: any) => f.rule)).toEqual(['schema/unknown-kind']);
    await writeFile(join(local, 'crd.json'), JSON.stringify(crd));
    const withCrd = JSON.parse((await runCli(['validate', local, '--json'], { env: env(cache) })).stdout);
    expect(withCrd.findings.map((f: any) => `${f.path} ${f.rule}`)).toEqual(['/spec/size schema']);
  });

  it('junit: well-formed XML, a suite per file, a case per object, failures counted', async () => {
    const result = await runCli(['validate', dir, '--output', 'junit'], { env: env(cache) });
    expect(result.code).toBe(1);
    const suites = parseXml(result.stdout);
    expect(suites.name).toBe('testsuites');
    expect(suites.attrs).toMatchObject({ tests: '6', failures: '4' });
    const bad = suites.children.find((s: any) => s.attrs.name.endsWith('bad.yaml'));
    expect(bad.attrs).toMatchObject({ tests: '4', failures: '4' });
    expect(bad.children.map((c: any) => c.attrs.name)).toEqual(['ConfigMap/apps/broken', 'Service/apps/web', 'document 3', 'document 4']);
    expect(bad.children[0].children[0]).toMatchObject({ name: 'failure', attrs: { type: 'schema', message: '/dta: unknown field &quot;dta&quot;' } });
    const good = suites.children.find((s: any) => s.attrs.name.endsWith('good.yaml'));
    expect(good.attrs).toMatchObject({ tests: '2', failures: '0' });
  });

  it('sarif: version 2.1.0, a rule per id, results with ruleId, level and the document line', async () => {
    const result = await runCli(['validate', dir, '--output', 'sarif'], { env: env(cache) });
    const sarif = JSON.parse(result.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toContain('sarif-2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('plinth');
    expect(run.tool.driver.rules.map((r: any) => r.id)).toEqual(['input/no-kind', 'input/yaml', 'schema']);
    expect(run.results).toHaveLength(4);
    const service = run.results.find((r: any) => r.message.text.startsWith('Service/apps/web'));
    expect(service).toMatchObject({ ruleId: 'schema', level: 'error' });
    expect(service.locations[0].physicalLocation.artifactLocation.uri).toMatch(/bad\.yaml$/);
    expect(service.locations[0].physicalLocation.region.startLine).toBe(6);
    expect(service.locations[0].logicalLocations[0].fullyQualifiedName).toBe('Service/apps/web/spec/ports/0/port');
  });

  it('reads YAML as kubectl and Argo CD do: `yes` is a boolean and `0777` octal, so a ConfigMap holding them is refused', async () => {
    const own = await tempDir();
    await writeFile(join(own, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flags, namespace: apps}\ndata:\n  enabled: yes\n  mode: 0777\n  since: 2024-01-01\n  window: 1:30\n');
    const result = await runCli(['validate', join(own, 'cm.yaml'), '--output', 'json'], { env: env(cache) });
    expect(result.code).toBe(1);
    const findings = JSON.parse(result.stdout).findings as { path: string; message: string; hint?: string }[];
    expect(findings.map((f) => `${f.path} ${f.message}`)).toEqual(['/data/enabled must be string (found boolean true)', '/data/mode must be string (found number 511)']);
    expect(findings[0]!.hint).toContain('quote the value');
  });

  it('usage errors exit 2: a missing path, or --config with paths', async () => {
    const missing = await runCli(['validate', join(dir, 'nope.yaml')], { env: env(cache) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: no such file or directory');
    const both = await runCli(['validate', '--config', 'plinth.config.ts', dir], { env: env(cache) });
    expect(both.code).toBe(2);
    expect((await runCli(['validate', dir, '--output', 'xml'], { env: env(cache) })).code).toBe(2);
  });

  it('validates the render of a config in memory, writing nothing', async () => {
    const result = await runCli(['validate', '--json'], { env: env(cache) });
    const report = JSON.parse(result.stdout);
    expect(report.source).toBe('plinth.config.ts');
    expect(report.objects).toBeGreaterThan(10);
    expect(report.findings.filter((f: any) => f.rule.startsWith('schema') && f.severity !== 'info')).toEqual([]);
    expect(report.findings.filter((f: any) => f.rule === 'schema/cel-unevaluated').length).toBe(report.infos);
  });
});

describe('the compiled-validator cache across runs', () => {
  it("keeps V8's compiled code of each validator, uses it on the next run, and recovers from a damaged one", async () => {
    const own = await tempDir();
    const manifest = join(own, 'deployment.yaml');
    await writeFile(manifest, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: apps}\nspec: {selector: {}, template: {spec: {containers: [{name: c, imagePullPolicy: 1}]}}}\n');
    const run = async () => {
      const result = await runCli(['validate', manifest, '--output', 'json'], { env: env(own) });
      expect(result.code).toBe(1);
      return JSON.parse(result.stdout).findings.filter((f: { rule: string }) => f.rule === 'schema').map((f: { path: string }) => f.path);
    };
    const codeCaches = async () => (await readdir(join(own, 'validators'))).filter((f) => f.endsWith('.bin'));
    expect(await run()).toEqual(['/spec/template/spec/containers/0/imagePullPolicy']);
    const [file] = await codeCaches();
    expect(file).toMatch(/\.v8-[0-9a-z._]+\.bin$/i);
    const path = join(own, 'validators', file!);
    const writtenAt = (await stat(path)).mtimeMs;
    // Accepted by V8: nothing is written again.
    expect(await run()).toEqual(['/spec/template/spec/containers/0/imagePullPolicy']);
    expect((await stat(path)).mtimeMs).toBe(writtenAt);
    // Rejected by V8 (another build, a torn file): compiled from source, same findings, and replaced.
    await writeFile(path, 'not a code cache');
    expect(await run()).toEqual(['/spec/template/spec/containers/0/imagePullPolicy']);
    expect((await readFile(path)).length).toBeGreaterThan(1000);
    expect(await codeCaches()).toEqual([file]);
    const replacedAt = (await stat(path)).mtimeMs;
    expect(await run()).toEqual(['/spec/template/spec/containers/0/imagePullPolicy']);
    expect((await stat(path)).mtimeMs).toBe(replacedAt);
  });
});

describe('plinth schemas pull', () => {
  let server: Server;
  let base: string;
  let corrupt = false;
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      try {
        const path = decodeURIComponent(req.url!.replace(/^\/crds\//, ''));
        // A mirror serves the charts' values files beside the CRD folders.
        const body = await readFile(/^(values|schemas)\//.test(path) ? join(UPSTREAM, path) : join(UPSTREAM, 'crds', path));
        res.end(corrupt ? Buffer.concat([body, Buffer.from('\n# changed\n')]) : body);
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crds`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads the pinned CRDs from a mirror, then finds them up to date', async () => {
    const out = await tempDir();
    const first = await runCli(['schemas', 'pull', '--from', base, '--out', out, '--component', 'cert-manager', 'keda'], { env: { PLINTH_CACHE_DIR: cache } });
    expect(first.code).toBe(0);
    // Off a terminal, one plain progress line per component on stderr.
    const [heading, crd1, crd2, valuesHeading, ...charts] = first.stderr.trimEnd().split('\n');
    expect(heading).toBe(`pulling CRDs into ${out}`);
    expect([crd1, crd2].sort()).toEqual([expect.stringMatching(/^  cert-manager: 6 CRD files, 6 downloaded \(\d+ KiB\)$/), expect.stringMatching(/^  keda: 6 CRD files, 6 downloaded \(\d+ KiB\)$/)]);
    // Then the charts' values.yaml (and cert-manager's values.schema.json).
    expect(valuesHeading).toBe(`pulling chart values into ${out}`);
    expect(charts.sort()).toEqual([expect.stringMatching(/^  cert-manager: 2 values files, 2 downloaded \(\d+ KiB\)$/), expect.stringMatching(/^  keda: 1 values file, 1 downloaded \(\d+ KiB\)$/)]);
    expect(first.stdout).toMatch(/✓ 12 CRD files in .*crds: 12 downloaded, 0 already up to date/);
    expect(first.stdout).toMatch(/✓ 3 chart values files in .*: 3 downloaded, 0 already up to date/);
    expect(await readFile(join(out, 'values', 'keda-2.20.2.values.yaml'), 'utf8')).toBe(await readFile(join(UPSTREAM, 'values', 'keda-2.20.2.values.yaml'), 'utf8'));
    expect((await stat(join(out, 'crds', 'cert-manager', 'cert-manager.io_certificates.yaml'))).size).toBeGreaterThan(1000);
    const again = await runCli(['schemas', 'pull', '--from', base, '--out', out, '--component', 'cert-manager', 'keda', '--json'], { env: { PLINTH_CACHE_DIR: cache } });
    expect(JSON.parse(again.stdout).files.every((f: any) => f.status === 'unchanged')).toBe(true);
    expect(JSON.parse(again.stdout).values.files.map((f: any) => [f.file, f.status])).toEqual([
      ['schemas/cert-manager-values.schema.json', 'unchanged'],
      ['values/cert-manager-v1.21.1.values.yaml', 'unchanged'],
      ['values/keda-2.20.2.values.yaml', 'unchanged'],
    ]);
    // What was pulled serves validation.
    const cert = join(out, 'cert.yaml');
    await writeFile(cert, 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: apps}\nspec: {secretName: s, issuerRef: {name: i}, dnsName: [a]}\n');
    const checked = JSON.parse((await runCli(['validate', cert, '--schemas', out, '--json'], { env: { PLINTH_CACHE_DIR: cache } })).stdout);
    expect(checked.findings.filter((f: any) => f.rule === 'schema').map((f: any) => f.path)).toEqual(['/spec/dnsName']);
  });

  it('pulls the CRDs of every kind the render of every extra holds, so validate knows each of them', async () => {
    const out = await tempDir();
    const pulled = await runCli(['schemas', 'pull', '--from', base, '--out', out, '--json'], { env: { PLINTH_CACHE_DIR: cache } });
    expect(pulled.code, pulled.stderr).toBe(0);
    const checked = await runCli(['validate', '-c', join(REPO, 'examples', 'platform-extras.config.ts'), '--schemas', out, '--json'], { env: { PLINTH_CACHE_DIR: cache } });
    const findings = JSON.parse(checked.stdout).findings as { rule: string; object?: string }[];
    expect(findings.filter((f) => f.rule === 'schema/unknown-kind')).toEqual([]);
    expect(checked.code, checked.stdout.slice(0, 2000)).toBe(0);
  });

  it('refuses a file that differs from the pinned release, keeping what is there', async () => {
    const out = await tempDir();
    await mkdir(join(out, 'crds', 'keda'), { recursive: true });
    corrupt = true;
    try {
      const result = await runCli(['schemas', 'pull', '--from', base, '--out', out, '--component', 'keda'], { env: { PLINTH_CACHE_DIR: cache } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('content differs from the pinned release');
      await expect(stat(join(out, 'crds', 'keda', 'keda.sh_scaledobjects.yaml'))).rejects.toThrow();
    } finally {
      corrupt = false;
    }
  });

  it('stops at the first request when nothing listens, in about a second, naming the URL, the cause and a way round', async () => {
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = `http://127.0.0.1:${port}/crds`;
    const started = Date.now();
    const result = await runCli(['schemas', 'pull', '--from', unreachable, '--out', await tempDir()], { env: { PLINTH_CACHE_DIR: cache } });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`error: cannot reach 127\\.0\\.0\\.1:${port}: ECONNREFUSED \\(${unreachable}/[^)]+\\.yaml\\); stopped before trying the other ${CRD_SOURCES.length - 1} CRD files`));
    expect(result.stderr).toContain(`hint: check that the mirror ${unreachable} is up and reachable from here, or set PLINTH_SCHEMAS_DIR`);
    // One error, not one per file.
    expect(result.stderr.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(seconds).toBeLessThan(3);
  });
});

describe('plinth validate on a rendered tree', () => {
  it('finds the written default tree clean, kustomizations of app stages included as build input only', async () => {
    const out = await tempDir();
    expect((await runCli(['render', '--out', out])).code).toBe(0);
    const result = await runCli(['validate', out, '--json'], { env: env(cache) });
    const report = JSON.parse(result.stdout);
    expect(report.findings.filter((f: any) => f.severity === 'error'), result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.findings.some((f: any) => f.file.endsWith('kustomization.yaml'))).toBe(false);
  });
});
