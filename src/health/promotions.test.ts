import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { REPO } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { FREIGHT, healthyNode, healthyWorld, withStatuses } from '../../test/health-world.ts';
import { diagnose } from './doctor.ts';
import { snapshotOf } from './snapshot.ts';
import { describeImage, failedStep, promotionVerdict, stageCommit } from './promotions.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const OLD = 'f0e1d2c3b4a5968778695a4b3c2d1e0f98765432';
const IMAGE = 'ghcr.io/mobility-scooter-web-app/api';
const DIGEST = 'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945';

/** A Promotion after Kargo ran its steps up to argocd-update, which failed: the shape of promotion_types.go PromotionStatus. */
function failedPromotion(stage: string, phase = 'Failed'): K8sObject {
  const name = `${stage}.01jxyzabcdefghjkmnpqrstvwx.${OLD.slice(0, 7)}`;
  const uses = ['git-clone', 'git-clear', 'kustomize-set-image', 'kustomize-build', 'git-commit', 'git-push', 'argocd-update'];
  const aliases = ['task-1::step-1', 'task-1::step-2', 'task-1::update-image', 'task-1::step-4', 'task-1::commit', 'task-1::step-6', 'task-1::step-7'];
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Promotion',
    metadata: { name, namespace: 'kargo-api', annotations: { 'kargo.akuity.io/create-actor': 'kubernetes:alice' } },
    spec: { stage, freight: OLD, steps: uses.map((u, i) => ({ uses: u, as: aliases[i] })) },
    status: {
      phase,
      message: 'step "task-1::step-7" failed',
      currentStep: 6,
      startedAt: '2026-05-31T23:50:00Z',
      finishedAt: '2026-05-31T23:55:00Z',
      freight: { name: OLD, origin: { kind: 'Warehouse', name: 'api' }, images: [{ repoURL: IMAGE, tag: '1.4.2', digest: DIGEST }] },
      stepExecutionMetadata: aliases.map((alias, i) =>
        i < 6
          ? { alias, status: 'Succeeded', startedAt: '2026-05-31T23:50:00Z', finishedAt: '2026-05-31T23:51:00Z' }
          : { alias, status: 'Failed', errorCount: 1, message: 'Application argocd/api-production sync timed out after 5m0s', startedAt: '2026-05-31T23:51:00Z', finishedAt: '2026-05-31T23:55:00Z' },
      ),
      state: { 'task-1::commit': { commit: 'abc1234' }, 'task-1::step-6': { commit: '9d8c7b6a5f4e3d2c1b0a', branch: 'plinth/api/production' } },
    },
  };
}

describe('reading Kargo promotions', () => {
  it('names the step a promotion failed at, with its runner and message', () => {
    const promotion = failedPromotion('production');
    expect(failedStep(promotion.status as never, (promotion.spec as { steps: [] }).steps)).toEqual({
      number: 7,
      total: 7,
      alias: 'task-1::step-7',
      uses: 'argocd-update',
      status: 'Failed',
      message: 'Application argocd/api-production sync timed out after 5m0s',
    });
  });

  it('passes over a step that failed with continueOnError, as Kargo does', () => {
    const status = { currentStep: 2, stepExecutionMetadata: [{ alias: 'a', status: 'Failed' }, { alias: 'b', status: 'Succeeded' }, { alias: 'c', status: 'Errored', message: 'boom' }] };
    expect(failedStep(status, [{ uses: 'http', continueOnError: true }, { uses: 'git-clone' }, { uses: 'git-push' }])).toMatchObject({ number: 3, uses: 'git-push', message: 'boom' });
  });

  it("finds the stage branch commit in the git-push step's output", () => {
    expect(stageCommit(failedPromotion('production'))).toEqual({ commit: '9d8c7b6a5f4e3d2c1b0a', branch: 'plinth/api/production' });
    expect(stageCommit(undefined)).toBeUndefined();
  });

  it('the fixture Promotion is one the pinned Promotion CRD accepts', async () => {
    expect(await checkCustomResource(failedPromotion('production'))).toEqual([]);
  });

  it('describes an image by tag and digest', () => {
    expect(describeImage({ tag: '1.4.2', digest: DIGEST })).toBe(`1.4.2@${DIGEST}`);
    expect(describeImage({ digest: DIGEST })).toBe(DIGEST);
    expect(describeImage(undefined)).toBe('(no image)');
  });

  it('says nothing of a stage whose last promotion succeeded and that holds no auto-promotion', () => {
    const stage = { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Stage', metadata: { name: 'production', namespace: 'kargo-api' }, status: { lastPromotion: { name: 'x', status: { phase: 'Succeeded' } } } };
    expect(promotionVerdict('api', stage, [])).toBeUndefined();
  });

  it('warns of a held auto-promotion, with the command that promotes the newest Freight', () => {
    const stage = {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: { name: 'production', namespace: 'kargo-api' },
      status: { autoPromotionEnabled: true, effectiveAutoPromotionHolds: { 'Warehouse/api': { freightName: OLD, actor: 'kubernetes:alice', promotionName: 'production.01abc.f0e1d2c', origin: { kind: 'Warehouse', name: 'api' } } } },
    };
    expect(promotionVerdict('api', stage, [])).toEqual({
      about: 'hold',
      status: 'warn',
      message: `auto-promotion is held: Freight ${OLD} was promoted by kubernetes:alice (production.01abc.f0e1d2c), so new Freight waits`,
      hint: 'when the hold should end, promote the newest Freight: plinth promote api production',
    });
  });
});

const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);

describe('doctor on a stage whose last promotion failed', () => {
  const stages = tree.objects.filter((o) => o.object.kind === 'Stage' && o.object.metadata.namespace === 'kargo-api').map((o) => o.object.metadata.name);
  const stage = stages.at(-1)!;
  const world = (phase: string, autoPromotionEnabled: boolean) => {
    const promotion = failedPromotion(stage, phase);
    const objects = withStatuses(healthyWorld(tree, NOW, { apiServices: true })).map((o) =>
      o.kind === 'Stage' && o.metadata.namespace === 'kargo-api' && o.metadata.name === stage
        ? {
            ...o,
            status: {
              ...(o.status as object),
              autoPromotionEnabled,
              lastPromotion: { name: promotion.metadata.name, freight: (promotion.status as { freight: object }).freight, status: { phase, message: 'step "task-1::step-7" failed' } },
            },
          }
        : o,
    );
    return [...objects, healthyNode('worker-0'), promotion];
  };
  const stageCheck = (objects: K8sObject[]) =>
    diagnose(tree, snapshotOf(objects, { now: NOW }))
      .find((f) => f.id === 'app:api')!
      .checks.find((c) => c.name === `stage ${stage}: promoted the latest Freight`)!;

  it('fails the stage naming the step, its message, the Freight, and the exact command that resumes it', () => {
    const check = stageCheck(world('Failed', false));
    expect(check.status).toBe('fail');
    expect(check.message).toBe(
      `last promotion ${stage}.01jxyzabcdefghjkmnpqrstvwx.${OLD.slice(0, 7)} Failed at step 7/7 task-1::step-7 (argocd-update) Failed: ` +
        `Application argocd/api-production sync timed out after 5m0s; Freight ${OLD} (1.4.2@${DIGEST})`,
    );
    expect(check.hint).toBe(`fix the cause, then resume: plinth promote api ${stage} --freight ${OLD} --wait`);
  });

  it('says auto-promotion is halted when the stage auto-promotes, and fails an Errored promotion the same way', () => {
    const check = stageCheck(world('Errored', true));
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/Errored at step 7\/7 .*; auto-promotion is halted until a promotion of this stage succeeds$/);
  });

  it('warns, not fails, while a promotion that resumes the stage runs', () => {
    const objects = world('Failed', true).map((o) =>
      o.kind === 'Stage' && o.metadata.namespace === 'kargo-api' && o.metadata.name === stage
        ? { ...o, status: { ...(o.status as object), currentPromotion: { name: `${stage}.02.${OLD.slice(0, 7)}`, freight: { name: OLD, origin: { kind: 'Warehouse', name: 'api' } } } } }
        : o,
    );
    const check = stageCheck(objects);
    expect(check.status).toBe('warn');
    expect(check.message).toMatch(new RegExp(`^promotion ${stage}\\.02\\.f0e1d2c is running \\(Freight ${OLD}\\); the last one, \\S+, Failed at step 7/7 `));
    expect(check.hint).toBe(`follow it: plinth releases api; if it fails too, fix the cause and resume: plinth promote api ${stage} --freight ${OLD} --wait`);
  });

  it('passes the same stage when its last promotion succeeded', () => {
    const objects = withStatuses(healthyWorld(tree, NOW, { apiServices: true }));
    expect(stageCheck([...objects, healthyNode('worker-0')]).status).toBe('pass');
    expect(FREIGHT).not.toBe(OLD);
  });
});
