/** Argo CD conventions shared by the Applications of components and of apps. */

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'plinth' } as const;
export const IN_CLUSTER = 'https://kubernetes.default.svc';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

export const syncPolicy = (syncOptions: string[] = ['CreateNamespace=true', 'ServerSideApply=true']) => ({
  automated: { prune: true, selfHeal: true },
  syncOptions,
  retry: { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
});
