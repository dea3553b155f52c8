import type { Registry } from './schema.ts';
import { readConfig } from './read.ts';
import { resolveCluster, type ResolvedCluster } from './validate.ts';

export { CONFIG_FILES, DEFAULT_CONFIG_TIMEOUT_MS, findConfig, preloadConfig, readConfigFile, type ReadConfigOptions } from './read.ts';

/** Finds, reads and validates the config: what every command that works from a cluster starts with. */
export async function loadCluster(cwd: string, explicit: string | undefined, registry: Registry): Promise<ResolvedCluster & { file: string }> {
  const { file, input } = await readConfig(cwd, explicit);
  return { ...resolveCluster(input, registry, file), file };
}
