import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { snapshotDir, tempDir } from '../../test/helpers.ts';
import { isStale, planTree, treePathProblem, UnsafeTreePathError, writeTree } from './tree.ts';
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

describe('the tree stays inside its directory, whatever a path says', () => {
  it('names what is wrong with a path', () => {
    expect(treePathProblem('manifests/a/configmap-x.yaml')).toBeUndefined();
    expect(treePathProblem(`apps/${'a'.repeat(255)}`)).toBeUndefined();
    expect(treePathProblem('manifests/a/configmap-../../../x.yaml')).toBe('the path has a ".." segment, which would leave the output directory');
    expect(treePathProblem('./x.yaml')).toBe('the path has a "." segment, which would leave the output directory');
    expect(treePathProblem('/etc/passwd')).toBe('the path is absolute');
    expect(treePathProblem('C:/x.yaml')).toBe('the path is absolute');
    expect(treePathProblem('a\\..\\x.yaml')).toBe('the path holds a backslash, a separator on Windows');
    expect(treePathProblem('a\0.yaml')).toBe('the path holds a NUL byte');
    expect(treePathProblem('a//x.yaml')).toBe('the path has an empty segment');
    expect(treePathProblem('')).toBe('the path is empty');
    // 255 bytes, not characters: "é" is two.
    expect(treePathProblem(`apps/${'é'.repeat(128)}`)).toMatch(/is 256 bytes long, more than the 255 a file system takes$/);
  });

  it('planTree refuses an unsafe path before reading or writing anything', async () => {
    const root = await tempDir();
    const out = join(root, 'a', 'b', 'out');
    for (const path of ['manifests/x/configmap-../../../../escaped.yaml', '/tmp/absolute.yaml', 'a\\b.yaml', 'x\0.yaml', `apps/${'x'.repeat(300)}.yaml`]) {
      const files = new Map([['apps/fine.yaml', rendered('a: 1')], [path, rendered('b: 1')]]);
      const error = await planTree(out, files).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(UnsafeTreePathError);
      expect(error, path).toBeInstanceOf(UsageError);
      expect((error as UnsafeTreePathError).file).toBe(path);
      expect((error as Error).message).toMatch(/^refusing to write ".*": /);
    }
    expect(await readdir(root, { recursive: true })).toEqual([]);
  });

  it('writeTree checks a plan it did not make, and writes none of it', async () => {
    const root = await tempDir();
    const out = join(root, 'a', 'out');
    const files = new Map([
      ['apps/fine.yaml', rendered('a: 1')],
      ['../escaped.yaml', rendered('b: 1')],
    ]);
    const plan = { create: ['apps/fine.yaml', '../escaped.yaml'], update: [], delete: [], unchanged: [] };
    await expect(writeTree(out, files, plan)).rejects.toThrow('refusing to write "../escaped.yaml": the path has a ".." segment, which would leave the output directory');
    await expect(writeTree(out, files, { ...plan, create: ['apps/fine.yaml'], delete: ['../../victim.yaml'] })).rejects.toThrow(UnsafeTreePathError);
    expect(await readdir(root, { recursive: true })).toEqual([]);
  });

  it('refuses to write through a directory that links outside the tree', async () => {
    const root = await tempDir();
    const out = join(root, 'out');
    const elsewhere = join(root, 'elsewhere');
    await mkdir(out);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(out, 'manifests'));
    const files = new Map([['manifests/x/configmap-a.yaml', rendered('a: 1')]]);
    const plan = await planTree(out, files);
    await expect(writeTree(out, files, plan)).rejects.toThrow(`refusing to write "manifests": it is a symbolic link to ${elsewhere}, outside the output directory`);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('writes a file whose name is 255 bytes long, and updates it in place', async () => {
    const dir = await tempDir();
    const name = `apps/${'a'.repeat(250)}.yaml`;
    await write(dir, new Map([[name, rendered('a: 1')]]));
    const plan = await write(dir, new Map([[name, rendered('a: 2')]]));
    expect(plan.update).toEqual([name]);
    expect(await snapshotDir(dir)).toEqual(new Map([[name, rendered('a: 2')]]));
  });
});
