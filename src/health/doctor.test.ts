import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { REPO } from '../../test/helpers.ts';
import { FREIGHT, healthyNode, healthyWorld, LB_IP, withStatuses } from '../../test/health-world.ts';
import type { HostLookup } from './dns.ts';
import { BUILT_IN_GROUPS, groupOf } from '../core/render.ts';
import { BOOTSTRAP_HINT, diagnose, findRootCauses, kindsToRead, publicHosts, summarize, type Feature } from './doctor.ts';
import { snapshotOf } from './snapshot.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
const world = () => [...withStatuses(healthyWorld(tree, NOW, { apiServices: true })), healthyNode('worker-0')];
const failing = (features: Feature[]) => features.flatMap((f) => f.checks.filter((c) => c.status === 'fail').map((c) => `${f.id}: ${c.name}: ${c.message}`));
const check = (features: Feature[], feature: string, name: string) => features.find((f) => f.id === feature)?.checks.find((c) => c.name === name);
const replace = (objects: K8sObject[], kind: string, name: string, change: (o: K8sObject) => K8sObject | undefined) =>
  objects.flatMap((o) => (o.kind === kind && o.metadata.name === name ? [change(o)].filter(Boolean) as K8sObject[] : [o]));

describe('doctor on the default platform (synthetic snapshots)', () => {
  it('passes everything on a working platform, with a feature per component, public hosts, each app and the nodes', () => {
    const features = diagnose(tree, snapshotOf(world(), { now: NOW }));
    expect(failing(features)).toEqual([]);
    expect(features.filter((f) => f.status === 'warn').map((f) => f.id)).toEqual([]);
    expect(features.map((f) => f.id)).toEqual([...tree.components.map((c) => c.id), 'public-https', 'app:api', 'app:video-worker', 'app:web', 'nodes']);
    expect(check(features, 'public-https', 'https://mswa.cis240470.projects.jetstream-cloud.org')?.message).toContain('valid until 2026-07-31');
    expect(check(features, 'app:web', 'stage production: promoted the latest Freight')?.message).toBe(`runs the latest Freight ${FREIGHT.slice(0, 7)}`);
  });

  it('fails an alert rule\'s missing scrape target, naming the rules that cannot fire and what makes the monitor', () => {
    const objects = replace(world(), 'ServiceMonitor', 'cert-manager', () => undefined);
    const features = diagnose(tree, snapshotOf(objects, { now: NOW }));
    const monitor = check(features, 'cert-manager', 'ServiceMonitor: Prometheus scrapes the certificate metrics')!;
    expect(monitor).toMatchObject({ status: 'fail', ref: 'ServiceMonitor/cert-manager/cert-manager', message: 'does not exist' });
    expect(monitor.hint).toContain('the rules plinth-certificate-expiry, plinth-certificate-not-ready never fire');
    expect(monitor.hint).toContain('components.grafana.scrapeLabels');
    expect(check(features, 'cloudnative-pg', 'PodMonitor: Prometheus scrapes PostgreSQL server main')?.status).toBe('pass');
  });

  it('says where the monitoring CRDs come from when the cluster serves none', () => {
    const objects = world().filter((o) => o.apiVersion !== 'monitoring.coreos.com/v1');
    const notServed = ['ServiceMonitor', 'PodMonitor'].map((kind) => ({ apiVersion: 'monitoring.coreos.com/v1', kind }));
    const features = diagnose(tree, snapshotOf(objects, { now: NOW, notServed }));
    const crds = check(features, 'cert-manager', 'CRDs installed');
    expect(crds?.status).toBe('fail');
    expect(crds?.hint).toMatch(/^the cluster's Prometheus Operator installs the ServiceMonitor and PodMonitor CRDs/);
  });

  it('fails the public host and the webhook when the Designate credentials are not in the store, with the command that fixes it', () => {
    let objects = world();
    objects = replace(objects, 'Secret', 'designate-credentials', () => undefined);
    objects = replace(objects, 'ExternalSecret', 'designate-credentials', (o) => ({ ...o, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }] } }));
    objects = replace(objects, 'Certificate', 'web-tls', (o) => ({ ...o, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }] } }));
    objects.push(
      { apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', metadata: { name: 'web-tls-1', namespace: 'production', annotations: { 'cert-manager.io/certificate-name': 'web-tls' } }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Pending', message: 'Waiting on certificate issuance' }] } },
      { apiVersion: 'acme.cert-manager.io/v1', kind: 'Order', metadata: { name: 'web-tls-1-1', namespace: 'production', ownerReferences: [{ kind: 'CertificateRequest', name: 'web-tls-1' }] }, status: { state: 'pending' } },
      {
        apiVersion: 'acme.cert-manager.io/v1',
        kind: 'Challenge',
        metadata: { name: 'web-tls-1-1-1', namespace: 'production', ownerReferences: [{ kind: 'Order', name: 'web-tls-1-1' }] },
        spec: { solver: { dns01: { webhook: { groupName: 'acme.syseleven.de', solverName: 'designatedns' } } } },
        status: { state: 'pending', reason: 'Error presenting challenge: the server could not find the requested resource' },
      },
    );
    const features = diagnose(tree, snapshotOf(objects, { now: NOW }));
    const host = check(features, 'public-https', 'https://mswa.cis240470.projects.jetstream-cloud.org')!;
    expect(host.status).toBe('fail');
    expect(host.chain!.map((s) => s.ref)).toEqual([
      'Ingress/production/web',
      'Certificate/production/web-tls',
      'CertificateRequest/production/web-tls-1',
      'Order/production/web-tls-1-1',
      'Challenge/production/web-tls-1-1-1',
      'Secret/cert-manager/designate-credentials',
      'ExternalSecret/cert-manager/designate-credentials',
      'Secret/plinth-secrets/designate-credentials',
    ]);
    expect(host.hint).toMatch(/^the secret input designate-credentials is not in the store: run plinth secrets set designate-credentials \S+/);
    const webhook = check(features, 'designate-webhook', 'OpenStack application credential delivered')!;
    expect(webhook.status).toBe('fail');
    expect(webhook.chain!.at(-1)!.ref).toBe('Secret/plinth-secrets/designate-credentials');
    expect(summarize(features).fail).toBeGreaterThanOrEqual(2);
  });

  it('fails a public host whose DNS record external-dns cannot publish, down to the missing credentials', () => {
    let objects = world();
    objects = replace(objects, 'Secret', 'designate-credentials', () => undefined);
    objects = replace(objects, 'Secret', 'external-dns-clouds-yaml', () => undefined);
    objects = replace(objects, 'ExternalSecret', 'external-dns-clouds-yaml', (o) => ({ ...o, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }] } }));
    const features = diagnose(tree, snapshotOf(objects, { now: NOW }));
    const host = check(features, 'public-https', 'https://mswa.cis240470.projects.jetstream-cloud.org')!;
    expect(host.status).toBe('fail');
    expect(host.message).toMatch(/^the DNS record of mswa.cis240470.projects.jetstream-cloud.org is not kept up to date: could not get secret data from provider/);
    expect(host.chain!.map((s) => s.ref)).toEqual(['Ingress/production/web', 'ExternalSecret/external-dns/external-dns-clouds-yaml', 'Secret/plinth-secrets/designate-credentials']);
    expect(host.hint).toContain('plinth secrets set designate-credentials');
  });

  it('looks each public host up in DNS: resolving to the Ingress address passes, no record fails, another address warns', () => {
    const HOST = 'mswa.cis240470.projects.jetstream-cloud.org';
    // The default config's staging stage is served at staging-<host>.
    expect(publicHosts(tree)).toEqual([HOST, `staging-${HOST}`]);
    const run = (lookup: HostLookup) => check(diagnose(tree, snapshotOf(world(), { now: NOW }), 'argocd', new Map([[HOST, lookup]])), 'public-https', `https://${HOST}`)!;
    const ok = run({ addresses: [LB_IP] });
    expect(ok.status).toBe('pass');
    expect(ok.message).toContain(`${HOST} resolves to ${LB_IP}`);
    const missing = run({ error: 'no A or AAAA record', missing: true });
    expect(missing).toMatchObject({ status: 'fail', health: 'Missing', message: `${HOST} does not resolve: no A or AAAA record` });
    expect(missing.hint).toContain(`kubectl -n external-dns logs deploy/external-dns | grep ${HOST}`);
    const elsewhere = run({ addresses: ['198.51.100.7'] });
    expect(elsewhere).toMatchObject({ status: 'warn', message: `${HOST} resolves to 198.51.100.7, but its Ingress is served at ${LB_IP}` });
    const unreachable = run({ error: 'DNS did not answer (ETIMEOUT)', missing: false });
    expect(unreachable).toMatchObject({ status: 'warn', health: 'Unknown', message: `could not look ${HOST} up: DNS did not answer (ETIMEOUT)` });
    expect(unreachable.hint).toContain('--dns-server');
  });

  it('reports missing CRDs once per component and skips the checks of kinds that are not served', () => {
    const objects = world().filter((o) => !o.apiVersion.startsWith('cert-manager.io/') && !o.apiVersion.startsWith('acme.cert-manager.io/'));
    const notServed = ['Certificate', 'ClusterIssuer', 'CertificateRequest'].map((kind) => ({ apiVersion: 'cert-manager.io/v1', kind }));
    const features = diagnose(tree, snapshotOf(objects, { now: NOW, notServed }));
    const crds = check(features, 'cert-manager', 'CRDs installed')!;
    expect(crds).toMatchObject({ status: 'fail', message: 'the cluster serves no ClusterIssuer (cert-manager.io/v1)' });
    expect(crds.hint).toContain('the cert-manager chart installs these CRDs');
    expect(check(features, 'cert-manager', "Let's Encrypt production issuer")?.status).toBe('skip');
    expect(check(features, 'public-https', 'https://mswa.cis240470.projects.jetstream-cloud.org')?.hint).toContain('the cert-manager chart installs this CRD');
  });

  it('warns when the first stage has not promoted the latest Freight, and fails when its Application is out of sync', () => {
    let objects = replace(world(), 'Warehouse', 'api', (o) => ({ ...o, status: { ...(o.status as object), lastFreightID: 'ffff0000' + FREIGHT.slice(8) } }));
    let features = diagnose(tree, snapshotOf(objects, { now: NOW }));
    expect(check(features, 'app:api', 'stage production: promoted the latest Freight')).toMatchObject({ status: 'warn', message: `runs Freight ${FREIGHT.slice(0, 7)}, the latest is ffff000: auto-promotion has not run` });

    objects = replace(objects, 'Application', 'api-production', (o) => ({
      ...o,
      status: { sync: { status: 'OutOfSync' }, health: { status: 'Degraded', message: 'Deployment "api" exceeded its progress deadline' }, resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'production', name: 'api', status: 'Synced', health: { status: 'Degraded', message: 'Deployment "api" exceeded its progress deadline' } }] },
    }));
    objects = replace(objects, 'Deployment', 'api', (o) => (o.metadata.namespace === 'production' ? { ...o, status: { replicas: 2, updatedReplicas: 2, availableReplicas: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-1" has timed out progressing.' }] } } : o));
    features = diagnose(tree, snapshotOf(objects, { now: NOW }));
    const app = check(features, 'app:api', 'Application api-production Synced and Healthy')!;
    expect(app.status).toBe('fail');
    expect(app.chain!.map((s) => s.ref)).toEqual(['Application/argocd/api-production', 'Deployment/production/api']);
    expect(app.chain!.at(-1)!.message).toContain('timed out progressing');
  });

  it('warns and fails on disk taken by images, naming the largest (the Eraser incident)', () => {
    const GB = 1e9;
    const objects = [...world().filter((o) => o.kind !== 'Node'), healthyNode('worker-0', [32 * GB, 32 * GB, 6 * GB], '75Gi'), healthyNode('worker-1', [32 * GB, 25 * GB], '75Gi')];
    const features = diagnose(tree, snapshotOf(objects, { now: NOW }));
    const full = check(features, 'nodes', 'disk of worker-0')!;
    expect(full.status).toBe('fail');
    expect(full.message).toMatch(/^images take 70\.0 GB of 80\.5 GB \(87%\)/);
    expect(full.message).toContain('registry.example.org/image-0:1 (32.0 GB)');
    expect(check(features, 'nodes', 'disk of worker-1')?.status).toBe('warn');
  });

  it('says Unknown, not broken, for what it may not read', () => {
    const objects = world().filter((o) => o.kind !== 'Node' && o.kind !== 'ClusterSecretStore');
    const unreadable = new Map([
      ['/Node', 'list Node: nodes is forbidden'],
      ['external-secrets.io/ClusterSecretStore', 'list ClusterSecretStore: forbidden'],
    ]);
    const features = diagnose(tree, snapshotOf(objects, { now: NOW, unreadable }));
    expect(check(features, 'nodes', 'nodes')).toMatchObject({ status: 'warn', health: 'Unknown', message: 'cannot list nodes: list Node: nodes is forbidden' });
    expect(check(features, 'external-secrets', 'store reading the plinth-secrets namespace (Ready)')).toMatchObject({ status: 'warn', health: 'Unknown' });
  });

  it('lists each kind once, whatever the number of objects', () => {
    const { list, probe } = kindsToRead(tree);
    const keys = list.map((k) => `${k.apiVersion}/${k.kind}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(list.find((k) => k.kind === 'Secret')).toMatchObject({ metadataOnly: true });
    expect(probe.every((p) => !keys.includes(`${p.apiVersion}/${p.kind}`))).toBe(true);
  });
});

describe('root causes that several checks share', () => {
  const causesOf = (objects: K8sObject[], options: Parameters<typeof snapshotOf>[1] = {}) => {
    const snapshot = snapshotOf(objects, { now: NOW, ...options });
    return findRootCauses(tree, snapshot, diagnose(tree, snapshot));
  };

  it('on an empty cluster, puts every check of what Argo CD delivers under one cause: Argo CD is not installed, run plinth bootstrap', () => {
    const { list, probe } = kindsToRead(tree);
    const notServed = [...list, ...probe].filter((k) => !BUILT_IN_GROUPS.has(groupOf(k.apiVersion)));
    const { features, rootCauses } = causesOf([healthyNode('worker-0')], { notServed });
    expect(rootCauses.map((c) => c.id)).toEqual(['argo-cd']);
    const [argo] = rootCauses;
    expect(argo).toMatchObject({ status: 'fail', title: 'Argo CD is not installed', hint: BOOTSTRAP_HINT });
    expect(argo!.hint).toMatch(/^run `plinth bootstrap`/);
    expect(argo!.message).toContain('Application (argoproj.io/v1alpha1)');
    const notPassing = features.flatMap((f) => f.checks.filter((c) => c.status !== 'pass').map((c) => ({ feature: f.id, ...c })));
    expect(notPassing.length).toBeGreaterThan(70);
    // Every check that does not pass waits on it, and the nodes, which exist without Argo CD, still pass on their own.
    expect(notPassing.filter((c) => c.rootCause !== 'argo-cd')).toEqual([]);
    expect(argo!.checks).toHaveLength(notPassing.length);
    expect(features.find((f) => f.id === 'nodes')!.checks.every((c) => c.status === 'pass' && !c.rootCause)).toBe(true);
    // The per-check hints no longer send the user to an Application nothing reconciles.
    expect(check(features, 'argo-cd', 'synced by Argo CD')!.hint).toContain('plinth bootstrap');
    expect(check(features, 'argo-cd', 'API server and UI')!.hint).toContain('plinth bootstrap');
  });

  it('counts Argo CD as not installed when its CRDs are there but its API server is not', () => {
    const { rootCauses } = causesOf(world().filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'argocd-server')));
    expect(rootCauses[0]).toMatchObject({ id: 'argo-cd', message: 'Deployment argocd/argocd-server (its API server) does not exist', hint: BOOTSTRAP_HINT });
  });

  it('groups the checks whose chains end at the same missing secret input, and leaves a check with a cause of its own alone', () => {
    let objects = world();
    objects = replace(objects, 'Secret', 'designate-credentials', () => undefined);
    objects = replace(objects, 'Secret', 'external-dns-clouds-yaml', () => undefined);
    objects = replace(objects, 'ExternalSecret', 'designate-credentials', (o) => ({ ...o, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }] } }));
    objects = replace(objects, 'ExternalSecret', 'external-dns-clouds-yaml', (o) => ({ ...o, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }] } }));
    objects = replace(objects, 'Deployment', 'keda-operator', (o) => ({ ...o, status: { replicas: 1, availableReplicas: 0, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] } }));
    const { features, rootCauses } = causesOf(objects);
    const secret = rootCauses.find((c) => c.id === 'Secret/plinth-secrets/designate-credentials')!;
    expect(secret).toMatchObject({ status: 'fail', title: 'Secret/plinth-secrets/designate-credentials Missing', message: 'does not exist', ref: 'Secret/plinth-secrets/designate-credentials' });
    expect(secret.hint).toContain('plinth secrets set designate-credentials');
    expect(secret.checks.map((c) => c.feature)).toEqual(expect.arrayContaining(['external-dns', 'designate-webhook', 'public-https']));
    expect(rootCauses.map((c) => c.id)).not.toContain('argo-cd');
    const keda = check(features, 'keda', 'operator: turns ScaledObjects into HPAs')!;
    expect(keda.status).toBe('warn');
    expect(keda.rootCause).toBeUndefined();
  });

  it("puts what a component's unsynced Application has not created yet under that Application's cause", () => {
    let objects = world().filter((o) => !(o.metadata.namespace === 'keda' && o.kind === 'Deployment'));
    objects = replace(objects, 'Application', 'keda', (o) => ({ ...o, status: { sync: { status: 'OutOfSync' }, health: { status: 'Missing' }, conditions: [{ type: 'ComparisonError', message: 'failed to load target state: chart keda 2.20.2 not found' }] } }));
    const { features, rootCauses } = causesOf(objects);
    const keda = features.find((f) => f.id === 'keda')!;
    const synced = check(features, 'keda', 'synced by Argo CD')!;
    expect(synced.status).toBe('fail');
    const cause = rootCauses.find((c) => c.id === synced.rootCause)!;
    expect(cause.ref).toBe('Application/argocd/keda');
    expect(keda.checks.filter((c) => c.status === 'fail' && c.rootCause !== cause.id).map((c) => c.name)).toEqual([]);
    expect(cause.checks.filter((c) => c.feature === 'keda').length).toBeGreaterThanOrEqual(3);
  });

  it('has no root causes on a working platform', () => {
    expect(causesOf(world()).rootCauses).toEqual([]);
  });
});
