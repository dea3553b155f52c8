import type { ClusterConfig } from './schema.ts';

/**
 * Whether an app stage runs in the cluster a config renders: every stage, unless its environment lists the
 * stages it runs (src/config/environments.ts). An app keeps all its stages in the config either way, so its hosts,
 * data copies and promotion modes are named the same in every environment.
 */
export function stageRuns(config: Pick<ClusterConfig, 'environment'>, stage: string): boolean {
  const stages = config.environment?.stages;
  return stages === undefined || stages.includes(stage);
}
