import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { PlinthError, UsageError } from '../errors.ts';
import { REPO } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { buildPromotion, findAppStage, inflateSteps, isFreightAvailable, previousFreight, promotionName, selectFreight, ulid } from './promote.ts';

const resolved = await loadCluster(REPO, undefined, registry);
const tree = renderTree(resolved, registry);
const app = resolved.config.apps.find((a) => a.name === 'api')!;
const rendered = (kind: string, name: string) => tree.objects.find((o) => o.object.kind === kind && o.object.metadata.namespace === 'kargo-api' && o.object.metadata.name === name)!.object;
const task = rendered('PromotionTask', 'promote');
const firstStage = rendered('Stage', app.stages[0]!);

const origin = { kind: 'Warehouse', name: 'api' };
/** A Stage fed from `upstream`, as src/apps/pipeline.ts renders every stage after the first. */
const stageAfter = (name: string, upstream: string): K8sObject => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Stage',
  metadata: { name, namespace: 'kargo-api', uid: 'b7f7f0de-0000-4000-8000-000000000001' },
  spec: { requestedFreight: [{ origin, sources: { stages: [upstream] } }], promotionTemplate: { spec: { steps: [{ task: { name: 'promote', kind: 'PromotionTask' } }] } } },
});
const freight = (name: string, tag: string, discoveredAt: string, status: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name, namespace: 'kargo-api' },
  origin,
  images: [{ repoURL: app.image, tag, digest: `sha256:${name.slice(0, 8).padEnd(64, '0')}` }],
  discoveredAt,
  status,
  ...extra,
});
const A = freight('aaaaaaa1111111111111111111111111111111111', '1.0.0', '2026-06-01T10:00:00Z', { verifiedIn: { staging: {} } });
const B = freight('bbbbbbb2222222222222222222222222222222222', '1.1.0', '2026-06-02T10:00:00Z', { verifiedIn: { staging: {} } }, { alias: 'wonky-wombat' });
const C = freight('ccccccc3333333333333333333333333333333333', '1.1.0', '2026-06-03T10:00:00Z');
const production = stageAfter('production', 'staging');

describe('the Promotion plinth promote creates', () => {
  it('is named as Kargo names it: <stage>.<ulid>.<first 7 of the Freight>, lowercased', () => {
    // The ULID spec's example: 1469918176385 ms is 01ARYZ6S41.
    expect(ulid(1469918176385, new Uint8Array(10))).toBe('01ARYZ6S410000000000000000');
    expect(ulid(0, new Uint8Array(10).fill(255))).toBe('0000000000ZZZZZZZZZZZZZZZZ');
    expect(promotionName('production', B.metadata.name, 1469918176385, new Uint8Array(10).fill(255))).toBe('production.01aryz6s41zzzzzzzzzzzzzzzz.bbbbbbb');
    expect(promotionName('production', B.metadata.name, Date.now())).toMatch(/^production\.[0-9a-hjkmnp-tv-z]{26}\.bbbbbbb$/);
  });

  it("inflates the stage's PromotionTask into its steps, aliased task-1::<alias> and carrying the task's variables", () => {
    const steps = inflateSteps((firstStage.spec as any).promotionTemplate.spec.steps, [], () => task.spec as never);
    const taskSteps = (task.spec as any).steps as { uses: string; as?: string }[];
    expect(steps.map((s) => s.uses)).toEqual(taskSteps.map((s) => s.uses));
    expect(steps.map((s) => s.as)).toEqual(taskSteps.map((s, i) => `task-1::${s.as ?? `step-${i + 1}`}`));
    expect(steps.every((s) => !('task' in s))).toBe(true);
    expect(steps[0]!.vars!.map((v) => v.name)).toEqual(((task.spec as any).vars as { name: string }[]).map((v) => v.name));
  });

  it('is accepted by the pinned Promotion CRD (steps with uses, no task reference), with the Stage as its controller', async () => {
    const steps = inflateSteps((firstStage.spec as any).promotionTemplate.spec.steps, [], () => task.spec as never);
    const promotion = buildPromotion({ stage: { ...firstStage, metadata: { ...firstStage.metadata, uid: 'u-1' } }, freight: B.metadata.name, steps, name: promotionName(firstStage.metadata.name, B.metadata.name, 0), actor: 'kubernetes:alice' });
    expect(await checkCustomResource(promotion)).toEqual([]);
    expect(promotion.metadata.ownerReferences).toEqual([{ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Stage', name: firstStage.metadata.name, uid: 'u-1', controller: true, blockOwnerDeletion: true }]);
    expect(promotion.metadata.annotations).toEqual({ 'kargo.akuity.io/stage': firstStage.metadata.name, 'kargo.akuity.io/create-actor': 'kubernetes:alice' });
    // A step still referencing its task is what the CRD refuses: the check above can fail.
    expect(await checkCustomResource({ ...promotion, spec: { ...(promotion.spec as object), steps: [{ task: { name: 'promote' } }] } } as K8sObject)).not.toEqual([]);
  });

  it('refuses a task variable that has no value anywhere, as Kargo does', () => {
    expect(() => inflateSteps([{ task: { name: 't' } }], [], () => ({ vars: [{ name: 'image' }], steps: [{ uses: 'git-clone' }] }))).toThrow(PlinthError);
    expect(inflateSteps([{ task: { name: 't' }, vars: [{ name: 'image', value: 'x' }] }], [], () => ({ vars: [{ name: 'image' }], steps: [{ uses: 'git-clone' }] }))[0]!.vars).toEqual([{ name: 'image', value: 'x' }]);
  });
});

describe('which Freight a stage may run (Stage.IsFreightAvailable)', () => {
  it('is verified upstream, approved for the stage, or comes straight from the Warehouse for the first stage', () => {
    expect(isFreightAvailable(production, A)).toBe(true);
    expect(isFreightAvailable(production, C)).toBe(false);
    expect(isFreightAvailable(production, { ...C, status: { approvedFor: { production: {} } } } as K8sObject)).toBe(true);
    expect(isFreightAvailable(firstStage, C)).toBe(true);
    expect(isFreightAvailable(production, { ...A, origin: { kind: 'Warehouse', name: 'web' } } as K8sObject)).toBe(false);
    expect(isFreightAvailable(production, { ...A, metadata: { ...A.metadata, namespace: 'kargo-web' } })).toBe(false);
  });
});

describe('choosing the Freight', () => {
  const history = (...names: string[]) => ({ ...production, status: { freightHistory: names.map((name, i) => ({ id: `h${i}`, items: { 'Warehouse/api': { name, origin } } })) } });

  it('--previous: the newest Freight in the history that is not the current one', () => {
    expect(previousFreight(history(B.metadata.name, B.metadata.name, A.metadata.name), 'api')).toBe(A.metadata.name);
    expect(selectFreight(app, history(B.metadata.name, A.metadata.name), [A, B, C], { previous: true })).toEqual({ freight: A, selectedBy: 'previous' });
    expect(() => selectFreight(app, history(B.metadata.name), [A, B, C], { previous: true })).toThrow(/has run no Freight before its current one/);
  });

  it('--image: the newest Freight with that tag (CI pushed it again), or with that digest', () => {
    expect(selectFreight(app, production, [A, B, C], { image: '1.1.0' }).freight).toBe(C);
    expect(selectFreight(app, production, [A, B, C], { image: (A as any).images[0].digest }).freight).toBe(A);
    expect(() => selectFreight(app, production, [A, B, C], { image: '9.9.9' })).toThrow(`no Freight of app api has the image ${app.image}:9.9.9`);
  });

  it('--freight: by name, alias or unique prefix; an unknown one names the Freight there is', () => {
    expect(selectFreight(app, production, [A, B, C], { freight: B.metadata.name }).freight).toBe(B);
    expect(selectFreight(app, production, [A, B, C], { freight: 'wonky-wombat' }).freight).toBe(B);
    expect(selectFreight(app, production, [A, B, C], { freight: 'ccccccc' }).freight).toBe(C);
    let error: unknown;
    try {
      selectFreight(app, production, [A, B, C], { freight: 'deadbeef' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('no Freight "deadbeef" in app api');
    const image = (f: K8sObject) => `${(f as any).images[0].tag}@${(f as any).images[0].digest}`;
    expect((error as UsageError).hint).toBe(`the Freight of app api, newest first: ccccccc ${image(C)}, bbbbbbb (wonky-wombat) ${image(B)}, aaaaaaa ${image(A)} (plinth releases api)`);
  });

  it('no option: the newest Freight the stage may run', () => {
    expect(selectFreight(app, production, [A, B, C], {})).toEqual({ freight: B, selectedBy: 'newest' });
    expect(() => selectFreight(app, production, [C], {})).toThrow('no Freight is available to stage production of app api');
  });

  it('unknown apps and stages are usage errors listing the valid ones', () => {
    expect(() => findAppStage(resolved.config.apps, 'nope', 'production')).toThrow(UsageError);
    expect(() => findAppStage(resolved.config.apps, 'nope', 'production')).toThrow('no app "nope" in the config');
    try {
      findAppStage(resolved.config.apps, 'api', 'qa');
    } catch (e) {
      expect((e as UsageError).hint).toBe(`its stages: ${app.stages.join(', ')}`);
      return;
    }
    throw new Error('qa was accepted');
  });
});
