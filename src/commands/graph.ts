import { loadCluster } from '../config/load.ts';
import { renderTree, type RenderedComponent } from '../core/render.ts';
import type { Context } from './context.ts';

export interface GraphOptions {
  config?: string;
  /** With environments: which one (required then). */
  env?: string;
}

export interface GraphResult {
  configFile: string;
  /** Components in install order, each with its sync wave, dependencies, chart and declared inputs and checks. */
  components: RenderedComponent[];
}

export async function graph(options: GraphOptions, ctx: Context): Promise<GraphResult> {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  return { configFile: resolved.file, components: renderTree(resolved, ctx.registry).components };
}
