import type { Registry } from './schema.ts';
import { readConfig } from './read.ts';
import type { ResolvedCluster } from './validate.ts';
import { pickEnvironment, resolveEnvironments } from './environments.ts';

export { CONFIG_FILES, DEFAULT_CONFIG_TIMEOUT_MS, findConfig, preloadConfig, readConfigFile, type ReadConfigOptions } from './read.ts';

/**
 * Finds, reads and validates the config: what every command that works from a cluster starts with. With
 * environments, `env` picks the cluster (required); without, it must be absent.
 */
export async function loadCluster(cwd: string, explicit: string | undefined, registry: Registry, env?: string): Promise<ResolvedCluster & { file: string }> {
  const { file, clusters } = await loadEnvironments(cwd, explicit, registry);
  return { ...pickEnvironment(clusters, env), file };
}

/** Every cluster the config declares: one per environment, or the config's only one. */
export async function loadEnvironments(cwd: string, explicit: string | undefined, registry: Registry): Promise<{ file: string; clusters: ResolvedCluster[] }> {
  const { file, input } = await readConfig(cwd, explicit);
  return { file, clusters: resolveEnvironments(input, registry, file) };
}
