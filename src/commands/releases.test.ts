import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../core/types.ts';
import { stageReleases } from './releases.ts';

const app = { name: 'api', image: 'ghcr.io/example/api', stages: ['staging', 'production'] } as unknown as Parameters<typeof stageReleases>[0];
const origin = { kind: 'Warehouse', name: 'api' };
const ref = (name: string, tag: string) => ({ name, origin, images: [{ repoURL: app.image, tag, digest: `sha256:${name}` }] });
const promotion = (name: string, freight: string, finishedAt: string, phase = 'Succeeded', actor?: string, commit?: string): K8sObject => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name, namespace: 'kargo-api', ...(actor && { annotations: { 'kargo.akuity.io/create-actor': actor } }) },
  spec: { stage: 'production', freight, steps: [{ uses: 'git-commit', as: 'task-1::commit' }, { uses: 'git-push', as: 'task-1::step-6' }] },
  status: { phase, finishedAt, ...(commit && { state: { 'task-1::step-6': { commit, branch: 'plinth/api/production' } } }) },
});

describe('plinth releases: the Freight a stage ran, newest first', () => {
  it('matches each history entry with the promotion that brought it, a Freight rolled back to once per promotion', () => {
    const stage: K8sObject = {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: { name: 'production', namespace: 'kargo-api' },
      status: {
        autoPromotionEnabled: true,
        freightHistory: [{ items: { 'Warehouse/api': ref('a1', '1.0.0') } }, { items: { 'Warehouse/api': ref('b2', '1.1.0') } }, { items: { 'Warehouse/api': ref('a1', '1.0.0') } }],
        lastPromotion: { name: 'production.03.a1', freight: ref('a1', '1.0.0'), status: { phase: 'Succeeded' } },
      },
    };
    const promotions = [
      promotion('production.01.a1', 'a1', '2026-06-01T10:00:00Z', 'Succeeded', undefined, 'c0ffee1'),
      promotion('production.02.b2', 'b2', '2026-06-02T10:00:00Z', 'Succeeded', undefined, 'c0ffee2'),
      promotion('production.025.b2', 'b2', '2026-06-02T11:00:00Z', 'Failed', 'kubernetes:bob'),
      promotion('production.03.a1', 'a1', '2026-06-03T10:00:00Z', 'Succeeded', 'kubernetes:alice', 'c0ffee3'),
      { ...promotion('staging.01.b2', 'b2', '2026-06-02T09:00:00Z'), spec: { stage: 'staging', freight: 'b2' } },
    ];
    const result = stageReleases(app, stage, [], promotions);
    expect(result.releases.map((r) => [r.freight, r.tag, r.current, r.promotion, r.promotedBy, r.commit])).toEqual([
      ['a1', '1.0.0', true, 'production.03.a1', 'kubernetes:alice', 'c0ffee3'],
      ['b2', '1.1.0', false, 'production.02.b2', 'auto-promotion', 'c0ffee2'],
      ['a1', '1.0.0', false, 'production.01.a1', 'auto-promotion', 'c0ffee1'],
    ]);
    expect(result.failed).toBeUndefined();
  });

  it('reports a failed last promotion with its step and the resume command', () => {
    const failed = {
      ...promotion('production.04.b2', 'b2', '2026-06-04T10:00:00Z', 'Errored', 'kubernetes:alice'),
      status: { phase: 'Errored', currentStep: 1, stepExecutionMetadata: [{ alias: 'task-1::commit', status: 'Succeeded' }, { alias: 'task-1::step-6', status: 'Errored', message: 'push rejected' }] },
    };
    const stage: K8sObject = {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: { name: 'production', namespace: 'kargo-api' },
      status: { lastPromotion: { name: 'production.04.b2', freight: ref('b2', '1.1.0'), status: { phase: 'Errored' } } },
    };
    expect(stageReleases(app, stage, [], [failed]).failed).toEqual({
      promotion: 'production.04.b2',
      phase: 'Errored',
      freight: 'b2',
      resume: 'plinth promote api production --freight b2',
      step: { number: 2, total: 2, alias: 'task-1::step-6', uses: 'git-push', status: 'Errored', message: 'push rejected' },
    });
  });
});
