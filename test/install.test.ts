// The package as a team gets it: `npm pack` here, installed into an empty folder with no registry and an
// empty npm cache, then `plinth init`, `render`, `validate` and the team's own `tsc` on the written config.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectOutput, REPO, tempDir, UPSTREAM, type CliResult } from './helpers.ts';

const PACKAGE = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const FLAGS = ['--name', 'demo', '--domain', 'example.org', '--repo', 'https://github.com/example/infra.git', '--acme-email', 'ops@example.org'];

/** The environment of a shell, not of the npm that may have started the tests (npm_* variables, INIT_CWD). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && key !== 'INIT_CWD' && key !== 'FORCE_COLOR') env[key] = value;
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    collectOutput(child).then(resolve, reject);
  });
}

let tarball: string;
let team: string;
let plinth: string;
/** No registry: npm may use nothing but the tarball (an empty cache, and --offline). */
let offline: Record<string, string>;

beforeAll(async () => {
  const packDir = await tempDir('plinth-pack-');
  // `prepare` builds dist/ (tsc) before npm packs it.
  const packed = await run('npm', ['pack', '--pack-destination', packDir], REPO);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(packDir, `${PACKAGE.name.replace(/^@/, '').replace('/', '-')}-${PACKAGE.version}.tgz`);
  team = await tempDir('plinth-team-');
  plinth = join(team, 'node_modules', '.bin', 'plinth');
  offline = { npm_config_cache: await tempDir('plinth-npm-cache-'), npm_config_offline: 'true' };
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', tarball], team, offline);
  expect(installed.code, installed.stderr).toBe(0);
}, 600_000);

describe('the packed package, installed in an empty folder', () => {
  it('installs with no registry at all: its dependencies travel in the tarball', async () => {
    expect(JSON.parse(await readFile(join(team, 'package.json'), 'utf8')).dependencies).toEqual({ [PACKAGE.name]: expect.stringMatching(/^file:.*\.tgz$/) });
    const version = await run(plinth, ['--version'], team);
    expect(version).toEqual({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
  });

  it('ships the built JavaScript, its types, the docs and the bin: no sources, no tests', async () => {
    const root = join(team, 'node_modules', ...PACKAGE.name.split('/'));
    const files = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
      .filter((f) => !f.startsWith('node_modules/'));
    expect(files).toContain('bin/plinth.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('docs/install.md');
    expect(files.filter((f) => f.startsWith('src/') || /\.test\./.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('init, render, render --check and validate pass on what init writes', async () => {
    const init = await run(plinth, ['init', ...FLAGS], team);
    expect(init.code, init.stderr).toBe(0);
    const pkg = JSON.parse(await readFile(join(team, 'package.json'), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies[PACKAGE.name]).toMatch(/^file:.*\.tgz$/);

    const render = await run(plinth, ['render'], team);
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toContain('into rendered/');
    const check = await run(plinth, ['render', '--check'], team);
    expect(check.code, check.stdout).toBe(0);

    const env = { PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: await tempDir('plinth-cache-') };
    const validate = await run(plinth, ['validate', '--output', 'json'], team, env);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    const report = JSON.parse(validate.stdout) as { objects: number; errors: number; warnings: number };
    expect(report.objects).toBeGreaterThan(20);
    expect([report.errors, report.warnings]).toEqual([0, 0]);
    const sarif = await run(plinth, ['validate', '--output', 'sarif'], team, env);
    expect(sarif.code).toBe(0);
    expect((JSON.parse(sarif.stdout) as { runs: unknown[] }).runs).toHaveLength(1);

    // npx runs the installed bin and asks no registry: offline, with an empty cache.
    const npx = await run('npx', ['--no-install', 'plinth', '--version'], team, offline);
    expect(npx, npx.stderr).toEqual({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
  });

  it("type-checks under the team's own tsc (NodeNext), and a wrong option is a type error", async () => {
    await expect(readFile(join(team, 'plinth.config.ts'), 'utf8')).resolves.toContain(`from '${PACKAGE.name}'`);
    const checked = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], team);
    expect(checked.code, checked.stdout).toBe(0);

    const config = await readFile(join(team, 'plinth.config.ts'), 'utf8');
    const line = config.split('\n').findIndex((l) => l.includes("acmeEmail: 'ops@example.org'")) + 1;
    expect(line).toBeGreaterThan(0);
    await writeFile(join(team, 'wrong.config.ts'), config.replace("acmeEmail: 'ops@example.org'", 'acmeEmail: 42'));
    const wrong = await run(process.execPath, [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2024', 'wrong.config.ts'], team);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toContain(`wrong.config.ts(${line},23): error TS2322: Type 'number' is not assignable to type 'string'.`);
  });
});
