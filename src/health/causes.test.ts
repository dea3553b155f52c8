import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../core/types.ts';
import { DEFAULT_KNOWLEDGE, explain, nodeOf, podSecrets, type Knowledge } from './causes.ts';
import { snapshotOf } from './snapshot.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const knowledge: Knowledge = {
  ...DEFAULT_KNOWLEDGE,
  controllers: new Map([
    ['cert-manager.io', { name: 'cert-manager', namespace: 'cert-manager', component: 'cert-manager' }],
    ['acme.cert-manager.io', { name: 'cert-manager', namespace: 'cert-manager', component: 'cert-manager' }],
    ['external-secrets.io', { name: 'external-secrets', namespace: 'external-secrets', component: 'external-secrets' }],
    ['kargo.akuity.io', { name: 'kargo-controller', namespace: 'kargo', component: 'kargo' }],
    ['argoproj.io', { name: 'argocd-server', namespace: 'argocd', component: 'argo-cd' }],
    ['keda.sh', { name: 'keda-operator', namespace: 'keda', component: 'keda' }],
    ['cluster.redpanda.com', { name: 'redpanda-operator', namespace: 'redpanda', component: 'redpanda' }],
    ['postgresql.cnpg.io', { name: 'cloudnative-pg', namespace: 'cnpg-system', component: 'cloudnative-pg' }],
    ['eraser.sh', { name: 'eraser-controller-manager', namespace: 'eraser-system', component: 'eraser' }],
  ]),
  ingressService: { name: 'traefik', namespace: 'traefik' },
};

const obj = (apiVersion: string, kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): K8sObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace && { namespace }), creationTimestamp: '2026-05-31T00:00:00Z', ...metadata },
  ...rest,
});
const ready = (status: 'True' | 'False', message: string, reason = status === 'True' ? 'Ready' : 'Failed') => ({ conditions: [{ type: 'Ready', status, reason, message }] });
const available = (name: string, namespace: string, template: Record<string, unknown> = {}) =>
  obj('apps/v1', 'Deployment', name, namespace, { spec: { replicas: 1, template }, status: { replicas: 1, updatedReplicas: 1, availableReplicas: 1 } });
const controllers = [
  available('cert-manager', 'cert-manager'),
  available('external-secrets', 'external-secrets'),
  available('kargo-controller', 'kargo'),
  available('argocd-server', 'argocd'),
  available('keda-operator', 'keda'),
  available('redpanda-operator', 'redpanda'),
  available('cloudnative-pg', 'cnpg-system'),
  available('eraser-controller-manager', 'eraser-system'),
];
const secretServed = obj('v1', 'Secret', 'unrelated', 'default');

/** The seed's TLS chain, broken at the far end: the Designate credentials were never put in the store. */
function tlsChain(): K8sObject[] {
  return [
    ...controllers,
    secretServed,
    obj('networking.k8s.io/v1', 'Ingress', 'web', 'production', {
      spec: { tls: [{ hosts: ['mswa.example.org'], secretName: 'web-tls' }], rules: [{ host: 'mswa.example.org' }] },
      status: { loadBalancer: {} },
    }),
    obj('v1', 'Service', 'traefik', 'traefik', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }),
    obj('cert-manager.io/v1', 'Certificate', 'web-tls', 'production', {
      spec: { secretName: 'web-tls', issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' } },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }, { type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }] },
    }),
    obj('cert-manager.io/v1', 'ClusterIssuer', 'letsencrypt-prod', undefined, { status: ready('True', 'The ACME account was registered with the ACME server') }),
    obj('cert-manager.io/v1', 'CertificateRequest', 'web-tls-1', 'production', {
      spec: { issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' } },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Pending', message: 'Waiting on certificate issuance from order production/web-tls-1-3129: "pending"' }] },
    }, { annotations: { 'cert-manager.io/certificate-name': 'web-tls' } }),
    obj('acme.cert-manager.io/v1', 'Order', 'web-tls-1-3129', 'production', { status: { state: 'pending' } }, { ownerReferences: [{ kind: 'CertificateRequest', name: 'web-tls-1' }] }),
    obj('acme.cert-manager.io/v1', 'Challenge', 'web-tls-1-3129-1', 'production', {
      spec: { dnsName: 'mswa.example.org', solver: { dns01: { webhook: { groupName: 'acme.syseleven.de', solverName: 'designatedns' } } } },
      status: { state: 'pending', processing: true, presented: false, reason: 'Error presenting challenge: secrets "designate-credentials" not found' },
    }, { ownerReferences: [{ kind: 'Order', name: 'web-tls-1-3129' }] }),
    obj('apiregistration.k8s.io/v1', 'APIService', 'v1alpha1.acme.syseleven.de', undefined, {
      spec: { service: { name: 'designate-certmanager-webhook', namespace: 'cert-manager' } },
      status: { conditions: [{ type: 'Available', status: 'True', reason: 'Passed' }] },
    }),
    obj('v1', 'Service', 'designate-certmanager-webhook', 'cert-manager', { spec: { selector: { app: 'designate-webhook' } } }),
    available('designate-certmanager-webhook', 'cert-manager', {
      metadata: { labels: { app: 'designate-webhook' } },
      spec: { containers: [{ name: 'webhook', envFrom: [{ secretRef: { name: 'designate-credentials' } }] }] },
    }),
    obj('external-secrets.io/v1', 'ExternalSecret', 'designate-credentials', 'cert-manager', {
      spec: {
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'plinth-secrets' },
        data: [
          { secretKey: 'OS_APPLICATION_CREDENTIAL_ID', remoteRef: { key: 'designate-credentials', property: 'OS_APPLICATION_CREDENTIAL_ID' } },
          { secretKey: 'OS_APPLICATION_CREDENTIAL_SECRET', remoteRef: { key: 'designate-credentials', property: 'OS_APPLICATION_CREDENTIAL_SECRET' } },
        ],
      },
      status: ready('False', 'could not get secret data from provider', 'SecretSyncedError'),
    }),
    obj('external-secrets.io/v1', 'ClusterSecretStore', 'plinth-secrets', undefined, { status: ready('True', 'store validated', 'Valid') }),
  ];
}

describe('cause chains', () => {
  it('walks Ingress -> Certificate -> request -> Order -> Challenge -> webhook credentials -> ExternalSecret -> missing secret input', () => {
    const objects = tlsChain();
    const snapshot = snapshotOf(objects, { now: NOW });
    const chain = explain(nodeOf(objects.find((o) => o.kind === 'Ingress')!), snapshot, knowledge);
    expect(chain.map((s) => `${s.ref} ${s.health}`)).toEqual([
      'Ingress/production/web Progressing',
      'Certificate/production/web-tls Progressing',
      'CertificateRequest/production/web-tls-1 Progressing',
      'Order/production/web-tls-1-3129 Progressing',
      'Challenge/production/web-tls-1-3129-1 Degraded',
      'Secret/cert-manager/designate-credentials Missing',
      'ExternalSecret/cert-manager/designate-credentials Degraded',
      'Secret/plinth-secrets/designate-credentials Missing',
    ]);
    expect(chain[4]!.message).toContain('Error presenting challenge');
    expect(chain.at(-1)!.why).toBe('the secret input designate-credentials in the store');
    expect(chain.at(-1)!.hint).toContain('plinth secrets set designate-credentials OS_APPLICATION_CREDENTIAL_ID, then plinth secrets set designate-credentials OS_APPLICATION_CREDENTIAL_SECRET');
    expect(chain.slice(0, -1).every((s) => s.hint === undefined)).toBe(true);
  });

  it('stops at the store when the store itself is broken, and at the controller when it is down', () => {
    const objects = tlsChain().map((o) =>
      o.kind === 'ClusterSecretStore' ? { ...o, status: ready('False', 'unable to validate store: serviceaccounts "plinth-secrets-reader" is forbidden', 'ValidationFailed') } : o,
    );
    // The input exists, so the store is the only unhealthy dependency left.
    objects.push(obj('v1', 'Secret', 'designate-credentials', 'plinth-secrets'));
    const es = objects.find((o) => o.kind === 'ExternalSecret')!;
    const chain = explain(nodeOf(es), snapshotOf(objects, { now: NOW }), knowledge);
    expect(chain.map((s) => s.ref)).toEqual(['ExternalSecret/cert-manager/designate-credentials', 'ClusterSecretStore/plinth-secrets']);
    expect(chain.at(-1)!.hint).toContain('ServiceAccount may read the plinth-secrets namespace');

    const down = objects.map((o) =>
      o.kind === 'ClusterSecretStore' ? { ...o, status: ready('True', 'store validated') } : o.kind === 'Deployment' && o.metadata.name === 'external-secrets' ? { ...o, status: { replicas: 1, updatedReplicas: 1, availableReplicas: 0 } } : o,
    );
    const chain2 = explain(nodeOf(es), snapshotOf(down, { now: NOW }), knowledge);
    expect(chain2.at(-1)!.ref).toBe('Deployment/external-secrets/external-secrets');
    expect(chain2.at(-1)!.hint).toContain('kubectl describe deployment external-secrets -n external-secrets');
  });

  it('walks a Kargo Stage to its out-of-sync Application and the resource Argo CD could not sync, with its events', () => {
    const objects: K8sObject[] = [
      ...controllers,
      obj('kargo.akuity.io/v1alpha1', 'Stage', 'production', 'kargo-api', {
        spec: { requestedFreight: [{ origin: { kind: 'Warehouse', name: 'api' } }] },
        status: { conditions: [{ type: 'Healthy', status: 'False', reason: 'Unhealthy', message: 'Argo CD Application "api-production" in namespace "argocd" is out of sync' }] },
      }),
      obj('kargo.akuity.io/v1alpha1', 'Warehouse', 'api', 'kargo-api', { status: { lastFreightID: 'abc', conditions: [{ type: 'Ready', status: 'True' }] } }),
      obj('argoproj.io/v1alpha1', 'Application', 'api-production', 'argocd', {
        status: {
          sync: { status: 'OutOfSync' },
          health: { status: 'Healthy' },
          operationState: {
            phase: 'Failed',
            message: 'one or more objects failed to apply',
            syncResult: { resources: [{ group: 'apps', kind: 'Deployment', namespace: 'production', name: 'api', status: 'SyncFailed', message: 'spec.selector: field is immutable' }] },
          },
          resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'production', name: 'api', status: 'OutOfSync', health: { status: 'Healthy' } }],
        },
      }, { annotations: { 'kargo.akuity.io/authorized-stage': 'kargo-api:production' } }),
      available('api', 'production'),
      obj('v1', 'Event', 'api.1', 'production', { involvedObject: { kind: 'Deployment', name: 'api', namespace: 'production' }, reason: 'SyncFailed', message: 'field is immutable', type: 'Warning', count: 3, lastTimestamp: '2026-05-31T23:00:00Z' }),
    ];
    const chain = explain(nodeOf(objects.find((o) => o.kind === 'Stage')!), snapshotOf(objects, { now: NOW }), knowledge);
    expect(chain.map((s) => `${s.ref} ${s.health}`)).toEqual([
      'Stage/kargo-api/production Degraded',
      'Application/argocd/api-production Degraded',
      'Deployment/production/api Degraded',
    ]);
    expect(chain[2]!.message).toContain('spec.selector: field is immutable');
    expect(chain[2]!.events).toEqual(['SyncFailed: field is immutable (x3)']);
    expect(chain[2]!.hint).toContain('kubectl describe deployment api -n production');
  });

  it('walks a KEDA scaler to the Redpanda brokers it reads lag from', () => {
    const objects: K8sObject[] = [
      ...controllers,
      obj('keda.sh/v1alpha1', 'ScaledObject', 'video-worker', 'production', {
        spec: { scaleTargetRef: { name: 'video-worker' }, triggers: [{ type: 'kafka', metadata: { bootstrapServers: 'redpanda.redpanda.svc.cluster.local:9093', topic: 'videos' } }] },
        status: ready('False', 'error getting scaler metrics: kafka: client has run out of available brokers to talk to', 'KEDAScalerFailed'),
      }),
      available('video-worker', 'production'),
      obj('cluster.redpanda.com/v1alpha2', 'Redpanda', 'redpanda', 'redpanda', { status: ready('False', 'InstallFailed: failed post-install') }),
      obj('apps/v1', 'StatefulSet', 'redpanda', 'redpanda', { spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 0 } }),
    ];
    const chain = explain(nodeOf(objects[controllers.length]!), snapshotOf(objects, { now: NOW }), knowledge);
    expect(chain.map((s) => s.ref)).toEqual(['ScaledObject/production/video-worker', 'Redpanda/redpanda/redpanda', 'StatefulSet/redpanda/redpanda']);
    expect(chain.at(-1)!.message).toBe('0/3 replicas ready');
  });

  it('walks a CNPG Database to its Cluster and the volume that is not bound', () => {
    const objects: K8sObject[] = [
      ...controllers,
      obj('postgresql.cnpg.io/v1', 'Database', 'mswa', 'databases', { spec: { cluster: { name: 'main' }, name: 'mswa', owner: 'mswa' }, status: { applied: false, message: 'cluster not ready' } }),
      obj('postgresql.cnpg.io/v1', 'Cluster', 'main', 'databases', { spec: { instances: 2 }, status: { instances: 2, readyInstances: 0, phase: 'Setting up primary' } }),
      obj('v1', 'PersistentVolumeClaim', 'main-1', 'databases', { status: { phase: 'Pending' } }, { labels: { 'cnpg.io/cluster': 'main' } }),
    ];
    const chain = explain(nodeOf(objects[controllers.length]!), snapshotOf(objects, { now: NOW }), knowledge);
    expect(chain.map((s) => s.ref)).toEqual(['Database/databases/mswa', 'Cluster/databases/main', 'PersistentVolumeClaim/databases/main-1']);
    expect(chain.at(-1)!.hint).toContain('StorageClass');
  });

  it('points a missing kind at the chart that installs its CRD, and a missing controller at its Application', () => {
    const store = obj('external-secrets.io/v1', 'ClusterSecretStore', 'plinth-secrets', undefined);
    const notServed = explain({ ...nodeOf(store), object: undefined }, snapshotOf([], { notServed: [store] }), knowledge);
    expect(notServed[0]!.message).toContain('CRD is not installed');
    expect(notServed[0]!.hint).toContain('the external-secrets chart installs this CRD');

    const es = obj('external-secrets.io/v1', 'ExternalSecret', 'x', 'default', { status: ready('False', 'not synced') });
    const chain = explain(nodeOf(es), snapshotOf([es, store, secretServed], { now: NOW }), knowledge);
    expect(chain.at(-1)!.ref).toBe('Deployment/external-secrets/external-secrets');
    expect(chain.at(-1)!.hint).toContain('Argo CD Application external-secrets');
  });

  it('follows node disk pressure to a failed Eraser cleanup', () => {
    const objects: K8sObject[] = [
      ...controllers,
      obj('v1', 'Node', 'worker-1', undefined, { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'True', message: 'kubelet has disk pressure' }] } }),
      obj('eraser.sh/v1', 'ImageJob', 'imagejob-abc', undefined, { status: { phase: 'Failed', desired: 3, succeeded: 0, failed: 3 } }),
    ];
    const chain = explain(nodeOf(objects[controllers.length]!), snapshotOf(objects, { now: NOW }), knowledge);
    expect(chain.map((s) => s.ref)).toEqual(['Node/worker-1', 'ImageJob/imagejob-abc']);
    expect(chain.at(-1)!.hint).toContain('Eraser');
  });

  it('ends at a healthy object at once, and never loops', () => {
    const objects = [available('a', 'x')];
    expect(explain(nodeOf(objects[0]!), snapshotOf(objects), knowledge)).toEqual([{ ref: 'Deployment/x/a', health: 'Healthy', message: '1/1 replicas available' }]);
    // Two ClusterSecrets copying each other's source: the walker stops when it comes back.
    const a = obj('clustersecret.io/v1', 'ClusterSecret', 'a', undefined, { data: { valueFrom: { secretKeyRef: { name: 'b', namespace: 'n' } } } });
    const b = obj('v1', 'Secret', 'zzz', 'n');
    const chain = explain(nodeOf(a), snapshotOf([a, b]), knowledge);
    expect(chain.length).toBeLessThan(6);
  });

  it('reads the Secrets a pod needs, leaving optional ones out', () => {
    expect(
      podSecrets({
        spec: {
          volumes: [{ secret: { secretName: 'tls' } }, { secret: { secretName: 'maybe', optional: true } }],
          containers: [{ env: [{ valueFrom: { secretKeyRef: { name: 'pg' } } }], envFrom: [{ secretRef: { name: 'creds' } }] }],
        },
      }).sort(),
    ).toEqual(['creds', 'pg', 'tls']);
  });
});
