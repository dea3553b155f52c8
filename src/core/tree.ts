import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { PlinthError } from '../errors.ts';
import { isRenderedFile } from './yaml.ts';

export interface TreePlan {
  create: string[];
  update: string[];
  delete: string[];
  unchanged: string[];
}

export const isStale = (plan: TreePlan): boolean => plan.create.length + plan.update.length + plan.delete.length > 0;

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((path) => !path.split('/').some((part) => SKIPPED_DIRS.has(part)));
}

/**
 * Compares the wanted files with what is on disk. Only files that carry Plinth's header are Plinth's:
 * they may be updated or deleted; any other file is left alone, and never overwritten.
 */
export async function planTree(outDir: string, files: ReadonlyMap<string, string>): Promise<TreePlan> {
  const plan: TreePlan = { create: [], update: [], delete: [], unchanged: [] };
  const existing = new Set(await listFiles(outDir));
  for (const [path, content] of files) {
    if (!existing.has(path)) {
      plan.create.push(path);
      continue;
    }
    const current = await readFile(join(outDir, path), 'utf8');
    if (current === content) plan.unchanged.push(path);
    else if (isRenderedFile(current)) plan.update.push(path);
    else
      throw new PlinthError(
        `${join(outDir, path)} exists and was not written by plinth; refusing to overwrite it`,
        'move the file away or render into another directory with --out',
      );
  }
  for (const path of [...existing].sort()) {
    if (files.has(path) || !/\.(ya?ml|md)$/.test(path)) continue;
    const current = await readFile(join(outDir, path), 'utf8');
    if (isRenderedFile(current)) plan.delete.push(path);
  }
  return plan;
}

/**
 * Applies a plan in two phases: every new content is first written beside its target, and only when all
 * writes succeeded are they renamed into place; so a failure while writing leaves the previous tree intact.
 */
export async function writeTree(outDir: string, files: ReadonlyMap<string, string>, plan: TreePlan): Promise<void> {
  const staged: { temp: string; target: string }[] = [];
  const suffix = `.plinth-${process.pid}-${Date.now()}.tmp`;
  try {
    for (const path of [...plan.create, ...plan.update]) {
      const target = join(outDir, path);
      const temp = join(dirname(target), `.${path.split('/').pop()}${suffix}`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(temp, files.get(path)!, { flag: 'wx' });
      staged.push({ temp, target });
    }
  } catch (error) {
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
    throw error;
  }
  for (const { temp, target } of staged) await rename(temp, target);
  for (const path of plan.delete) await rm(join(outDir, path), { force: true });
  await removeEmptyDirs(outDir, plan.delete);
}

async function removeEmptyDirs(outDir: string, deleted: string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const path of deleted) {
    let dir = dirname(path);
    while (dir !== '.' && dir !== '') {
      dirs.add(dir);
      dir = dirname(dir);
    }
  }
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      await rmdir(join(outDir, dir));
    } catch {
      // not empty: it still holds files that are not ours, or that we still render
    }
  }
}
