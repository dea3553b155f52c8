import { z } from 'zod';
import { registry } from '../src/components/index.ts';
import type { Registry } from '../src/config/schema.ts';
import { resolveCluster } from '../src/config/validate.ts';
import { renderTree } from '../src/core/render.ts';
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

/** Renders a cluster: the minimal test cluster with `components` replaced and any other field changes applied. */
export function renderWith(reg: Registry, components: Record<string, unknown>, change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  config.components = components;
  change(config);
  return renderTree(resolveCluster(config, reg), reg);
}
