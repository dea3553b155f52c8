import { dirname, relative, resolve } from 'node:path';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import { isStale, planTree, writeTree, type TreePlan } from '../core/tree.ts';
import type { Context } from './context.ts';

export interface RenderOptions {
  config?: string;
  /** Where to write the tree; defaults to the config's git.path beside the config file. */
  out?: string;
  /** Compare only: write nothing and report whether the tree on disk is stale. */
  check?: boolean;
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
}

export async function render(options: RenderOptions, ctx: Context): Promise<RenderResult> {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry);
  ctx.progress(`rendering ${relative(ctx.cwd, resolved.file) || resolved.file}`);
  const tree = renderTree(resolved, ctx.registry);
  const outDir = options.out ? resolve(ctx.cwd, options.out) : resolve(dirname(resolved.file), resolved.config.git.path);
  const plan = await planTree(outDir, tree.files);
  const stale = isStale(plan);
  if (stale && !options.check) {
    ctx.progress(`writing ${plan.create.length + plan.update.length} files, removing ${plan.delete.length}`);
    await writeTree(outDir, tree.files, plan);
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
  };
}
