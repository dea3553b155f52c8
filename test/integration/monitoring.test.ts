// The monitoring component with grafana on a real API server, scheduler and kwok nodes: applied as rendered, with
// what kube-prometheus-stack and secret-generator would add; doctor passes it, then follows what breaks.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { doctor, type DoctorResult } from '../../src/commands/doctor.ts';
import { apply } from '../../src/commands/live.ts';
import type { DoctorCheck } from '../../src/health/doctor.ts';
import { tempDir, UPSTREAM } from '../helpers.ts';
import { healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { KubeError } from '../../src/kube/client.ts';
import { until, useControlPlane } from './live.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');
const now = new Date();
const config = {
  name: 'observed',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: {
    'argo-cd': { ingress: false },
    'external-secrets': {},
    'secret-generator': {},
    clustersecret: {},
    monitoring: { grafana: { ingress: false }, prometheus: { storage: { storageClass: 'kwok-volume' } } },
    grafana: {},
  },
};
let dir: string;

const run = () => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));
const check = (result: DoctorResult, feature: string, name: string): DoctorCheck => {
  const found = result.features.find((f) => f.id === feature)?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in ${feature}: ${JSON.stringify(result.features.find((f) => f.id === feature)?.checks.map((c) => c.name))}`);
  return found;
};
const ref = (apiVersion: string, kind: string, name: string, namespace: string): K8sObject => ({ apiVersion, kind, metadata: { name, namespace } });
/** The object as it was read, fit to apply again. */
const reapplicable = (kept: K8sObject): K8sObject => {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...metadata } = kept.metadata as Record<string, unknown>;
  return { ...kept, metadata: metadata as K8sObject['metadata'] };
};

/** node-exporter as the chart runs it: a DaemonSet, whose pods the real controller puts on each kwok node. */
const daemonSet = (name: string, namespace: string): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': name } },
    template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] } },
  },
});

async function buildPlatform(): Promise<void> {
  const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
  expect(applied.failed).toEqual([]);
  const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
  const world = healthyWorld(tree, now);
  for (const name of namespacesOf(world.objects)) await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
  // The chart brings the ServiceMonitor CRD; apply installs only the CRDs of the kinds it applies.
  await cluster.live.apply(load(await readFile(join(crds, 'prometheus-operator/monitoring.coreos.com_servicemonitors.yaml'), 'utf8')) as K8sObject);
  for (const object of world.objects.filter((o) => !rendered.has(worldKey(o)))) {
    const fitted = object.kind === 'DaemonSet' ? daemonSet(object.metadata.name, object.metadata.namespace!) : object;
    // Until the API server serves the CRD it was just given.
    await until(`${worldKey(object)} applied`, () => cluster.live.apply(fitted).then(() => true, (error) => (error instanceof KubeError && error.status === 404 ? undefined : Promise.reject(error))), 30, 250);
  }
  for (const object of world.objects.filter((o) => world.statuses.has(worldKey(o)) && !['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)))
    await writeStatus(cluster.live, object, world.statuses.get(worldKey(object))!);
  await until('every Deployment, StatefulSet and DaemonSet ready', async () => {
    const [deployments, sets, daemons] = await Promise.all(['Deployment', 'StatefulSet', 'DaemonSet'].map((kind) => cluster.live.list('apps/v1', kind)));
    const waiting = [...deployments!, ...sets!].filter((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) < ((d.spec as { replicas?: number }).replicas ?? 1));
    const daemonsWaiting = daemons!.filter((d) => {
      const s = (d.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
      return !s.desiredNumberScheduled || (s.numberReady ?? 0) < s.desiredNumberScheduled;
    });
    return waiting.length + daemonsWaiting.length === 0 ? true : undefined;
  }, 120);
}

describe('monitoring on a real API server', () => {
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    await buildPlatform();
  }, 400_000);

  it("passes the stack: operator, Prometheus, exporters, Grafana, its generated password and the exporters' ServiceMonitors", async () => {
    const result = await run();
    const feature = result.features.find((f) => f.id === 'monitoring')!;
    expect(feature.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(feature.checks.map((c) => c.name)).toEqual([
      'CRDs installed',
      'synced by Argo CD',
      'Prometheus Operator',
      'Prometheus',
      'node-exporter on every node',
      'kube-state-metrics',
      'Grafana admin password generated',
      'Grafana',
      "ServiceMonitor: Prometheus scrapes node-exporter's node metrics",
      "ServiceMonitor: Prometheus scrapes the kubelets' volume stats",
      "ServiceMonitor: Prometheus scrapes kube-state-metrics' pod and node states",
    ]);
    expect(check(result, 'monitoring', 'node-exporter on every node').message).toBe('1/1 nodes ready');
    expect(check(result, 'grafana', 'Grafana instance reachable by the operator').status).toBe('pass');
    expect(check(result, 'grafana', "the monitoring stack's Grafana admin login, copied here").status).toBe('pass');
  });

  it("fails the kubelet's ServiceMonitor when it is gone, naming the volume rules it leaves blind", async () => {
    const monitor = ref('monitoring.coreos.com/v1', 'ServiceMonitor', 'kube-prometheus-stack-kubelet', 'monitoring');
    const kept = (await cluster.live.get(monitor))!;
    await cluster.live.delete(monitor);
    const missing = check(await run(), 'monitoring', "ServiceMonitor: Prometheus scrapes the kubelets' volume stats");
    expect(missing).toMatchObject({ status: 'fail', ref: 'ServiceMonitor/monitoring/kube-prometheus-stack-kubelet', message: 'does not exist' });
    expect(missing.hint).toContain('plinth-volume');
    await cluster.live.apply(reapplicable(kept));
    expect(check(await run(), 'monitoring', "ServiceMonitor: Prometheus scrapes the kubelets' volume stats").status).toBe('pass');
  });

  it("follows Grafana's ungenerated password to the generator that is not running", async () => {
    const secret = ref('v1', 'Secret', 'grafana-admin', 'monitoring');
    const generator = ref('apps/v1', 'Deployment', 'kubernetes-secret-generator', 'secret-generator');
    const kept = await Promise.all([cluster.live.get(secret), cluster.live.get(generator)]);
    await cluster.live.delete(generator);
    await cluster.live.delete(secret);
    const password = check(await run(), 'monitoring', 'Grafana admin password generated');
    expect(password).toMatchObject({
      status: 'fail',
      message: 'Secret grafana-admin has not been generated; root cause: Deployment/secret-generator/kubernetes-secret-generator: does not exist',
    });
    expect(password.chain!.map((step) => `${step.ref}: ${step.message}`)).toEqual([
      'StringSecret/monitoring/grafana-admin: Secret grafana-admin has not been generated',
      'Deployment/secret-generator/kubernetes-secret-generator: does not exist',
    ]);
    for (const object of kept) await cluster.live.apply(reapplicable(object!));
    await until('the generator available again', async () => ((((await cluster.live.get(generator))?.status as { readyReplicas?: number })?.readyReplicas ?? 0) > 0 ? true : undefined));
    expect(check(await run(), 'monitoring', 'Grafana admin password generated').status).toBe('pass');
  });
});
