import { z } from 'zod';
import { registry } from '../src/components/index.ts';
import type { Registry } from '../src/config/schema.ts';
import { resolveEnvironments } from '../src/config/environments.ts';
import { resolveCluster } from '../src/config/validate.ts';
import { ConfigError, type ConfigIssue } from '../src/errors.ts';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { renderTree, type RenderedTree } from '../src/core/render.ts';
import { defineComponent, type AnyComponent } from '../src/core/types.ts';
import { minimalCluster } from './helpers.ts';

/**
 * A stand-in for a component another change provides, so a component's tests can enable what it needs
 * before the real one is registered. It renders nothing, so it never hides a real component's output.
 */
export function placeholder(id: string): AnyComponent {
  return defineComponent({ id, description: `placeholder for ${id} in tests`, namespace: id, needs: [], options: z.object({}) });
}

/** The real registry plus the given components, with placeholders for any other id they need. */
export function testRegistry(...components: AnyComponent[]): Registry {
  const out: Record<string, AnyComponent> = { ...registry };
  for (const component of components) out[component.id] = component;
  for (const id of ['argo-cd', 'cert-manager', 'designate-webhook', 'traefik', 'external-dns', 'external-secrets',
    'secret-generator', 'clustersecret', 'cloudnative-pg', 'valkey', 'redpanda', 'keda', 'kargo', 'eraser',
    'grafana', 'istio', 'devpod']) out[id] ??= placeholder(id);
  return out;
}

/**
 * The minimal test cluster with `components` replaced, keeping only the declarations those components
 * serve (no topics without redpanda, no apps without kargo...), so a test of one component needs only it.
 */
export function clusterWith(components: Record<string, unknown>): Record<string, any> {
  const config = minimalCluster();
  const on = (id: string) => id in components && components[id] !== false;
  const withDefault = (id: string, key: string, value: unknown) => {
    const options = components[id];
    if (options && typeof options === 'object' && !(key in options)) components = { ...components, [id]: { ...options, [key]: value } };
    else if (options === true) components = { ...components, [id]: { [key]: value } };
  };
  // Without the components they use, argo-cd goes without its Ingress and cert-manager solves HTTP01.
  if (!on('traefik') || !on('cert-manager') || !on('external-dns')) withDefault('argo-cd', 'ingress', false);
  if (!on('designate-webhook')) withDefault('cert-manager', 'solver', 'http01');
  config.components = components;
  if (!on('cloudnative-pg')) config.postgres = { servers: [], databases: [] };
  if (!on('redpanda')) config.topics = [];
  if (!on('valkey')) config.caches = [];
  if (!on('argo-cd') || !on('kargo')) config.apps = [];
  for (const app of config.apps) {
    if (!on('cloudnative-pg') || !on('clustersecret')) delete app.database;
    if (!on('valkey') || !on('clustersecret')) delete app.cache;
    if (!on('redpanda')) app.topics = { produce: [], consume: [] };
    if (!on('redpanda') || !on('keda')) delete app.scale;
    if (!on('traefik') || !on('cert-manager') || !on('external-dns')) delete app.host;
  }
  return config;
}

/** Renders clusterWith(components), after any other change a test makes. */
export function renderWith(reg: Registry, components: Record<string, unknown>, change: (config: Record<string, any>) => void = () => {}) {
  const config = clusterWith(components);
  change(config);
  return renderTree(resolveCluster(config, reg), reg);
}

/** The issues `resolve` throws in its ConfigError; undefined when it accepts the config. */
function issuesThrownBy(resolve: () => unknown): ConfigIssue[] | undefined {
  try {
    resolve();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return undefined;
}

/** The issues of a config, none when the registry accepts it. */
export function configIssues(config: unknown, reg: Registry = registry): ConfigIssue[] {
  return issuesThrownBy(() => resolveCluster(config, reg)) ?? [];
}

/** A rendered file parsed, failing the test (naming the path) when the render has no such file. */
export function renderedFile(tree: RenderedTree, path: string): Record<string, any> {
  const content = tree.files.get(path);
  expect(content, path).toBeDefined();
  return parse(content!) as Record<string, any>;
}

/** The issues of a config the registry must reject; fails the test when the config is accepted. */
export function rejectionOf(config: unknown, reg: Registry): ConfigIssue[] {
  const issues = issuesThrownBy(() => resolveCluster(config, reg));
  if (!issues) throw new Error('expected the config to be rejected');
  return issues;
}

/** The issues of a config with environments, resolved environment by environment; fails the test when it is accepted. */
export function environmentsRejectionOf(config: unknown, reg: Registry = registry): ConfigIssue[] {
  const issues = issuesThrownBy(() => resolveEnvironments(config, reg));
  if (!issues) throw new Error('expected a ConfigError');
  return issues;
}
