import { argoCd } from './argo-cd/index.ts';
import { certManager } from './cert-manager/index.ts';

/** Every component Plinth knows, by id. */
export const registry = {
  'argo-cd': argoCd,
  'cert-manager': certManager,
} as const;

export type DefaultRegistry = typeof registry;
