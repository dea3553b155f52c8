// The monitoring component with grafana on a real API server, scheduler and kwok nodes: applied as rendered, with
// what kube-prometheus-stack and secret-generator would add; doctor passes it, then follows what breaks.
import { beforeAll, describe, expect, it } from 'vitest';
import { until, useControlPlane } from './live.ts';
import { buildHealthyPlatform, checkOf as check, configDir, passingCheckNames, platformConfig, reapplicable, ref, runDoctor } from './world.ts';

const cluster = useControlPlane();
const config = platformConfig('observed', {
  'argo-cd': { ingress: false },
  'external-secrets': {},
  'secret-generator': {},
  clustersecret: {},
  monitoring: { grafana: { ingress: false }, prometheus: { storage: { storageClass: 'kwok-volume' } } },
  grafana: {},
});
let dir: string;

const run = () => runDoctor(cluster, dir);

describe('monitoring on a real API server', () => {
  beforeAll(async () => {
    dir = await configDir(config);
    // The chart brings the ServiceMonitor CRD; apply installs only the CRDs of the kinds it applies.
    await buildHealthyPlatform(cluster, dir, { chartCrds: ['prometheus-operator/monitoring.coreos.com_servicemonitors.yaml'] });
  }, 400_000);

  it("passes the stack: operator, Prometheus, exporters, Grafana, its generated password and the exporters' ServiceMonitors", async () => {
    const result = await run();
    expect(passingCheckNames(result, 'monitoring')).toEqual([
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
