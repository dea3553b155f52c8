// A chart of `charts` on a real API server with kwok nodes: applied as rendered (its Application and custom resource),
// with the workloads the chart would run; doctor checks them like a component's, then fails the one that is gone.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DoctorResult } from '../../src/commands/doctor.ts';
import { greeterChart } from '../helpers.ts';
import { useControlPlane } from './live.ts';
import { buildHealthyPlatform, configDir, platformConfig, runDoctor, UPSTREAM_CRDS } from './world.ts';

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

const config = platformConfig('charted', { 'argo-cd': { ingress: false } }, {
  charts: [
    {
      ...greeterChart(),
      health: [{ kind: 'Deployment', name: 'greeter-operator' }, { kind: 'DaemonSet', name: 'greeter-agent' }],
      extraObjects: [{ apiVersion: 'demo.example.org/v1', kind: 'Greeting', metadata: { name: 'hello', namespace: 'greetings' }, spec: { message: 'hello' } }],
    },
  ],
});
let dir: string;

const run = () => runDoctor(cluster, dir);
const checks = (result: DoctorResult) => result.features.find((f) => f.id === 'greeter')!.checks;

describe('a chart of charts on a real API server', () => {
  beforeAll(async () => {
    dir = await configDir(config);
    const crds = join(dir, 'crds');
    await cp(join(UPSTREAM_CRDS, 'argo-cd'), join(crds, 'argo-cd'), { recursive: true });
    await mkdir(join(crds, 'greeter'));
    await writeFile(join(crds, 'greeter', 'greetings.yaml'), JSON.stringify(GREETING_CRD));
    await buildHealthyPlatform(cluster, dir, { crds });
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
