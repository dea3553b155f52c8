import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { createColors } from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeValidate } from '../src/cli/validate.ts';
import { schemasPull, validate } from '../src/commands/validate.ts';
import { toYaml } from '../src/core/yaml.ts';
import { PlinthError } from '../src/errors.ts';
import { toJunit, toSarif } from '../src/validate/report.ts';
import { REPO, runCli, tempDir, UPSTREAM } from './helpers.ts';

let cache: string;
const env = () => ({ PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: cache });
beforeAll(async () => {
  cache = await tempDir();
  // Fills the validator cache (the CRD index, a ConfigMap's validator), so the timings below measure the input.
  const warm = await folder({ 'cm.yaml': CONFIGMAP });
  expect((await runCli(['validate', warm], { env: env() })).code).toBe(0);
});

/** Writes files into a new folder and returns it. */
async function folder(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await tempDir();
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** A "billion laughs": each level a list of `fanOut` aliases of the level before, inside a ConfigMap. */
function laughs(levels: number, fanOut: number): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: laughs, namespace: apps}', 'data:', '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level <= levels; level++) lines.push(`  l${level}: &l${level} [${Array(fanOut).fill(`*l${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: apps}\ndata: {mode: fast}\n';

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await work;
  return [result, (Date.now() - started) / 1000];
}

describe('plinth validate on hostile manifests', () => {
  it('refuses an alias bomb in about a second, as an error naming the file, the document and the fix', async () => {
    const dir = await folder({ 'bomb.yaml': laughs(9, 9), 'good.yaml': CONFIGMAP });
    const [result, seconds] = await timed(runCli(['validate', dir, '--json'], { env: env() }));
    expect(result.code, result.stderr).toBe(1);
    expect(seconds).toBeLessThan(3);
    const report = JSON.parse(result.stdout);
    expect(report.findings).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/bomb\.yaml$/), document: 1, rule: 'input/yaml', severity: 'error',
        message: expect.stringMatching(/^document 1 of .*bomb\.yaml \(line 1\) cannot be read: its aliases expand to more than \d+ times the nodes written out, which Kubernetes' YAML reader refuses \("document contains excessive aliasing"\)$/),
        hint: 'write the repeated values out, or alias fewer nested anchors; nothing in this document was validated',
      }),
    ]);
    // The other file is still checked.
    expect(report.objects).toBe(1);
  });

  it('refuses an alias that contains itself, and aliases of a huge string, without hanging', async () => {
    const big = 'x'.repeat(512 * 1024);
    const dir = await folder({
      'self.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: self}\ndata: &d {a: *d}\n',
      'strings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strings}\ndata:\n  a: &s "${big}"\n  b: *s\n  c: *s\n  d: *s\n`,
    });
    const [result, seconds] = await timed(runCli(['validate', dir, '--json'], { env: env() }));
    expect(result.code, result.stderr).toBe(1);
    expect(seconds).toBeLessThan(5);
    const brief = JSON.parse(result.stdout).findings.map((f: any) => `${f.file.split('/').pop()} ${f.rule} ${f.object}`);
    expect(brief).toEqual(['self.yaml input/yaml document 1', 'strings.yaml input/too-large ConfigMap/strings']);
  });

  it('names a file that is not UTF-8 (Latin-1, UTF-16 with or without a byte order mark) with the line and how to convert it', async () => {
    const utf16 = (bom: boolean) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(CONFIGMAP, 'utf16le')]);
    const dir = await folder({
      'latin1.yaml': Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cafe}\ndata: {name: "caf\xe9"}\n', 'latin1'),
      'utf16.yaml': utf16(true),
      'utf16-nobom.yaml': utf16(false),
      'good.yaml': CONFIGMAP,
    });
    const result = await runCli(['validate', dir], { env: env() });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('latin1.yaml is not UTF-8: byte 0xE9 at line 4 is not valid UTF-8; nothing in it was validated [input/encoding]');
    expect(result.stdout).toContain('hint: save it as UTF-8 (a Latin-1 file converts with iconv -f LATIN1 -t UTF-8)');
    expect(result.stdout).toContain('utf16.yaml is UTF-16 (it starts with the byte order mark FF FE), not UTF-8');
    expect(result.stdout).toContain('hint: save it as UTF-8, e.g. iconv -f UTF-16 -t UTF-8');
    expect(result.stdout).toContain('utf16-nobom.yaml is not a text file: it holds a NUL byte at line 1 (UTF-16 without a byte order mark, or binary)');
    expect(result.stdout).toMatch(/✗ 1 object in 4 files from .*: 3 errors/);
  });

  it('reads a folder with a symbolic link cycle once, warning about the link instead of following it', async () => {
    const dir = await folder({ 'apps/cm.yaml': CONFIGMAP });
    await symlink(join(dir, 'apps'), join(dir, 'apps', 'again'));
    const [result, seconds] = await timed(runCli(['validate', dir], { env: env() }));
    expect(result.code, result.stderr).toBe(0);
    expect(seconds).toBeLessThan(5);
    expect(result.stdout).toMatch(/! \/: \S*apps\/again links back to \S*apps, a folder it is in: the cycle is not followed \[input\/symlink-cycle\]/);
    expect(result.stdout).toContain('hint: remove the link, or point it outside the folders being validated');
    expect(result.stdout).toMatch(/✓ 1 object in 1 file from .*: 0 errors, 1 warning/);
  });

  it('no objects is a usage error (exit 2) that says what was found, unless --allow-empty', async () => {
    const empty = await tempDir();
    const none = await runCli(['validate', empty], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(`error: no Kubernetes objects to validate in ${empty}: no .yaml, .yml or .json files`);
    expect(none.stderr).toContain('hint: check the path (validating nothing would pass); pass --allow-empty where no objects is expected');
    expect((await runCli(['validate', empty, '--allow-empty'], { env: env() })).code).toBe(0);

    const comments = await folder({ 'a.yaml': '# nothing yet\n---\n', 'b.yml': '' });
    const onlyComments = await runCli(['validate', comments, '--json'], { env: env() });
    expect(onlyComments.code).toBe(2);
    expect(JSON.parse(onlyComments.stdout).error.message).toBe(`no Kubernetes objects to validate in ${comments}: 2 files, but no objects in them (empty, or only comments)`);

    const loop = await tempDir();
    await symlink(loop, join(loop, 'self'));
    const looped = await runCli(['validate', loop], { env: env() });
    expect(looped.code).toBe(2);
    expect(looped.stderr).toContain('no .yaml, .yml or .json files; symbolic link cycle not followed: ');
    expect(looped.stderr).toContain('self');
  });

  it('a path that is a loop of symbolic links is a usage error, not a crash', async () => {
    const dir = await tempDir();
    await symlink(join(dir, 'b'), join(dir, 'a'));
    await symlink(join(dir, 'a'), join(dir, 'b'));
    const result = await runCli(['validate', join(dir, 'a')], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a: a loop of symbolic links');
    expect(result.stderr).toContain('hint: point the link at a real file or folder');
  });

  it("checks names with Kubernetes' rules for the kind", async () => {
    const dir = await folder({
      'names.yaml': [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name..x, namespace: apps}',
        'apiVersion: v1\nkind: Service\nmetadata: {name: web.v2, namespace: apps}\nspec: {ports: [{port: 80}]}',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok.dotted, namespace: Apps_1}',
      ].join('\n---\n'),
    });
    const result = await runCli(['validate', dir], { env: env() });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('✗ /metadata/name: metadata.name "Bad_Name..x" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config" [schema/name]');
    expect(result.stdout).toContain('hint: the API server refuses this ConfigMap name; e.g. rename it "bad-name.x"');
    expect(result.stdout).toContain('✗ /metadata/name: metadata.name "web.v2" is not a valid name: lowercase letters, digits and "-", at most 63, starting with a letter');
    expect(result.stdout).toContain('✗ /metadata/namespace: metadata.namespace "Apps_1" is not a valid name');
    expect(result.stdout).toMatch(/: 3 errors/);
  });

  it('reports an object too large to store, 100 MB in a few seconds and 2 MB exactly, and passes one under the limit', async () => {
    const data = (name: string, bytes: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: apps}\ndata:\n  blob: "${'x'.repeat(bytes)}"\n`;
    const dir = await folder({ 'huge.yaml': data('huge', 100 * 1024 * 1024), 'two.yaml': data('two', 2 * 1024 * 1024), 'fits.yaml': data('fits', 1024 * 1024) });
    const [result, seconds] = await timed(runCli(['validate', dir, '--json'], { env: env() }));
    expect(result.code, result.stderr).toBe(1);
    expect(seconds).toBeLessThan(10);
    const findings = JSON.parse(result.stdout).findings;
    expect(findings.map((f: any) => `${f.file.split('/').pop()} ${f.object} ${f.rule}`)).toEqual(['huge.yaml document 1 input/too-large', 'two.yaml ConfigMap/apps/two input/too-large']);
    expect(findings[0].message).toBe("document 1 is 100.0 MiB of YAML (not even parsed): a cluster stores at most 1.5 MiB per object (etcd's default --max-request-bytes), so the API server refuses it; not validated further");
    expect(findings[1].message).toMatch(/^ConfigMap\/apps\/two is more than 1\.5 MiB as JSON \(2\.0 MiB of YAML\): a cluster stores at most 1\.5 MiB/);
    expect(findings[1].hint).toContain('keep large data out of Kubernetes objects');
    expect(JSON.parse(result.stdout).objects).toBe(1);
  });

  it('without CRD schemas says so once, in one finding, and still checks built-in kinds', async () => {
    const noSchemas = { PLINTH_SCHEMAS_DIR: await tempDir(), PLINTH_CACHE_DIR: cache };
    const render = await runCli(['validate'], { env: noSchemas });
    expect(render.code).toBe(1);
    expect(render.stdout).not.toContain('schema/unknown-kind');
    expect(render.stdout.match(/plinth schemas pull/g)).toHaveLength(1);
    expect(render.stdout).toMatch(/✗ \/: no CRD schemas in .*crds, so \d+ custom resources of \d+ kinds went unchecked: AppProject \(argoproj\.io\/v1alpha1\), Application \(argoproj\.io\/v1alpha1\), .* and \d+ more \[schema\/no-crds\]/);
    expect(render.stdout).toContain('hint: run `plinth schemas pull` (with --from <mirror> where the upstream hosts are out of reach), or set PLINTH_SCHEMAS_DIR to a folder holding crds/; built-in kinds were checked');

    const dir = await folder({
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\ndta: {a: b}\n',
      'cert.yaml': 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: apps}\nspec: {}\n',
    });
    const manifests = JSON.parse((await runCli(['validate', dir, '--json'], { env: noSchemas })).stdout);
    expect(manifests.findings.map((f: any) => `${f.rule} ${f.path}`)).toEqual(['schema /dta', 'schema/no-crds ']);
    expect(manifests.findings[1].message).toContain('so 1 custom resource of 1 kind went unchecked: Certificate (cert-manager.io/v1)');
  });

  it('fails cluster-admin bindings and RBAC wildcards, and lists every opt-out with its reason', async () => {
    const dir = await folder({
      'rbac.yaml': [
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ci-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: everything}\nrules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: gc\n  annotations: {plinth.dev/allow-rbac-wildcard: "deletes whatever kind it finds orphaned"}\nrules: [{apiGroups: ["*"], resources: ["*"], verbs: [delete]}]',
      ].join('\n---\n'),
    });
    const table = await runCli(['validate', dir], { env: env() });
    expect(table.code, table.stderr).toBe(1);
    expect(table.stdout).toContain('✗ /roleRef/name: ClusterRoleBinding "ci-admin" grants cluster-admin (every verb on every resource, Secrets and RBAC included) to ServiceAccount ci/deployer [policy/cluster-admin-binding]');
    expect(table.stdout).toContain('✗ /rules/0/apiGroups: ClusterRole "everything" rule 0 grants "*" in apiGroups, resources, verbs');
    expect(table.stdout).toContain('Opted out of policies (1):\n  - ClusterRole/gc (');
    expect(table.stdout).toContain('policy/rbac-wildcard: "deletes whatever kind it finds orphaned"');
    const report = JSON.parse((await runCli(['validate', dir, '--json'], { env: env() })).stdout);
    expect(report.optOuts).toEqual([{ file: expect.stringMatching(/rbac\.yaml$/), document: 3, object: 'ClusterRole/gc', policy: 'policy/rbac-wildcard', reason: 'deletes whatever kind it finds orphaned' }]);
    expect(report.errors).toBe(2);
  });
});

describe('plinth schemas pull when the server does not answer', () => {
  let silent: ReturnType<typeof createTcpServer>;
  const sockets: Socket[] = [];
  let mirror: Server;
  let mirrorBase: string;
  beforeAll(async () => {
    // Accepts every connection and never says a word: a firewall or proxy that swallows requests.
    silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    mirror = createHttpServer(async (req, res) => {
      try {
        const path = decodeURIComponent(req.url!.replace(/^\/crds\//, ''));
        res.end(await readFile(/^(values|schemas)\//.test(path) ? join(UPSTREAM, path) : join(UPSTREAM, 'crds', path)));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    mirrorBase = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/crds`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await new Promise<void>((resolve) => mirror.close(() => resolve()));
  });

  it('gives up after the first answer timeout (5 s), once for all files, with the hint', async () => {
    const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/crds`;
    const [result, seconds] = await timed(runCli(['schemas', 'pull', '--from', base, '--out', await tempDir(), '--component', 'kargo', 'keda'], { env: { PLINTH_CACHE_DIR: cache } }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`error: cannot reach 127\\.0\\.0\\.1:\\d+: no answer within 5 s \\(${base}/[^)]+\\); stopped before trying the other \\d+ CRD files`));
    expect(result.stderr).toContain(`hint: check that the mirror ${base} is up and reachable from here`);
    expect(seconds).toBeGreaterThan(4.5);
    expect(seconds).toBeLessThan(9);
  });

  it('reports progress per component through the command context', async () => {
    const messages: { message: string; phase: boolean; transient: boolean }[] = [];
    const out = await tempDir();
    const result = await schemasPull(
      { from: mirrorBase, out, component: ['keda', 'eraser'] },
      { cwd: REPO, env: {}, progress: (message, options) => messages.push({ message, phase: options?.phase === true, transient: options?.transient === true }) },
    );
    expect(result.files).toHaveLength(8);
    // A count for terminals after each file, and a line per component everywhere.
    expect(result.values!.files).toHaveLength(2);
    expect(messages.filter((m) => m.transient).map((m) => m.message)).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `  ${i + 1}/8 CRD files`),
      ...Array.from({ length: 2 }, (_, i) => `  ${i + 1}/2 values files`),
    ]);
    const lines = messages.filter((m) => !m.transient);
    expect(lines.every((m) => m.phase)).toBe(true);
    expect(lines[0]!.message).toBe(`pulling CRDs into ${out}`);
    expect(lines.slice(1, 3).map((m) => m.message).sort()).toEqual([
      expect.stringMatching(/^  eraser: 2 CRD files, 2 downloaded \(\d+ KiB\)$/),
      expect.stringMatching(/^  keda: 6 CRD files, 6 downloaded \(\d+ KiB\)$/),
    ]);
    expect(lines[3]!.message).toBe(`pulling chart values into ${out}`);
    expect(lines.slice(4).map((m) => m.message).sort()).toEqual([
      expect.stringMatching(/^  eraser: 1 values file, 1 downloaded \(\d+ KiB\)$/),
      expect.stringMatching(/^  keda: 1 values file, 1 downloaded \(\d+ KiB\)$/),
    ]);
    const again: string[] = [];
    await schemasPull({ from: mirrorBase, out, component: ['eraser'] }, { cwd: REPO, env: {}, progress: (message, options) => void (options?.transient || again.push(message)) });
    expect(again).toEqual([`pulling CRDs into ${out}`, '  eraser: 2 CRD files, up to date', `pulling chart values into ${out}`, '  eraser: 1 values file, up to date']);
  });
});

// Random and mutated manifests through the validate command: whatever the input, the outcome is a report or a
// PlinthError (a usage error), in bounded time; never another exception and never exit 70 from the CLI.
describe('validate on random input (property)', () => {
  const KINDS = ['ConfigMap', 'Deployment', 'Service', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'RoleBinding', 'List', 'Gizmo', 'CustomResourceDefinition', 'Secret', ''];
  const VERSIONS = ['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1', 'example.org/v1', 'kustomize.config.k8s.io/v1beta1', '', 'a/b/c'];
  const NAMES = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('ok', 'Bad_Name..x', 'a'.repeat(300), '..', '-x-', 'system:masters', 'cluster-admin'));
  const object = fc.record({
    apiVersion: fc.constantFrom(...VERSIONS),
    kind: fc.constantFrom(...KINDS),
    metadata: fc.record({ name: NAMES, namespace: fc.option(NAMES, { nil: undefined }), annotations: fc.option(fc.dictionary(fc.constantFrom('plinth.dev/allow-rbac-wildcard', 'plinth.dev/allow-x', 'a'), fc.string()), { nil: undefined }) }, { requiredKeys: [] }),
    data: fc.option(fc.jsonValue({ maxDepth: 4 }), { nil: undefined }),
    spec: fc.option(fc.jsonValue({ maxDepth: 6 }), { nil: undefined }),
    rules: fc.option(fc.array(fc.record({ apiGroups: fc.array(fc.constantFrom('', '*', 'apps')), resources: fc.array(fc.constantFrom('*', 'pods')), verbs: fc.array(fc.constantFrom('*', 'get')) }), { maxLength: 3 }), { nil: undefined }),
    roleRef: fc.option(fc.record({ kind: fc.constantFrom('ClusterRole', 'Role'), name: fc.constantFrom('cluster-admin', 'view') }), { nil: undefined }),
    items: fc.option(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }), { nil: undefined }),
  }, { requiredKeys: [] });
  const yamlOf = (value: unknown) => { try { return toYaml(value); } catch { return JSON.stringify(value) ?? ''; } };
  /** A valid-looking document with random edits: characters inserted, lines dropped or repeated. */
  const mutated = fc.tuple(object, fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'drop', 'repeat'), fc.string({ maxLength: 4 })), { maxLength: 6 })).map(([value, edits]) => {
    let text = yamlOf(value);
    for (const [at, op, chars] of edits) {
      const i = text.length ? at % text.length : 0;
      if (op === 'insert') text = text.slice(0, i) + chars + text.slice(i);
      else {
        const lines = text.split('\n');
        const line = lines.length ? at % lines.length : 0;
        if (op === 'drop') lines.splice(line, 1);
        else lines.splice(line, 0, lines[line] ?? '');
        text = lines.join('\n');
      }
    }
    return text;
  });
  /** Large generated text, printed by its recipe when a counterexample is reported, not by its megabytes. */
  const large = (label: string, make: () => string) => ({ make, [fc.toStringMethod]: () => label });
  type Content = string | Uint8Array | ReturnType<typeof large>;
  const content: fc.Arbitrary<Content> = fc.oneof(
    object.map(yamlOf),
    fc.array(object, { maxLength: 4 }).map((values) => values.map(yamlOf).join('---\n')),
    mutated,
    fc.uint8Array({ maxLength: 600 }),
    fc.integer({ min: 1, max: 20_000 }).map((n) => large(`${n} nested flow lists`, () => `${'['.repeat(n)}${']'.repeat(n)}`)),
    fc.integer({ min: 1, max: 3_000 }).map((n) => large(`${n} nested mappings`, () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 2)}k:`).join('\n')} v\n`)),
    fc.tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 14 })).map(([levels, fanOut]) => large(`laughs(${levels}, ${fanOut})`, () => laughs(levels, fanOut))),
    fc.constantFrom('a: &a [*a]\n', 'x: *nowhere\n', '<<: *a\n', '--- !!binary AAAA\n', 'apiVersion: v1\nkind: List\nitems: &i [{kind: List, apiVersion: v1, items: *i}]\n'),
    fc.integer({ min: 0, max: 2_500_000 }).map((n) => large(`a ConfigMap with a ${n}-character value`, () => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {blob: "${'y'.repeat(n)}"}\n`)),
  );
  const bytesOf = (c: Content): string | Uint8Array => (typeof c === 'string' || c instanceof Uint8Array ? c : c.make());
  const tree = fc.array(fc.tuple(fc.constantFrom('a.yaml', 'b.yml', 'c.json', 'sub/d.yaml', 'e.txt'), content), { minLength: 0, maxLength: 3 });

  it('returns a report or throws a PlinthError, in bounded time, for any files', async () => {
    const base = await tempDir();
    const colors = createColors(false);
    let slowest = 0;
    const outcomes = { report: 0, usage: 0, objects: 0 };
    await fc.assert(
      fc.asyncProperty(tree, fc.boolean(), fc.boolean(), async (files, allowEmpty, strict) => {
        const dir = await mkdtemp(join(base, 'run-'));
        for (const [name, data] of files) {
          await mkdir(join(dir, name, '..'), { recursive: true });
          await writeFile(join(dir, name), bytesOf(data));
        }
        const started = Date.now();
        try {
          const result = await validate({ paths: [dir], allowEmpty, strict }, { cwd: dir, progress: () => {}, env: env() });
          // Every output format takes what any input produced.
          describeValidate(result.report, colors, true);
          toJunit(result.report, result.subjects);
          JSON.stringify(toSarif(result.report, result.lines, '0.0.0'));
          JSON.stringify(result.report);
          outcomes.report++;
          outcomes.objects += result.report.objects;
        } catch (error) {
          if (!(error instanceof PlinthError)) throw error;
          outcomes.usage++;
        }
        const seconds = (Date.now() - started) / 1000;
        slowest = Math.max(slowest, seconds);
        expect(seconds).toBeLessThan(10);
      }),
      { numRuns: 60, seed: 20261206, endOnFailure: true },
    );
    expect(slowest).toBeLessThan(10);
    // The inputs reach the checks, not only the reader's refusals.
    expect(outcomes.report).toBeGreaterThan(20);
    expect(outcomes.usage).toBeGreaterThan(0);
    expect(outcomes.objects).toBeGreaterThan(10);
  });

  it('never exits 70 from the CLI on hostile input', async () => {
    const samples = fc.sample(tree, { numRuns: 2, seed: 7 });
    const fixed: [string, string | Uint8Array][][] = [
      [['bomb.yaml', laughs(12, 12)]],
      [['garbage.yaml', Uint8Array.from({ length: 256 }, (_, i) => i)]],
      [['deep.json', `${'['.repeat(50_000)}${']'.repeat(50_000)}`]],
      [['list.yaml', 'apiVersion: v1\nkind: List\nitems: &i [{kind: List, apiVersion: v1, items: *i}]\n']],
    ];
    for (const [i, files] of [...fixed, ...samples.map((sample) => sample.map(([name, data]) => [name, bytesOf(data)] as [string, string | Uint8Array]))].entries()) {
      const dir = await folder(Object.fromEntries(files));
      const formats = i < 2 ? [['--output', 'sarif'], ['--output', 'junit'], ['--json']] : [[]];
      for (const args of formats.map((format) => ['validate', dir, ...format])) {
        const result = await runCli(args, { env: env() });
        expect([0, 1, 2], `${args.join(' ')}: ${result.stderr}`).toContain(result.code);
        expect(result.stderr).not.toContain('unexpected error');
      }
    }
  });
});
