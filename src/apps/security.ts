import type { AppConfig } from '../config/schema.ts';
import { OPT_OUT_PREFIX } from '../validate/finding.ts';

/** Annotations an app's relaxations of the hardening are rendered as: `plinth.dev/relaxed-<what>: <reason>`. */
export const RELAXED_PREFIX = 'plinth.dev/relaxed-';

export interface Relaxation {
  /** The `<what>` of the annotation. */
  what: 'run-as-root' | 'writable-root-filesystem';
  /** The config key under `security`. */
  option: 'runAsRoot' | 'writableRootFilesystem';
  /** The policy (src/validate/rules/policies.ts) it opts the workload out of. */
  policy: 'run-as-non-root' | 'read-only-root-filesystem';
  reason: string;
}

export function relaxations(app: AppConfig): Relaxation[] {
  const out: Relaxation[] = [];
  const { runAsRoot, writableRootFilesystem } = app.security;
  if (runAsRoot !== undefined) out.push({ what: 'run-as-root', option: 'runAsRoot', policy: 'run-as-non-root', reason: runAsRoot });
  if (writableRootFilesystem !== undefined)
    out.push({ what: 'writable-root-filesystem', option: 'writableRootFilesystem', policy: 'read-only-root-filesystem', reason: writableRootFilesystem });
  return out;
}

/** On the pod template: what each relaxation allows and why. */
export function relaxationAnnotations(app: AppConfig): Record<string, string> {
  return Object.fromEntries(relaxations(app).map((r) => [`${RELAXED_PREFIX}${r.what}`, r.reason]));
}

/** On the workload: the relaxations, plus the policy opt-outs they amount to, so validate reports them once, as relaxations. */
export function workloadRelaxationAnnotations(app: AppConfig): Record<string, string> {
  return Object.fromEntries(relaxations(app).flatMap((r) => [[`${RELAXED_PREFIX}${r.what}`, r.reason], [`${OPT_OUT_PREFIX}${r.policy}`, r.reason]]));
}

/**
 * The pod's securityContext (k8s.io/api core/v1 types.go PodSecurityContext). runAsNonRoot is stated on the pod and
 * the container both: a container's value wins over the pod's, so relaxing only one would still refuse a root image.
 */
export function podSecurityContext(app: AppConfig): Record<string, unknown> {
  const { runAsRoot, runAsUser, runAsGroup, fsGroup } = app.security;
  return {
    runAsNonRoot: runAsRoot === undefined,
    ...(runAsUser !== undefined && { runAsUser }),
    ...(runAsGroup !== undefined && { runAsGroup }),
    ...(fsGroup !== undefined && { fsGroup }),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(app: AppConfig): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: app.security.writableRootFilesystem === undefined,
    runAsNonRoot: app.security.runAsRoot === undefined,
    capabilities: { drop: ['ALL'] },
  };
}
