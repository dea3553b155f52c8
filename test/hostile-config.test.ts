// Issue #14: hostile or careless config input. Each case renders into <tmp>/a/b/c/d/out with the config beside it,
// deep enough that a `../` escape would still land inside <tmp>, where the test looks for it.
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/components/index.ts';
import { resolveCluster } from '../src/config/validate.ts';
import { renderTree } from '../src/core/render.ts';
import { planTree, writeTree } from '../src/core/tree.ts';
import { ConfigError, PlinthError } from '../src/errors.ts';
import { BIN, minimalCluster, runCli, tempDir } from './helpers.ts';

const NEST = ['a', 'b', 'c', 'd'];
const CHAIN = NEST.map((_, i) => NEST.slice(0, i + 1).join('/'));

/** Every file and directory under a directory, relative and sorted. */
async function entries(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true })) as string[]).map((e) => e.split('\\').join('/')).sort();
}

interface Rendered {
  code: number;
  stdout: string;
  stderr: string;
  config: string;
  out: string;
  /** Everything under <tmp> except what is inside out/. */
  outside: string[];
  /** Everything inside out/. */
  written: string[];
}

async function renderHostile(
  name: string,
  content: string | Uint8Array,
  options: { args?: string[]; env?: Record<string, string>; noOut?: boolean; out?: (dir: string) => Promise<void> } = {},
): Promise<Rendered> {
  const root = await tempDir('plinth-hostile-');
  const dir = join(root, ...NEST);
  const out = join(dir, 'out');
  await mkdir(dir, { recursive: true });
  if (options.out) await options.out(out);
  else await mkdir(out);
  const config = join(dir, name);
  await writeFile(config, content);
  const args = ['render', '--config', config, ...(options.noOut ? [] : ['--out', out]), ...(options.args ?? [])];
  const result = await runCli(args, { cwd: dir, env: { PLINTH_CONFIG_TIMEOUT_MS: '30000', ...options.env } });
  const all = await entries(root);
  const inOut = `${CHAIN.at(-1)}/out/`;
  return { ...result, config, out, outside: all.filter((e) => !e.startsWith(inOut)), written: all.filter((e) => e.startsWith(inOut)) };
}

type Issue = [path: string, message: string, hint?: string];

const report = (config: string, issues: Issue[]) =>
  `error: ${issues.length} problem${issues.length === 1 ? '' : 's'} in ${config}\n` +
  issues.map(([path, message, hint]) => `  ${path}: ${message}${hint ? `\n    hint: ${hint}` : ''}`).join('\n') +
  '\nNothing was written.\n';

/** Exit 2, the whole message (config path, each issue, its fix), nothing in out/, nothing beside it. */
function expectRefused(result: Rendered, issues: Issue[] | ((config: string) => Issue[])) {
  expect(result.stderr).toBe(report(result.config, typeof issues === 'function' ? issues(result.config) : issues));
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.written).toEqual([]);
  expect(result.outside).toEqual([...CHAIN, `${CHAIN.at(-1)}/${result.config.split('/').pop()}`, `${CHAIN.at(-1)}/out`].sort());
}

const json = (mutate: (c: Record<string, any>) => void) => {
  const config = minimalCluster();
  mutate(config);
  return JSON.stringify(config, null, 2);
};
/** A .ts config that builds the minimal cluster and then does something to it (no import: it runs from a temp dir). */
const ts = (body: string) => `const c: any = ${JSON.stringify(minimalCluster())};\n${body}\nexport default c;\n`;
const configMap = (metadata: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { a: 'b' } });

describe.concurrent('hostile configs: exit 2, the config path and a fix, nothing written, nothing outside --out', () => {
  describe('path traversal', () => {
    it("an extra object of a component named ../ (it used to land beside --out)", async () => {
      const result = await renderHostile('plinth.config.json', json((c) => (c.components.traefik = { extraObjects: [configMap({ name: '../../../../../escaped' })] })));
      expectRefused(result, [
        [
          'components.traefik.extraObjects[0].metadata.name',
          '"../../../../../escaped" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"',
          'Kubernetes refuses this name for a ConfigMap: rename it',
        ],
      ]);
    });

    it('an extra object of a component with a ../ namespace', async () => {
      const result = await renderHostile('plinth.config.json', json((c) => (c.components.traefik = { extraObjects: [configMap({ name: 'x', namespace: '../../../../../esc' })] })));
      expectRefused(result, [
        [
          'components.traefik.extraObjects[0].metadata.namespace',
          '"../../../../../esc" is not a valid name: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric, e.g. "my-namespace"',
          'use the name of a namespace, or leave it out',
        ],
      ]);
    });

    it("an app's extra object named ../ and one whose kind is ../", async () => {
      const result = await renderHostile(
        'plinth.config.json',
        json((c) => (c.apps[0].extraObjects = [configMap({ name: '../../../../../../escaped-app' }), { apiVersion: 'v1', kind: '../../../../../../Kind', metadata: { name: 'x' } }])),
      );
      expectRefused(result, [
        [
          'apps[0].extraObjects[0].metadata.name',
          '"../../../../../../escaped-app" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"',
          'Kubernetes refuses this name for a ConfigMap: rename it',
        ],
        ['apps[0].extraObjects[1].kind', '"../../../../../../Kind" is not a Kubernetes kind', 'a kind is one word of letters and digits, such as "ConfigMap" or "ClusterIssuer"'],
      ]);
    });

    it('git.path ../../x, which render writes to when there is no --out', async () => {
      const result = await renderHostile('plinth.config.json', json((c) => (c.git.path = '../../x')), { noOut: true });
      expectRefused(result, [['git.path', '"../../x" must stay inside the repository: no "." or ".." segments', 'use a folder of the repository, such as "rendered" or "clusters/prod"']]);
    });

    it('a valid name too long for a file name is refused by the tree writer, naming the object', async () => {
      const name = 'a'.repeat(250);
      const file = `manifests/traefik/configmap-${name}.yaml`;
      const result = await renderHostile('plinth.config.json', json((c) => (c.components.traefik = { extraObjects: [configMap({ name })] })));
      expectRefused(result, [
        [
          'components.traefik.extraObjects[0]',
          `ConfigMap/${name}: refusing to write "${file.slice(0, 117)}...": the file name "configmap-${'a'.repeat(30)}..." is 265 bytes long, more than the 255 a file system takes`,
          'rename the object whose kind, namespace or name makes up this path',
        ],
      ]);
    });
  });

  describe('what used to end in exit 70', () => {
    it('a YAML alias bomb (billion laughs)', async () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
        const previous = String.fromCharCode(97 + i);
        levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
      }
      const result = await renderHostile('plinth.config.yaml', `${levels.join('\n')}\nname: [*i]\n`);
      expectRefused(result, [['(file)', 'expands its aliases (*name) too many times, as a "billion laughs" file does', 'write the values out, or refer to each anchor (&name) fewer times']]);
    });

    it('values nested 20,000 deep', async () => {
      const deep = `${'{"a":'.repeat(20_000)}{}${'}'.repeat(20_000)}`;
      const result = await renderHostile('plinth.config.json', json((c) => (c.components.traefik = { values: '@deep' })).replace('"@deep"', deep));
      expectRefused(result, [['components.traefik.values.a.a.a.a.a...', 'is nested more than 100 levels deep', 'flatten it: neither Kubernetes objects nor Helm values nest this deep']]);
    });

    it('a circular object in a .ts config', async () => {
      const result = await renderHostile('plinth.config.ts', ts('c.components.traefik = { values: { self: c } };'));
      expectRefused(result, [['components.traefik.values.self', 'refers back to (root), which contains it: a cycle', 'copy the values instead of referring to an object that holds this one']]);
    });

    it('a 20 MB string', async () => {
      const result = await renderHostile('plinth.config.ts', ts("c.components.traefik = { values: { blob: 'x'.repeat(20_000_000) } };"));
      expectRefused(result, [
        [
          'components.traefik.values.blob',
          'is a string of 20,000,000 characters, more than the 1 MiB a Kubernetes object field can hold',
          'keep large files out of the config: mount them from a ConfigMap or a volume the app reads',
        ],
      ]);
    });

    it('a BigInt, a throwing getter and a Proxy in a .ts config', async () => {
      const result = await renderHostile(
        'plinth.config.ts',
        ts(
          [
            'c.apps[0].replicas = 10n;',
            "Object.defineProperty(c.apps[1], 'port', { enumerable: true, get() { throw new Error('no port today'); } });",
            'c.apps[2] = new Proxy(c.apps[2], {});',
          ].join('\n'),
        ),
      );
      expectRefused(result, [
        ['apps[0].replicas', 'is the BigInt 10n; a config holds plain numbers', 'write 10 without the "n"'],
        ['apps[1].port', 'could not be read: its getter threw Error: no port today', 'make it a plain value, or fix the getter'],
        ['apps[2]', 'is a Proxy; a config holds plain data', 'pass a plain copy instead, e.g. structuredClone(value) or { ...value }'],
      ]);
    });

    it('--out pointing at an existing file', async () => {
      const result = await renderHostile('plinth.config.json', json(() => {}), { out: (out) => writeFile(out, 'mine\n') });
      expect(result.stderr).toBe(
        `error: --out ${result.out} is ${result.out}, which is a file, not a directory; nothing was written\n` +
          '  hint: pass a directory (it is created if it does not exist), or move the file away\n',
      );
      expect(result.code).toBe(2);
      expect(result.outside).toEqual([...CHAIN, `${CHAIN.at(-1)}/out`, `${CHAIN.at(-1)}/plinth.config.json`].sort());
    });
  });

  describe('hangs and silent exits of a .ts config', () => {
    it('a top-level await that never settles', async () => {
      const result = await renderHostile('plinth.config.ts', `await new Promise(() => {});\nexport default {};\n`);
      expectRefused(result, [['(file)', 'never finished loading: a top-level await waits on a promise that nothing settles', 'await only promises that settle; a config needs no server, listener or open handle']]);
    });

    it('a top-level await on a timer that never ends, cut at PLINTH_CONFIG_TIMEOUT_MS', async () => {
      const result = await renderHostile('plinth.config.ts', `await new Promise(() => setInterval(() => {}, 1000));\nexport default {};\n`, { env: { PLINTH_CONFIG_TIMEOUT_MS: '1500' } });
      expectRefused(result, [
        [
          '(file)',
          'did not finish loading within 1.5 s',
          'look for an await that waits on something slow or endless, or a loop that never ends; PLINTH_CONFIG_TIMEOUT_MS=<ms> allows longer',
        ],
      ]);
    });

    it('process.exit(0) in the config fails render --check instead of passing it', async () => {
      const result = await renderHostile('plinth.config.ts', ts('process.exit(0);'), { args: ['--check'] });
      expectRefused(result, [['(file)', 'called process.exit(0) while loading', 'a config only exports the cluster: remove the call, and throw an Error to report a problem']]);
    });

    it("console.log in the config goes to stderr: --json output stays JSON", async () => {
      const result = await renderHostile('plinth.config.ts', ts("console.log('hello from the config');\nconsole.error('and to stderr');"), { args: [] });
      const withJson = await runCli(['--json', 'render', '--config', result.config, '--out', result.out]);
      expect(withJson.code).toBe(0);
      expect(JSON.parse(withJson.stdout)).toMatchObject({ configFile: result.config, stale: false });
      // Two streams forwarded as they come: their lines may interleave either way.
      expect(withJson.stderr.split('\n').sort()).toEqual(['', 'and to stderr', 'hello from the config']);
      expect(result.code).toBe(0);
      expect(result.written).toContain(`${CHAIN.at(-1)}/out/bootstrap/root.yaml`);
      expect(result.outside).toEqual([...CHAIN, `${CHAIN.at(-1)}/out`, `${CHAIN.at(-1)}/plinth.config.ts`].sort());
    });
  });

  describe('accepted before, wrong all the same', () => {
    it("an app on Argo CD's or Kargo's host, and two apps on one host", async () => {
      const result = await renderHostile(
        'plinth.config.json',
        json((c) => {
          c.apps[0].host = 'argocd.example.org';
          c.apps[1].host = 'kargo.example.org';
          c.apps[2].host = 'argocd.example.org';
        }),
      );
      const taken = (component: string, option: string) =>
        [`host "${component}.example.org" is already served by the "${component === 'argocd' ? 'argo-cd' : component}" component, so two Ingresses would claim it and one would get no traffic`, `use another host, or move the component's with ${option}`] as const;
      expectRefused(result, [
        ['apps[0].host', ...taken('argocd', 'components["argo-cd"].host')],
        ['apps[1].host', ...taken('kargo', 'components.kargo.host')],
        ['apps[2].host', ...taken('argocd', 'components["argo-cd"].host')],
      ]);
    });

    it('replicas 10**12, a 23-digit Ti size and an http git URL', async () => {
      const result = await renderHostile(
        'plinth.config.json',
        json((c) => {
          c.apps[0].replicas = 10 ** 12;
          c.postgres.servers[0].dataSize = '12345678901234567890123Ti';
          c.git.repoURL = 'http://git.example.org/infra.git';
        }),
      );
      expectRefused(result, [
        [
          'git.repoURL',
          '"http://git.example.org/infra.git" is a plain http URL: Argo CD would pull the tree unencrypted, and anyone on the way could change what it deploys',
          'use https: "https://git.example.org/infra.git"',
        ],
        [
          'postgres.servers[0].dataSize',
          '"12345678901234567890123Ti" is larger than any quantity Kubernetes keeps (2^63-1, about 8Ei): it would be capped or overflow',
          'use a realistic size, e.g. "500Gi" or "2Ti"',
        ],
        ['apps[0].replicas', 'must be at most 2147483647, got number 1000000000000', 'Kubernetes stores this count as a 32-bit integer: use a realistic number'],
      ]);
    });
  });

  describe('messages that had no fix', () => {
    it("zod's \"Invalid key in record\" and \"(nonoptional)\"", async () => {
      const result = await renderHostile(
        'plinth.config.json',
        json((c) => {
          c.apps[0].env = { 'bad-key': 'x' };
          delete c.components;
        }),
      );
      expectRefused(result, [
        ['apps[0].env["bad-key"]', 'key "bad-key" must be an environment variable name', 'rename the key'],
        ['components', 'is required', 'enable components, e.g. components: { "argo-cd": {} }'],
      ]);
    });

    it('a thrown string and a thrown undefined', async () => {
      const text = await renderHostile('plinth.config.ts', `throw 'oops';\n`);
      expectRefused(text, [['(file)', 'threw "oops" instead of an Error', 'fix the code that throws it; throw new Error("...") says what is wrong']]);
      const nothing = await renderHostile('plinth.config.mjs', `throw undefined;\n`);
      expectRefused(nothing, [['(file)', 'threw undefined instead of an Error', 'fix the code that throws it; throw new Error("...") says what is wrong']]);
    });

    it('an Error thrown by the config, at its line', async () => {
      const result = await renderHostile('plinth.config.ts', `const settings: any = undefined;\nexport default { name: settings.name };\n`);
      expectRefused(result, (config) => [
        ['(file)', `threw TypeError: Cannot read properties of undefined (reading 'name') at ${config}:2:33`, `fix the code at ${config}:2:33`],
      ]);
    });

    it('Infinity and NaN, once shown as "got number null"', async () => {
      const result = await renderHostile('plinth.config.ts', ts('c.apps[0].replicas = Infinity;\nc.apps[1].port = NaN;'));
      expectRefused(result, [
        ['apps[0].replicas', 'is Infinity, which YAML and JSON cannot carry to Kubernetes', 'use a finite number'],
        ['apps[1].port', 'is NaN, which YAML and JSON cannot carry to Kubernetes', 'use a finite number'],
      ]);
    });

    it('a YAML file of several documents', async () => {
      const result = await renderHostile('plinth.config.yaml', 'name: a\n---\nname: b\n---\nname: c\n');
      expectRefused(result, [
        ['(file)', 'holds 3 documents (separated by "---"); a config is one', 'keep one cluster definition in the file: remove the "---" lines, or put each cluster in a file of its own'],
      ]);
    });

    it('a TypeScript syntax error, at file:line:column', async () => {
      const result = await renderHostile('plinth.config.ts', `const replicas: number = ;\nexport default {};\n`);
      expectRefused(result, (config) => [
        ['(file)', `is not valid TypeScript: Expression expected at ${config}:1:26`, `fix the syntax at ${config}:1:26; npx tsc --noEmit lists every error`],
      ]);
    });

    it('a UTF-8 byte order mark is accepted, in JSON and YAML', async () => {
      const fromJson = await renderHostile('plinth.config.json', `\ufeff${json(() => {})}`);
      expect(fromJson.stderr).toBe('');
      expect(fromJson.code).toBe(0);
      const fromYaml = await renderHostile('plinth.config.yaml', `\ufeffname: test\ndomain: example.org\ngit: {repoURL: "https://git.example.org/infra.git"}\ncomponents: {argo-cd: {}, traefik: {}, cert-manager: {acmeEmail: ops@example.org, solver: http01}, external-dns: {}, external-secrets: {}}\n`);
      expect(fromYaml.stderr).toBe('');
      expect(fromYaml.code).toBe(0);
      expect(fromYaml.written).toContain(`${CHAIN.at(-1)}/out/bootstrap/root.yaml`);
    });

    it('Latin-1 and UTF-16 files are called "not UTF-8"', async () => {
      const latin1 = await renderHostile('plinth.config.json', Buffer.from(json((c) => (c.name = 'caf\u00e9')), 'latin1'));
      expectRefused(latin1, [
        ['(file)', 'is not UTF-8: byte 0xE9 at line 2, column 15 is not valid UTF-8 (a Latin-1 or Windows-1252 file?)', 'save it as UTF-8, e.g. iconv -f LATIN1 -t UTF-8, or "Save with Encoding: UTF-8" in the editor'],
      ]);
      const utf16 = await renderHostile('plinth.config.ts', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ts(''), 'utf16le')]));
      expectRefused(utf16, [['(file)', 'is not UTF-8: it starts with the byte order mark of UTF-16', 'save it as UTF-8, e.g. iconv -f UTF-16 -t UTF-8, or "Save with Encoding: UTF-8" in the editor']]);
    });
  });
});

// Property tests: random mutations of a valid cluster, through the API and through the CLI.

const WEIRD = [
  '../', '../../../../escaped', '..', '.', '/', '/etc/passwd', 'a\\b', 'x\0y', '', ' ', 'ä', '日本', '🚀', 'CON', 'a'.repeat(300),
  '${{ x }}', 'yes', 'on', '0777', '-1', '1e3', 'null', '~', '*', '&a', '!!binary x', 'Web.Example.ORG', 'web.example.org', 'argocd.example.org',
];
const weirdString = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom(...WEIRD), fc.string({ maxLength: 6 }).map((s) => `../../${s}`));
const hugeNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 10 ** 12, Number.NaN, Number.POSITIVE_INFINITY),
  fc.double(),
  fc.integer(),
);
const nested = fc.integer({ min: 1, max: 130 }).map((depth) => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
});
const rawObject = fc.record(
  {
    apiVersion: fc.oneof(fc.constantFrom('v1', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1'), weirdString),
    kind: fc.oneof(fc.constantFrom('ConfigMap', 'Service', 'Namespace', 'Role', 'Ingress', 'Secret'), weirdString),
    metadata: fc.record({ name: fc.oneof(fc.constantFrom('ok', 'x.y'), weirdString), namespace: fc.oneof(fc.constantFrom('default'), weirdString) }, { requiredKeys: ['name'] }),
    spec: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: ['apiVersion', 'kind', 'metadata'] },
);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), weirdString, hugeNumber, nested, rawObject, fc.array(rawObject, { maxLength: 3 }));

/** Every path in the minimal cluster, plus the places raw input reaches the tree. */
const BASE = minimalCluster();
const PATHS: (string | number)[][] = [];
(function collect(value: unknown, path: (string | number)[]) {
  if (path.length) PATHS.push(path);
  if (Array.isArray(value)) value.forEach((item, i) => collect(item, [...path, i]));
  else if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) collect(child, [...path, key]);
})(BASE, []);
for (const id of Object.keys(BASE.components)) PATHS.push(['components', id, 'extraObjects'], ['components', id, 'values'], ['components', id, 'namespace']);
BASE.apps.forEach((_: unknown, i: number) => PATHS.push(['apps', i, 'extraObjects'], ['apps', i, 'env'], ['apps', i, 'host'], ['apps', i, 'stages']));

const mutation = fc.record({ path: fc.constantFrom(...PATHS), value: anyValue, remove: fc.boolean() });
const mutatedCluster = fc.array(mutation, { minLength: 1, maxLength: 4 }).map((mutations) => {
  const config = structuredClone(BASE);
  for (const { path, value, remove } of mutations) {
    let node: any = config;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key];
    }
    if (remove) delete node[path.at(-1)!];
    else node[path.at(-1)!] = value;
  }
  return config;
});

/** Inside <root>: only the nesting and out/ (and, through the CLI, the config) may exist. */
async function outsideOut(root: string, out: string): Promise<string[]> {
  const prefix = `${out.slice(root.length + 1)}/`;
  return (await entries(root)).filter((e) => !e.startsWith(prefix) && !CHAIN_DEEP.includes(e) && `${e}/` !== prefix && !e.endsWith('plinth.config.json'));
}
const DEEP = ['p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'zz'];
const CHAIN_DEEP = DEEP.map((_, i) => DEEP.slice(0, i + 1).join('/'));

describe('property: any mutation of a valid config', () => {
  it('through resolveCluster, renderTree and the tree writer: a ConfigError or PlinthError at most, and nothing outside out/', async () => {
    const root = await tempDir('plinth-property-');
    let run = 0;
    const outcomes = { written: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(mutatedCluster, async (config) => {
        const base = join(root, `run-${run++}`);
        const out = join(base, ...DEEP, 'out');
        try {
          const resolved = resolveCluster(config, registry);
          const tree = renderTree(resolved, registry);
          await writeTree(out, tree.files, await planTree(out, tree.files));
          outcomes.written++;
        } catch (error) {
          if (!(error instanceof PlinthError)) throw error;
          if (error instanceof ConfigError) expect(error.issues.length).toBeGreaterThan(0);
          outcomes.refused++;
        }
        await mkdir(join(base, ...DEEP), { recursive: true });
        expect(await outsideOut(base, out)).toEqual([]);
        await rm(base, { recursive: true, force: true });
      }),
      // PLINTH_PROPERTY_RUNS=5000 searches longer; the default keeps the file near 30 s on a busy machine.
      process.env.PLINTH_PROPERTY_RUNS ? { numRuns: Number(process.env.PLINTH_PROPERTY_RUNS) } : { numRuns: 250, interruptAfterTimeLimit: 20_000 },
    );
    // Both sides are exercised: mutations the config accepts reach the writer, the rest are refused.
    if (process.env.PLINTH_PROPERTY_STATS) process.stderr.write(`${JSON.stringify(outcomes)}\n`);
    expect(outcomes.written).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, process.env.PLINTH_PROPERTY_RUNS ? 3_600_000 : undefined);

  it('through bin/plinth.js: never exit 70, never a hang, nothing outside --out', async () => {
    const root = await tempDir('plinth-property-cli-');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(mutatedCluster, async (config) => {
        const dir = join(root, `run-${run++}`, ...DEEP);
        await mkdir(dir, { recursive: true });
        const file = join(dir, 'plinth.config.json');
        await writeFile(file, JSON.stringify(config));
        const { code, stderr, timedOut } = await renderWithin(['render', '--config', file, '--out', join(dir, 'out')], 30_000);
        expect(timedOut).toBe(false);
        expect(code === 0 || code === 2, stderr).toBe(true);
        if (code === 2) expect(stderr).toMatch(/^error: /);
        expect(await outsideOut(join(root, `run-${run - 1}`), join(dir, 'out'))).toEqual([]);
      }),
      { numRuns: 6 },
    );
  });
});

function renderWithin(args: string[], ms: number): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stderr, timedOut });
    });
  });
}
