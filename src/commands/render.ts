import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { loadEnvironments } from '../config/load.ts';
import { pickEnvironment } from '../config/environments.ts';
import type { ResolvedCluster } from '../config/validate.ts';
import { formatPath } from '../config/paths.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { removalEffects } from '../core/argo.ts';
import { sharedData } from '../apps/stage-data.ts';
import { renderTree, type RenderedObject, type RenderedTree } from '../core/render.ts';
import { isStale, planTree, UnsafeTreePathError, writeTree, type TreePlan } from '../core/tree.ts';
import { describeObject } from '../core/types.ts';
import { ConfigError, PlinthError, UsageError } from '../errors.ts';
import type { Context } from './context.ts';

export interface RenderOptions {
  config?: string;
  /** Where to write the tree; defaults to the config's git.path beside the config file. */
  out?: string;
  /** Compare only: write nothing and report whether the tree on disk is stale. */
  check?: boolean;
  /** With environments: only this one's tree (default: every environment's). */
  env?: string;
}

export interface RenderResult {
  configFile: string;
  outDir: string;
  check: boolean;
  /** True when the tree on disk differed from the render (before writing, or still, with check). */
  stale: boolean;
  plan: TreePlan;
  files: number;
  objects: number;
  components: { id: string; wave: number }[];
  /** What the files this render removes take off the cluster once Argo CD syncs the tree. */
  removals: string[];
  /** Each stage that uses the last stage's data instead of its own, with the config's reason (src/apps/stage-data.ts). */
  warnings: string[];
  /** The environment this tree is, when the config declares environments. */
  environment?: string;
}

/** A config with environments renders one tree per environment, each in its own folder. */
export interface EnvironmentsRenderResult {
  configFile: string;
  check: boolean;
  /** True when any environment's tree was stale. */
  stale: boolean;
  environments: RenderResult[];
  /** Trees on disk that no environment renders any more (the one-cluster tree, a removed environment's). */
  warnings: string[];
}

/** Every tree of the config: the one cluster's, or each environment's (only --env's with --env). */
export async function renderAll(options: RenderOptions, ctx: Context): Promise<RenderResult | EnvironmentsRenderResult> {
  const { file, clusters } = await loadEnvironments(ctx.cwd, options.config, ctx.registry);
  if (!clusters[0]!.config.environment || options.env !== undefined) return renderCluster({ ...pickEnvironment(clusters, options.env), file }, options, ctx);
  const environments: RenderResult[] = [];
  for (const cluster of clusters) environments.push(await renderCluster({ ...cluster, file }, options, ctx));
  return {
    configFile: file,
    check: options.check ?? false,
    stale: environments.some((e) => e.stale),
    environments,
    warnings: await leftoverTrees(environments.map((e) => e.outDir)),
  };
}

/** The one cluster's tree; with environments, --env names the one. */
export async function render(options: RenderOptions, ctx: Context): Promise<RenderResult> {
  const { file, clusters } = await loadEnvironments(ctx.cwd, options.config, ctx.registry);
  return renderCluster({ ...pickEnvironment(clusters, options.env), file }, options, ctx);
}

/**
 * Trees beside the environments' that none of them writes: the one-cluster tree a config had before it declared
 * environments (bootstrap/root.yaml in the parent folder), or the folder of an environment since removed.
 */
async function leftoverTrees(outDirs: string[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const parent of [...new Set(outDirs.map((d) => dirname(d)))].sort()) {
    const isTree = (dir: string) => stat(join(dir, 'bootstrap', 'root.yaml')).then(() => true, () => false);
    if (await isTree(parent))
      warnings.push(`${parent} still holds a one-cluster tree (bootstrap/, apps/, manifests/): once every cluster follows its environment's tree (plinth apply --env NAME moves its root Application), delete it (docs/environments.md, migration)`);
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    for (const entry of entries)
      if (entry.isDirectory() && !outDirs.includes(join(parent, entry.name)) && (await isTree(join(parent, entry.name))))
        warnings.push(`${join(parent, entry.name)} is the tree of no environment of the config: delete it once nothing syncs from it`);
  }
  return warnings;
}

async function renderCluster(resolved: ResolvedCluster & { file: string }, options: RenderOptions, ctx: Context): Promise<RenderResult> {
  const environment = resolved.config.environment?.name;
  ctx.progress(`rendering ${relative(ctx.cwd, resolved.file) || resolved.file}${environment ? ` (environment ${environment})` : ''}`);
  let tree: RenderedTree;
  try {
    tree = renderTree(resolved, ctx.registry);
  } catch (error) {
    // What the render refuses (two objects for one file) comes from the config: a config error, exit 2.
    if (error instanceof PlinthError && !(error instanceof ConfigError))
      throw new ConfigError([{ path: '(render)', message: error.message, ...(error.hint && { hint: error.hint }) }], resolved.file);
    throw error;
  }
  const outDir = options.out
    ? resolve(ctx.cwd, options.out, environment && options.env === undefined ? environment : '')
    : resolve(dirname(resolved.file), resolved.config.git.path);
  const where = options.out ? `--out ${options.out}` : `git.path "${resolved.config.git.path}" beside ${resolved.file}`;
  await assertDirectory(outDir, where);
  let plan: TreePlan;
  try {
    plan = await planTree(outDir, tree.files);
  } catch (error) {
    throw explainWriteError(error, { outDir, where, file: resolved.file, config: resolved.config, objects: tree.objects });
  }
  const stale = isStale(plan);
  if (stale && !options.check) {
    ctx.progress(`writing ${plan.create.length + plan.update.length} files, removing ${plan.delete.length}`);
    try {
      await writeTree(outDir, tree.files, plan);
    } catch (error) {
      throw explainWriteError(error, { outDir, where, file: resolved.file, config: resolved.config, objects: tree.objects });
    }
  }
  return {
    configFile: resolved.file,
    outDir,
    check: options.check ?? false,
    stale,
    plan,
    files: tree.files.size,
    objects: tree.objects.length,
    components: tree.components.map(({ id, wave }) => ({ id, wave })),
    removals: removalEffects(plan.delete, tree.files.keys()),
    warnings: sharedData(resolved.config).map(
      (s) => `stage "${s.stage}" uses the ${s.kind} "${s.name}" of stage "${s.lastStage}" instead of its own (${s.path}: ${JSON.stringify(s.reason)})`,
    ),
    ...(environment && { environment }),
  };
}

async function assertDirectory(outDir: string, where: string): Promise<void> {
  try {
    if (!(await stat(outDir)).isDirectory())
      throw new UsageError(`${where} is ${outDir}, which is a file, not a directory; nothing was written`, 'pass a directory (it is created if it does not exist), or move the file away');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new UsageError(`${where} is ${outDir}, and part of that path is a file; nothing was written`, 'pass a directory whose parents are directories');
    throw error;
  }
}

/** File system errors the user can fix (permissions, a full disk, a file in the way): what is wrong, not a stack. */
const USER_FS_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

function explainWriteError(
  error: unknown,
  context: { outDir: string; where: string; file: string; config: ClusterConfig; objects: RenderedObject[] },
): unknown {
  const entry = error instanceof UnsafeTreePathError ? context.objects.find((o) => o.file === error.file) : undefined;
  if (entry) {
    // The config's checks should have refused the name; this says which object it was and where it came from.
    const { message, hint } = error as UnsafeTreePathError;
    return new ConfigError([{ path: ownerPath(entry, context.config), message: `${describeObject(entry.object)}: ${message}`, ...(hint && { hint }) }], context.file);
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && USER_FS_ERRORS.has(code))
    return new UsageError(
      `cannot write the tree into ${context.outDir} (${context.where}): ${(error as Error).message}; the previous tree is as it was`,
      code === 'ENOSPC' || code === 'EDQUOT' ? 'free some disk space and render again' : 'check the permissions of the directory and that no file stands where a directory must be, or pass another --out',
    );
  return error;
}

/** Where in the config an object comes from: a component's or an app's extraObjects, or the component itself. */
function ownerPath(entry: RenderedObject, config: ClusterConfig): string {
  const { kind, metadata } = entry.object;
  const same = (o: { kind: string; metadata: { name: string } }) => o.kind === kind && o.metadata.name === metadata.name;
  if (entry.owner.startsWith('app:')) {
    const index = config.apps.findIndex((a) => a.name === entry.owner.slice(4));
    const extra = config.apps[index]?.extraObjects.findIndex(same) ?? -1;
    return formatPath(extra >= 0 ? ['apps', index, 'extraObjects', extra] : ['apps', index]);
  }
  const extra = config.components[entry.owner]?.common.extraObjects?.findIndex(same) ?? -1;
  if (extra >= 0) return formatPath(['components', entry.owner, 'extraObjects', extra]);
  return entry.owner in config.components ? formatPath(['components', entry.owner]) : '(render)';
}
