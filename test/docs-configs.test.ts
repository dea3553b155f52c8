// Every cluster config the README and docs/ show renders and validates: a sample can never go stale.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO, runCli, tempDir } from './helpers.ts';

interface Sample {
  file: string;
  line: number;
  code: string;
}

async function markdownFiles(): Promise<string[]> {
  const docs = await readdir(join(REPO, 'docs'), { recursive: true });
  return ['README.md', ...docs.filter((f) => f.endsWith('.md')).map((f) => join('docs', f))].sort();
}

/** Fenced ts/js blocks that declare a whole cluster. */
async function samples(): Promise<Sample[]> {
  const found: Sample[] = [];
  for (const file of await markdownFiles()) {
    const text = await readFile(join(REPO, file), 'utf8');
    for (const match of text.matchAll(/^```(?:ts|typescript|js)\n([\s\S]*?)^```/gm)) {
      if (!match[1]!.includes('defineCluster(')) continue;
      found.push({ file, line: text.slice(0, match.index).split('\n').length, code: match[1]! });
    }
  }
  return found;
}

const packageName = async (): Promise<string> => (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { name: string }).name;

const all = await samples();

describe('configs shown in the docs', () => {
  it('include the README sample', () => {
    expect(all.map((s) => s.file)).toContain('README.md');
  });

  it.each(all.map((s) => [`${s.file}:${s.line}`, s] as const))('%s renders and validates', async (_, sample) => {
    // A team's repository: the config beside a node_modules holding this package, as after `npm install`.
    // The package's exports name the built dist/, which a checkout lacks: this stand-in re-exports the
    // sources instead (test/install.test.ts runs the packed package itself).
    const dir = await tempDir('plinth-docs-');
    const modules = join(dir, 'node_modules', ...(await packageName()).split('/'));
    await mkdir(modules, { recursive: true });
    await writeFile(join(modules, 'package.json'), JSON.stringify({ name: await packageName(), type: 'module', exports: './index.js' }));
    await writeFile(join(modules, 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO, 'src', 'index.ts')).href)};\n`);
    await writeFile(join(dir, 'plinth.config.ts'), sample.code);
    const rendered = await runCli(['render', '--out', 'rendered'], { cwd: dir });
    expect(rendered.stderr, `${sample.file}:${sample.line}`).toBe('');
    expect(rendered.code).toBe(0);
    const validated = await runCli(['validate', '--output', 'json'], { cwd: dir });
    expect(validated.code, `${sample.file}:${sample.line}: ${validated.stdout.slice(0, 2000)}${validated.stderr}`).toBe(0);
  });
});
