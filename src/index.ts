import type { ClusterInput } from './config/schema.ts';
import type { DefaultRegistry } from './components/index.ts';

export type { ClusterConfig, AppConfig, DatabaseConfig, TopicConfig, CacheConfig } from './config/schema.ts';
export type { Component, K8sObject, ChartSource, SecretInput, HealthCheck, RenderContext } from './core/types.ts';
export { defineComponent } from './core/types.ts';
export { registry } from './components/index.ts';
export { resolveCluster } from './config/validate.ts';
export { renderTree } from './core/render.ts';
export { ConfigError, PlinthError, UsageError } from './errors.ts';

export type PlinthCluster = ClusterInput<DefaultRegistry>;

/** Declares a cluster. Typed for editors; validated when a command loads it. */
export function defineCluster(cluster: PlinthCluster): PlinthCluster {
  return cluster;
}
