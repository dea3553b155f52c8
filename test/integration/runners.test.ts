// The runners component on a real API server, scheduler and kwok nodes: applied as rendered, with what the ARC charts and
// controller would create (the controller Deployment, the AutoscalingRunnerSet, its listener); doctor passes it, then
// follows a runner set whose GitHub App is not in the store to the missing input.
import { beforeAll, describe, expect, it } from 'vitest';
import type { DoctorResult } from '../../src/commands/doctor.ts';
import { writeStatus } from '../health-world.ts';
import { useControlPlane } from './live.ts';
import { buildHealthyPlatform, checkOf, configDir, passingCheckNames, platformConfig, reapplicable, ref, runDoctor } from './world.ts';

const cluster = useControlPlane();
const config = platformConfig('ci', {
  'argo-cd': { ingress: false },
  'external-secrets': {},
  runners: { sets: [{ name: 'linux', githubConfigUrl: 'https://github.com/acme', minRunners: 1 }] },
});
let dir: string;

const run = () => runDoctor(cluster, dir);
const check = (result: DoctorResult, name: string) => checkOf(result, 'runners', name);

describe('runners on a real API server', () => {
  beforeAll(async () => {
    dir = await configDir(config);
    await buildHealthyPlatform(cluster, dir, {
      // The controller chart brings ARC's CRDs; apply installs only the CRDs of the kinds it applies.
      chartCrds: ['arc-controller'],
      // The chart renders the set from the Application's values: its URL and Secret as the controller reads them.
      fit: (o) => (o.kind === 'AutoscalingRunnerSet' ? { ...o, spec: { githubConfigUrl: 'https://github.com/acme', githubConfigSecret: 'linux-github', minRunners: 1, maxRunners: 5 } } : undefined),
    });
  }, 400_000);

  it('passes the controller, the set, its GitHub App and its listener, and applies the isolation the render gives', async () => {
    const result = await run();
    expect(passingCheckNames(result, 'runners')).toEqual([
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
