// The logging component on a real API server with kwok nodes: applied as rendered, with what logging-operator and
// External Secrets would add; doctor passes it, then follows an output that cannot read its bucket credentials.
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
import { tempDir, UPSTREAM } from '../helpers.ts';
import { healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { until, useControlPlane } from './live.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');
const config = {
  name: 'shipped',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: {
    'argo-cd': { ingress: false },
    'external-secrets': {},
    logging: { bucket: 'cluster-logs', endpoint: 'https://swift.example.org', excludeNamespaces: ['kube-system'] },
  },
};
let dir: string;

const run = () => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));
const check = (result: DoctorResult, name: string): DoctorCheck => {
  const found = result.features.find((f) => f.id === 'logging')?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}": ${JSON.stringify(result.features.find((f) => f.id === 'logging')?.checks.map((c) => c.name))}`);
  return found;
};
const ref = (apiVersion: string, kind: string, name: string, namespace?: string): K8sObject => ({ apiVersion, kind, metadata: { name, ...(namespace && { namespace }) } });

/** fluent-bit as the operator runs it: a DaemonSet, whose pods the real controller puts on each kwok node. */
const daemonSet = (name: string, namespace: string): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': name } },
    template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] } },
  },
});

describe('logging on a real API server', () => {
  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
    expect(applied.failed).toEqual([]);
    const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
    const world = healthyWorld(tree, new Date());
    for (const name of namespacesOf(world.objects)) await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
    // The world's eraser ImageJob belongs to a component this config leaves off.
    for (const object of world.objects.filter((o) => !rendered.has(worldKey(o)) && o.kind !== 'ImageJob'))
      await cluster.live.apply(object.kind === 'DaemonSet' ? daemonSet(object.metadata.name, object.metadata.namespace!) : object);
    for (const object of world.objects.filter((o) => world.statuses.has(worldKey(o)) && !['Deployment', 'StatefulSet', 'ImageJob'].includes(o.kind)))
      await writeStatus(cluster.live, object, world.statuses.get(worldKey(object))!);
    // What the operator writes on an output and a flow it could configure (logging.banzaicloud.io v1beta1 OutputStatus/FlowStatus).
    for (const kind of ['ClusterOutput', 'ClusterFlow'])
      await writeStatus(cluster.live, ref('logging.banzaicloud.io/v1beta1', kind, kind === 'ClusterOutput' ? 's3' : 'all-containers', 'logging'), { active: true });
    await until('every workload ready', async () => {
      const [deployments, sets, daemons] = await Promise.all(['Deployment', 'StatefulSet', 'DaemonSet'].map((kind) => cluster.live.list('apps/v1', kind)));
      const waiting = [...deployments!, ...sets!].filter((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) < ((d.spec as { replicas?: number }).replicas ?? 1));
      const daemonsWaiting = daemons!.filter((d) => {
        const s = (d.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
        return !s.desiredNumberScheduled || (s.numberReady ?? 0) < s.desiredNumberScheduled;
      });
      return waiting.length + daemonsWaiting.length === 0 ? true : undefined;
    }, 120);
  }, 400_000);

  it('passes the pipeline: operator, fluentd, fluent-bit on every node, the bucket output and its credentials', async () => {
    const feature = (await run()).features.find((f) => f.id === 'logging')!;
    expect(feature.checks.map((c) => [c.name, c.status])).toEqual([
      ['CRDs installed', 'pass'],
      ['synced by Argo CD', 'pass'],
      ['operator', 'pass'],
      ['fluentd, which writes to the bucket', 'pass'],
      ["fluent-bit on every node, reading the containers' logs", 'pass'],
      ['the bucket output (its status lists the problems fluentd found)', 'pass'],
      ['bucket credentials delivered', 'pass'],
    ]);
  });

  it('follows the output that cannot read its bucket credentials to the secret input missing from the store', async () => {
    await cluster.live.delete(ref('v1', 'Secret', 'logging-s3', 'plinth-secrets'));
    await cluster.live.delete(ref('v1', 'Secret', 'logging-s3', 'logging'));
    await writeStatus(cluster.live, ref('external-secrets.io/v1', 'ExternalSecret', 'logging-s3', 'logging'), {
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }],
    });
    // The operator lists each Secret the output names and it cannot load (pkg/resources/model/reconciler.go checkSecrets).
    await writeStatus(cluster.live, ref('logging.banzaicloud.io/v1beta1', 'ClusterOutput', 's3', 'logging'), { active: false, problems: ['secrets "logging-s3" not found'] });

    const output = check(await run(), 'the bucket output (its status lists the problems fluentd found)');
    expect(output.status).toBe('fail');
    expect(output.chain!.map((step) => `${step.ref} ${step.health}`)).toEqual([
      'ClusterOutput/logging/s3 Degraded',
      'Secret/logging/logging-s3 Missing',
      'ExternalSecret/logging/logging-s3 Degraded',
      'Secret/plinth-secrets/logging-s3 Missing',
    ]);
    expect(output.chain![0]!.message).toBe('secrets "logging-s3" not found');
    expect(output.hint).toContain('plinth secrets set logging-s3 accessKeyId');
    expect(output.hint).toContain('secretAccessKey');
  });
});
