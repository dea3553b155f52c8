import { describe, expect, it } from 'vitest';
import { resolveExpression } from './kargo.ts';
import { obj, only, run } from './fixtures.ts';

const application = (name: string, authorized?: string, namespace = 'argocd') =>
  obj('argoproj.io/v1alpha1', 'Application', name, namespace, { spec: { project: 'default' } }, authorized === undefined ? undefined : { 'kargo.akuity.io/authorized-stage': authorized });

const stage = (steps: unknown[], vars?: unknown[], namespace = 'kargo-api') =>
  obj('kargo.akuity.io/v1alpha1', 'Stage', 'production', namespace, {
    spec: { requestedFreight: [{ origin: { kind: 'Warehouse', name: 'api' }, sources: { direct: true } }], promotionTemplate: { spec: { steps, ...(vars && { vars }) } } },
  });

const update = (apps: unknown[]) => ({ uses: 'argocd-update', config: { apps } });

const task = (name: string, steps: unknown[], vars: unknown[] = [], kind = 'PromotionTask', namespace: string | undefined = 'kargo-api') =>
  obj('kargo.akuity.io/v1alpha1', kind, name, kind === 'PromotionTask' ? namespace : undefined, { spec: { vars, steps } });

const kargo = (findings: ReturnType<typeof run>) => findings.filter((f) => f.rule === 'ref/kargo-stage-app' || f.rule === 'ref/kargo-promotion-task');

describe('resolveExpression', () => {
  const scope = { vars: new Map([['app', 'api'], ['name', '${{ vars.app }}-${{ ctx.stage }}'], ['loop', '${{ vars.loop }}']]), stage: 'production', project: 'kargo-api' };

  it('resolves vars (dot and bracket forms), ctx.stage, ctx.project and the text around them', () => {
    expect(resolveExpression('api-${{ ctx.stage }}', scope)).toEqual({ value: 'api-production' });
    expect(resolveExpression("${{vars['app']}}.${{ ctx.project }}", scope)).toEqual({ value: 'api.kargo-api' });
    expect(resolveExpression('${{ vars.name }}', scope)).toEqual({ value: 'api-production' });
    expect(resolveExpression('plain', scope)).toEqual({ value: 'plain' });
  });

  it('returns anything else as unresolved, never a guess', () => {
    expect(resolveExpression("${{ task.outputs['commit'].commit }}", scope)).toEqual({ unresolved: "${{ task.outputs['commit'].commit }}" });
    expect(resolveExpression('${{ vars.missing }}', scope)).toMatchObject({ unresolved: expect.stringContaining('no var "missing"') });
    expect(resolveExpression('${{ upper(ctx.stage) }}', scope)).toHaveProperty('unresolved');
    expect(resolveExpression('${{ vars.loop }}', scope)).toHaveProperty('unresolved');
    expect(resolveExpression('${{ ctx.stage', scope)).toHaveProperty('unresolved');
  });
});

describe('ref/kargo-stage-app', () => {
  it('passes an inline argocd-update naming an Application that authorizes the Stage', () => {
    expect(kargo(run([application('api-production', 'kargo-api:production'), stage([update([{ name: 'api-${{ ctx.stage }}', namespace: 'argocd' }])])]))).toEqual([]);
  });

  it('defaults the Application namespace to argocd and scopes the lookup to it', () => {
    expect(kargo(run([application('api-production', 'kargo-api:production'), stage([update([{ name: 'api-production' }])])]))).toEqual([]);
    const elsewhere = kargo(run([application('api-production', 'kargo-api:production', 'apps'), stage([update([{ name: 'api-production' }])])]));
    expect(elsewhere).toMatchObject([{ severity: 'error', path: '/spec/promotionTemplate/spec/steps/0/config/apps/0/name' }]);
    expect(elsewhere[0]!.message).toContain('"argocd/api-production"');
  });

  it('fails an Application without the annotation, or authorizing another stage', () => {
    const none = kargo(run([application('api-production'), stage([update([{ name: 'api-production' }])])]));
    expect(none).toMatchObject([{ rule: 'ref/kargo-stage-app', severity: 'error' }]);
    expect(none[0]!.message).toContain('has no kargo.akuity.io/authorized-stage annotation');
    expect(none[0]!.hint).toBe('annotate the Application with kargo.akuity.io/authorized-stage: "kargo-api:production"');
    const other = kargo(run([application('api-production', 'kargo-api:staging'), stage([update([{ name: 'api-production' }])])]));
    expect(other[0]!.message).toContain('authorizes "kargo-api:staging", not Stage "kargo-api:production"');
  });

  it('follows a PromotionTask in the Stage namespace, the step vars overriding the task defaults', () => {
    const promote = task('promote', [update([{ name: '${{ vars.app }}-${{ ctx.stage }}', namespace: '${{ vars.argocd }}' }])], [
      { name: 'app', value: 'web' },
      { name: 'argocd', value: 'argocd' },
    ]);
    const taskStep = (vars?: unknown[]) => ({ task: { name: 'promote' }, ...(vars && { vars }) });
    const apps = [application('api-production', 'kargo-api:production'), application('web-production', 'kargo-api:production')];
    expect(kargo(run([...apps, promote, stage([taskStep([{ name: 'app', value: 'api' }])])]))).toEqual([]);
    // Without the override the task's default names web-production, which is authorized too: also a pass.
    expect(kargo(run([...apps, promote, stage([taskStep()])]))).toEqual([]);
    const unauthorized = [application('api-production'), application('web-production', 'kargo-api:production')];
    const [f] = kargo(run([...unauthorized, promote, stage([taskStep([{ name: 'app', value: 'api' }])])]));
    expect(f).toMatchObject({ severity: 'error', path: '/spec/promotionTemplate/spec/steps/0/task' });
    expect(f!.message).toContain('(argocd-update step of PromotionTask "promote")');
  });

  it('takes the promotion template vars as the outermost scope', () => {
    const steps = [update([{ name: '${{ vars.target }}' }])];
    expect(kargo(run([application('api-production', 'kargo-api:production'), stage(steps, [{ name: 'target', value: 'api-${{ ctx.stage }}' }])]))).toEqual([]);
  });

  it('fails a task missing from the Stage namespace, and resolves a ClusterPromotionTask cluster-wide', () => {
    const elsewhere = task('promote', [update([{ name: 'api-production' }])], [], 'PromotionTask', 'kargo-web');
    expect(kargo(run([application('api-production', 'kargo-api:production'), elsewhere, stage([{ task: { name: 'promote' } }])]))).toMatchObject([
      { rule: 'ref/kargo-promotion-task', severity: 'error', path: '/spec/promotionTemplate/spec/steps/0/task/name' },
    ]);
    const clusterTask = task('promote', [update([{ name: 'api-production' }])], [], 'ClusterPromotionTask');
    expect(kargo(run([application('api-production', 'kargo-api:production'), clusterTask, stage([{ task: { name: 'promote', kind: 'ClusterPromotionTask' } }])]))).toEqual([]);
  });

  it('reports what it cannot resolve as info "not checked", never as a pass', () => {
    const findings = kargo(run([stage([update([{ name: "${{ outputs['x'].name }}" }, { selector: { matchLabels: { app: 'api' } } }]), { uses: 'argocd-update', config: '${{ vars.config }}' }])]));
    expect(findings.map((f) => [f.severity, f.path])).toEqual([
      ['info', '/spec/promotionTemplate/spec/steps/0/config/apps/0/name'],
      ['info', '/spec/promotionTemplate/spec/steps/0/config/apps/1'],
      ['info', '/spec/promotionTemplate/spec/steps/1'],
    ]);
    expect(findings.every((f) => f.message.includes('not checked'))).toBe(true);
  });
});

describe('ref/kargo-freight', () => {
  const warehouse = (namespace: string) => obj('kargo.akuity.io/v1alpha1', 'Warehouse', 'api', namespace, { spec: { subscriptions: [] } });
  const freight = (requestedFreight: unknown[]) => obj('kargo.akuity.io/v1alpha1', 'Stage', 'production', 'kargo-api', { spec: { requestedFreight } });

  it('passes a Warehouse and an upstream Stage of the same project', () => {
    const upstream = obj('kargo.akuity.io/v1alpha1', 'Stage', 'staging', 'kargo-api', { spec: { requestedFreight: [] } });
    expect(only(run([warehouse('kargo-api'), upstream, freight([{ origin: { kind: 'Warehouse', name: 'api' }, sources: { stages: ['staging'] } }])]), 'ref/kargo-freight')).toEqual([]);
  });

  it('fails a Warehouse of another project and an unknown upstream Stage', () => {
    const findings = only(run([warehouse('kargo-web'), freight([{ origin: { kind: 'Warehouse', name: 'api' }, sources: { stages: ['stagin'] } }])]), 'ref/kargo-freight');
    expect(findings.map((f) => [f.severity, f.path])).toEqual([
      ['error', '/spec/requestedFreight/0/origin/name'],
      ['error', '/spec/requestedFreight/0/sources/stages/0'],
    ]);
  });
});

describe('ref/kargo-freight on image subscriptions (schemaless in the pinned Warehouse CRD)', () => {
  const warehouse = (image: Record<string, unknown>) =>
    obj('kargo.akuity.io/v1alpha1', 'Warehouse', 'api', 'kargo-api', { spec: { interval: '5m0s', subscriptions: [{ image: { repoURL: 'ghcr.io/org/api', ...image } }] } });
  const problems = (image: Record<string, unknown>) => only(run([warehouse(image)]), 'ref/kargo-freight').map((f) => [f.path, f.message]);

  it('passes what Kargo v1.11 reads', () => {
    expect(problems({ imageSelectionStrategy: 'Digest', constraint: 'develop' })).toEqual([]);
    expect(problems({ imageSelectionStrategy: 'NewestBuild', allowTagsRegex: ['^sha-[0-9a-f]{7}$'], ignoreTagsRegex: ['^pr-'] })).toEqual([]);
    expect(problems({ constraint: '^1.2' })).toEqual([]);
  });

  it('fails deprecated tag filters, RE2 lookarounds, Digest without its tag and a semver constraint naming a branch', () => {
    expect(problems({ imageSelectionStrategy: 'NewestBuild', allowTags: '^sha-', ignoreTagsRegex: ['^(?!main)'] })).toEqual([
      ['/spec/subscriptions/0/image/allowTags', 'allowTags is deprecated and fails artifact discovery since Kargo v1.10'],
      ['/spec/subscriptions/0/image/ignoreTagsRegex/0', '"^(?!main)" has a lookahead "(?!", which Go\'s RE2 does not support'],
    ]);
    expect(problems({ imageSelectionStrategy: 'Digest' }).map(([path]) => path)).toEqual(['/spec/subscriptions/0/image/constraint']);
    expect(problems({ semverConstraint: '^develop' })).toEqual([
      ['/spec/subscriptions/0/image/semverConstraint', '"^develop" is not a semver constraint: "develop" is not a version'],
    ]);
  });
});
