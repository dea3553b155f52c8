import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { doctor, watchDoctor, type DoctorResult } from '../../src/commands/doctor.ts';
import { apply } from '../../src/commands/live.ts';
import { BOOTSTRAP_HINT, type DoctorCheck } from '../../src/health/doctor.ts';
import { launchChromium, REPO, runCli, tempDir, UPSTREAM, type CliResult } from '../helpers.ts';
import { healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { connect, KubeError } from '../../src/kube/client.ts';
import { useControlPlane } from './live.ts';
import { startDnsServer } from '../dns-server.ts';
import { dnsResolver } from '../../src/health/dns.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');
const HOST = 'https://mswa.cis240470.projects.jetstream-cloud.org';
const now = new Date();

const check = (result: DoctorResult, feature: string, name: string): DoctorCheck => {
  const found = result.features.find((f) => f.id === feature)?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in feature ${feature}: ${JSON.stringify(result.features.find((f) => f.id === feature)?.checks.map((c) => c.name))}`);
  return found;
};
const failing = (result: DoctorResult) => result.features.flatMap((f) => f.checks.filter((c) => c.status === 'fail').map((c) => `${f.id}: ${c.name}`));
/** A real name server that has the public host's record, as external-dns would have published it. */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const doctorContext = () => ({ ...cluster.context(REPO), resolveHost: dnsResolver({ server: dns.server }) });
const run = () => doctor({ kubeconfig: cluster.control.kubeconfig }, doctorContext());
const ref = (apiVersion: string, kind: string, name: string, namespace?: string): K8sObject => ({ apiVersion, kind, metadata: { name, ...(namespace && { namespace }) } });
const status = (object: K8sObject, value: Record<string, unknown>) => writeStatus(cluster.live, object, value);
const notReady = (message: string, reason: string) => ({ conditions: [{ type: 'Ready', status: 'False', reason, message }] });

async function inParallel<T>(items: T[], work: (item: T) => Promise<unknown>, width = 8): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

/**
 * Apply waits only for the CRDs of kinds it applies; the world also holds kinds no render has (ImageJob), whose
 * CRDs the API server may still be establishing: retried until they are served.
 */
async function applyOnceServed(object: K8sObject): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return void (await cluster.live.apply(object));
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 404) || attempt >= 60) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The default platform applied, then everything its charts and controllers would add, with the statuses they write. */
async function buildPlatform(): Promise<void> {
  const options = { kubeconfig: cluster.control.kubeconfig, crds };
  const applied = await apply(options, cluster.context(REPO));
  expect(applied.failed).toEqual([]);
  const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
  const world = healthyWorld(tree, now);
  await inParallel(namespacesOf(world.objects), (name) => cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  const rendered = new Set(tree.objects.filter((o) => !o.promoted).map((o) => worldKey(o.object)));
  await inParallel(world.objects.filter((o) => !rendered.has(worldKey(o))), (o) => applyOnceServed(o));
  // Deployments and StatefulSets get theirs from the real controllers, whose pods kwok runs.
  const written = world.objects.filter((o) => world.statuses.has(worldKey(o)) && o.kind !== 'Deployment' && o.kind !== 'StatefulSet');
  await inParallel(written, (o) => status(o, world.statuses.get(worldKey(o))!));
  for (let i = 0; i < 120; i++) {
    const [deployments, sets] = await Promise.all([cluster.live.list('apps/v1', 'Deployment'), cluster.live.list('apps/v1', 'StatefulSet')]);
    const waiting = [...deployments, ...sets].filter((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) < ((d.spec as { replicas?: number }).replicas ?? 1));
    if (waiting.length === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('the controllers and kwok did not make every Deployment available in 120 s');
}

describe('plinth doctor on a real API server', () => {
  /** What a new user sees first: doctor on the empty cluster, before anything is applied. */
  let empty: { table: CliResult; json: CliResult };
  beforeAll(async () => {
    // The default config serves web in two stages: production at the host, staging at staging-<host>.
    dns = await startDnsServer({ 'mswa.cis240470.projects.jetstream-cloud.org': ['203.0.113.10'], 'staging-mswa.cis240470.projects.jetstream-cloud.org': ['203.0.113.10'] });
    const kubeconfig = cluster.control.kubeconfig;
    empty = { table: await runCli(['doctor', '--kubeconfig', kubeconfig, '--no-dns']), json: await runCli(['doctor', '--kubeconfig', kubeconfig, '--no-dns', '--json']) };
    await buildPlatform();
  }, 400_000);
  afterAll(() => dns.close());

  it('on an empty cluster, says once that Argo CD is not installed and to start with plinth bootstrap, in a short table', () => {
    expect(empty.table.code).toBe(1);
    const lines = empty.table.stdout.trimEnd().split('\n');
    expect(lines.slice(2, 4)).toEqual([
      '✗ root cause 1: Argo CD is not installed: the cluster serves no Application (argoproj.io/v1alpha1): its CRD is not installed',
      `    do first: ${BOOTSTRAP_HINT}`,
    ]);
    expect(lines[4]).toMatch(/^    \d+ checks \(and \d+ skipped\) in \d+ features depend on it: argo-cd, cert-manager, /);
    expect(lines.at(-1)).toBe(`start with root cause 1: ${BOOTSTRAP_HINT}`);
    // 281 lines before the checks were grouped under their root cause; 73 after (the default config).
    expect(lines.length).toBeLessThanOrEqual(80);
    expect(lines.filter((l) => l.includes('hint:'))).toEqual([]);
    expect(lines.filter((l) => /^\S/.test(l) && !l.startsWith('start with'))).toContain('✓ nodes nodes: Ready, memory and disk pressure, disk taken by images');

    expect(empty.json.code).toBe(1);
    const result = JSON.parse(empty.json.stdout) as DoctorResult;
    expect(result.rootCauses.map((c) => c.id)).toEqual(['argo-cd']);
    expect(result.rootCauses[0]).toMatchObject({ status: 'fail', title: 'Argo CD is not installed', hint: BOOTSTRAP_HINT });
    const notPassing = result.features.flatMap((f) => f.checks.filter((c) => c.status === 'fail' || c.status === 'warn'));
    expect(notPassing.length).toBeGreaterThan(70);
    expect(notPassing.filter((c) => c.rootCause !== 'argo-cd')).toEqual([]);
    expect(result.rootCauses[0]!.checks.filter((c) => c.status !== 'skip')).toHaveLength(notPassing.length);
    // The fields from before stay: summary, features, checks with their chains.
    expect(result.summary.fail).toBe(notPassing.filter((c) => c.status === 'fail').length);
    expect(check(result, 'cert-manager', 'controller')).toMatchObject({ status: 'fail', message: 'does not exist', rootCause: 'argo-cd' });
  });

  it('passes every feature of the working platform, in a bounded number of requests', async () => {
    const result = await run();
    // Aggregated APIs cannot answer on a control plane whose pods are simulated, so their APIServices are not created.
    expect(failing(result).sort()).toEqual(['designate-webhook: solver API acme.syseleven.de registered and reachable (CA injected by cert-manager)', 'keda: external metrics API, served by the metrics server']);
    expect(check(result, 'keda', 'external metrics API, served by the metrics server')).toMatchObject({ status: 'fail', message: 'does not exist' });
    for (const feature of result.features.filter((f) => !['designate-webhook', 'keda'].includes(f.id))) expect([feature.id, feature.status]).toEqual([feature.id, 'pass']);
    expect(check(result, 'public-https', HOST).message).toMatch(/^served at 203\.0\.113\.10; certificate valid until .+; mswa\.cis240470\.projects\.jetstream-cloud\.org resolves to 203\.0\.113\.10$/);
    expect(check(result, 'cert-manager', 'CRDs installed').status).toBe('pass');
    expect(check(result, 'argo-cd', 'API server and UI').message).toBe('1/1 replicas available');
    expect(result.requests).toBeLessThan(90);
    // The same platform, seen through a name server without the records: the failures more are the hosts of both stages.
    const empty = await startDnsServer({});
    try {
      const unpublished = await doctor({ kubeconfig: cluster.control.kubeconfig }, { ...cluster.context(REPO), resolveHost: dnsResolver({ server: empty.server }) });
      expect(failing(unpublished).sort()).toEqual([...failing(result), `public-https: ${HOST}`, `public-https: ${HOST.replace('//', '//staging-')}`].sort());
      expect(check(unpublished, 'public-https', HOST)).toMatchObject({ status: 'fail', message: 'mswa.cis240470.projects.jetstream-cloud.org does not resolve: no A or AAAA record' });
    } finally {
      await empty.close();
    }
  });

  it('cert-manager: follows the unissued certificate of a public host to the Designate credentials missing from the store', async () => {
    await cluster.live.delete(ref('v1', 'Secret', 'designate-credentials', 'plinth-secrets'));
    await cluster.live.delete(ref('v1', 'Secret', 'designate-credentials', 'cert-manager'));
    await status(ref('external-secrets.io/v1', 'ExternalSecret', 'designate-credentials', 'cert-manager'), notReady('could not get secret data from provider', 'SecretSyncedError'));
    const certificate = ref('cert-manager.io/v1', 'Certificate', 'web-tls', 'production');
    await status(certificate, { conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }, { type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }] });
    // What cert-manager creates for it: request -> ACME order -> challenge, each owned by the one before.
    const owner = (o: K8sObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid as string, controller: true });
    const cert = (await cluster.live.get(certificate))!;
    const request = await cluster.live.apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'CertificateRequest',
      metadata: { name: 'web-tls-1', namespace: 'production', annotations: { 'cert-manager.io/certificate-name': 'web-tls', 'cert-manager.io/certificate-revision': '1' }, ownerReferences: [owner(cert)] },
      spec: { request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n').toString('base64'), issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod', group: 'cert-manager.io' } },
    });
    await status(request, { conditions: [{ type: 'Approved', status: 'True', reason: 'cert-manager.io', message: 'Certificate request has been approved by cert-manager.io' }, { type: 'Ready', status: 'False', reason: 'Pending', message: 'Waiting on certificate issuance from order production/web-tls-1-3129: "pending"' }] });
    const order = await cluster.live.apply({
      apiVersion: 'acme.cert-manager.io/v1',
      kind: 'Order',
      metadata: { name: 'web-tls-1-3129', namespace: 'production', ownerReferences: [owner(request)] },
      spec: { request: (request.spec as { request: string }).request, dnsNames: ['mswa.cis240470.projects.jetstream-cloud.org'], issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod', group: 'cert-manager.io' } },
    });
    await status(order, { state: 'pending', url: 'https://acme-v02.api.letsencrypt.org/acme/order/1/2', finalizeURL: 'https://acme-v02.api.letsencrypt.org/acme/finalize/1/2' });
    const challenge = await cluster.live.apply({
      apiVersion: 'acme.cert-manager.io/v1',
      kind: 'Challenge',
      metadata: { name: 'web-tls-1-3129-2871', namespace: 'production', ownerReferences: [owner(order)] },
      spec: {
        type: 'DNS-01',
        dnsName: 'mswa.cis240470.projects.jetstream-cloud.org',
        key: 'k',
        token: 't',
        url: 'https://acme-v02.api.letsencrypt.org/acme/chall/1/4',
        authorizationURL: 'https://acme-v02.api.letsencrypt.org/acme/authz/1/3',
        wildcard: false,
        issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod', group: 'cert-manager.io' },
        solver: { dns01: { webhook: { groupName: 'acme.syseleven.de', solverName: 'designatedns' } } },
      },
    });
    await status(challenge, { state: 'pending', processing: true, presented: false, reason: 'Error presenting challenge: OpenStack credentials not found: secret "designate-credentials" not found' });

    const result = await run();
    const host = check(result, 'public-https', HOST);
    expect(host.status).toBe('fail');
    expect(host.chain!.map((s) => `${s.ref} ${s.health}`)).toEqual([
      'Ingress/production/web Degraded',
      'Certificate/production/web-tls Progressing',
      'CertificateRequest/production/web-tls-1 Progressing',
      'Order/production/web-tls-1-3129 Progressing',
      'Challenge/production/web-tls-1-3129-2871 Degraded',
      'Secret/cert-manager/designate-credentials Missing',
      'ExternalSecret/cert-manager/designate-credentials Degraded',
      'Secret/plinth-secrets/designate-credentials Missing',
    ]);
    expect(host.hint).toContain('plinth secrets set designate-credentials OS_APPLICATION_CREDENTIAL_ID');
    expect(check(result, 'designate-webhook', 'OpenStack application credential delivered').chain!.at(-1)!.ref).toBe('Secret/plinth-secrets/designate-credentials');
  });

  it('external-secrets: blames the store when it cannot read its backend', async () => {
    const store = ref('external-secrets.io/v1', 'ClusterSecretStore', 'plinth-secrets');
    await status(store, notReady('unable to validate store: cannot get Kubernetes secret "": serviceaccounts "plinth-secrets-reader" is forbidden', 'ValidationFailed'));
    await status(ref('external-secrets.io/v1', 'ExternalSecret', 'external-dns-clouds-yaml', 'external-dns'), notReady('could not get secret data from provider', 'SecretSyncedError'));
    const result = await run();
    const clouds = check(result, 'external-dns', 'OpenStack credentials delivered as clouds.yaml');
    expect(clouds.status).toBe('fail');
    expect(clouds.chain!.map((s) => s.ref)).toEqual(['ExternalSecret/external-dns/external-dns-clouds-yaml', 'ClusterSecretStore/plinth-secrets']);
    expect(clouds.hint).toContain('so its ServiceAccount may read the plinth-secrets namespace');
    expect(check(result, 'external-secrets', 'store reading the plinth-secrets namespace (Ready)').status).toBe('fail');
    await status(store, { conditions: [{ type: 'Ready', status: 'True', reason: 'Valid', message: 'store validated' }] });
  });

  it('grafana: an alert rule\'s ServiceMonitor deleted from the cluster fails its component, naming the rules left blind', async () => {
    const monitor = ref('monitoring.coreos.com/v1', 'ServiceMonitor', 'cert-manager', 'cert-manager');
    const kept = await cluster.live.get(monitor);
    expect(kept).toBeDefined();
    await cluster.live.delete(monitor);
    const result = await run();
    const missing = check(result, 'cert-manager', 'ServiceMonitor: Prometheus scrapes the certificate metrics');
    expect(missing).toMatchObject({ status: 'fail', ref: 'ServiceMonitor/cert-manager/cert-manager', message: 'does not exist' });
    expect(missing.hint).toContain('the rules plinth-certificate-expiry, plinth-certificate-not-ready never fire');
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...metadata } = kept!.metadata as Record<string, unknown>;
    await cluster.live.apply({ ...kept!, metadata: metadata as K8sObject['metadata'] });
    expect(check(await run(), 'cert-manager', 'ServiceMonitor: Prometheus scrapes the certificate metrics').status).toBe('pass');
  });

  it('cloudnative-pg: follows a database that was not created to its server and the volume that will not bind', async () => {
    await cluster.live.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'main-1', namespace: 'databases', labels: { 'cnpg.io/cluster': 'main', 'cnpg.io/instanceName': 'main-1' } },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'no-such-class', resources: { requests: { storage: '20Gi' } } },
    });
    await status(ref('postgresql.cnpg.io/v1', 'Cluster', 'main', 'databases'), { instances: 2, readyInstances: 0, phase: 'Setting up primary', phaseReason: 'Creating primary instance main-1', conditions: [{ type: 'Ready', status: 'False', reason: 'ClusterIsNotReady', message: 'Cluster Is Not Ready' }] });
    await status(ref('postgresql.cnpg.io/v1', 'Database', 'mswa', 'databases'), { applied: false, message: 'cluster main is not ready', observedGeneration: 1 });
    const result = await run();
    const database = check(result, 'cloudnative-pg', 'database mswa');
    expect(database.status).toBe('fail');
    expect(database.chain!.map((s) => s.ref)).toEqual(['Database/databases/mswa', 'Cluster/databases/main', 'PersistentVolumeClaim/databases/main-1']);
    expect(database.hint).toContain('check its StorageClass');
    expect(check(result, 'cloudnative-pg', 'PostgreSQL server main')).toMatchObject({ status: 'warn', message: expect.stringContaining('Setting up primary, 0/2 instances ready') });
  });

  it('kargo and argo-cd: follows an unhealthy Stage to its out-of-sync Application and the resource that failed, with its events', async () => {
    await status(ref('kargo.akuity.io/v1alpha1', 'Stage', 'production', 'kargo-api'), {
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Unhealthy', message: 'Stage is not healthy' },
        { type: 'Healthy', status: 'False', reason: 'Unhealthy', message: 'Argo CD Application "api-production" in namespace "argocd" is out of sync' },
      ],
    });
    await status(ref('argoproj.io/v1alpha1', 'Application', 'api-production', 'argocd'), {
      sync: { status: 'OutOfSync', revision: '9a8b7c6' },
      health: { status: 'Healthy' },
      operationState: {
        phase: 'Failed',
        message: 'one or more objects failed to apply',
        startedAt: '2026-05-31T12:00:00Z',
        operation: { sync: { revision: '9a8b7c6' } },
        syncResult: { revision: '9a8b7c6', resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'production', name: 'api', status: 'SyncFailed', message: 'Deployment.apps "api" is invalid: spec.selector: Invalid value: field is immutable' }] },
      },
      resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'production', name: 'api', status: 'OutOfSync', health: { status: 'Healthy' } }],
    });
    await cluster.live.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'api.sync-failed', namespace: 'production' },
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'production' },
      reason: 'SyncFailed',
      message: 'spec.selector: field is immutable',
      type: 'Warning',
      count: 4,
      firstTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      source: { component: 'argocd-application-controller' },
    } as K8sObject);
    const result = await run();
    const stage = check(result, 'app:api', 'stage production: promoted the latest Freight');
    expect(stage.status).toBe('fail');
    expect(stage.chain!.map((s) => `${s.ref} ${s.health}`)).toEqual(['Stage/kargo-api/production Degraded', 'Application/argocd/api-production Degraded', 'Deployment/production/api Degraded']);
    expect(stage.chain![2]!.message).toContain('field is immutable');
    expect(stage.chain![2]!.events).toEqual(['SyncFailed: spec.selector: field is immutable (x4)']);
    expect(stage.hint).toContain('kubectl describe deployment api -n production');
    expect(check(result, 'app:api', 'Application api-production Synced and Healthy').status).toBe('fail');
  });

  it('keda: follows a failing scaler to the Redpanda cluster it reads lag from', async () => {
    await status(ref('keda.sh/v1alpha1', 'ScaledObject', 'video-worker', 'production'), notReady('error getting scaler metrics: kafka: client has run out of available brokers to talk to', 'KEDAScalerFailed'));
    await status(ref('cluster.redpanda.com/v1alpha2', 'Redpanda', 'redpanda', 'redpanda'), notReady('InstallFailed: failed post-install: timed out waiting for the condition', 'InstallFailed'));
    const result = await run();
    const scaler = check(result, 'app:video-worker', 'stage production: autoscaler (KEDA) ready');
    expect(scaler.status).toBe('fail');
    expect(scaler.chain!.map((s) => s.ref)).toEqual(['ScaledObject/production/video-worker', 'Redpanda/redpanda/redpanda']);
    expect(scaler.hint).toContain('check the brokers: kubectl get pods -n redpanda');
    expect(check(result, 'redpanda', 'Redpanda cluster').status).toBe('fail');
  });

  it('nodes: reports disk pressure and disk taken by images, and follows it to a failed Eraser cleanup', async () => {
    const GB = 1e9;
    const node = await cluster.live.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-disk', labels: { 'kubernetes.io/hostname': 'worker-disk' } } });
    await status(node, {
      capacity: { cpu: '8', memory: '32Gi', 'ephemeral-storage': '75Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '32Gi', 'ephemeral-storage': '75Gi', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now.toISOString() },
        { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure', lastHeartbeatTime: now.toISOString() },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now.toISOString() },
      ],
      images: [
        { names: ['ghcr.io/mobility-scooter-web-app/model-service:2.0.0'], sizeBytes: 32 * GB },
        { names: ['ghcr.io/mobility-scooter-web-app/model-service:1.9.0'], sizeBytes: 32 * GB },
        { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 6 * GB },
      ],
    });
    await status(ref('eraser.sh/v1', 'ImageJob', 'imagejob-healthy'), { phase: 'Failed', desired: 2, succeeded: 0, failed: 2, skipped: 0 });
    const result = await run();
    const pressure = check(result, 'nodes', 'worker-disk Ready, no pressure');
    expect(pressure.status).toBe('fail');
    expect(pressure.chain!.map((s) => s.ref)).toEqual(['Node/worker-disk', 'ImageJob/imagejob-healthy']);
    expect(pressure.hint).toContain("Eraser's cleanup failed");
    const disk = check(result, 'nodes', 'disk of worker-disk');
    expect(disk).toMatchObject({ status: 'fail', message: expect.stringContaining('images take 70.0 GB of 80.5 GB (87%)') });
    expect(disk.message).toContain('ghcr.io/mobility-scooter-web-app/model-service:2.0.0 (32.0 GB)');
  });

  it('lists each kind once: the request count does not depend on the number of objects', async () => {
    const calls = new Map<string, number>();
    const context = {
      ...doctorContext(),
      connect: async (options: { kubeconfig?: string }) => {
        const live = await connect(options);
        const count = (kind: string) => calls.set(kind, (calls.get(kind) ?? 0) + 1);
        return { ...live, list: (v: string, k: string, o?: object) => (count(k), live.list(v, k, o)), listMetadata: (v: string, k: string, o?: object) => (count(k), live.listMetadata(v, k, o)) };
      },
    };
    const before = await doctor({ kubeconfig: cluster.control.kubeconfig }, context);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBeGreaterThan(30);
    await inParallel(Array.from({ length: 30 }, (_, i) => i), (i) =>
      cluster.live.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `extra-${i}`, namespace: 'production' }, spec: { replicas: 0, selector: { matchLabels: { x: `${i}` } }, template: { metadata: { labels: { x: `${i}` } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } } }),
    );
    calls.clear();
    const after = await doctor({ kubeconfig: cluster.control.kubeconfig }, context);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(after.requests).toBe(before.requests);
  });

  it('prints the table, JSON and an HTML report from the CLI, exits 1, and the report shows the failing chain in Chromium', async () => {
    const dir = await tempDir();
    const report = join(dir, 'report.html');
    const cli = await runCli(['doctor', '--kubeconfig', cluster.control.kubeconfig, '--report', report, '--dns-server', dns.server]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('✗ public-https');
    // The missing secret input blocks checks in three features (both stages' hosts): it comes first, once, with the commands that fix it.
    const lines = cli.stdout.split('\n');
    expect(lines[2]).toBe('✗ root cause 1: Secret/plinth-secrets/designate-credentials Missing: does not exist');
    expect(lines[3]).toMatch(/^    do first: the secret input designate-credentials is not in the store: run plinth secrets set designate-credentials OS_AUTH_URL, then .*OS_APPLICATION_CREDENTIAL_SECRET/);
    expect(lines[4]).toBe('    4 checks in 3 features depend on it: designate-webhook, external-dns, public-https');
    // Both stages' hosts wait on it: one line for the two in their feature (src/cli/doctor.ts groups them).
    const host = lines.indexOf(`  ✗ fail 2 checks wait on root cause 1: ${HOST}, ${HOST.replace('//', '//staging-')}`);
    expect(host, cli.stdout).toBeGreaterThan(4);
    // Said twice, not once per check: at the root cause, and on the last line.
    expect(cli.stdout.match(/plinth secrets set designate-credentials OS_AUTH_URL/g)).toHaveLength(2);
    expect(lines.at(-2)).toMatch(/^start with root cause 1: the secret input designate-credentials is not in the store/);
    expect(cli.stdout).toMatch(/\d+ pass, \d+ warn, \d+ fail, \d+ skip \(\d+ API requests, \d+ ms\)/);

    const json = await runCli(['doctor', '--kubeconfig', cluster.control.kubeconfig, '--json', '--no-dns']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as DoctorResult;
    expect(parsed.status).toBe('fail');
    expect(parsed.features.map((f) => f.id)).toContain('public-https');
    expect(parsed.rootCauses[0]).toMatchObject({ id: 'Secret/plinth-secrets/designate-credentials', ref: 'Secret/plinth-secrets/designate-credentials', hint: expect.stringContaining('plinth secrets set') });
    expect(check(parsed, 'public-https', HOST)).toMatchObject({ rootCause: 'Secret/plinth-secrets/designate-credentials', hint: expect.stringContaining('plinth secrets set') });

    const html = await readFile(report, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/[^"<\s]*\.(css|js)/);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${report}`);
      expect(await page.title()).toBe('plinth doctor: mswa (fail)');
      const features = await page.locator('section.feature h2').allInnerTexts();
      expect(features.some((f) => f.includes('cert-manager'))).toBe(true);
      expect(features.some((f) => f.startsWith('✗ public-https'))).toBe(true);
      // The root cause comes first with what to do; the host's row keeps its chain and links to it.
      const cause = page.locator('#root-causes .cause').first();
      expect(await cause.locator('h3').innerText()).toContain('root cause 1: Secret/plinth-secrets/designate-credentials Missing');
      expect(await cause.locator('.hint').innerText()).toContain('plinth secrets set designate-credentials');
      const row = page.locator('#feature-public-https tr.fail').first();
      expect(await row.locator('.blocked a').getAttribute('href')).toBe('#cause-1');
      const chain = await row.locator('ol.chain > li code').allInnerTexts();
      expect(chain.at(-1)).toBe('Secret/plinth-secrets/designate-credentials');
      expect(chain).toContain('Challenge/production/web-tls-1-3129-2871');
      expect(await page.locator('#summary').innerText()).toMatch(/overall: fail/);
      // Visible, not just present: the hint is laid out on the page.
      expect(await cause.locator('.hint').isVisible()).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('--watch re-runs on one connection until stopped', async () => {
    const stop = new AbortController();
    const results: DoctorResult[] = [];
    await watchDoctor({ kubeconfig: cluster.control.kubeconfig }, doctorContext(), {
      intervalMs: 100,
      signal: stop.signal,
      onResult: (r) => {
        results.push(r);
        if (results.length === 2) stop.abort();
      },
    });
    expect(results).toHaveLength(2);
    expect(results[1]!.generatedAt >= results[0]!.generatedAt).toBe(true);
  });
});
