// The sso component on a real API server, scheduler and kwok nodes: applied as rendered, with what the oauth2-proxy
// chart and the operators would add; doctor passes it, then follows a host behind sign-in to the missing client secret.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import { publicIngressAnnotations } from '../../src/core/conventions.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { doctor, type DoctorResult } from '../../src/commands/doctor.ts';
import { apply } from '../../src/commands/live.ts';
import type { DoctorCheck } from '../../src/health/doctor.ts';
import { KubeError } from '../../src/kube/client.ts';
import { tempDir, UPSTREAM } from '../helpers.ts';
import { healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { until, useControlPlane } from './live.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');
const now = new Date();
const HOST = 'dashboard.example.org';
/** An Ingress of the user's beside Traefik, behind sign-in through the component's `sso`, like any host it publishes. */
const dashboard: K8sObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'dashboard', namespace: 'traefik', annotations: publicIngressAnnotations(HOST) },
  spec: {
    ingressClassName: 'traefik',
    tls: [{ hosts: [HOST], secretName: 'dashboard-tls' }],
    rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'dashboard', port: { number: 80 } } } }] } }],
  },
};
const config = {
  name: 'guarded',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: {
    'argo-cd': { sso: true },
    'cert-manager': { acmeEmail: 'ops@example.org' },
    'designate-webhook': {},
    traefik: { sso: true, extraObjects: [dashboard] },
    'external-dns': {},
    'external-secrets': {},
    'secret-generator': {},
    sso: { github: { org: 'acme-corp' } },
  },
};
const MIDDLEWARE_CHECK = 'forwardAuth sso (the whole organisation): component argo-cd, component traefik';
let dir: string;

const run = () => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));
const check = (result: DoctorResult, feature: string, name: string): DoctorCheck => {
  const found = result.features.find((f) => f.id === feature)?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in ${feature}: ${JSON.stringify(result.features.find((f) => f.id === feature)?.checks.map((c) => c.name))}`);
  return found;
};
const ref = (apiVersion: string, kind: string, name: string, namespace: string): K8sObject => ({ apiVersion, kind, metadata: { name, namespace } });
const reapplicable = (kept: K8sObject): K8sObject => {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...metadata } = kept.metadata as Record<string, unknown>;
  return { ...kept, metadata: metadata as K8sObject['metadata'] };
};

/**
 * The Deployment and Service the oauth2-proxy chart 10.7.0 renders from the component's values (templates/deployment.yaml
 * and service.yaml): the client id and secret from config.existingSecret, the cookie secret from extraEnv.
 */
const selector = { 'app.kubernetes.io/name': 'oauth2-proxy', 'app.kubernetes.io/instance': 'oauth2-proxy' };
const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
const proxyDeployment: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'oauth2-proxy', namespace: 'sso', labels: selector },
  spec: {
    replicas: 1,
    selector: { matchLabels: selector },
    template: {
      metadata: { labels: selector },
      spec: {
        containers: [
          {
            name: 'oauth2-proxy',
            image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.15.3',
            ports: [{ containerPort: 4180, name: 'http' }],
            env: [
              secretEnv('OAUTH2_PROXY_CLIENT_ID', 'sso-github-oauth', 'client-id'),
              secretEnv('OAUTH2_PROXY_CLIENT_SECRET', 'sso-github-oauth', 'client-secret'),
              secretEnv('OAUTH2_PROXY_COOKIE_SECRET', 'sso-cookie', 'cookie-secret'),
            ],
          },
        ],
      },
    },
  },
};
const proxyService: K8sObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'oauth2-proxy', namespace: 'sso' },
  spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
};

async function buildPlatform(): Promise<void> {
  const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
  expect(applied.failed).toEqual([]);
  const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
  const world = healthyWorld(tree, now);
  const objects = [...world.objects.map((o) => (worldKey(o) === worldKey(proxyDeployment) ? proxyDeployment : o)), proxyService];
  for (const name of namespacesOf(objects)) await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
  for (const object of objects.filter((o) => !rendered.has(worldKey(o))))
    await until(`${worldKey(object)} applied`, () => cluster.live.apply(object).then(() => true, (error) => (error instanceof KubeError && error.status === 404 ? undefined : Promise.reject(error))), 30, 250);
  for (const object of objects.filter((o) => world.statuses.has(worldKey(o)) && !['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)))
    await writeStatus(cluster.live, object, world.statuses.get(worldKey(object))!);
  await until('every Deployment ready', async () => {
    const deployments = await cluster.live.list('apps/v1', 'Deployment');
    return deployments.every((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) >= ((d.spec as { replicas?: number }).replicas ?? 1)) ? true : undefined;
  }, 120);
}

/**
 * What the kubelet reports for a pod whose Secret is missing: the container waits in CreateContainerConfigError, not
 * Ready. kwok runs every pod, so the proxy's pods get that status written; kwok leaves a pod that is not Pending alone.
 */
async function proxyPodsCannotStart(): Promise<void> {
  for (const pod of (await cluster.live.list('v1', 'Pod')).filter((p) => p.metadata.namespace === 'sso' && p.metadata.labels?.['app.kubernetes.io/name'] === 'oauth2-proxy'))
    await cluster.live.mergePatchStatus(ref('v1', 'Pod', pod.metadata.name, 'sso'), {
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [oauth2-proxy]' },
          { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [oauth2-proxy]' },
        ],
        containerStatuses: [
          {
            name: 'oauth2-proxy',
            image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.15.3',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "sso-github-oauth" not found' } },
          },
        ],
      },
    });
  await until('the proxy Deployment unavailable', async () => {
    const status = ((await cluster.live.get(ref('apps/v1', 'Deployment', 'oauth2-proxy', 'sso')))?.status ?? {}) as { availableReplicas?: number };
    return (status.availableReplicas ?? 0) === 0 ? true : undefined;
  }, 60);
}

describe('sso on a real API server', () => {
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    await buildPlatform();
  }, 400_000);

  it('passes the proxy, its generated and delivered secrets, the Middleware, and the host behind it', async () => {
    const result = await run();
    const feature = result.features.find((f) => f.id === 'sso')!;
    expect(feature.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(feature.checks.map((c) => c.name)).toEqual([
      'CRDs installed',
      'synced by Argo CD',
      'GitHub OAuth app credentials delivered',
      'cookie secret generated',
      'sign-in proxy (oauth2-proxy)',
      MIDDLEWARE_CHECK,
    ]);
    expect(check(result, 'public-https', `https://${HOST}`).status).toBe('pass');
  });

  it('follows the host behind sign-in, whose proxy misses its client secret, to the input absent from the store', async () => {
    const kept = await Promise.all([
      cluster.live.get(ref('v1', 'Secret', 'sso-github-oauth', 'plinth-secrets')),
      cluster.live.get(ref('v1', 'Secret', 'sso-github-oauth', 'sso')),
    ]);
    await cluster.live.delete(ref('v1', 'Secret', 'sso-github-oauth', 'plinth-secrets'));
    await cluster.live.delete(ref('v1', 'Secret', 'sso-github-oauth', 'sso'));
    // External Secrets' status when the store has no such key.
    await writeStatus(cluster.live, ref('external-secrets.io/v1', 'ExternalSecret', 'sso-github-oauth', 'sso'), {
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }],
    });
    await proxyPodsCannotStart();

    const result = await run();
    const expected = [
      'Deployment/sso/oauth2-proxy',
      'Secret/sso/sso-github-oauth Missing',
      'ExternalSecret/sso/sso-github-oauth Degraded',
      'Secret/plinth-secrets/sso-github-oauth Missing',
    ];
    const middleware = check(result, 'sso', MIDDLEWARE_CHECK);
    expect(middleware.status).toBe('fail');
    expect(middleware.chain!.map((s) => `${s.ref} ${s.health}`)).toEqual(['Middleware/sso/sso Degraded', expect.stringMatching(/^Deployment\/sso\/oauth2-proxy (Progressing|Degraded)$/), ...expected.slice(1)]);
    expect(middleware.message).toMatch(/^its forwardAuth Deployment sso\/oauth2-proxy is not available/);
    expect(middleware.hint).toContain('plinth secrets set sso-github-oauth client-id, then plinth secrets set sso-github-oauth client-secret');

    const host = check(result, 'public-https', `https://${HOST}`);
    expect(host.status).toBe('fail');
    expect(host.chain!.map((s) => s.ref)).toEqual(['Ingress/traefik/dashboard', 'Middleware/sso/sso', ...expected.map((e) => e.split(' ')[0])]);
    expect(host.chain![0]!.message).toMatch(/^every request waits on the sign-in of Middleware sso\/sso, which cannot answer/);
    expect(host.hint).toBe(middleware.hint);
    // The Deployment itself, checked on its own, ends at the same input.
    expect(check(result, 'sso', 'sign-in proxy (oauth2-proxy)').chain!.at(-1)!.ref).toBe('Secret/plinth-secrets/sso-github-oauth');

    for (const secret of kept) await cluster.live.apply(reapplicable(secret!));
    await writeStatus(cluster.live, ref('external-secrets.io/v1', 'ExternalSecret', 'sso-github-oauth', 'sso'), {
      conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced' }],
    });
    // A new pod, which now finds its Secret: kwok runs it.
    await cluster.live.mergePatch(ref('apps/v1', 'Deployment', 'oauth2-proxy', 'sso'), { spec: { template: { metadata: { annotations: { 'plinth.test/restarted': '1' } } } } });
    await until('the proxy available again', async () => {
      const d = await cluster.live.get(ref('apps/v1', 'Deployment', 'oauth2-proxy', 'sso'));
      const status = (d?.status ?? {}) as { availableReplicas?: number; updatedReplicas?: number; replicas?: number };
      return status.availableReplicas === 1 && status.updatedReplicas === 1 && status.replicas === 1 ? true : undefined;
    }, 60);
    expect(check(await run(), 'public-https', `https://${HOST}`).status).toBe('pass');
  });
});
