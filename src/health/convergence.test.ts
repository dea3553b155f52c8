import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { REPO } from '../../test/helpers.ts';
import { healthyNode, healthyWorld, withStatuses } from '../../test/health-world.ts';
import { comparisonErrorHint, waitingForFirstPromotion } from './convergence.ts';
import { diagnose, findRootCauses } from './doctor.ts';
import { snapshotOf } from './snapshot.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
const world = () => [...withStatuses(healthyWorld(tree, NOW, { apiServices: true })), healthyNode('worker-0')];
const withApplication = (objects: K8sObject[], name: string, status: Record<string, unknown>) =>
  objects.map((o) => (o.kind === 'Application' && o.metadata.name === name ? { ...o, status } : o));
const doctor = (objects: K8sObject[]) => {
  const snapshot = snapshotOf(objects, { now: NOW });
  return findRootCauses(tree, snapshot, diagnose(tree, snapshot));
};
const branchMissing = "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = unable to resolve 'plinth/web/production' to a commit SHA";
const neverSynced = { sync: { status: 'Unknown' }, health: { status: 'Healthy' }, conditions: [{ type: 'ComparisonError', message: branchMissing }] };

describe('doctor on a stage before its first promotion', () => {
  it('says the stage waits for its first promotion, as a warning with the command that does it, never Healthy and never a failure', () => {
    const { features } = doctor(withApplication(world(), 'web-production', neverSynced));
    const check = features.find((f) => f.id === 'app:web')!.checks.find((c) => c.name === 'Application web-production Synced and Healthy')!;
    expect(check.status).toBe('warn');
    expect(check.message).toBe(`waiting for the first promotion of web to production: ${branchMissing}`);
    expect(check.hint).toBe('promote web to production once (plinth promote web production, or the Kargo UI): Kargo pushes the stage\'s branch and Argo CD syncs it');
  });

  it('is a failure once the stage has synced before: its branch or its build broke', () => {
    const broken = { ...neverSynced, history: [{ id: 1, revision: 'abc' }] };
    const { features } = doctor(withApplication(world(), 'web-production', broken));
    const check = features.find((f) => f.id === 'app:web')!.checks.find((c) => c.name === 'Application web-production Synced and Healthy')!;
    expect(check.status).toBe('fail');
    expect(check.message).toContain('ComparisonError: Failed to load target state');
    const stage = tree.objects.find((o) => o.object.metadata.name === 'web-production')!.object;
    expect(waitingForFirstPromotion({ ...stage, status: broken })).toBeUndefined();
    expect(waitingForFirstPromotion({ ...stage, status: { health: { status: 'Healthy' } } })).toBeUndefined();
  });
});

describe('doctor on an Application with a ComparisonError', () => {
  it('fails it with the cause and the fix: repository credentials', () => {
    const status = {
      sync: { status: 'Unknown' },
      health: { status: 'Healthy' },
      conditions: [{ type: 'ComparisonError', message: 'Failed to load target state: rpc error: authentication required: Repository not found.' }],
    };
    const { features } = doctor(withApplication(world(), 'grafana', status));
    const synced = features.find((f) => f.id === 'grafana')!.checks.find((c) => c.name === 'synced by Argo CD')!;
    expect(synced.status).toBe('fail');
    expect(synced.message).toContain('ComparisonError: Failed to load target state: rpc error: authentication required');
    expect(synced.hint).toMatch(/^Argo CD cannot read the repository: set the secret input argocd-repo-credentials \(plinth secrets set argocd-repo-credentials token\)/);
  });

  it('names the chart, a missing revision, or else the render, as the cause', () => {
    const app = { name: 'eraser', namespace: 'argocd' };
    expect(comparisonErrorHint(app, 'ComparisonError: chart "eraser" version "9.9.9" not found in https://eraser-dev.github.io/eraser/charts')).toMatch(/^Argo CD cannot fetch or render the chart/);
    expect(comparisonErrorHint(app, "ComparisonError: unable to resolve 'release' to a commit SHA")).toMatch(/^the revision the Application names does not exist/);
    expect(comparisonErrorHint(app, 'ComparisonError: kustomize build failed')).toMatch(/^Argo CD cannot generate the Application's manifests: run plinth render and plinth validate/);
    expect(comparisonErrorHint(app, 'OutOfSync, Degraded')).toBeUndefined();
  });
});

describe('doctor names the Application that holds the sync waves, first', () => {
  it('a wave-0 component still installing is root cause 1, with the later waves that wait on it', () => {
    const status = { sync: { status: 'Synced' }, health: { status: 'Progressing', message: 'Waiting for rollout to finish: 0 of 1 updated replicas are available' } };
    const { rootCauses } = doctor(withApplication(world(), 'secret-generator', status));
    expect(rootCauses[0]).toMatchObject({
      id: 'sync-wave:secret-generator',
      status: 'fail',
      title: 'Application secret-generator (wave 0) holds sync waves 1 to 2',
      message: 'Progressing: Waiting for rollout to finish: 0 of 1 updated replicas are available',
      ref: 'Application/argocd/secret-generator',
    });
    expect(rootCauses[0]!.hint).toMatch(/^make it Healthy/);
  });

  it('a Degraded component holds nothing: the root lets it through, so no wave is blocked (the check can fail)', () => {
    const status = { sync: { status: 'Synced' }, health: { status: 'Degraded', message: 'Deployment "secret-generator" exceeded its progress deadline' }, history: [{ id: 1 }] };
    const { rootCauses, features } = doctor(withApplication(world(), 'secret-generator', status));
    expect(rootCauses.filter((c) => c.id.startsWith('sync-wave:'))).toEqual([]);
    expect(features.find((f) => f.id === 'secret-generator')!.checks.find((c) => c.name === 'synced by Argo CD')!.status).toBe('fail');
  });

  it('is not reported on a converged platform, nor for a stage waiting for its first promotion (the last wave holds nothing)', () => {
    expect(doctor(world()).rootCauses).toEqual([]);
    expect(doctor(withApplication(world(), 'web-production', neverSynced)).rootCauses.filter((c) => c.id.startsWith('sync-wave:'))).toEqual([]);
  });
});
