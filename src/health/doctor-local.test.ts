import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveEnvironments } from '../config/environments.ts';
import { renderTree } from '../core/render.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { healthyNode, healthyWorld, LB_IP, withStatuses } from '../../test/health-world.ts';
import type { HostLookup } from './dns.ts';
import { diagnose, publicHosts } from './doctor.ts';
import { snapshotOf } from './snapshot.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

/** The minimal cluster as a laptop environment on the local preset. */
function localTree() {
  const config = minimalCluster();
  config.environments = { local: { context: 'k3d-plinth', preset: 'local' } };
  return renderTree(resolveEnvironments(config, registry)[0]!, registry);
}

describe('doctor on a local cluster', () => {
  const tree = localTree();
  const HOST = 'web.localtest.me';
  const run = (lookup: HostLookup) => {
    const world = [...withStatuses(healthyWorld(tree, NOW)), healthyNode('k3d-plinth-server-0')];
    const features = diagnose(tree, snapshotOf(world, { now: NOW }), 'argocd', new Map([[HOST, lookup]]));
    return features.find((f) => f.id === 'public-https')!.checks.find((c) => c.name === `https://${HOST}`)!;
  };

  it("passes a host that resolves to this machine, where the cluster's ports are mapped, with its local CA certificate", () => {
    expect(publicHosts(tree)).toContain(HOST);
    const check = run({ addresses: ['127.0.0.1'] });
    expect(check.status).toBe('pass');
    expect(check.message).toContain(`${HOST} resolves to 127.0.0.1, this machine, where the local cluster's ports are mapped`);
  });

  it('still warns of a local host that resolves elsewhere than this machine or the Ingress', () => {
    const check = run({ addresses: ['198.51.100.7'] });
    expect(check).toMatchObject({ status: 'warn', message: `${HOST} resolves to 198.51.100.7, but its Ingress is served at ${LB_IP}` });
  });
});
