// Istio in ambient mode, with Kiali, on a real API server, scheduler and kwok nodes: applied as rendered, with what
// the istio charts would add (istiod, the istio-cni and ztunnel DaemonSets); doctor passes it, then follows what breaks.
import { beforeAll, describe, expect, it } from 'vitest';
import { until, useControlPlane } from './live.ts';
import { buildHealthyPlatform, checkOf as check, configDir, platformConfig, ref, runDoctor, schedulableDaemonSet as daemonSet, workloadsReady } from './world.ts';

const cluster = useControlPlane();
const config = platformConfig('meshed', {
  'argo-cd': { ingress: false },
  'secret-generator': {},
  istio: { mode: 'ambient', ambientNamespaces: ['production'] },
  kiali: { ingress: false, prometheusUrl: 'http://prometheus.monitoring.svc:9090' },
});
let dir: string;

const run = () => runDoctor(cluster, dir);
const ZTUNNEL = 'ztunnel on every node: mTLS between ambient pods';
const CNI = "CNI node agent on every node: moves ambient pods' traffic to ztunnel";

describe('istio ambient mode and kiali on a real API server', () => {
  beforeAll(async () => {
    dir = await configDir(config);
    await buildHealthyPlatform(cluster, dir);
  }, 400_000);

  it('passes the mesh: istiod, the istio-cni and ztunnel DaemonSets by their chart names, the Gateway API CRDs, the ambient namespace; and Kiali', async () => {
    const result = await run();
    const istio = result.features.find((f) => f.id === 'istio')!;
    expect(istio.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(istio.checks.map((c) => c.ref)).toEqual(
      expect.arrayContaining([
        'Application/argocd/istiod',
        'Deployment/istio-system/istiod',
        'Application/argocd/istio-cni',
        'DaemonSet/istio-system/istio-cni-node',
        'Application/argocd/ztunnel',
        'DaemonSet/istio-system/ztunnel',
        'Application/argocd/gateway-api-crds',
        'Namespace/production',
      ]),
    );
    expect(check(result, 'istio', ZTUNNEL).message).toBe('1/1 nodes ready');
    expect(check(result, 'istio', CNI).message).toBe('1/1 nodes ready');
    // The ambient label is on the namespace as rendered.
    const production = await cluster.live.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'production' } });
    expect(production!.metadata.labels?.['istio.io/dataplane-mode']).toBe('ambient');
    const kiali = result.features.find((f) => f.id === 'kiali')!;
    expect(kiali.checks.filter((c) => c.status !== 'pass')).toEqual([]);
  });

  it('fails ztunnel when its pods cannot be scheduled, saying how many nodes run it and where to look', async () => {
    const ztunnel = ref('apps/v1', 'DaemonSet', 'ztunnel', 'istio-system');
    // More CPU than any node has: the scheduler leaves the pods pending, as on nodes too small for ztunnel's requests.
    await cluster.live.delete(ztunnel);
    await until('the old ztunnel gone', async () => ((await cluster.live.get(ztunnel)) ? undefined : true));
    await cluster.live.apply(daemonSet('ztunnel', 'istio-system', '1000'));
    const failing = await until('ztunnel assessed unready', async () => {
      const c = check(await run(), 'istio', ZTUNNEL);
      return c.status !== 'pass' && c.message.includes('0/1') ? c : undefined;
    }, 60);
    expect(failing.ref).toBe('DaemonSet/istio-system/ztunnel');
    expect(failing.message).toContain('0/1 nodes ready');
    expect(failing.hint).toContain('kubectl describe daemonset ztunnel -n istio-system');
    expect(failing.hint).toContain('ztunnel takes its certificates from istiod and its pods from istio-cni');

    await cluster.live.delete(ztunnel);
    await until('the unschedulable ztunnel gone', async () => ((await cluster.live.get(ztunnel)) ? undefined : true));
    await cluster.live.apply(daemonSet('ztunnel', 'istio-system'));
    await workloadsReady(cluster);
    expect(check(await run(), 'istio', ZTUNNEL).status).toBe('pass');
  });

  it('fails the CNI node agent when its DaemonSet is gone, pointing at the Application that installs it', async () => {
    const cni = ref('apps/v1', 'DaemonSet', 'istio-cni-node', 'istio-system');
    await cluster.live.delete(cni);
    const missing = await until('istio-cni-node reported missing', async () => {
      const c = check(await run(), 'istio', CNI);
      return c.status === 'fail' ? c : undefined;
    }, 60);
    expect(missing).toMatchObject({ status: 'fail', ref: 'DaemonSet/istio-system/istio-cni-node', message: 'does not exist' });
    expect(missing.hint).toContain("the cni chart's Application installs it: kubectl -n argocd get application istio-cni");
    await cluster.live.apply(daemonSet('istio-cni-node', 'istio-system'));
    await workloadsReady(cluster);
    expect(check(await run(), 'istio', CNI).status).toBe('pass');
  });
});
