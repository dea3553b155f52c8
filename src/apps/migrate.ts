import type { K8sObject } from '../core/types.ts';
import { OPT_OUT_PREFIX } from '../validate/finding.ts';
import { APP_LABEL, HOOK, HOOK_DELETE_POLICY, STAGE_LABEL, type StageContext } from './context.ts';
import { RELAXED_PREFIX } from './security.ts';
import { egressAnnotations, egressRules } from './network.ts';

/** Argo CD resource hooks (argo-cd docs/user-guide/resource_hooks.md; pkg common: AnnotationKeyHook, AnnotationKeyHookDeletePolicy). */

export const migrationName = (app: string) => `${app}-migrate`;

type Obj = Record<string, any>;

/** The pod template of the app's workload as rendered (a Deployment's, or a CronJob's job template's). */
function podTemplateOf(workload: K8sObject): Obj | undefined {
  const spec = (workload as Obj).spec;
  return spec?.template ?? spec?.jobTemplate?.spec?.template;
}

/**
 * The app's migration, per stage: a Job Argo CD runs as a PreSync hook, so it runs once per sync (once per
 * promotion), before the new pods, and a failed migration stops the rollout. `BeforeHookCreation` keeps the last
 * run for its logs until the next sync replaces it.
 *
 * The container is the app's own as rendered (after any `deployment` patch): the same untagged image, which the
 * stage's kustomization tags with the rest (kustomize's image transformer sets every
 * `spec/template/spec/containers[]/image`, api/konfig/builtinpluginconsts/images.go), the same environment,
 * secrets and hardening, with the migration's command. It leaves out what only serving needs (ports, probes,
 * extended resources such as GPUs, persistent volumes) and the app's ServiceAccount: on a stage's first sync the
 * hook runs before any of the stage's objects exist, so it uses the namespace's default one (no token either way).
 */
export function migrationObjects(ctx: StageContext, workloads: readonly K8sObject[], labels: Record<string, string>): K8sObject[] {
  const { app, namespace } = ctx;
  if (!app.migrate) return [];
  const workload = workloads.find((o) => o.metadata.name === app.name && podTemplateOf(o));
  const pod: Obj = podTemplateOf(workload!)?.spec ?? {};
  const containers: Obj[] = pod.containers ?? [];
  const main: Obj = containers.find((c) => c.name === app.name) ?? containers[0] ?? {};
  const scratch = new Set<string>(((pod.volumes ?? []) as Obj[]).filter((v) => v.emptyDir !== undefined).map((v) => v.name));
  const compute = (block: Obj | undefined) => block && Object.fromEntries(Object.entries(block).filter(([name]) => name === 'cpu' || name === 'memory'));
  const name = migrationName(app.name);
  // Not the app's pod labels: its Service and PodDisruptionBudget select those, and a migration serves nothing.
  const podLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'migration', [APP_LABEL]: app.name, [STAGE_LABEL]: ctx.stage };
  const container: Obj = {
    name: 'migrate',
    image: main.image ?? app.image,
    command: app.migrate.command,
    ...((app.migrate.workingDir ?? main.workingDir) && { workingDir: app.migrate.workingDir ?? main.workingDir }),
    ...(main.env && { env: main.env }),
    ...(main.envFrom && { envFrom: main.envFrom }),
    ...(main.resources && { resources: { requests: compute(main.resources.requests), limits: compute(main.resources.limits) } }),
    ...(main.securityContext && { securityContext: main.securityContext }),
    ...(main.volumeMounts && { volumeMounts: (main.volumeMounts as Obj[]).filter((m) => scratch.has(m.name)) }),
  };
  // The app's relaxations and policy opt-outs hold for the same image run as a migration.
  const carried = (annotations: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => key.startsWith(RELAXED_PREFIX) || key.startsWith(OPT_OUT_PREFIX)));
  const podAnnotations = carried(podTemplateOf(workload!)?.metadata?.annotations);
  const job: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      labels,
      annotations: { ...carried(workload!.metadata.annotations), [HOOK]: 'PreSync', [HOOK_DELETE_POLICY]: 'BeforeHookCreation' },
    },
    spec: {
      // A half-applied migration is not retried blindly: the sync fails and says so; the next sync runs it afresh.
      backoffLimit: 0,
      activeDeadlineSeconds: app.migrate.timeoutSeconds,
      template: {
        metadata: { labels: podLabels, ...(Object.keys(podAnnotations).length > 0 && { annotations: podAnnotations }) },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          ...(pod.securityContext && { securityContext: pod.securityContext }),
          containers: [container],
          ...(scratch.size > 0 && { volumes: (pod.volumes as Obj[]).filter((v) => scratch.has(v.name)) }),
        },
      },
    },
  };
  // The app's egress (its database, cache, queue, callees and declared egress), and no way in.
  const migrationPolicy: K8sObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels, ...egressAnnotations(app) },
    spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: egressRules(ctx) },
  };
  return [job, migrationPolicy];
}
