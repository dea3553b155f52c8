import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveEnvironments } from '../config/environments.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { healthyNode, healthyWorld, withStatuses } from '../../test/health-world.ts';
import { diagnose, findRootCauses, type Feature } from './doctor.ts';
import { snapshotOf } from './snapshot.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const SPOKE = 'https://staging.example.org:6443';

/** Production's Argo CD deploys the staging cluster too (hub mode). */
function trees() {
  const config = minimalCluster();
  for (const app of config.apps) app.stages = ['staging', 'production'];
  config.environments = {
    production: { context: 'prod', stages: ['production'] },
    staging: { context: 'staging', managedBy: 'production', server: SPOKE, stages: ['staging'], components: { 'argo-cd': false, kargo: false } },
  };
  const clusters = resolveEnvironments(config, registry);
  const of = (env: string) => renderTree(clusters.find((c) => c.config.environment?.name === env)!, registry);
  return { hub: of('production'), spoke: of('staging') };
}

const checks = (features: Feature[]) => features.flatMap((f) => f.checks.map((c) => ({ feature: f.id, ...c })));

describe('doctor in hub mode', () => {
  const { hub, spoke } = trees();

  it("passes a healthy spoke on its own cluster, which serves no Argo CD: its Applications are the hub's to check", () => {
    const world = withStatuses(healthyWorld(spoke, NOW, { apiServices: true })).filter((o) => !o.apiVersion.startsWith('argoproj.io/'));
    const notServed = [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' }, { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject' }];
    const snapshot = snapshotOf([...world, healthyNode('worker-0')], { now: NOW, notServed });
    const features = diagnose(spoke, snapshot, 'argocd');
    const all = checks(features);
    // No Argo CD here is how a spoke is meant to be: not a cause to bootstrap one.
    expect(findRootCauses(spoke, snapshot, features).rootCauses).toEqual([]);
    expect(all.filter((c) => c.status === 'fail').map((c) => `${c.feature}: ${c.name}: ${c.message}`)).toEqual([]);
    const synced = all.find((c) => c.feature === 'cert-manager' && c.name === 'synced by Argo CD')!;
    expect(synced).toMatchObject({ status: 'skip', message: `Application staging-cert-manager deploys here from the hub's Argo CD, where it lives (destination ${SPOKE})` });
    expect(all.find((c) => c.name === 'Application web-staging Synced and Healthy')?.status).toBe('skip');
  });

  it("checks each spoke's root Application on the hub, whose health is the spoke's Applications'", () => {
    const name = "Application test-staging-root (another environment's tree) Synced and Healthy";
    const run = (change: (o: K8sObject) => K8sObject) => {
      const world = [...withStatuses(healthyWorld(hub, NOW, { apiServices: true })).map(change), healthyNode('worker-0')];
      return checks(diagnose(hub, snapshotOf(world, { now: NOW }), 'argocd')).find((c) => c.feature === 'argo-cd' && c.name === name)!;
    };
    expect(run((o) => o).status).toBe('pass');
    const degraded = run((o) =>
      o.kind === 'Application' && o.metadata.name === 'test-staging-root'
        ? { ...o, status: { ...(o.status as object), health: { status: 'Degraded', message: 'staging-cert-manager is Degraded' } } }
        : o,
    );
    expect(degraded).toMatchObject({ status: 'fail', ref: 'Application/argocd/test-staging-root' });
  });
});
