import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { loadAll } from 'js-yaml';
import { parse, stringify } from 'yaml';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { configIssues, renderedFile } from '../../test/components.ts';
import { re2Problem, semverConstraintProblem } from './images.ts';

/**
 * The pinned Warehouse CRD (v1.11.2) keeps subscriptions[] as x-kubernetes-preserve-unknown-fields, so the
 * ImageSubscription is checked here against its Go type: akuity/kargo api/v1alpha1/warehouse_types.go at v1.11.2
 * (the fields, the strategy enum, the repoURL pattern, discoveryLimit bounds and the two XValidation rules).
 * allowTags and ignoreTags are left out: deprecated, they fail artifact discovery since v1.10.
 */
const imageSubscriptionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['repoURL'],
  properties: {
    repoURL: { type: 'string', minLength: 1, pattern: '^(\\w+([\\.-]\\w+)*(:[\\d]+)?/)?(\\w+([\\.-]\\w+)*)(/\\w+([\\.-]\\w+)*)*$' },
    imageSelectionStrategy: { enum: ['Digest', 'Lexical', 'NewestBuild', 'SemVer'] },
    strictSemvers: { type: 'boolean' },
    constraint: { type: 'string' },
    allowTagsRegex: { type: 'array', items: { type: 'string' } },
    ignoreTagsRegex: { type: 'array', items: { type: 'string' } },
    platform: { type: 'string' },
    insecureSkipTLSVerify: { type: 'boolean' },
    discoveryLimit: { type: 'integer', minimum: 1, maximum: 100 },
  },
  // "If imageSelectionStrategy is Digest, either constraint or semverConstraint must be set"
  if: { properties: { imageSelectionStrategy: { const: 'Digest' } }, required: ['imageSelectionStrategy'] },
  then: { required: ['constraint'] },
};
const validSubscription = new Ajv({ allErrors: true }).compile(imageSubscriptionSchema);

function appWith(images: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  const config = minimalCluster();
  config.apps[0] = { ...config.apps[0], stages: ['staging', 'production'], ...(images && { images }), ...extra };
  return config;
}
const pipelineOf = (config: Record<string, any>) => {
  const tree = renderTree(resolveCluster(config, registry), registry);
  return (name: string) => renderedFile(tree, `workloads/web/pipeline/${name}.yaml`);
};

const STRATEGIES: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ['SemVer', { strategy: 'SemVer', constraint: '^1.2', ignoreTags: ['-rc\\.'] }, { imageSelectionStrategy: 'SemVer', constraint: '^1.2', ignoreTagsRegex: ['-rc\\.'] }],
  ['Digest', { strategy: 'Digest', constraint: 'develop', platform: 'linux/arm64' }, { imageSelectionStrategy: 'Digest', constraint: 'develop', platform: 'linux/arm64' }],
  ['NewestBuild', { strategy: 'NewestBuild', allowTags: '^sha-[0-9a-f]{7}$' }, { imageSelectionStrategy: 'NewestBuild', allowTagsRegex: ['^sha-[0-9a-f]{7}$'] }],
  ['Lexical', { strategy: 'Lexical', allowTags: '^main-\\d{8}', ignoreTags: ['^main-2020'] }, { imageSelectionStrategy: 'Lexical', allowTagsRegex: ['^main-\\d{8}'], ignoreTagsRegex: ['^main-2020'] }],
];

describe('the Warehouse of each image selection strategy', () => {
  for (const [strategy, images, subscription] of STRATEGIES)
    it(`${strategy}: the subscription Kargo's type accepts, in a Warehouse the pinned CRD accepts`, async () => {
      const warehouse = pipelineOf(appWith(images))('warehouse-web');
      const image = warehouse.spec.subscriptions[0].image;
      expect(image).toEqual({ repoURL: 'ghcr.io/example/web', discoveryLimit: 20, ...subscription });
      expect(validSubscription(image), JSON.stringify(validSubscription.errors)).toBe(true);
      expect(await checkCustomResource(warehouse as any)).toEqual([]);
    });

  it('defaults to SemVer on `semver` when nothing else is said', () => {
    const image = pipelineOf(appWith(undefined, { semver: '>=2.0.0 <3' }))('warehouse-web').spec.subscriptions[0].image;
    expect(image).toEqual({ repoURL: 'ghcr.io/example/web', imageSelectionStrategy: 'SemVer', constraint: '>=2.0.0 <3', discoveryLimit: 20 });
  });

  it('the check catches what Kargo would refuse (a test that can fail)', () => {
    expect(validSubscription({ repoURL: 'ghcr.io/example/web', imageSelectionStrategy: 'Digest' })).toBe(false);
    expect(validSubscription({ repoURL: 'ghcr.io/example/web', allowTags: '^v' })).toBe(false);
    expect(validSubscription({ repoURL: 'ghcr.io/example/web', imageSelectionStrategy: 'Newest' })).toBe(false);
  });
});

describe('promotion policy per stage', () => {
  const policies = (promotion?: Record<string, string>, stages = ['staging', 'production']) =>
    pipelineOf(appWith(undefined, { stages, ...(promotion && { promotion }) }))('projectconfig-kargo-web');

  it('auto-promotes the first stage and gates the next ones by default', async () => {
    const projectConfig = policies();
    expect(projectConfig.spec.promotionPolicies).toEqual([{ stageSelector: { name: 'staging' }, autoPromotionEnabled: true }]);
    expect(await checkCustomResource(projectConfig as any)).toEqual([]);
  });

  it('gates a sole production stage behind an approval when asked', async () => {
    const projectConfig = policies({ production: 'manual' }, ['production']);
    expect(projectConfig.spec.promotionPolicies).toEqual([]);
    expect(await checkCustomResource(projectConfig as any)).toEqual([]);
  });

  it('auto-promotes every stage named auto', () => {
    expect(policies({ production: 'auto' }).spec.promotionPolicies).toEqual([
      { stageSelector: { name: 'staging' }, autoPromotionEnabled: true },
      { stageSelector: { name: 'production' }, autoPromotionEnabled: true },
    ]);
  });
});

describe('image options refused before Kargo sees them', () => {
  const issuesOf = (images?: Record<string, unknown>, extra: Record<string, unknown> = {}) => configIssues(appWith(images, extra));

  it('semver "^develop": a branch tag, not a version, naming the strategy that follows it', () => {
    expect(issuesOf(undefined, { semver: '^develop' })).toEqual([
      {
        path: 'apps[0].semver',
        message: '"^develop" is not a semver constraint: "develop" is not a version',
        hint: expect.stringContaining('images: { strategy: "Digest", constraint: "develop" }'),
      },
    ]);
    expect(issuesOf({ strategy: 'SemVer', constraint: '^develop' })).toEqual([
      expect.objectContaining({ path: 'apps[0].images.constraint', hint: expect.stringContaining('strategy: "Digest"') }),
    ]);
  });

  it('a lookahead or backreference in allowTags / ignoreTags: Go RE2 has neither', () => {
    expect(issuesOf({ strategy: 'NewestBuild', allowTags: '^(?!pr-).*' })).toEqual([
      { path: 'apps[0].images.allowTags', message: '"^(?!pr-).*" has a lookahead "(?!", which Go\'s RE2 does not support', hint: expect.stringContaining('ignoreTags') },
    ]);
    expect(issuesOf({ strategy: 'Lexical', ignoreTags: ['^(a)\\1$'] })).toEqual([
      expect.objectContaining({ path: 'apps[0].images.ignoreTags[0]', message: expect.stringContaining('backreference') }),
    ]);
  });

  it('an unknown strategy, with the four Kargo offers', () => {
    expect(issuesOf({ strategy: 'Newest' })).toEqual([
      { path: 'apps[0].images.strategy', message: '"Newest" is not an image selection strategy', hint: expect.stringMatching(/SemVer.*Digest.*NewestBuild.*Lexical/) },
    ]);
  });

  it('Digest without its tag, a constraint a strategy ignores, semver beside another strategy, promotion of no stage', () => {
    expect(issuesOf({ strategy: 'Digest' })).toEqual([expect.objectContaining({ path: 'apps[0].images.constraint' })]);
    expect(issuesOf({ strategy: 'NewestBuild', constraint: 'develop' })).toEqual([
      expect.objectContaining({ path: 'apps[0].images.constraint', hint: expect.stringContaining('Digest') }),
    ]);
    expect(issuesOf({ strategy: 'Digest', constraint: 'develop' }, { semver: '^1' })).toEqual([expect.objectContaining({ path: 'apps[0].semver' })]);
    expect(issuesOf(undefined, { promotion: { prod: 'manual' } })).toEqual([
      expect.objectContaining({ path: 'apps[0].promotion.prod', hint: 'name one of its stages: staging, production' }),
    ]);
    expect(issuesOf(undefined, { promotion: { staging: 'gated' } })).toEqual([expect.objectContaining({ path: 'apps[0].promotion.staging' })]);
  });
});

describe('Masterminds semver constraints', () => {
  it('accepts what Masterminds/semver v3 parses', () => {
    for (const c of ['*', '^1.2', '~1.2.3', '>= 1.2, < 3.0.0', '>=1.2 <2 || 3.x', '1.2 - 1.4.5', '!=1.2.3', 'v2', '~>1.x', '1.2.3-beta.1', '=<2.0.0'])
      expect(semverConstraintProblem(c), c).toBeUndefined();
  });
  it('refuses what it does not', () => {
    for (const c of ['^develop', 'latest', '>=1.2 ||', '>>1', '1.2.3.4', 'sha-1a2b3c4']) expect(semverConstraintProblem(c), c).toBeDefined();
  });
});

describe('Go RE2', () => {
  it('accepts RE2 syntax and refuses lookarounds, backreferences and atomic groups', () => {
    for (const p of ['^sha-[0-9a-f]{7}$', '^v\\d+\\.\\d+\\.\\d+$', '\\\\1', '[(?=]']) expect(re2Problem(p), p).toBeUndefined();
    for (const p of ['(?=x)', '(?<=a)b', '(?<!a)b', '(a)\\1', '(?<n>a)\\k<n>', '(?>a)', '(']) expect(re2Problem(p), p).toBeDefined();
  });
});
