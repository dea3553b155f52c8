import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/components/index.ts';
import { loadCluster } from '../src/config/load.ts';
import { renderTree } from '../src/core/render.ts';
import { minimalCluster, REPO, runCli, snapshotDir, tempDir } from './helpers.ts';

const defaultTree = renderTree(await loadCluster(REPO, undefined, registry), registry);
const FILES = defaultTree.files.size;
const OBJECTS = defaultTree.objects.length;

/** A copy of the repo's default config in a temp dir, importing Plinth by absolute path. */
async function defaultConfigDir(): Promise<string> {
  const dir = await tempDir();
  const source = await readFile(join(REPO, 'plinth.config.ts'), 'utf8');
  await writeFile(join(dir, 'plinth.config.ts'), source.replace("from './src/index.ts'", `from '${join(REPO, 'src', 'index.ts')}'`));
  return dir;
}

async function jsonConfigDir(config: unknown): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config, null, 2));
  return dir;
}

describe('plinth render', () => {
  it('writes the default tree, byte-identical on a second run', async () => {
    const dir = await defaultConfigDir();
    const first = await runCli(['render'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`rendered ${FILES} files (${OBJECTS} objects) into rendered/: ${FILES} created, 0 updated, 0 removed, 0 unchanged`);
    const tree = await snapshotDir(join(dir, 'rendered'));
    expect([...tree.keys()]).toContain('bootstrap/root.yaml');

    const second = await runCli(['render'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`0 created, 0 updated, 0 removed, ${FILES} unchanged`);
    expect(await snapshotDir(join(dir, 'rendered'))).toEqual(tree);
  });

  it('renders the same bytes from the repo root as from a copy of the config', async () => {
    const out = await tempDir();
    const result = await runCli(['render', '--out', out], { cwd: REPO });
    expect(result.code).toBe(0);
    const copy = await defaultConfigDir();
    await runCli(['render'], { cwd: copy });
    expect(await snapshotDir(out)).toEqual(await snapshotDir(join(copy, 'rendered')));
  });

  it('--check passes on a fresh tree and fails, listing each difference, on a stale one', async () => {
    const dir = await defaultConfigDir();
    const missing = await runCli(['render', '--check'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`rendered is stale: ${FILES} created, 0 updated, 0 removed, 0 unchanged`);
    expect(await snapshotDir(join(dir, 'rendered'))).toEqual(new Map());

    await runCli(['render'], { cwd: dir });
    const fresh = await runCli(['render', '--check'], { cwd: dir });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain(`rendered is up to date (${FILES} files)`);

    const tree = join(dir, 'rendered');
    const edited = join(tree, 'apps', 'argo-cd.yaml');
    await writeFile(edited, (await readFile(edited, 'utf8')).replace('180s', '60s'));
    await rm(join(tree, 'bootstrap', 'root.yaml'));
    await cp(join(tree, 'apps', 'cert-manager.yaml'), join(tree, 'apps', 'old-component.yaml'));
    const before = await snapshotDir(tree);
    const stale = await runCli(['render', '--check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain(`rendered is stale: 1 created, 1 updated, 1 removed, ${FILES - 2} unchanged`);
    expect(stale.stdout).toContain('+ bootstrap/root.yaml  (missing)');
    expect(stale.stdout).toContain('~ apps/argo-cd.yaml  (differs)');
    expect(stale.stdout).toContain('- apps/old-component.yaml  (no longer rendered)');
    expect(await snapshotDir(tree)).toEqual(before);

    const json = await runCli(['--json', 'render', '--check'], { cwd: dir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      check: true,
      stale: true,
      plan: { create: ['bootstrap/root.yaml'], update: ['apps/argo-cd.yaml'], delete: ['apps/old-component.yaml'] },
    });
  });

  it('reads JSON and YAML configs', async () => {
    const jsonDir = await jsonConfigDir(minimalCluster());
    const yamlDir = await tempDir();
    await writeFile(join(yamlDir, 'cluster.yaml'), stringify(minimalCluster()));
    const fromJson = await runCli(['render'], { cwd: jsonDir });
    const fromYaml = await runCli(['render', '--config', 'cluster.yaml'], { cwd: yamlDir });
    expect([fromJson.code, fromYaml.code]).toEqual([0, 0]);
    expect(await snapshotDir(join(yamlDir, 'rendered'))).toEqual(await snapshotDir(join(jsonDir, 'rendered')));
  });

  it('rejects an invalid config with every problem, exit code 2, and writes nothing', async () => {
    const config = minimalCluster();
    config.apps[1].name = 'web';
    config.components['cert-manger'] = {};
    const dir = await jsonConfigDir(config);
    const result = await runCli(['render'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: 2 problems in ${join(dir, 'plinth.config.json')}\n` +
        '  components["cert-manger"]: unknown component "cert-manger"\n' +
        '    hint: did you mean "cert-manager"?\n' +
        '  apps[1].name: duplicate app name "web" (first declared at apps[0].name)\n' +
        '    hint: rename one of them: app names must be unique\n' +
        'Nothing was written.\n',
    );
    expect(await snapshotDir(dir)).toEqual(new Map([['plinth.config.json', JSON.stringify(config, null, 2)]]));

    const json = await runCli(['--json', 'render'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.issues).toEqual([
      { path: 'components["cert-manger"]', message: 'unknown component "cert-manger"', hint: 'did you mean "cert-manager"?' },
      {
        path: 'apps[1].name',
        message: 'duplicate app name "web" (first declared at apps[0].name)',
        hint: 'rename one of them: app names must be unique',
      },
    ]);
    expect(await snapshotDir(join(dir, 'rendered'))).toEqual(new Map());
  });

  it('leaves the previous tree untouched when the config becomes invalid', async () => {
    const dir = await jsonConfigDir(minimalCluster());
    await runCli(['render'], { cwd: dir });
    const before = await snapshotDir(join(dir, 'rendered'));
    const broken = minimalCluster();
    broken.domain = 'Not A Domain';
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(broken));
    expect((await runCli(['render'], { cwd: dir })).code).toBe(2);
    expect(await snapshotDir(join(dir, 'rendered'))).toEqual(before);
  });

  it('explains a config file that does not parse or does not exist', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.yaml'), 'name: [unclosed\n');
    const bad = await runCli(['render'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\(file\): is not valid YAML/);
    const none = await runCli(['render'], { cwd: await tempDir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no plinth\.config\.ts \(or \.js, \.json, \.yaml\) in .*\n  hint: run plinth from the directory that holds the config, or pass --config FILE\n$/);
  });
});

describe('plinth graph', () => {
  it('lists components in install order with waves, charts and secret inputs', async () => {
    const result = await runCli(['graph']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^WAVE\s+COMPONENT\s+NEEDS\s+CHART\s+SECRET INPUTS$/);
    expect(result.stdout).toMatch(/0\s+argo-cd\s+-\s+argo-cd@10\.1\.1\s+argocd-repo-credentials/);
    const json = JSON.parse((await runCli(['--json', 'graph'])).stdout);
    expect(json.components.map((c: { id: string }) => c.id)).toEqual(defaultTree.components.map((c) => c.id));
    expect(json.components.find((c: { id: string }) => c.id === 'kargo')).toMatchObject({ wave: 1, needs: ['argo-cd', 'cert-manager', 'external-secrets', 'secret-generator', 'traefik'] });
  });
});

describe('the CLI', () => {
  it('prints help and version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: plinth [options] [command]');
    expect(help.stdout).toContain('render [options]');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version);
  });

  it('rejects an unknown flag or command with exit code 2 and a suggestion', async () => {
    const flag = await runCli(['render', '--chek']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("error: unknown option '--chek'");
    expect(flag.stderr).toContain('(Did you mean --check?)');
    const command = await runCli(['rendr']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('(Did you mean render?)');
  });

  it('colours only when asked, and never with NO_COLOR', async () => {
    const dir = await jsonConfigDir({ ...minimalCluster(), domain: 'BAD' });
    const plain = await runCli(['render'], { cwd: dir });
    expect(plain.stderr).not.toContain('\u001b[');
    const forced = await runCli(['render'], { cwd: dir, env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain('\u001b[31merror\u001b[39m');
    const both = await runCli(['render'], { cwd: dir, env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(both.stderr).not.toContain('\u001b[');
  });
});

describe('docs/catalogue.md', () => {
  it('is the catalogue of the default cluster, as `plinth docs` renders it (regenerate: plinth docs > docs/catalogue.md)', async () => {
    const result = await runCli(['docs']);
    expect(result.code).toBe(0);
    expect(await readFile(join(REPO, 'docs', 'catalogue.md'), 'utf8')).toBe(result.stdout);
  });
});
