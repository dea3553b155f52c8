import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotDir, tempDir } from '../../test/helpers.ts';
import { isStale, planTree, writeTree } from './tree.ts';
import { HEADER } from './yaml.ts';

const rendered = (body: string) => `${HEADER}${body}\n`;

async function write(dir: string, files: Map<string, string>) {
  const plan = await planTree(dir, files);
  await writeTree(dir, files, plan);
  return plan;
}

describe('planTree and writeTree', () => {
  it('creates a tree from nothing, then finds nothing to do', async () => {
    const dir = join(await tempDir(), 'rendered');
    const files = new Map([
      ['apps/a.yaml', rendered('a: 1')],
      ['manifests/a/configmap-x.yaml', rendered('x: 1')],
    ]);
    const first = await write(dir, files);
    expect(first).toEqual({ create: ['apps/a.yaml', 'manifests/a/configmap-x.yaml'], update: [], delete: [], unchanged: [] });
    expect(await snapshotDir(dir)).toEqual(files);
    const second = await planTree(dir, files);
    expect(isStale(second)).toBe(false);
    expect(second.unchanged).toEqual(['apps/a.yaml', 'manifests/a/configmap-x.yaml']);
  });

  it('updates changed files, removes files no longer rendered, and leaves files it never wrote alone', async () => {
    const dir = await tempDir();
    await write(dir, new Map([
      ['apps/a.yaml', rendered('a: 1')],
      ['apps/b.yaml', rendered('b: 1')],
      ['manifests/b/configmap-y.yaml', rendered('y: 1')],
    ]));
    await writeFile(join(dir, 'README.md'), 'ours\n');
    await writeFile(join(dir, 'apps', 'hand-written.yaml'), 'kind: ConfigMap\n');
    const next = new Map([
      ['apps/a.yaml', rendered('a: 2')],
      ['apps/c.yaml', rendered('c: 1')],
    ]);
    const plan = await write(dir, next);
    expect(plan).toEqual({ create: ['apps/c.yaml'], update: ['apps/a.yaml'], delete: ['apps/b.yaml', 'manifests/b/configmap-y.yaml'], unchanged: [] });
    expect([...(await snapshotDir(dir)).keys()]).toEqual(['README.md', 'apps/a.yaml', 'apps/c.yaml', 'apps/hand-written.yaml']);
    expect(await readFile(join(dir, 'apps', 'hand-written.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
  });

  it('refuses to overwrite a file it did not write', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'apps'));
    await writeFile(join(dir, 'apps', 'a.yaml'), 'mine: true\n');
    await expect(planTree(dir, new Map([['apps/a.yaml', rendered('a: 1')]]))).rejects.toThrow(
      `${join(dir, 'apps', 'a.yaml')} exists and was not written by plinth; refusing to overwrite it`,
    );
    expect(await readFile(join(dir, 'apps', 'a.yaml'), 'utf8')).toBe('mine: true\n');
  });

  it('leaves the previous tree intact when writing fails part way', async () => {
    const dir = await tempDir();
    const before = new Map([
      ['apps/a.yaml', rendered('a: 1')],
      ['apps/b.yaml', rendered('b: 1')],
    ]);
    await write(dir, before);
    // A plain file where the next render needs a directory makes the second write fail.
    await writeFile(join(dir, 'manifests'), 'not a directory\n');
    const next = new Map([
      ['apps/a.yaml', rendered('a: 2')],
      ['manifests/c/configmap-c.yaml', rendered('c: 1')],
    ]);
    const plan = await planTree(dir, next);
    await expect(writeTree(dir, next, plan)).rejects.toThrow();
    expect(await snapshotDir(dir)).toEqual(new Map([...before, ['manifests', 'not a directory\n']]));
  });
});
