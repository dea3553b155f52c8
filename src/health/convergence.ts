import type { RenderedTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import type { Feature, RootCause } from './doctor.ts';
import type { Snapshot } from './snapshot.ts';

/** The annotation a stage's Application carries, `<Kargo project>:<stage>` (rendered by src/apps/pipeline.ts). */
const AUTHORIZED_STAGE = 'kargo.akuity.io/authorized-stage';
const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

interface ApplicationStatus {
  health?: { status?: string; message?: string };
  conditions?: { type: string; message?: string }[];
  history?: unknown[];
  operationState?: { phase?: string; message?: string };
}

const statusOf = (application: K8sObject) => (application.status ?? {}) as ApplicationStatus;
const comparisonError = (application: K8sObject) => statusOf(application).conditions?.find((c) => c.type === 'ComparisonError');

/**
 * A stage Application that has never synced and cannot generate its manifests: its branch does not exist until
 * Kargo's first promotion pushes it. The same rule as the root's health check (APPLICATION_HEALTH_LUA).
 */
export function waitingForFirstPromotion(application: K8sObject): string | undefined {
  const authorized = application.metadata.annotations?.[AUTHORIZED_STAGE];
  const error = comparisonError(application);
  if (!authorized || !error || statusOf(application).history?.length) return undefined;
  const [project, stage] = authorized.split(':');
  return `waiting for the first promotion of ${project!.replace(/^kargo-/, '')} to ${stage}: ${error.message ?? 'its stage branch does not resolve'}`;
}

/** What to do about an Application that Argo CD cannot compare, by the cause its ComparisonError names. */
export function comparisonErrorHint(application: { name: string; namespace?: string }, message: string): string | undefined {
  const show = `kubectl -n ${application.namespace ?? 'argocd'} get application ${application.name} -o jsonpath='{.status.conditions}'`;
  if (message.startsWith('waiting for the first promotion of ')) {
    const [, app, stage] = /^waiting for the first promotion of (\S+) to (\S+):/.exec(message) ?? [];
    return `promote ${app} to ${stage} once (plinth promote ${app} ${stage}, or the Kargo UI): Kargo pushes the stage's branch and Argo CD syncs it`;
  }
  if (!message.includes('ComparisonError')) return undefined;
  if (/authentication required|repository not found|could not read Username|permission denied|403|401/i.test(message))
    return `Argo CD cannot read the repository: set the secret input argocd-repo-credentials (plinth secrets set argocd-repo-credentials token), then ${show}`;
  if (/to a commit SHA|unable to resolve/i.test(message))
    return `the revision the Application names does not exist in its repository: check git.revision in the config, or push the branch; then ${show}`;
  if (/chart|helm|index\.yaml/i.test(message))
    return `Argo CD cannot fetch or render the chart: check the chart's repository and version in the Application, and that the cluster reaches it; then ${show}`;
  return `Argo CD cannot generate the Application's manifests: run plinth render and plinth validate on the same commit to see why; then ${show}`;
}

const holdsWaves = (application: K8sObject | undefined): boolean => {
  if (!application) return true;
  if (waitingForFirstPromotion(application)) return true;
  const health = statusOf(application).health?.status;
  // The root's health check lets a Degraded or uncomparable child through (APPLICATION_HEALTH_LUA); it waits on the rest.
  if (health === 'Degraded' || comparisonError(application)) return false;
  return health !== 'Healthy';
};

/**
 * The child Application the root's sync waits on: in the lowest sync wave that has one, the first child that is
 * neither Healthy nor let through by the root's health check. Every later wave waits for it, whatever they need.
 */
export function blockingApplication(tree: RenderedTree, snapshot: Snapshot, features: Feature[]): RootCause | undefined {
  const children = tree.objects
    .filter((o) => o.file.startsWith('apps/') && o.object.kind === 'Application')
    .map(({ object }) => ({ object, wave: Number(object.metadata.annotations?.[SYNC_WAVE] ?? 0) }));
  const last = Math.max(...children.map((c) => c.wave));
  const waiting = children
    .filter((c) => c.wave < last)
    .map((c) => ({ ...c, live: snapshot.get(c.object.apiVersion, 'Application', c.object.metadata.name, c.object.metadata.namespace) }))
    .filter((c) => holdsWaves(c.live))
    .sort((a, b) => a.wave - b.wave || a.object.metadata.name.localeCompare(b.object.metadata.name));
  const first = waiting[0];
  if (!first) return undefined;
  const { name, namespace } = first.object.metadata;
  const health = first.live ? (statusOf(first.live).health?.status ?? 'Unknown') : 'Missing';
  const later = new Set(children.filter((c) => c.wave > first.wave).map((c) => c.object.metadata.name));
  const checks = features
    .filter((f) => later.has(f.id) || (f.id.startsWith('app:') && later.has(`${f.id.slice(4)}-pipeline`)))
    .flatMap((f) => f.checks.filter((c) => c.status !== 'pass').map((c) => ({ feature: f.id, name: c.name, status: c.status })));
  const message = first.live ? (statusOf(first.live).health?.message ?? statusOf(first.live).operationState?.message ?? '') : 'the root has not created it yet';
  return {
    id: `sync-wave:${name}`,
    status: 'fail',
    title: `Application ${name} (wave ${first.wave}) holds sync waves ${first.wave + 1} to ${last}`,
    message: `${health}${message ? `: ${message}` : ''}`,
    hint:
      `make it Healthy (plinth doctor's ${name} checks say what it waits on; kubectl -n ${namespace} get application ${name}); ` +
      `the root then syncs the later waves on its own. A child that is Degraded does not hold them`,
    ref: `Application/${namespace}/${name}`,
    checks,
  };
}
