import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { cacheDir } from '../validate/schema/registry.ts';
import { REPO, snapshotDir, tempDir, UPSTREAM } from '../../test/helpers.ts';
import { DEFAULT_COMPONENTS, init, type InitContext, type InitOptions, type InitQuestion } from './init.ts';
import { render } from './render.ts';
import { validate } from './validate.ts';

const PACKAGE = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
const FLAGS: InitOptions = { name: 'demo', domain: 'example.org', repo: 'https://github.com/example/infra.git', acmeEmail: 'ops@example.org' };
const FILES = ['.github/workflows/plinth.yml', '.gitignore', 'README.md', 'package.json', 'plinth.config.ts', 'tsconfig.json'];

const context = (cwd: string, ask?: InitContext['ask']): InitContext => ({ cwd, registry, progress: () => {}, ...(ask ? { ask } : {}) });

/** The written config with the package import pointed at the sources, as a checkout without a build runs it. */
async function useSources(dir: string, edit = (source: string) => source): Promise<void> {
  const file = join(dir, 'plinth.config.ts');
  const source = await readFile(file, 'utf8');
  expect(source).toContain(`from '${PACKAGE.name}'`);
  await writeFile(file, edit(source.replace(`from '${PACKAGE.name}'`, `from '${join(REPO, 'src', 'index.ts')}'`)));
}

async function expectRejected(promise: Promise<unknown>): Promise<UsageError | ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as UsageError | ConfigError;
}

describe('plinth init', () => {
  it('writes a start in an empty folder that renders and validates', async () => {
    const dir = await tempDir();
    const result = await init(FLAGS, context(dir));
    expect(result.files.map((f) => f.path).sort()).toEqual(FILES);
    expect(result.files.every((f) => f.action === 'created')).toBe(true);
    expect([...(await snapshotDir(dir)).keys()]).toEqual(FILES);
    expect(result.dependency).toEqual({ name: PACKAGE.name, spec: PACKAGE.version });
    expect(result.warnings).toEqual([]);

    await useSources(dir);
    const rendered = await render({}, context(dir));
    expect(rendered.components.map((c) => c.id).sort()).toEqual([...DEFAULT_COMPONENTS].sort());
    const cache = await tempDir();
    const validated = await validate({}, { cwd: dir, progress: () => {}, registry, env: { PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: cache } });
    expect(validated.report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(validated.report.failed).toBe(false);
  });

  it("writes the flags into the config, and its commented app renders and validates once uncommented", async () => {
    const dir = await tempDir();
    await init({ ...FLAGS, name: 'team-a', domain: 'apps.team-a.org', acmeEmail: "o'brien@team-a.org" }, context(dir));
    const source = await readFile(join(dir, 'plinth.config.ts'), 'utf8');
    expect(source).toContain("name: 'team-a'");
    expect(source).toContain("domain: 'apps.team-a.org'");
    expect(source).toContain("repoURL: 'https://github.com/example/infra.git'");
    expect(source).toContain("acmeEmail: 'o\\'brien@team-a.org'");
    await useSources(dir, (text) => text.replace('  // apps: [', '  apps: ['));
    const rendered = await render({}, context(dir));
    expect(rendered.plan.create).toContain('workloads/web/stages/production/ingress-web.yaml');
    const validated = await validate({}, { cwd: dir, progress: () => {}, registry, env: { PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: await tempDir() } });
    expect(validated.report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('writes a package.json of type module pinned to this version, or to --from as a file: dependency', async () => {
    const dir = await tempDir();
    await init(FLAGS, context(dir));
    expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))).toEqual({
      name: 'demo-platform',
      private: true,
      type: 'module',
      engines: { node: '>=24' },
      dependencies: { [PACKAGE.name]: PACKAGE.version },
    });

    const other = await tempDir();
    await mkdir(join(other, 'vendor'));
    await writeFile(join(other, 'vendor', 'plinth-platform-plinth-0.1.0.tgz'), 'a tarball');
    const result = await init({ ...FLAGS, from: 'vendor/plinth-platform-plinth-0.1.0.tgz' }, context(other));
    expect(result.dependency.spec).toBe('file:./vendor/plinth-platform-plinth-0.1.0.tgz');
    expect(JSON.parse(await readFile(join(other, 'package.json'), 'utf8')).dependencies).toEqual({ [PACKAGE.name]: 'file:./vendor/plinth-platform-plinth-0.1.0.tgz' });
    expect(result.warnings).toEqual([]);
  });

  it('warns when --from is outside the repository, where CI cannot install it', async () => {
    const outside = await tempDir();
    await writeFile(join(outside, 'plinth.tgz'), 'a tarball');
    const dir = await tempDir();
    const result = await init({ ...FLAGS, from: join(outside, 'plinth.tgz') }, context(dir));
    expect(result.dependency.spec).toMatch(/^file:\.\.\/.*\/plinth\.tgz$/);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('outside this repository');
  });

  it('refuses --from that does not exist, is not Plinth, or is a checkout without dist/, writing nothing', async () => {
    const dir = await tempDir();
    expect((await expectRejected(init({ ...FLAGS, from: 'nope.tgz' }, context(dir)))).message).toBe('--from nope.tgz does not exist');
    const notPlinth = await tempDir();
    await writeFile(join(notPlinth, 'package.json'), '{"name":"plinth"}');
    const error = await expectRejected(init({ ...FLAGS, from: notPlinth }, context(dir)));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(`is not a ${PACKAGE.name} checkout`);
    const unbuilt = await tempDir();
    await writeFile(join(unbuilt, 'package.json'), JSON.stringify({ name: PACKAGE.name }));
    expect((await expectRejected(init({ ...FLAGS, from: unbuilt }, context(dir)))).hint).toContain('npm run build');
    expect((await snapshotDir(dir)).size).toBe(0);
  });

  it('replaces no file: names each one in the way (exit 2) and writes nothing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'README.md'), '# ours\n');
    await mkdir(join(dir, '.github', 'workflows'), { recursive: true });
    await writeFile(join(dir, '.github', 'workflows', 'plinth.yml'), 'name: ours\n');
    await writeFile(join(dir, 'plinth.config.json'), '{}');
    const before = await snapshotDir(dir);
    const error = await expectRejected(init(FLAGS, context(dir)));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `README.md, .github/workflows/plinth.yml, plinth.config.json already exist in ${dir}; plinth init replaces no file, so nothing was written`,
    );
    expect(error.hint).toContain('--force');
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it('refuses before asking anything', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'tsconfig.json'), '{}');
    const asked: string[] = [];
    await expectRejected(init({}, context(dir, async (q) => (asked.push(q.flag), 'x'))));
    expect(asked).toEqual([]);
  });

  it('--force replaces the files in the way and merges package.json, keeping its other fields', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'README.md'), '# ours\n');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'infra', scripts: { lint: 'x' }, dependencies: { zod: '4.0.0' } }, null, 4));
    const result = await init({ ...FLAGS, force: true }, context(dir));
    expect(result.files.find((f) => f.path === 'README.md')?.action).toBe('replaced');
    expect(result.files.find((f) => f.path === 'package.json')?.action).toBe('updated');
    expect(result.files.find((f) => f.path === 'plinth.config.ts')?.action).toBe('created');
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toContain('# demo');
    const text = await readFile(join(dir, 'package.json'), 'utf8');
    expect(JSON.parse(text)).toEqual({ name: 'infra', scripts: { lint: 'x' }, dependencies: { zod: '4.0.0', [PACKAGE.name]: PACKAGE.version }, type: 'module' });
    expect(text).toMatch(/^ {4}"name"/m);
  });

  it('keeps the dependency `npm install ./plinth.tgz` wrote, and adds "type": "module"', async () => {
    const dir = await tempDir();
    const installed = { dependencies: { [PACKAGE.name]: 'file:../plinth-platform-plinth-0.1.0.tgz' } };
    await writeFile(join(dir, 'package.json'), JSON.stringify(installed, null, 2));
    const result = await init(FLAGS, context(dir));
    expect(result.dependency.spec).toBe('file:../plinth-platform-plinth-0.1.0.tgz');
    expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))).toEqual({ ...installed, type: 'module' });
  });

  it('refuses a package.json of another type unless --force, and one that is not JSON', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'package.json'), '{"type":"commonjs"}');
    const error = await expectRejected(init(FLAGS, context(dir)));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('"type": "commonjs"');
    expect([...(await snapshotDir(dir)).keys()]).toEqual(['package.json']);
    await init({ ...FLAGS, force: true }, context(dir));
    expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).type).toBe('module');

    const broken = await tempDir();
    await writeFile(join(broken, 'package.json'), '{"name":');
    expect((await expectRejected(init(FLAGS, context(broken)))).message).toMatch(/^package\.json is not valid JSON/);
    expect([...(await snapshotDir(broken)).keys()]).toEqual(['package.json']);
  });

  it('names every missing flag when it cannot ask (exit 2), and writes nothing', async () => {
    const dir = await tempDir();
    const error = await expectRejected(init({ name: 'demo', repo: FLAGS.repo }, context(dir)));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('missing --domain, --acme-email: plinth init asks for them only on a terminal');
    expect(error.hint).toContain('--name demo --domain apps.example.org');
    expect((await snapshotDir(dir)).size).toBe(0);
  });

  it('reports every invalid flag by its name, with the fix, and writes nothing', async () => {
    const dir = await tempDir();
    const error = await expectRejected(init({ ...FLAGS, name: 'Demo', repo: 'git@github.com:example/infra.git', acmeEmail: 'ops' }, context(dir)));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(2);
    expect((error as ConfigError).issues.map((i) => [i.path, i.hint])).toEqual([
      ['--name', 'e.g. --name prod'],
      ['--repo', 'Argo CD pulls over https: https://github.com/example/infra.git'],
      ['--acme-email', 'e.g. --acme-email ops@example.org'],
    ]);
    expect((await snapshotDir(dir)).size).toBe(0);
  });

  it('asks for each missing value, again when an answer is refused', async () => {
    const dir = await tempDir();
    const questions: InitQuestion[] = [];
    const answers = ['Not A Domain', 'example.org', ' https://github.com/example/infra.git ', 'ops@example.org'];
    const result = await init({ name: 'demo' }, context(dir, async (q) => (questions.push(q), answers.shift()!)));
    expect(questions.map((q) => [q.flag, q.problem])).toEqual([
      ['--domain', undefined],
      ['--domain', '"Not A Domain" must be a lowercase DNS hostname such as "app.example.org" (no scheme, port or path)'],
      ['--repo', undefined],
      ['--acme-email', undefined],
    ]);
    expect(result.files).toHaveLength(6);
    expect(await readFile(join(dir, 'plinth.config.ts'), 'utf8')).toContain("repoURL: 'https://github.com/example/infra.git'");
  });

  it('gives up after three refused answers, writing nothing', async () => {
    const dir = await tempDir();
    const error = await expectRejected(init({ ...FLAGS, name: undefined }, context(dir, async () => 'No')));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['--name']);
    expect((await snapshotDir(dir)).size).toBe(0);
  });

  it('writes a CI workflow that checks the render, uploads SARIF and keeps the validator cache', async () => {
    const dir = await tempDir();
    await init(FLAGS, context(dir));
    const workflow = parse(await readFile(join(dir, '.github', 'workflows', 'plinth.yml'), 'utf8')) as Record<string, any>;
    const job = workflow.jobs.plinth;
    const steps = job.steps as Record<string, any>[];
    const run = steps.map((s) => s.run).filter(Boolean);
    expect(run).toEqual([
      'npm ci',
      'npx --no-install plinth render --check',
      'npx --no-install plinth schemas pull',
      'npx --no-install plinth validate --output sarif > plinth.sarif',
    ]);
    expect(workflow.permissions['security-events']).toBe('write');
    // The cached folder is the one Plinth uses: PLINTH_CACHE_DIR is what cacheDir() reads first.
    expect(job.env.PLINTH_CACHE_DIR).toBe('${{ github.workspace }}/.plinth-cache');
    expect(cacheDir({ PLINTH_CACHE_DIR: '/w/.plinth-cache', XDG_CACHE_HOME: '/elsewhere' })).toBe('/w/.plinth-cache');
    const cache = steps.find((s) => String(s.uses).startsWith('actions/cache@'))!;
    expect(cache.with.path).toBe('.plinth-cache');
    expect(cache.with.key).toContain("hashFiles('package-lock.json')");
    // Restored before anything reads the cache.
    expect(steps.indexOf(cache)).toBeLessThan(steps.findIndex((s) => String(s.run).includes('schemas pull')));
    const upload = steps.find((s) => String(s.uses).startsWith('github/codeql-action/upload-sarif@'))!;
    expect(upload.with.sarif_file).toBe('plinth.sarif');
    expect(upload.if).toContain('always()');

    const ignored = (await readFile(join(dir, '.gitignore'), 'utf8')).split('\n');
    expect(ignored).toContain('/.plinth-cache/');
    expect(ignored).toContain('node_modules/');
    expect(ignored.some((line) => line.includes('rendered'))).toBe(false);
  });
});
