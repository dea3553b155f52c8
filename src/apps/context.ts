import type { AppConfig, ClusterConfig } from '../config/schema.ts';

/** Annotations on an app's Deployment naming what it uses, so `plinth validate` can follow the references. */
export const APP_ANNOTATIONS = { database: 'plinth.dev/database', cache: 'plinth.dev/cache', topics: 'plinth.dev/topics' } as const;
export const APP_LABEL = 'plinth.dev/app';
export const STAGE_LABEL = 'plinth.dev/stage';
/** The Service port every app is reached on inside the cluster, whatever its container port. */
export const SERVICE_PORT = 80;

export interface StageContext {
  cluster: ClusterConfig;
  app: AppConfig;
  stage: string;
  namespace: string;
  /** Namespace of a component, as configured or by default. */
  namespaceOf: (component: string) => string;
}

export const podLabels = (app: string) => ({ 'app.kubernetes.io/name': app });

/**
 * The public host of an app in a stage: the declared host in the last stage, `<stage>-<host>` before it, or
 * `<stage>.<domain>` for an app served at the domain itself, whose `<stage>-<domain>` would sit outside the zone
 * external-dns manages.
 */
export function stageHost(app: AppConfig, stage: string, domain: string): string | undefined {
  if (!app.host) return undefined;
  if (stage === app.stages.at(-1)) return app.host;
  return app.host === domain ? `${stage}.${domain}` : `${stage}-${app.host}`;
}


export const HOOK = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';

/**
 * Annotations for the objects an app's migration reads (its connection URLs, its secret inputs): a migration is a
 * PreSync hook and runs before the stage's other objects exist, so these are PreSync hooks too, one wave earlier.
 * None when the app has no migration.
 */
export function migrationInputAnnotations(app: AppConfig): Record<string, string> | undefined {
  if (app.migrate === undefined) return undefined;
  return { [HOOK]: 'PreSync', [HOOK_DELETE_POLICY]: 'BeforeHookCreation', 'argocd.argoproj.io/sync-wave': '-1' };
}
