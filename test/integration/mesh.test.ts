// Istio in ambient mode, with Kiali, on a real API server, scheduler and kwok nodes: applied as rendered, with what
// the istio charts would add (istiod, the istio-cni and ztunnel DaemonSets); doctor passes it, then follows what breaks.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
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
const config = {
  name: 'meshed',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: {
    'argo-cd': { ingress: false },
    'secret-generator': {},
    istio: { mode: 'ambient', ambientNamespaces: ['production'] },
    kiali: { ingress: false, prometheusUrl: 'http://prometheus.monitoring.svc:9090' },
  },
};
let dir: string;

const run = () => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));
const check = (result: DoctorResult, feature: string, name: string): DoctorCheck => {
  const found = result.features.find((f) => f.id === feature)?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in ${feature}: ${JSON.stringify(result.features.find((f) => f.id === feature)?.checks.map((c) => c.name))}`);
  return found;
};
const ZTUNNEL = 'ztunnel on every node: mTLS between ambient pods';
const CNI = "CNI node agent on every node: moves ambient pods' traffic to ztunnel";
const ref = (apiVersion: string, kind: string, name: string, namespace: string): K8sObject => ({ apiVersion, kind, metadata: { name, namespace } });

/** A node agent as the istio charts run it: a DaemonSet, whose pods the real controller puts on each kwok node. */
const daemonSet = (name: string, namespace: string, cpu = '10m'): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu } } }] },
    },
  },
});

const daemonSetsReady = () =>
  until('every Deployment and DaemonSet ready', async () => {
    const [deployments, daemons] = await Promise.all(['Deployment', 'DaemonSet'].map((kind) => cluster.live.list('apps/v1', kind)));
    const waiting = deployments!.filter((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) < ((d.spec as { replicas?: number }).replicas ?? 1));
    const daemonsWaiting = daemons!.filter((d) => {
      const s = (d.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
      return !s.desiredNumberScheduled || (s.numberReady ?? 0) < s.desiredNumberScheduled;
    });
    return waiting.length + daemonsWaiting.length === 0 ? true : undefined;
  }, 120);

async function buildMesh(): Promise<void> {
  const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
  expect(applied.failed).toEqual([]);
  const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
  const world = healthyWorld(tree, now);
  for (const name of namespacesOf(world.objects)) await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
  for (const object of world.objects.filter((o) => !rendered.has(worldKey(o)))) {
    const fitted = object.kind === 'DaemonSet' ? daemonSet(object.metadata.name, object.metadata.namespace!) : object;
    await until(`${worldKey(object)} applied`, () => cluster.live.apply(fitted).then(() => true, (error) => (error instanceof KubeError && error.status === 404 ? undefined : Promise.reject(error))), 30, 250);
  }
  for (const object of world.objects.filter((o) => world.statuses.has(worldKey(o)) && !['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)))
    await writeStatus(cluster.live, object, world.statuses.get(worldKey(object))!);
  await daemonSetsReady();
}

describe('istio ambient mode and kiali on a real API server', () => {
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    await buildMesh();
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
    await daemonSetsReady();
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
    await daemonSetsReady();
    expect(check(await run(), 'istio', CNI).status).toBe('pass');
  });
});
