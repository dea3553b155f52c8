import type { K8sObject } from '../core/types.ts';
import type { Assessment, Health } from './status.ts';
import { waitingForFirstPromotion } from './convergence.ts';

/** What an assessor may look at besides the object: the clock, and other objects for existence checks. */
export interface AssessContext {
  now: Date;
  /** An object from the same snapshot, or undefined when it does not exist (or was not listed). */
  lookup?: (apiVersion: string, kind: string, name: string, namespace?: string) => K8sObject | undefined;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

type Status = Record<string, any>;
type Assessor = (object: K8sObject, status: Status, ctx: AssessContext) => Assessment;

/** A certificate this close to its expiry is reported even though cert-manager should be renewing it (it renews at 2/3 of 90 days). */
export const EXPIRY_WARNING_DAYS = 14;

export const conditionsOf = (object: K8sObject): Condition[] => {
  const conditions = (object.status as Status | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as Condition[]) : [];
};
export const conditionOf = (object: K8sObject, type: string): Condition | undefined => conditionsOf(object).find((c) => c.type === type);

const ok = (message: string): Assessment => ({ health: 'Healthy', message });
const is = (health: Health, message: string): Assessment => ({ health, message });
const said = (c: Condition | undefined, fallback: string) => (c?.message || c?.reason || fallback).trim();
const generationBehind = (object: K8sObject, status: Status) =>
  typeof object.metadata.generation === 'number' && typeof status.observedGeneration === 'number' && status.observedGeneration < object.metadata.generation;

/** The common shape: a `Ready` condition, which most operators here set (cert-manager, ESO, KEDA, Kargo, Redpanda, CNPG). */
function byReady(object: K8sObject, fallback = 'not reconciled yet'): Assessment {
  const ready = conditionOf(object, 'Ready');
  if (!ready) return is('Progressing', fallback);
  if (ready.status === 'True') return ok(said(ready, 'Ready'));
  if (ready.status === 'Unknown') return is('Progressing', said(ready, 'readiness unknown'));
  return is('Degraded', said(ready, 'not Ready'));
}

const deployment: Assessor = (object, status) => {
  const spec = (object.spec ?? {}) as Status;
  if (spec.paused) return is('Suspended', 'rollout paused');
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if (generationBehind(object, status)) return is('Progressing', 'the controller has not seen the latest spec yet');
  const progressing = conditionOf(object, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') return is('Degraded', said(progressing, 'rollout stuck'));
  const available = status.availableReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  if (want === 0) return ok('scaled to 0');
  if (updated < want) return is('Progressing', `${updated}/${want} replicas updated`);
  if ((status.replicas ?? 0) > updated) return is('Progressing', `${(status.replicas ?? 0) - updated} old replicas pending termination`);
  if (available < want) {
    const condition = conditionOf(object, 'Available');
    return is(condition?.status === 'False' && available === 0 ? 'Degraded' : 'Progressing', `${available}/${want} replicas available`);
  }
  return ok(`${available}/${want} replicas available`);
};

const statefulSet: Assessor = (object, status) => {
  const want = typeof (object.spec as Status)?.replicas === 'number' ? (object.spec as Status).replicas : 1;
  if (generationBehind(object, status)) return is('Progressing', 'the controller has not seen the latest spec yet');
  const ready = status.readyReplicas ?? 0;
  if (ready < want) return is(ready === 0 && want > 0 ? 'Degraded' : 'Progressing', `${ready}/${want} replicas ready`);
  if (status.updateRevision && status.currentRevision && status.updateRevision !== status.currentRevision)
    return is('Progressing', `rolling out revision ${status.updateRevision}`);
  return ok(`${ready}/${want} replicas ready`);
};

const daemonSet: Assessor = (object, status) => {
  if (generationBehind(object, status)) return is('Progressing', 'the controller has not seen the latest spec yet');
  const desired = status.desiredNumberScheduled ?? 0;
  const ready = status.numberReady ?? 0;
  // Every DaemonSet Plinth checks is a per-node agent (fluent-bit, node-exporter, ztunnel, istio-cni): on no node, it does nothing.
  if (desired === 0)
    return status.observedGeneration === undefined
      ? is('Progressing', 'not scheduled yet')
      : is('Degraded', 'runs on no node: no node matches its node selector and affinity, or tolerates the nodes\' taints');
  if ((status.updatedNumberScheduled ?? 0) < desired) return is('Progressing', `${status.updatedNumberScheduled ?? 0}/${desired} nodes updated`);
  if (ready < desired) return is('Progressing', `${ready}/${desired} nodes ready`);
  return ok(`${ready}/${desired} nodes ready`);
};

const job: Assessor = (object, status) => {
  const failed = conditionOf(object, 'Failed');
  if (failed?.status === 'True') return is('Degraded', said(failed, 'failed'));
  if (conditionOf(object, 'Complete')?.status === 'True') return ok(`completed (${status.succeeded ?? 0} succeeded)`);
  if ((object.spec as Status)?.suspend) return is('Suspended', 'suspended');
  return is('Progressing', `running: ${status.active ?? 0} active, ${status.failed ?? 0} failed`);
};

const pvc: Assessor = (_object, status) => {
  if (status.phase === 'Bound') return ok(`bound (${status.capacity?.storage ?? 'unknown size'})`);
  if (status.phase === 'Lost') return is('Degraded', 'its volume is lost');
  return is('Progressing', 'waiting for a volume');
};

const loadBalancerAddress = (status: Status): string | undefined => {
  const first = (status.loadBalancer?.ingress as { ip?: string; hostname?: string }[] | undefined)?.[0];
  return first?.ip ?? first?.hostname;
};

const service: Assessor = (object, status) => {
  if ((object.spec as Status)?.type !== 'LoadBalancer') return ok('exists');
  const address = loadBalancerAddress(status);
  return address ? ok(`load balancer at ${address}`) : is('Progressing', 'no load-balancer address assigned yet');
};

const ingress: Assessor = (_object, status) => {
  const address = loadBalancerAddress(status);
  return address ? ok(`served at ${address}`) : is('Progressing', 'no load-balancer address yet: is the ingress controller running and its Service assigned one?');
};

const node: Assessor = (object) => {
  const ready = conditionOf(object, 'Ready');
  const pressure = conditionsOf(object).filter((c) => c.type.endsWith('Pressure') && c.status === 'True');
  if (pressure.length > 0) return is('Degraded', pressure.map((c) => `${c.type}: ${said(c, 'True')}`).join('; '));
  if (ready?.status !== 'True') return is('Degraded', `not Ready: ${said(ready, 'no status from the kubelet')}`);
  if ((object.spec as Status)?.unschedulable) return is('Suspended', 'cordoned');
  return ok('Ready');
};

const apiService: Assessor = (object) => {
  const available = conditionOf(object, 'Available');
  if (available?.status === 'True') return ok('available');
  return is(available ? 'Degraded' : 'Progressing', said(available, 'availability not checked yet'));
};

const namespace: Assessor = (_object, status) => (status.phase === 'Terminating' ? is('Progressing', 'terminating') : ok('Active'));

const argoApplication: Assessor = (object, status) => {
  // Not deployed yet, and not broken: a stage's branch exists from its first promotion on.
  const waiting = waitingForFirstPromotion(object);
  if (waiting) return is('Progressing', waiting);
  const health = (status.health?.status ?? 'Unknown') as Health;
  const sync = status.sync?.status ?? 'Unknown';
  const errors = ((status.conditions ?? []) as { type: string; message?: string }[]).filter((c) => c.type.endsWith('Error'));
  const operation = status.operationState as { phase?: string; message?: string } | undefined;
  const parts = [`${sync}, ${health}`];
  if (errors.length) parts.push(errors.map((e) => `${e.type}: ${e.message ?? ''}`.trim()).join('; '));
  if (operation?.phase && operation.phase !== 'Succeeded') parts.push(`last sync ${operation.phase}: ${operation.message ?? ''}`.trim());
  if (status.health?.message) parts.push(status.health.message);
  const message = parts.join('; ');
  if (health === 'Degraded' || health === 'Missing') return is(health, message);
  if (errors.length || operation?.phase === 'Failed' || operation?.phase === 'Error') return is('Degraded', message);
  if (sync === 'OutOfSync') return is('Progressing', message);
  if (sync === 'Unknown' || !['Healthy', 'Suspended', 'Progressing'].includes(health)) return is('Unknown', message);
  return is(health, message);
};

const certificate: Assessor = (object, status, ctx) => {
  const ready = conditionOf(object, 'Ready');
  const notAfter = typeof status.notAfter === 'string' ? new Date(status.notAfter) : undefined;
  if (ready?.status === 'True') {
    if (notAfter) {
      const days = (notAfter.getTime() - ctx.now.getTime()) / 86_400_000;
      if (days <= 0) return is('Degraded', `expired on ${status.notAfter}`);
      if (days < EXPIRY_WARNING_DAYS) return is('Progressing', `expires in ${Math.floor(days)} days (${status.notAfter}) and has not been renewed`);
      return ok(`valid until ${status.notAfter}`);
    }
    return ok(said(ready, 'Ready'));
  }
  if (notAfter && notAfter.getTime() <= ctx.now.getTime()) return is('Degraded', `expired on ${status.notAfter}; ${said(ready, 'not Ready')}`);
  const issuing = conditionOf(object, 'Issuing');
  if (issuing?.status === 'True') return is('Progressing', `issuing: ${said(issuing, 'in progress')}`);
  if (!ready) return is('Progressing', 'not issued yet');
  return is('Degraded', said(ready, 'not Ready'));
};

const certificateRequest: Assessor = (object) => {
  for (const type of ['Denied', 'InvalidRequest']) {
    const c = conditionOf(object, type);
    if (c?.status === 'True') return is('Degraded', `${type}: ${said(c, type)}`);
  }
  const ready = conditionOf(object, 'Ready');
  if (ready?.status === 'True') return ok(said(ready, 'issued'));
  if (ready?.reason === 'Failed') return is('Degraded', said(ready, 'failed'));
  return is('Progressing', said(ready, 'waiting for the issuer'));
};

/** ACME states (Order and Challenge): https://github.com/cert-manager/cert-manager/blob/master/pkg/apis/acme/v1/types_issuer.go */
const FAILED_ACME_STATES = new Set(['invalid', 'expired', 'errored']);

const order: Assessor = (_object, status) => {
  const state = status.state ?? '';
  if (state === 'valid') return ok('valid');
  if (FAILED_ACME_STATES.has(state)) return is('Degraded', `${state}${status.reason ? `: ${status.reason}` : ''}`);
  return is('Progressing', `${state || 'not submitted yet'}${status.reason ? `: ${status.reason}` : ''}`);
};

/** A DNS01 challenge whose solver fails stays `pending` and says why in `reason`; that is a failure, not progress. */
const challenge: Assessor = (_object, status) => {
  const state = status.state ?? '';
  const reason = (status.reason ?? '') as string;
  if (state === 'valid') return ok('valid');
  if (FAILED_ACME_STATES.has(state)) return is('Degraded', `${state}${reason ? `: ${reason}` : ''}`);
  if (/error|fail|forbidden|unauthori[sz]ed|not found/i.test(reason)) return is('Degraded', reason);
  if (status.presented) return is('Progressing', `presented, waiting for propagation${reason ? `: ${reason}` : ''}`);
  return is('Progressing', reason || `${state || 'not presented yet'}`);
};

const cnpgCluster: Assessor = (object, status) => {
  if (object.metadata.annotations?.['cnpg.io/hibernation'] === 'on') return is('Suspended', 'hibernated');
  const instances = (object.spec as Status)?.instances ?? status.instances ?? 1;
  const readyInstances = status.readyInstances ?? 0;
  const phase = (status.phase ?? '') as string;
  const counts = `${readyInstances}/${instances} instances ready`;
  const ready = conditionOf(object, 'Ready');
  if (ready?.status === 'True' && readyInstances >= instances) return ok(`${phase || 'ready'}, ${counts}`);
  if (/unable|cannot|fail(?!ing over)|error/i.test(phase)) return is('Degraded', `${phase}${status.phaseReason ? `: ${status.phaseReason}` : ''}, ${counts}`);
  if (readyInstances === 0 && ready?.status === 'False' && phase === '') return is('Degraded', `${said(ready, 'not ready')}, ${counts}`);
  if (phase === 'Cluster in healthy state' && readyInstances >= instances) return ok(`${phase}, ${counts}`);
  return is('Progressing', `${phase || 'not reconciled yet'}, ${counts}`);
};

const cnpgDatabase: Assessor = (object, status) => {
  if (generationBehind(object, status)) return is('Progressing', 'the operator has not reconciled the latest spec');
  if (status.applied === true) return ok('applied');
  if (status.applied === false) return is('Degraded', status.message || 'not applied');
  return is('Progressing', 'not reconciled yet');
};

const scheduledBackup: Assessor = (object, status) => {
  if ((object.spec as Status)?.suspend) return is('Suspended', 'suspended');
  return status.lastScheduleTime ? ok(`last scheduled ${status.lastScheduleTime}`) : is('Progressing', 'no backup scheduled yet');
};

const scaledObject: Assessor = (object) => {
  const paused = conditionOf(object, 'Paused');
  if (paused?.status === 'True') return is('Suspended', said(paused, 'paused'));
  const ready = conditionOf(object, 'Ready');
  if (ready?.status === 'False') return is('Degraded', said(ready, 'not Ready'));
  const fallback = conditionOf(object, 'Fallback');
  if (fallback?.status === 'True') return is('Degraded', `scaler failing, using fallback replicas: ${said(fallback, '')}`);
  if (ready?.status !== 'True') return is('Progressing', said(ready, 'not reconciled yet'));
  const active = conditionOf(object, 'Active');
  return ok(active?.status === 'True' ? `active: ${said(active, 'scaling')}` : 'ready, idle (no load)');
};

const kargoWarehouse: Assessor = (object, status) => {
  const healthy = conditionOf(object, 'Healthy');
  if (healthy?.status === 'False') return is('Degraded', said(healthy, 'unhealthy'));
  const reconciling = conditionOf(object, 'Reconciling');
  const assessment = byReady(object);
  if (assessment.health === 'Healthy') return ok(status.lastFreightID ? `latest Freight ${status.lastFreightID}` : assessment.message);
  if (reconciling?.status === 'True' && assessment.health !== 'Degraded') return is('Progressing', said(reconciling, 'reconciling'));
  return assessment;
};

const PROMOTION_FAILED = new Set(['Failed', 'Errored', 'Aborted']);

const kargoStage: Assessor = (object, status) => {
  const last = status.lastPromotion as { name?: string; status?: { phase?: string; message?: string } } | undefined;
  if (last?.status?.phase && PROMOTION_FAILED.has(last.status.phase))
    return is('Degraded', `promotion ${last.name} ${last.status.phase}${last.status.message ? `: ${last.status.message}` : ''}`);
  const healthy = conditionOf(object, 'Healthy');
  if (healthy?.status === 'False') return is('Degraded', said(healthy, 'unhealthy'));
  const promoting = conditionOf(object, 'Promoting');
  if (promoting?.status === 'True' || status.currentPromotion) return is('Progressing', `promoting ${status.currentPromotion?.name ?? ''}`.trim());
  const verified = conditionOf(object, 'Verified');
  if (verified?.status === 'False') return is('Degraded', `verification failed: ${said(verified, '')}`);
  return byReady(object, 'no Freight promoted yet');
};

const kargoPromotion: Assessor = (_object, status) => {
  const phase = status.phase ?? 'Pending';
  if (phase === 'Succeeded') return ok('succeeded');
  if (PROMOTION_FAILED.has(phase)) return is('Degraded', `${phase}${status.message ? `: ${status.message}` : ''}`);
  return is('Progressing', `${phase}${status.message ? `: ${status.message}` : ''}`);
};

/** Redpanda's operator reports `Ready`; while it rolls brokers the reason says so. */
const redpanda: Assessor = (object, status) => {
  if (generationBehind(object, status)) return is('Progressing', 'the operator has not reconciled the latest spec');
  const ready = conditionOf(object, 'Ready');
  const text = `${ready?.reason ?? ''} ${ready?.message ?? ''}`;
  if (ready?.status === 'False' && /progress|pending|wait/i.test(text) && !/fail|error/i.test(text)) return is('Progressing', said(ready, 'not ready'));
  return byReady(object);
};

/** secret-generator keeps no conditions: it is working when the Secret it generates exists. */
const stringSecret: Assessor = (object, _status, ctx) => {
  if (!ctx.lookup) return ok('exists');
  const secret = ctx.lookup('v1', 'Secret', object.metadata.name, object.metadata.namespace);
  return secret ? ok(`Secret ${object.metadata.name} generated`) : is('Degraded', `Secret ${object.metadata.name} has not been generated`);
};

/** ClusterSecret (a kopf operator) records the namespaces it copied to in status.create_fn.syncedns. */
const clusterSecret: Assessor = (object, status, ctx) => {
  const synced = (status.create_fn?.syncedns ?? []) as string[];
  const source = (object as Status).data?.valueFrom?.secretKeyRef as { name?: string; namespace?: string } | undefined;
  if (source?.name && ctx.lookup && !ctx.lookup('v1', 'Secret', source.name, source.namespace))
    return is('Degraded', `its source Secret ${source.namespace}/${source.name} does not exist`);
  // Exact patterns (^name$, as Plinth renders them) name namespaces that must all have a copy.
  const expected = (((object as Status).matchNamespace ?? []) as string[]).map((p) => /^\^([a-z0-9-]+)\$$/.exec(p)?.[1]).filter(Boolean) as string[];
  const missing = expected.filter((ns) => !synced.includes(ns));
  if (synced.length > 0 && missing.length > 0) return is('Degraded', `not copied to ${missing.join(', ')} (copied to ${synced.join(', ')})`);
  if (synced.length > 0) return ok(`copied to ${synced.join(', ')}`);
  return is('Progressing', 'not copied to any namespace yet');
};

/**
 * logging-operator's outputs and flows (status.active, status.problems of the logging.banzaicloud.io v1beta1 CRDs): a
 * problem is what the operator found wrong in the configuration, e.g. a Secret it cannot read.
 */
const loggingResource: Assessor = (_object, status) => {
  const problems = (status as { problems?: string[] }).problems ?? [];
  if (problems.length > 0) return is('Degraded', problems.join('; '));
  if ((status as { active?: boolean }).active === false) return is('Progressing', 'not active yet');
  return ok('active');
};

const imageJob: Assessor = (_object, status) => {
  const summary = `${status.succeeded ?? 0} succeeded, ${status.failed ?? 0} failed, ${status.skipped ?? 0} skipped of ${status.desired ?? 0} nodes`;
  if (status.phase === 'Failed') return is('Degraded', `failed: ${summary}`);
  if (status.phase === 'Completed') return (status.failed ?? 0) > 0 ? is('Degraded', `completed with failures: ${summary}`) : ok(`completed: ${summary}`);
  return is('Progressing', `${status.phase ?? 'pending'}: ${summary}`);
};

const imageList: Assessor = (_object, status) => {
  if (!status.timestamp) return is('Progressing', 'not run yet');
  if ((status.failed ?? 0) > 0) return is('Degraded', `${status.failed} nodes failed to remove the images (last run ${status.timestamp})`);
  return ok(`${status.success ?? 0} nodes cleaned at ${status.timestamp}`);
};

/** Grafana operator: `stage`/`stageStatus` on the instance, a `*Synchronized` condition on everything else. */
const grafana: Assessor = (object, status) => {
  if (status.stageStatus === 'failed') return is('Degraded', `${status.stage ?? 'reconcile'} failed${status.lastMessage ? `: ${status.lastMessage}` : ''}`);
  if (status.stageStatus === 'success' && status.stage === 'complete') return ok('complete');
  const synced = conditionsOf(object).find((c) => c.type.endsWith('Synchronized'));
  if (synced) return synced.status === 'True' ? ok(said(synced, 'synchronized')) : is('Degraded', said(synced, 'not synchronized'));
  return is('Progressing', status.stage ? `${status.stage}: ${status.stageStatus ?? ''}`.trim() : 'not reconciled yet');
};

/** Valkey operator: a `state` summary beside its conditions. */
const valkeyCluster: Assessor = (object, status) => {
  const detail = `${status.readyShards ?? 0}/${status.shards ?? '?'} shards ready${status.message ? `: ${status.message}` : ''}`;
  if (status.state === 'Ready') return ok(detail);
  if (status.state === 'Degraded' || status.state === 'Failed') return is('Degraded', `${status.state}: ${detail}`);
  if (status.state) return is('Progressing', `${status.state}: ${detail}`);
  return byReady(object);
};

/**
 * ARC's AutoscalingRunnerSet (actions.github.com/v1alpha1, apis/actions.github.com/v1alpha1/autoscalingrunnerset_types.go
 * at 0.14.2): Pending until the controller has registered the scale set with GitHub and started its listener, Running
 * after, Outdated when its runners no longer match the scale set and the controller has cleaned them up.
 */
const autoscalingRunnerSet: Assessor = (_object, status) => {
  const counts = `${status.currentRunners ?? 0} runners (${status.runningEphemeralRunners ?? 0} running, ${status.pendingEphemeralRunners ?? 0} pending, ${status.failedEphemeralRunners ?? 0} failed)`;
  if (status.phase === 'Running') return ok(`running: ${counts}`);
  if (status.phase === 'Outdated') return is('Degraded', 'outdated: the controller removed its runners; delete the AutoscalingRunnerSet so Argo CD re-creates it');
  return is('Progressing', 'not registered with GitHub yet (the controller needs its GitHub credentials and GitHub to answer)');
};

/** Objects that have no status worth reading: their existence is their health. */
const exists: Assessor = () => ok('exists');

const ASSESSORS: Record<string, Assessor> = {
  'apps/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  '/PersistentVolumeClaim': pvc,
  '/Service': service,
  '/Node': node,
  '/Namespace': namespace,
  '/Secret': exists,
  '/ConfigMap': exists,
  '/ServiceAccount': exists,
  'networking.k8s.io/Ingress': ingress,
  'networking.k8s.io/IngressClass': exists,
  'rbac.authorization.k8s.io/ClusterRole': exists,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': exists,
  'apiregistration.k8s.io/APIService': apiService,
  'argoproj.io/Application': argoApplication,
  'cert-manager.io/Certificate': certificate,
  'cert-manager.io/CertificateRequest': certificateRequest,
  'cert-manager.io/ClusterIssuer': (o) => byReady(o, 'not registered with the ACME server yet'),
  'cert-manager.io/Issuer': (o) => byReady(o, 'not registered yet'),
  'acme.cert-manager.io/Order': order,
  'acme.cert-manager.io/Challenge': challenge,
  'postgresql.cnpg.io/Cluster': cnpgCluster,
  'postgresql.cnpg.io/Database': cnpgDatabase,
  'postgresql.cnpg.io/ScheduledBackup': scheduledBackup,
  'external-secrets.io/ExternalSecret': (o) => byReady(o, 'not synced yet'),
  'external-secrets.io/SecretStore': (o) => byReady(o, 'not validated yet'),
  'external-secrets.io/ClusterSecretStore': (o) => byReady(o, 'not validated yet'),
  'keda.sh/ScaledObject': scaledObject,
  'kargo.akuity.io/Warehouse': kargoWarehouse,
  'kargo.akuity.io/Stage': kargoStage,
  'kargo.akuity.io/Promotion': kargoPromotion,
  'cluster.redpanda.com/Redpanda': redpanda,
  'cluster.redpanda.com/Topic': redpanda,
  'secretgenerator.mittwald.de/StringSecret': stringSecret,
  'secretgenerator.mittwald.de/BasicAuth': stringSecret,
  'secretgenerator.mittwald.de/SSHKeyPair': stringSecret,
  'clustersecret.io/ClusterSecret': clusterSecret,
  'valkey.io/ValkeyCluster': valkeyCluster,
  'eraser.sh/ImageJob': imageJob,
  'eraser.sh/ImageList': imageList,
  'actions.github.com/AutoscalingRunnerSet': autoscalingRunnerSet,
  'logging.banzaicloud.io/ClusterOutput': loggingResource,
  'logging.banzaicloud.io/ClusterFlow': loggingResource,
  'grafana.integreatly.org/Grafana': grafana,
  'grafana.integreatly.org/GrafanaContactPoint': grafana,
  'grafana.integreatly.org/GrafanaNotificationPolicy': grafana,
};

export const kindKey = (apiVersion: string, kind: string): string => `${apiVersion.includes('/') ? apiVersion.split('/')[0] : ''}/${kind}`;

/** Whether a kind has a rule of its own (rather than the generic `Ready`-condition rule). */
export const hasAssessor = (apiVersion: string, kind: string): boolean => kindKey(apiVersion, kind) in ASSESSORS;

/** The health of one live object, by its kind's rule; unknown kinds go by a `Ready` condition, else by existence (as kstatus does). */
export function assess(object: K8sObject, ctx: AssessContext = { now: new Date() }): Assessment {
  if ((object.metadata as { deletionTimestamp?: string }).deletionTimestamp) return is('Progressing', 'being deleted');
  const status = (object.status ?? {}) as Status;
  const rule = ASSESSORS[kindKey(object.apiVersion, object.kind)];
  if (rule) return rule(object, status, ctx);
  if (conditionOf(object, 'Ready')) return byReady(object);
  return ok('exists');
}
