import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.ts';
import type { Finding } from './finding.ts';
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

  it('follows symbolic links to files and folders, reads each file once, and reports a cycle instead of following it', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'base/deeper'), { recursive: true });
    await writeFile(join(root, 'base/a.yaml'), 'kind: x\n');
    await writeFile(join(root, 'base/deeper/b.yaml'), 'kind: x\n');
    await symlink(join(root, 'base'), join(root, 'base/deeper/up')); // a cycle: base/deeper/up/deeper/up/...
    await symlink(join(root, 'base/a.yaml'), join(root, 'link.yaml')); // the same file again
    await mkdir(join(root, 'other'));
    await writeFile(join(root, 'other/c.yaml'), 'kind: x\n');
    await symlink(join(root, 'other'), join(root, 'base/other-link'));
    await symlink(join(root, 'nowhere.yaml'), join(root, 'dangling.yaml'));
    await symlink(join(root, 'loop-b'), join(root, 'loop-a'));
    await symlink(join(root, 'loop-a'), join(root, 'loop-b'));
    const problems: Finding[] = [];
    const files = (await manifestFiles([root], root, problems)).map((f) => relative(root, f));
    expect(files).toEqual(['base/a.yaml', 'base/deeper/b.yaml', 'base/other-link/c.yaml']);
    expect(problems.map((p) => `${p.rule} ${p.severity} ${p.file}`).sort()).toEqual([
      'input/symlink-cycle warning base/deeper/up',
      'input/symlink-cycle warning loop-a',
      'input/symlink-cycle warning loop-b',
      'input/unreadable error dangling.yaml',
    ]);
    expect(problems.find((p) => p.file === 'base/deeper/up')!.message).toBe('base/deeper/up links back to base, a folder it is in: the cycle is not followed');
    await expect(manifestFiles(['loop-a'], root)).rejects.toThrow('loop-a: a loop of symbolic links');
    await expect(manifestFiles(['/dev/zero'], root)).rejects.toThrow('/dev/zero: not a file or a folder');
  });
});
