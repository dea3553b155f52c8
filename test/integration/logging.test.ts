// The logging component on a real API server with kwok nodes: applied as rendered, with what logging-operator and
// External Secrets would add; doctor passes it, then follows an output that cannot read its bucket credentials.
import { beforeAll, describe, expect, it } from 'vitest';
import type { DoctorResult } from '../../src/commands/doctor.ts';
import { writeStatus } from '../health-world.ts';
import { useControlPlane } from './live.ts';
import { buildHealthyPlatform, checkOf, configDir, platformConfig, ref, runDoctor } from './world.ts';

const cluster = useControlPlane();
const config = platformConfig('shipped', {
  'argo-cd': { ingress: false },
  'external-secrets': {},
  logging: { bucket: 'cluster-logs', endpoint: 'https://swift.example.org', excludeNamespaces: ['kube-system'] },
});
let dir: string;

const run = () => runDoctor(cluster, dir);
const check = (result: DoctorResult, name: string) => checkOf(result, 'logging', name);

describe('logging on a real API server', () => {
  beforeAll(async () => {
    dir = await configDir(config);
    await buildHealthyPlatform(cluster, dir);
    // What the operator writes on an output and a flow it could configure (logging.banzaicloud.io v1beta1 OutputStatus/FlowStatus).
    for (const kind of ['ClusterOutput', 'ClusterFlow'])
      await writeStatus(cluster.live, ref('logging.banzaicloud.io/v1beta1', kind, kind === 'ClusterOutput' ? 's3' : 'all-containers', 'logging'), { active: true });
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
