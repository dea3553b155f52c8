import type { RenderedTree } from '../src/core/render.ts';
import type { K8sObject } from '../src/core/types.ts';
import { kindKey } from '../src/health/assess.ts';
import { podSecrets } from '../src/health/causes.ts';

/**
 * A working platform as its controllers would leave it: the rendered objects, what the charts and
 * operators create beside them (controller Deployments, generated and synced Secrets, ingress-shim
 * Certificates, the load balancer), and for each object the status its controller writes. Tests and the
 * benchmark break it one piece at a time.
 */
export interface World {
  /** Objects to create, without status. */
  objects: K8sObject[];
  /** Status per object key (kindKey + namespace/name), as the controller writes it. */
  statuses: Map<string, Record<string, unknown>>;
}

export const worldKey = (o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) =>
  `${kindKey(o.apiVersion, o.kind)} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export const LB_IP = '203.0.113.10';
export const FREIGHT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const PAUSE = 'registry.k8s.io/pause:3.10';
const ready = (message = 'Ready', reason = 'Ready') => ({ conditions: [{ type: 'Ready', status: 'True', reason, message, lastTransitionTime: '2026-05-01T00:00:00Z' }] });

/** Kinds whose CRD has no status subresource: their controllers write status with the object. */
export const STATUS_WITH_OBJECT = new Set(['argoproj.io/Application', 'clustersecret.io/ClusterSecret']);

function deployment(name: string, namespace: string, secrets: string[] = [], replicas = 1): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name } },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name } },
        spec: { containers: [{ name: 'main', image: PAUSE, ...(secrets.length && { envFrom: secrets.map((s) => ({ secretRef: { name: s } })) }) }] },
      },
    },
  };
}

/** The status a healthy object of each kind carries; undefined for kinds whose controller writes none (or runs for real). */
export function healthyStatus(object: K8sObject, now: Date): Record<string, unknown> | undefined {
  const spec = (object.spec ?? {}) as Record<string, any>;
  const days = (n: number) => new Date(now.getTime() + n * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  switch (kindKey(object.apiVersion, object.kind)) {
    case 'apps/Deployment': {
      const n = spec.replicas ?? 1;
      return { observedGeneration: 1, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] };
    }
    case 'apps/DaemonSet':
      return { observedGeneration: 1, desiredNumberScheduled: 1, currentNumberScheduled: 1, updatedNumberScheduled: 1, numberReady: 1, numberAvailable: 1, numberMisscheduled: 0 };
    case 'apps/StatefulSet': {
      const n = spec.replicas ?? 1;
      return { observedGeneration: 1, replicas: n, readyReplicas: n, currentReplicas: n, updatedReplicas: n, currentRevision: `${object.metadata.name}-1`, updateRevision: `${object.metadata.name}-1` };
    }
    case '/Service':
      return spec.type === 'LoadBalancer' ? { loadBalancer: { ingress: [{ ip: LB_IP, ipMode: 'VIP' }] } } : undefined;
    case 'networking.k8s.io/Ingress':
      return { loadBalancer: { ingress: [{ ip: LB_IP }] } };
    case 'apiregistration.k8s.io/APIService':
      return { conditions: [{ type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' }] };
    case 'argoproj.io/Application':
      return {
        sync: { status: 'Synced', revision: '4f1c2a9' },
        health: { status: 'Healthy' },
        operationState: { phase: 'Succeeded', message: 'successfully synced (all tasks run)', operation: { sync: { revision: '4f1c2a9' } }, startedAt: days(-1), finishedAt: days(-1) },
      };
    case 'cert-manager.io/Certificate':
      return { ...ready('Certificate is up to date and has not expired'), notBefore: days(-30), notAfter: days(60), renewalTime: days(30), revision: 1 };
    case 'cert-manager.io/ClusterIssuer':
      return { acme: { uri: 'https://acme-v02.api.letsencrypt.org/acme/acct/1' }, ...ready('The ACME account was registered with the ACME server', 'ACMEAccountRegistered') };
    case 'external-secrets.io/ExternalSecret':
      return { ...ready('secret synced', 'SecretSynced'), refreshTime: days(0), syncedResourceVersion: '1-abc' };
    case 'external-secrets.io/ClusterSecretStore':
      return { capabilities: 'ReadWrite', ...ready('store validated', 'Valid') };
    case 'postgresql.cnpg.io/Cluster': {
      const n = spec.instances ?? 1;
      return { instances: n, readyInstances: n, phase: 'Cluster in healthy state', currentPrimary: `${object.metadata.name}-1`, ...ready('Cluster is Ready', 'ClusterIsReady') };
    }
    case 'postgresql.cnpg.io/Database':
      return { applied: true, observedGeneration: 1 };
    case 'postgresql.cnpg.io/ScheduledBackup':
      return { lastScheduleTime: days(0) };
    case 'keda.sh/ScaledObject':
      return { hpaName: `keda-hpa-${object.metadata.name}`, ...ready('ScaledObject is defined correctly and is ready for scaling', 'ScaledObjectReady') };
    case 'kargo.akuity.io/Warehouse':
      return { observedGeneration: 1, lastFreightID: FREIGHT, conditions: [{ type: 'Ready', status: 'True', reason: 'Synced', message: 'Successfully synced subscriptions' }, { type: 'Healthy', status: 'True', reason: 'Synced' }] };
    case 'kargo.akuity.io/Stage': {
      const origin = (spec.requestedFreight?.[0]?.origin ?? { kind: 'Warehouse', name: 'unknown' }) as { kind: string; name: string };
      return {
        freightHistory: [{ id: 'h1', items: { [`Warehouse/${origin.name}`]: { name: FREIGHT, origin } } }],
        lastPromotion: { name: `${object.metadata.name}.01.${FREIGHT.slice(0, 7)}`, status: { phase: 'Succeeded' } },
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Stage is ready' }, { type: 'Healthy', status: 'True', reason: 'Healthy' }],
      };
    }
    case 'cluster.redpanda.com/Redpanda':
    case 'cluster.redpanda.com/Topic':
      return { observedGeneration: 1, ...ready('reconciliation succeeded', 'Succeeded') };
    case 'secretgenerator.mittwald.de/StringSecret':
      return { secret: { apiVersion: 'v1', kind: 'Secret', name: object.metadata.name, namespace: object.metadata.namespace } };
    case 'clustersecret.io/ClusterSecret':
      return { create_fn: { syncedns: ((object as { matchNamespace?: string[] }).matchNamespace ?? []).map((m) => m.replace(/^\^|\$$/g, '')) } };
    case 'grafana.integreatly.org/Grafana':
      return { stage: 'complete', stageStatus: 'success' };
    case 'grafana.integreatly.org/GrafanaContactPoint':
      return { conditions: [{ type: 'ContactPointSynchronized', status: 'True', reason: 'ApplySuccessful', message: 'applied', lastTransitionTime: '2026-05-01T00:00:00Z' }] };
    case 'grafana.integreatly.org/GrafanaNotificationPolicy':
      return { conditions: [{ type: 'NotificationPolicySynchronized', status: 'True', reason: 'ApplySuccessful', message: 'applied', lastTransitionTime: '2026-05-01T00:00:00Z' }] };
    case 'valkey.io/ValkeyCluster':
      return { state: 'Ready', shards: 3, readyShards: 3, ...ready('All shards ready', 'ClusterReady') };
    case 'actions.github.com/AutoscalingRunnerSet':
      return { phase: 'Running', currentRunners: spec.minRunners ?? 0, pendingEphemeralRunners: 0, runningEphemeralRunners: spec.minRunners ?? 0, failedEphemeralRunners: 0 };
    case 'eraser.sh/ImageJob':
      return { phase: 'Completed', desired: 1, succeeded: 1, failed: 0, skipped: 0 };
    default:
      return undefined;
  }
}

/**
 * The platform of a render, working. `options.apiServices`: include the aggregated APIServices (a real
 * API server probes them and marks them unavailable when nothing answers, so integration tests leave them out).
 */
export function healthyWorld(tree: RenderedTree, now: Date, options: { apiServices?: boolean } = {}): World {
  const objects: K8sObject[] = [];
  const seen = new Set<string>();
  const add = (o: K8sObject) => {
    const key = worldKey(o);
    if (seen.has(key)) return;
    seen.add(key);
    objects.push(o);
  };
  const secret = (name: string, namespace: string) => add({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque' });

  for (const { object } of tree.objects) add(object);
  for (const component of tree.components) {
    for (const check of component.health) {
      const namespace = check.namespace ?? component.namespace;
      if (check.kind === 'Deployment') {
        // The DNS01 webhook reads its OpenStack credentials from the Secret its ExternalSecret creates, as the chart does.
        const credentials = component.health.filter((h) => h.kind === 'ExternalSecret' && h.namespace === namespace && component.id === 'designate-webhook').map((h) => h.name);
        add(deployment(check.name, namespace, credentials));
      } else if (check.kind === 'StatefulSet')
        add({ ...deployment(check.name, namespace), kind: 'StatefulSet', spec: { ...(deployment(check.name, namespace).spec as object), serviceName: check.name } });
      else if (check.kind === 'Service') add({ apiVersion: 'v1', kind: 'Service', metadata: { name: check.name, namespace }, spec: { type: 'LoadBalancer', selector: { 'app.kubernetes.io/name': check.name }, ports: [{ name: 'websecure', port: 443, targetPort: 8443 }] } });
      else if (check.kind === 'Secret') secret(check.name, namespace);
      else if (check.kind === 'IngressClass') add({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: check.name }, spec: { controller: 'traefik.io/ingress-controller' } });
      else if (check.kind === 'Certificate')
        add({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: check.name, namespace }, spec: { secretName: check.name, dnsNames: ['kargo.example.org'], issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' } } });
      else if (check.kind === 'APIService' && options.apiServices) {
        const [version, ...group] = check.name.split('.');
        add({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: check.name }, spec: { group: group.join('.'), version, groupPriorityMinimum: 100, versionPriority: 100, service: { name: 'metrics', namespace }, insecureSkipTLSVerify: true } });
      } else if (!tree.objects.some((o) => o.object.kind === check.kind && o.object.metadata.name === check.name && o.object.metadata.namespace === check.namespace) && !['ClusterRole', 'Namespace', 'ServiceAccount', 'MutatingWebhookConfiguration', 'APIService'].includes(check.kind))
        add({
          apiVersion: check.apiVersion,
          kind: check.kind,
          metadata: { name: check.name, ...(check.namespace && { namespace: check.namespace }) },
          // A chart's ServiceMonitor: the pinned CRD requires endpoints and selector (monitoring.coreos.com_servicemonitors.yaml).
          spec: check.kind === 'ServiceMonitor' ? { selector: {}, endpoints: [{ port: 'metrics' }] } : {},
        });
    }
  }
  // What controllers create from the rendered objects.
  for (const { object } of [...objects.map((object) => ({ object }))]) {
    const spec = (object.spec ?? {}) as Record<string, any>;
    const namespace = object.metadata.namespace!;
    switch (object.kind) {
      case 'ExternalSecret':
        secret(spec.target?.name ?? object.metadata.name, namespace);
        for (const d of (spec.data ?? []) as { remoteRef?: { key?: string } }[]) if (d.remoteRef?.key) secret(d.remoteRef.key, 'plinth-secrets');
        break;
      case 'StringSecret':
        secret(object.metadata.name, namespace);
        break;
      case 'ClusterSecret':
        for (const m of (object as { matchNamespace?: string[] }).matchNamespace ?? []) secret(object.metadata.name, m.replace(/^\^|\$$/g, ''));
        break;
      case 'Ingress':
        for (const tls of (spec.tls ?? []) as { secretName?: string; hosts?: string[] }[]) {
          if (!tls.secretName || objects.some((o) => o.kind === 'Certificate' && o.metadata.namespace === namespace && (o.spec as any)?.secretName === tls.secretName)) continue;
          add({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: tls.secretName, namespace }, spec: { secretName: tls.secretName, dnsNames: tls.hosts, issuerRef: { kind: 'ClusterIssuer', name: object.metadata.annotations?.['cert-manager.io/cluster-issuer'] ?? 'letsencrypt-prod' } } });
          secret(tls.secretName, namespace);
        }
        break;
      case 'Deployment':
        for (const s of podSecrets(spec.template)) if (!objects.some((o) => o.kind === 'ExternalSecret' && o.metadata.namespace === namespace && ((o.spec as any)?.target?.name ?? o.metadata.name) === s)) secret(s, namespace);
        break;
    }
  }
  add({ apiVersion: 'eraser.sh/v1', kind: 'ImageJob', metadata: { name: 'imagejob-healthy' } });
  const statuses = new Map<string, Record<string, unknown>>();
  for (const o of objects) {
    const status = healthyStatus(o, now);
    if (status) statuses.set(worldKey(o), status);
  }
  return { objects, statuses };
}

/** The world's objects with their statuses in place, as a snapshot sees them. */
export function withStatuses(world: World): K8sObject[] {
  return world.objects.map((o) => (world.statuses.has(worldKey(o)) ? { ...o, status: world.statuses.get(worldKey(o)) } : o));
}

/** Namespaces the world's objects live in. */
export function namespacesOf(objects: K8sObject[]): string[] {
  return [...new Set(objects.map((o) => o.metadata.namespace).filter(Boolean) as string[])].sort();
}

export const healthyNode = (name: string, imagesBytes: number[] = [400e6], capacity = '100Gi'): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: {
    capacity: { cpu: '8', memory: '32Gi', 'ephemeral-storage': capacity, pods: '110' },
    conditions: [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    images: imagesBytes.map((sizeBytes, i) => ({ names: [`registry.example.org/image-${i}:1`], sizeBytes })),
  },
});

/** Conditions as the API server's schemas require them (metav1.Condition: reason, message and lastTransitionTime). */
function complete(status: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(status.conditions)) return status;
  return {
    ...status,
    conditions: (status.conditions as Record<string, unknown>[]).map((c) => ({ reason: 'Unspecified', message: '', lastTransitionTime: '2026-05-01T00:00:00Z', ...c })),
  };
}

/** Writes an object's status the way its controller does: the status subresource, or the object itself where its CRD has none. */
export async function writeStatus(live: import('../src/kube/client.ts').LiveCluster, object: K8sObject, status: Record<string, unknown>): Promise<void> {
  const ref = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace } };
  const patch = { status: complete(status) };
  const written = STATUS_WITH_OBJECT.has(kindKey(object.apiVersion, object.kind)) ? await live.mergePatch(ref, patch) : await live.mergePatchStatus(ref, patch);
  if (!written) throw new Error(`cannot write the status of ${worldKey(object)}: it does not exist`);
}
