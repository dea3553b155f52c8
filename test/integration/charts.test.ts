// A chart of `charts` on a real API server with kwok nodes: applied as rendered (its Application and custom resource),
// with the workloads the chart would run; doctor checks them like a component's, then fails the one that is gone.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { doctor, type DoctorResult } from '../../src/commands/doctor.ts';
import { apply } from '../../src/commands/live.ts';
import { tempDir, UPSTREAM } from '../helpers.ts';
import { healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { until, useControlPlane } from './live.ts';

const cluster = useControlPlane();

/** The CRD of a team's own operator, as its chart would install it. */
const GREETING_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'greetings.demo.example.org' },
  spec: {
    group: 'demo.example.org',
    names: { kind: 'Greeting', listKind: 'GreetingList', plural: 'greetings', singular: 'greeting' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { message: { type: 'string' } } } } } } }],
  },
};

const config = {
  name: 'charted',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: { 'argo-cd': { ingress: false } },
  charts: [
    {
      name: 'greeter',
      repo: 'oci://ghcr.io/example/charts',
      chart: 'greeter-operator',
      version: '1.4.0',
      namespace: 'greetings',
      needs: ['argo-cd'],
      health: [{ kind: 'Deployment', name: 'greeter-operator' }, { kind: 'DaemonSet', name: 'greeter-agent' }],
      extraObjects: [{ apiVersion: 'demo.example.org/v1', kind: 'Greeting', metadata: { name: 'hello', namespace: 'greetings' }, spec: { message: 'hello' } }],
    },
  ],
};
let dir: string;

const run = () => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));
const checks = (result: DoctorResult) => result.features.find((f) => f.id === 'greeter')!.checks;

/** The chart's agent as it would run it: a DaemonSet, whose pods the real controller puts on each kwok node. */
const daemonSet = (name: string, namespace: string): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': name } },
    template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] } },
  },
});

describe('a chart of charts on a real API server', () => {
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const crds = join(dir, 'crds');
    await cp(join(UPSTREAM, 'crds', 'argo-cd'), join(crds, 'argo-cd'), { recursive: true });
    await mkdir(join(crds, 'greeter'));
    await writeFile(join(crds, 'greeter', 'greetings.yaml'), JSON.stringify(GREETING_CRD));
    const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
    expect(applied.failed).toEqual([]);
    const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
    const world = healthyWorld(tree, new Date());
    for (const name of namespacesOf(world.objects)) await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
    for (const object of world.objects.filter((o) => !rendered.has(worldKey(o)) && o.kind !== 'ImageJob' && o.kind !== 'DaemonSet')) await cluster.live.apply(object);
    await cluster.live.apply(daemonSet('greeter-agent', 'greetings'));
    for (const object of world.objects.filter((o) => world.statuses.has(worldKey(o)) && !['Deployment', 'StatefulSet', 'DaemonSet', 'ImageJob'].includes(o.kind)))
      await writeStatus(cluster.live, object, world.statuses.get(worldKey(object))!);
    await until('the chart\'s workloads ready', async () => {
      const [deployment, agent] = await Promise.all([
        cluster.live.get({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'greeter-operator', namespace: 'greetings' } }),
        cluster.live.get({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'greeter-agent', namespace: 'greetings' } }),
      ]);
      const agentStatus = (agent?.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
      return ((deployment?.status as { readyReplicas?: number })?.readyReplicas ?? 0) > 0 && agentStatus.desiredNumberScheduled && agentStatus.numberReady === agentStatus.desiredNumberScheduled ? true : undefined;
    }, 120);
  }, 400_000);

  it('passes the chart like a component: its CRD served, its Application synced, its workloads ready', async () => {
    expect(checks(await run()).map((c) => [c.name, c.status])).toEqual([
      ['CRDs installed', 'pass'],
      ['synced by Argo CD', 'pass'],
      ['Deployment greeter-operator ready', 'pass'],
      ['DaemonSet greeter-agent ready', 'pass'],
    ]);
  });

  it('fails the workload that is gone, naming the chart and its health entry', async () => {
    await cluster.live.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'greeter-operator', namespace: 'greetings' } });
    const failed = checks(await run()).find((c) => c.name === 'Deployment greeter-operator ready')!;
    expect(failed).toMatchObject({ status: 'fail', ref: 'Deployment/greetings/greeter-operator', message: 'does not exist' });
    expect(failed.hint).toContain('the chart greeter-operator 1.4.0 runs it (charts[0].health)');
  });
});
