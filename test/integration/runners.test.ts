// The runners component on a real API server, scheduler and kwok nodes: applied as rendered, with what the ARC charts and
// controller would create (the controller Deployment, the AutoscalingRunnerSet, its listener); doctor passes it, then
// follows a runner set whose GitHub App is not in the store to the missing input.
import { readdir, readFile, writeFile } from 'node:fs/promises';
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
import { KubeError } from '../../src/kube/client.ts';
import { tempDir, UPSTREAM } from '../helpers.ts';
import { healthyStatus, healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { until, useControlPlane } from './live.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');
const now = new Date();
const config = {
  name: 'ci',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: {
    'argo-cd': { ingress: false },
    'external-secrets': {},
    runners: { sets: [{ name: 'linux', githubConfigUrl: 'https://github.com/acme', minRunners: 1 }] },
  },
};
let dir: string;

const run = () => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));
const check = (result: DoctorResult, name: string): DoctorCheck => {
  const found = result.features.find((f) => f.id === 'runners')?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}": ${JSON.stringify(result.features.find((f) => f.id === 'runners')?.checks.map((c) => c.name))}`);
  return found;
};
const ref = (apiVersion: string, kind: string, name: string, namespace: string): K8sObject => ({ apiVersion, kind, metadata: { name, namespace } });
/** The object as it was read, fit to apply again. */
const reapplicable = (kept: K8sObject): K8sObject => {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...metadata } = kept.metadata as Record<string, unknown>;
  return { ...kept, metadata: metadata as K8sObject['metadata'] };
};

async function buildPlatform(): Promise<void> {
  const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
  expect(applied.failed).toEqual([]);
  const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
  const world = healthyWorld(tree, now);
  // Not the rendered namespaces: applying them bare would drop the labels the render gives them.
  const renderedNamespaces = new Set(tree.objects.filter((o) => o.object.kind === 'Namespace').map((o) => o.object.metadata.name));
  for (const name of namespacesOf(world.objects).filter((n) => !renderedNamespaces.has(n)))
    await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  // The controller chart brings ARC's CRDs; apply installs only the CRDs of the kinds it applies.
  for (const file of await readdir(join(crds, 'arc-controller')))
    await cluster.live.apply(load(await readFile(join(crds, 'arc-controller', file), 'utf8')) as K8sObject);
  const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
  const fitted = new Map<string, K8sObject>();
  for (const object of world.objects.filter((o) => !rendered.has(worldKey(o)))) {
    // The chart renders the set from the Application's values: its URL and Secret as the controller reads them.
    const set = object.kind === 'AutoscalingRunnerSet' && { ...object, spec: { githubConfigUrl: 'https://github.com/acme', githubConfigSecret: 'linux-github', minRunners: 1, maxRunners: 5 } };
    if (set) fitted.set(worldKey(object), set);
    // Until the API server serves the CRD it was just given.
    await until(`${worldKey(object)} applied`, () => cluster.live.apply(set || object).then(() => true, (error) => (error instanceof KubeError && error.status === 404 ? undefined : Promise.reject(error))), 30, 250);
  }
  for (const object of world.objects.filter((o) => world.statuses.has(worldKey(o)) && !['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)))
    await writeStatus(cluster.live, object, (fitted.has(worldKey(object)) ? healthyStatus(fitted.get(worldKey(object))!, now) : world.statuses.get(worldKey(object)))!);
  await until('every Deployment ready', async () => {
    const deployments = await cluster.live.list('apps/v1', 'Deployment');
    const waiting = deployments.filter((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) < ((d.spec as { replicas?: number }).replicas ?? 1));
    return waiting.length === 0 ? true : undefined;
  }, 120);
}

describe('runners on a real API server', () => {
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    await buildPlatform();
  }, 400_000);

  it('passes the controller, the set, its GitHub App and its listener, and applies the isolation the render gives', async () => {
    const result = await run();
    const feature = result.features.find((f) => f.id === 'runners')!;
    expect(feature.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(feature.checks.map((c) => c.name)).toEqual([
      'CRDs installed',
      'synced by Argo CD',
      'ARC controller',
      'runner set linux: Application synced',
      'runner set linux: GitHub App delivered',
      'runner set linux: registered with GitHub',
      'runner set linux: listener waiting for jobs',
    ]);
    expect(check(result, 'runner set linux: registered with GitHub').message).toBe('running: 1 runners (1 running, 0 pending, 0 failed)');
    const policy = await cluster.live.get(ref('networking.k8s.io/v1', 'NetworkPolicy', 'runners-isolation', 'arc-runners'));
    expect(policy!.spec).toMatchObject({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect((policy!.spec as { ingress?: unknown[] }).ingress).toBeUndefined();
    const namespace = await cluster.live.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'arc-runners' } });
    expect(namespace!.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  it('follows a runner set missing its GitHub App through its Secret and ExternalSecret to the input, with the command that sets it', async () => {
    const input = ref('v1', 'Secret', 'runners-github-app', 'plinth-secrets');
    const delivered = ref('v1', 'Secret', 'linux-github', 'arc-runners');
    const externalSecret = ref('external-secrets.io/v1', 'ExternalSecret', 'linux-github', 'arc-runners');
    const set = ref('actions.github.com/v1alpha1', 'AutoscalingRunnerSet', 'linux', 'arc-runners');
    const kept = await Promise.all([cluster.live.get(input), cluster.live.get(delivered)]);
    await cluster.live.delete(input);
    await cluster.live.delete(delivered);
    // What External Secrets and the ARC controller then write: no secret to sync, no scale set registered.
    await writeStatus(cluster.live, externalSecret, {
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }],
    });
    await writeStatus(cluster.live, set, { phase: 'Pending', currentRunners: 0 });

    const result = await run();
    const registered = check(result, 'runner set linux: registered with GitHub');
    expect(registered.status).toBe('fail');
    expect(registered.chain!.map((step) => step.ref)).toEqual([
      'AutoscalingRunnerSet/arc-runners/linux',
      'Secret/arc-runners/linux-github',
      'ExternalSecret/arc-runners/linux-github',
      'Secret/plinth-secrets/runners-github-app',
    ]);
    expect(registered.hint).toBe(
      'the secret input runners-github-app is not in the store: run plinth secrets set runners-github-app appId, then plinth secrets set runners-github-app installationId, then plinth secrets set runners-github-app privateKey (plinth secrets list says where to get it); External Secrets picks it up at its next refresh',
    );
    expect(check(result, 'runner set linux: GitHub App delivered')).toMatchObject({ status: 'fail', message: expect.stringContaining('root cause: Secret/plinth-secrets/runners-github-app: does not exist') });

    for (const object of kept) await cluster.live.apply(reapplicable(object!));
    await writeStatus(cluster.live, externalSecret, { conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced' }] });
    await writeStatus(cluster.live, set, { phase: 'Running', currentRunners: 1, runningEphemeralRunners: 1 });
    expect(check(await run(), 'runner set linux: registered with GitHub').status).toBe('pass');
  });
});
