import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
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
  // Synchronous on purpose: for tens of thousands of small files the thread pool's round trips cost more than the reads.
  const current = new Map<string, string>();
  for (const path of existing) if (files.has(path) || /\.(ya?ml|md)$/.test(path)) current.set(path, readFileSync(join(outDir, path), 'utf8'));
  for (const [path, content] of files) {
    const onDisk = current.get(path);
    if (onDisk === undefined) plan.create.push(path);
    else if (onDisk === content) plan.unchanged.push(path);
    else if (isRenderedFile(onDisk)) plan.update.push(path);
    else
      throw new PlinthError(
        `${join(outDir, path)} exists and was not written by plinth; refusing to overwrite it`,
        'move the file away or render into another directory with --out',
      );
  }
  for (const path of [...existing].sort()) {
    if (files.has(path) || !current.has(path)) continue;
    if (isRenderedFile(current.get(path)!)) plan.delete.push(path);
  }
  return plan;
}

/**
 * Applies a plan so that a failure part way leaves the previous tree intact: new files are written in place
 * (and removed again on failure), changed files are first written beside their target and renamed into place
 * only when every write succeeded. Synchronous: for thousands of small files it is several times faster here.
 */
export async function writeTree(outDir: string, files: ReadonlyMap<string, string>, plan: TreePlan): Promise<void> {
  const created: string[] = [];
  const staged: { temp: string; target: string }[] = [];
  const suffix = `.plinth-${process.pid}-${Date.now()}.tmp`;
  try {
    for (const dir of new Set([...plan.create, ...plan.update].map((path) => dirname(join(outDir, path))))) mkdirSync(dir, { recursive: true });
    for (const path of plan.create) {
      const target = join(outDir, path);
      writeFileSync(target, files.get(path)!, { flag: 'wx' });
      created.push(target);
    }
    for (const path of plan.update) {
      const target = join(outDir, path);
      const temp = join(dirname(target), `.${path.split('/').pop()}${suffix}`);
      writeFileSync(temp, files.get(path)!, { flag: 'wx' });
      staged.push({ temp, target });
    }
  } catch (error) {
    for (const file of [...created, ...staged.map((s) => s.temp)]) rmSync(file, { force: true });
    await removeEmptyDirs(outDir, plan.create);
    throw error;
  }
  for (const { temp, target } of staged) renameSync(temp, target);
  for (const path of plan.delete) rmSync(join(outDir, path), { force: true });
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
