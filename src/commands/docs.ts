import { loadCluster } from '../config/load.ts';
import { CATALOGUE_FILE } from '../core/catalogue.ts';
import { renderTree } from '../core/render.ts';
import type { Context } from './context.ts';

export interface DocsOptions {
  config?: string;
  /** With environments: which one (required then). */
  env?: string;
}

export interface DocsResult {
  configFile: string;
  /** The catalogue page `render` also writes as the tree's README.md. */
  markdown: string;
}

export async function docs(options: DocsOptions, ctx: Context): Promise<DocsResult> {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  return { configFile: resolved.file, markdown: renderTree(resolved, ctx.registry).files.get(CATALOGUE_FILE)! };
}
