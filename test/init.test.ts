// plinth init through the real CLI: exit codes, what is printed, and that a refusal writes nothing.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, REPO, runCli, snapshotDir, tempDir } from './helpers.ts';

const FLAGS = ['--name', 'demo', '--domain', 'example.org', '--repo', 'https://github.com/example/infra.git', '--acme-email', 'ops@example.org'];
const FILES = ['.github/workflows/plinth.yml', '.gitignore', 'README.md', 'package.json', 'plinth.config.ts', 'tsconfig.json'];
const PACKAGE = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };

describe('plinth init (CLI)', () => {
  it('writes the six files and lists them, with the next steps', async () => {
    const dir = await tempDir();
    const run = await runCli(['init', ...FLAGS], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`✓ ${dir}: 6 files written, depending on ${PACKAGE.name}@${PACKAGE.version}`);
    for (const file of FILES) expect(run.stdout).toContain(`  + ${file}\n`);
    expect(run.stdout).toContain('npx --no-install plinth render');
    expect([...(await snapshotDir(dir)).keys()]).toEqual(FILES);
  });

  it('--json lists the files written', async () => {
    const dir = await tempDir();
    const run = await runCli(['--json', 'init', ...FLAGS], { cwd: dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { files: { path: string; action: string }[]; dependency: unknown };
    expect(result.files.map((f) => f.path).sort()).toEqual(FILES);
    expect(result.files.every((f) => f.action === 'created')).toBe(true);
    expect(result.dependency).toEqual({ name: PACKAGE.name, spec: PACKAGE.version });
  });

  it('refuses to replace a file: exit 2, the file named, nothing written', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'README.md'), '# ours\n');
    const run = await runCli(['init', ...FLAGS], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `error: README.md already exists in ${dir}; plinth init replaces no file, so nothing was written\n` +
        '  hint: run it in an empty folder, move those files away, or pass --force to replace them (package.json is merged, never replaced)\n',
    );
    expect(await snapshotDir(dir)).toEqual(new Map([['README.md', '# ours\n']]));
  });

  it('--force replaces it', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '.github', 'workflows'), { recursive: true });
    await writeFile(join(dir, '.github', 'workflows', 'plinth.yml'), 'name: ours\n');
    const run = await runCli(['init', ...FLAGS, '--force'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  ~ .github/workflows/plinth.yml  (replaced)\n');
    expect(await readFile(join(dir, '.github', 'workflows', 'plinth.yml'), 'utf8')).toContain('plinth render --check');
  });

  it('without a terminal, names the missing flags: exit 2, nothing written', async () => {
    const dir = await tempDir();
    const run = await runCli(['init', '--name', 'demo'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: missing --domain, --repo, --acme-email: plinth init asks for them only on a terminal\n' +
        '  hint: e.g. plinth init --name demo --domain apps.example.org --repo https://github.com/example/infra.git --acme-email ops@example.org\n',
    );
    expect((await snapshotDir(dir)).size).toBe(0);
  });

  it('an invalid flag is a config error naming the flag: exit 2, nothing written', async () => {
    const dir = await tempDir();
    const run = await runCli(['init', ...FLAGS.slice(0, -1), 'not-an-email'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('  --acme-email: "not-an-email" must be an email address');
    expect(run.stderr).toContain('Nothing was written.');
    expect((await snapshotDir(dir)).size).toBe(0);
  });

  it('on a terminal, asks for each missing value and again when an answer is refused', async () => {
    const dir = await tempDir();
    // util-linux `script` gives the CLI a pseudo-terminal; each answer is typed once its question is shown.
    const child = spawn('script', ['-qec', `${process.execPath} ${BIN} init --name demo`, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const script: [string, string][] = [
      ['(--domain, e.g. apps.example.org): ', 'Not A Domain'],
      ['must be a lowercase DNS hostname', 'example.org'],
      ['(--repo, e.g. https://github.com/example/infra.git): ', 'https://github.com/example/infra.git'],
      ['(--acme-email, e.g. ops@example.org): ', 'ops@example.org'],
    ];
    let output = '';
    let seen = 0;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      while (script.length > 0 && output.indexOf(script[0]![0], seen) >= 0) {
        seen = output.indexOf(script[0]![0], seen) + script[0]![0].length;
        child.stdin.write(`${script.shift()![1]}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve, reject) => child.on('close', resolve).on('error', reject));
    expect(script, output).toEqual([]);
    expect(code, output).toBe(0);
    expect(output).toContain('6 files written');
    expect(await readFile(join(dir, 'plinth.config.ts'), 'utf8')).toContain("domain: 'example.org'");
  });
});
