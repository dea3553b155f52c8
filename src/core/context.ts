import type { ClusterConfig, Registry } from '../config/schema.ts';
import type { ComponentId, RenderContext } from './types.ts';

/** Namespace of Argo CD and its Applications. */
export const argoNamespaceOf = (config: ClusterConfig, registry: Registry | undefined): string =>
  config.components['argo-cd']?.common.namespace ?? registry?.['argo-cd']?.namespace ?? 'argocd';

/** Where each component installs: its configured namespace, else its own, else its id. */
export const componentNamespaces =
  (config: ClusterConfig, registry: Registry) =>
  (id: ComponentId): string =>
    config.components[id]?.common.namespace ?? registry[id]?.namespace ?? id;

/**
 * What an enabled component's functions see. One definition for the render and for the checks that render a part of
 * a component before it (its hosts, its sign-in), so a component never meets a context missing what the render gives.
 */
export function componentContext(config: ClusterConfig, registry: Registry, id: ComponentId, argoNamespace = argoNamespaceOf(config, registry)): RenderContext<unknown> {
  const component = registry[id]!;
  const enabled = config.components[id]!;
  return {
    cluster: config,
    options: component.options.parse(enabled.options),
    namespace: enabled.common.namespace ?? component.namespace,
    argoNamespace,
    enabled: (other) => other in config.components,
    namespaceOf: componentNamespaces(config, registry),
  };
}
