import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.ts';
import { manifestFiles } from './documents.ts';

describe('manifestFiles', () => {
  it('finds .yaml, .yml and .json files at any depth, sorted, skipping hidden folders and node_modules', async () => {
    const root = await tempDir();
    const files = ['b.yaml', 'a/x.yml', 'a/deeper/still/y.json', 'a/.hidden.yaml', 'notes.md', '.git/config.yaml', 'a/.cache/z.yaml', 'node_modules/pkg/c.yaml', 'a/node_modules/d.yaml'];
    for (const file of files) {
      await mkdir(join(root, file, '..'), { recursive: true });
      await writeFile(join(root, file), 'kind: x\n');
    }
    expect((await manifestFiles([root], '/')).map((f) => relative(root, f))).toEqual(['a/.hidden.yaml', 'a/deeper/still/y.json', 'a/x.yml', 'b.yaml']);
    // A folder named explicitly is read even when hidden; a file named twice is listed once.
    expect((await manifestFiles([join(root, 'a/.cache'), join(root, 'b.yaml'), 'b.yaml'], root)).map((f) => relative(root, f))).toEqual(['a/.cache/z.yaml', 'b.yaml']);
  });

  it('names a path that does not exist', async () => {
    await expect(manifestFiles(['missing/'], await tempDir())).rejects.toThrow('missing/: no such file or directory');
  });
});
