// The sso component on a real API server, scheduler and kwok nodes: applied as rendered, with what the oauth2-proxy
// chart and the operators would add; doctor passes it, then follows a host behind sign-in to the missing client secret.
import { beforeAll, describe, expect, it } from 'vitest';
import { publicIngressAnnotations } from '../../src/core/conventions.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { worldKey, writeStatus } from '../health-world.ts';
import { until, useControlPlane } from './live.ts';
import { buildHealthyPlatform, checkOf as check, configDir, passingCheckNames, platformConfig, reapplicable, ref, runDoctor } from './world.ts';

const cluster = useControlPlane();
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
const config = platformConfig('guarded', {
  'argo-cd': { sso: true },
  'cert-manager': { acmeEmail: 'ops@example.org' },
  'designate-webhook': {},
  traefik: { sso: true, extraObjects: [dashboard] },
  'external-dns': {},
  'external-secrets': {},
  'secret-generator': {},
  sso: { github: { org: 'acme-corp' } },
});
const MIDDLEWARE_CHECK = 'forwardAuth sso (the whole organisation): component argo-cd, component traefik';
let dir: string;

const run = () => runDoctor(cluster, dir);

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
    dir = await configDir(config);
    await buildHealthyPlatform(cluster, dir, { fit: (o) => (worldKey(o) === worldKey(proxyDeployment) ? proxyDeployment : undefined), objects: [proxyService] });
  }, 400_000);

  it('passes the proxy, its generated and delivered secrets, the Middleware, and the host behind it', async () => {
    const result = await run();
    expect(passingCheckNames(result, 'sso')).toEqual([
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
