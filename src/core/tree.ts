import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PlinthError, UsageError } from '../errors.ts';
import { isRenderedFile } from './yaml.ts';

export interface TreePlan {
  create: string[];
  update: string[];
  delete: string[];
  unchanged: string[];
}

export const isStale = (plan: TreePlan): boolean => plan.create.length + plan.update.length + plan.delete.length > 0;

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/** Longest file name Linux and macOS file systems take (NAME_MAX), in bytes. */
const MAX_NAME_BYTES = 255;

/** A file of the tree whose path would not stay inside the output directory; nothing was written. */
export class UnsafeTreePathError extends UsageError {
  readonly file: string;
  constructor(file: string, problem: string, hint = 'rename the object whose kind, namespace or name makes up this path') {
    super(`refusing to write ${JSON.stringify(file.length > 120 ? `${file.slice(0, 117)}...` : file)}: ${problem}`, hint);
    this.file = file;
  }
}

/**
 * What keeps a tree path from being a plain relative path inside the output directory, or undefined. Checked
 * here whatever the config's validation let through: a file name is built from an object's kind, namespace and name.
 */
export function treePathProblem(path: string): string | undefined {
  if (path === '') return 'the path is empty';
  if (path.includes('\0')) return 'the path holds a NUL byte';
  if (path.includes('\\')) return 'the path holds a backslash, a separator on Windows';
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'the path is absolute';
  for (const segment of path.split('/')) {
    if (segment === '') return 'the path has an empty segment';
    if (segment === '.' || segment === '..') return `the path has a "${segment}" segment, which would leave the output directory`;
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES)
      return `the file name "${segment.slice(0, 40)}..." is ${Buffer.byteLength(segment)} bytes long, more than the ${MAX_NAME_BYTES} a file system takes`;
  }
  return undefined;
}

/** The absolute path of a tree file, refusing any that would land outside outDir. */
function inside(outDir: string, path: string): string {
  const problem = treePathProblem(path);
  if (problem) throw new UnsafeTreePathError(path, problem);
  const target = resolve(outDir, path);
  const fromOut = relative(resolve(outDir), target);
  if (fromOut === '' || fromOut.startsWith('..') || isAbsolute(fromOut)) throw new UnsafeTreePathError(path, 'it resolves outside the output directory');
  return target;
}

/**
 * A directory already in the tree may be a symbolic link to elsewhere: creating or writing through it would leave
 * the tree. Checked on the nearest part of each directory that exists, before anything is created.
 */
function assertNoEscapeThroughLinks(outDir: string, dirs: Iterable<string>): void {
  const root = realpathSync(outDir);
  const top = resolve(outDir);
  for (const dir of dirs) {
    let existing = dir;
    while (!existsSync(existing) && existing !== top) existing = dirname(existing);
    const real = realpathSync(existing);
    const fromRoot = relative(root, real);
    if (fromRoot.startsWith('..') || isAbsolute(fromRoot))
      throw new UnsafeTreePathError(
        relative(outDir, existing),
        `it is a symbolic link to ${real}, outside the output directory`,
        'remove the link, or render into another directory with --out',
      );
  }
}


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
  for (const path of files.keys()) inside(outDir, path);
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
  // Every path is checked before anything is written: a plan may come from elsewhere than planTree.
  const targets = new Map([...plan.create, ...plan.update, ...plan.delete].map((path) => [path, inside(outDir, path)]));
  const dirs = new Set([...plan.create, ...plan.update].map((path) => dirname(targets.get(path)!)));
  try {
    mkdirSync(outDir, { recursive: true });
    assertNoEscapeThroughLinks(outDir, dirs);
    for (const dir of dirs) mkdirSync(dir, { recursive: true });
    for (const path of plan.create) {
      const target = targets.get(path)!;
      writeFileSync(target, files.get(path)!, { flag: 'wx' });
      created.push(target);
    }
    for (const [i, path] of plan.update.entries()) {
      const target = targets.get(path)!;
      // Not named after the target: a name near the 255-byte limit would not fit with a suffix.
      const temp = join(dirname(target), `.${i}${suffix}`);
      writeFileSync(temp, files.get(path)!, { flag: 'wx' });
      staged.push({ temp, target });
    }
  } catch (error) {
    for (const file of [...created, ...staged.map((s) => s.temp)]) rmSync(file, { force: true });
    await removeEmptyDirs(outDir, plan.create);
    throw error;
  }
  for (const { temp, target } of staged) renameSync(temp, target);
  for (const path of plan.delete) rmSync(targets.get(path)!, { force: true });
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
