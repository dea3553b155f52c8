import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { loadAll } from 'js-yaml';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { configIssues, renderedFile } from '../../test/components.ts';
import { durationSeconds, goDurationString, registryHost, rolloutBudgetSeconds } from './delivery.ts';
import { declarations } from '../secrets/declarations.ts';

function clusterWith(change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  config.apps[0] = { ...config.apps[0], stages: ['staging', 'production'] };
  change(config);
  return config;
}
const render = (config: Record<string, any>) => renderTree(resolveCluster(config, registry), registry);
const pipelineFile = (config: Record<string, any>, name: string, app = 'web') => renderedFile(render(config), `workloads/${app}/pipeline/${name}.yaml`);
const steps = (config: Record<string, any>) => pipelineFile(config, 'promotiontask-promote').spec.steps as any[];
const step = (config: Record<string, any>, uses: string) => steps(config).find((s) => s.uses === uses);

/**
 * The configs of the steps Plinth writes, from Kargo's own step config schemas at v1.11.2
 * (akuity/kargo pkg/promotion/runner/builtin/schemas/{git-clone,yaml-update,git-commit,argocd-update}-config.json),
 * cut to the fields Plinth uses, with their additionalProperties: false kept so a misspelt field fails.
 */
const STEP_CONFIG: Record<string, object> = {
  'git-clone': {
    type: 'object',
    additionalProperties: false,
    required: ['repoURL', 'checkout'],
    properties: {
      repoURL: { type: 'string', minLength: 1 },
      author: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'email'],
        properties: { name: { type: 'string', minLength: 1 }, email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' }, signingKey: { type: 'string' } },
      },
      checkout: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: { branch: { type: 'string' }, create: { type: 'boolean' }, path: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
  'yaml-update': {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'updates'],
    properties: {
      path: { type: 'string', minLength: 1 },
      updates: {
        type: 'array',
        minItems: 1,
        items: { type: 'object', additionalProperties: false, required: ['key', 'value'], properties: { key: { type: 'string', minLength: 1 }, value: {} } },
      },
    },
  },
  'git-commit': {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'message'],
    properties: { path: { type: 'string', minLength: 1 }, message: { type: 'string', minLength: 1 } },
  },
  'git-push': {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1 }, maxAttempts: { type: 'integer', minimum: 1 } },
  },
};
const ajv = new Ajv({ allErrors: true });

/**
 * Kargo's yaml-update, as akuity/kargo pkg/yaml/yaml.go SetValuesInBytes does it at v1.11.2: each key, dotted with
 * integer indexes into sequences, must already address a scalar; its line is cut at the scalar's column and the
 * value written there, quoted when it would read as a number, a boolean or JSON (pkg/yaml/quote.go).
 */
function kargoYamlUpdate(text: string, updates: { key: string; value: string }[]): string {
  const document = parseDocument(text, { keepSourceTokens: true });
  const lines = text.split('\n');
  const lineStarts = lines.map((_, i) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0));
  for (const { key, value } of updates) {
    let node: Node | null | undefined = document.contents as Node;
    for (const part of key.split('.')) {
      if (isMap(node)) node = node.items.find((pair) => isScalar(pair.key) && pair.key.value === part)?.value as Node | undefined;
      else if (isSeq(node)) node = node.items[Number(part)] as Node | undefined;
      else throw new Error(`error finding key ${key}: key path not found`);
    }
    if (!isScalar(node)) throw new Error(`error finding key ${key}: key path does not address a scalar node`);
    const offset = node.range![0];
    const line = lineStarts.findLastIndex((start) => start <= offset);
    const column = offset - lineStarts[line]!;
    const quoted = !Number.isNaN(Number(value)) || ['true', 'false'].includes(value) ? JSON.stringify(value) : value;
    lines[line] = lines[line]!.slice(0, column) + quoted;
  }
  return lines.join('\n');
}

/** The stage folder as Kargo builds it at promotion: the yaml-update step applied, then `kustomize build`. */
function promotedImages(config: Record<string, any>, stage: string, tag: string, digest: string): Map<string, string[]> {
  const tree = render(config);
  const prefix = `workloads/web/stages/${stage}/`;
  const update = steps(config).find((s) => s.uses === 'yaml-update').config.updates as { key: string; value: string }[];
  const freight = { '${{ imageFrom(vars.image).Tag }}': tag, '${{ imageFrom(vars.image).Digest }}': digest } as Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'plinth-promote-'));
  try {
    for (const [path, content] of tree.files)
      if (path.startsWith(prefix))
        writeFileSync(
          join(dir, path.slice(prefix.length)),
          path.endsWith('kustomization.yaml') ? kargoYamlUpdate(content, update.map((u) => ({ key: u.key, value: freight[u.value]! }))) : content,
        );
    const built = loadAll(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })) as any[];
    return new Map(
      built
        .filter((o) => o.spec?.template?.spec?.containers)
        .map((o) => [`${o.kind}/${o.metadata.name}`, o.spec.template.spec.containers.map((c: any) => c.image)]),
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const DIGEST_A = `sha256:${'a1'.repeat(32)}`;
const DIGEST_B = `sha256:${'b2'.repeat(32)}`;

describe('every promotion writes the digest of what was pushed', () => {
  const STRATEGIES: Record<string, unknown>[] = [
    { strategy: 'SemVer' },
    { strategy: 'Digest', constraint: 'develop' },
    { strategy: 'NewestBuild', allowTags: '^sha-' },
    { strategy: 'Lexical', allowTags: '^main-' },
  ];

  for (const images of STRATEGIES)
    it(`${images.strategy}: yaml-update sets the tag and the digest, in a PromotionTask the pinned CRD and Kargo's step schemas accept`, async () => {
      const config = clusterWith((c) => (c.apps[0].images = images));
      const task = pipelineFile(config, 'promotiontask-promote');
      expect(await checkCustomResource(task as any)).toEqual([]);
      for (const s of task.spec.steps)
        if (STEP_CONFIG[s.uses]) expect(ajv.validate(STEP_CONFIG[s.uses]!, s.config), `${s.uses}: ${ajv.errorsText()}`).toBe(true);
      expect(step(config, 'yaml-update').config.updates).toEqual([
        { key: 'images.0.newTag', value: '${{ imageFrom(vars.image).Tag }}' },
        { key: 'images.0.digest', value: '${{ imageFrom(vars.image).Digest }}' },
      ]);
      expect(steps(config).some((s) => s.uses === 'kustomize-set-image')).toBe(false);
    });

  it('the Deployment and the migration Job run repo:tag@digest, and a re-pushed tag changes the manifest', () => {
    const config = clusterWith((c) => {
      c.apps[0].images = { strategy: 'Digest', constraint: 'develop' };
      c.apps[0].migrate = { command: ['npm', 'run', 'db:migrate'] };
      c.apps[0].database = 'app';
    });
    const first = promotedImages(config, 'staging', 'develop', DIGEST_A);
    expect([...first.keys()].sort()).toEqual(['Deployment/web', 'Job/web-migrate']);
    for (const images of first.values()) expect(images).toEqual([`ghcr.io/example/web:develop@${DIGEST_A}`]);
    // The same tag pushed again is new Freight with a new digest: a new commit, a sync and a rollout.
    const second = promotedImages(config, 'staging', 'develop', DIGEST_B);
    expect(second.get('Deployment/web')).toEqual([`ghcr.io/example/web:develop@${DIGEST_B}`]);
  });

  it('a release tag that reads as a number is quoted, as Kargo writes it, and still builds', () => {
    const images = promotedImages(clusterWith(), 'production', '1.0', DIGEST_A);
    expect(images.get('Deployment/web')).toEqual([`ghcr.io/example/web:1.0@${DIGEST_A}`]);
  });

  it('the check catches a kustomization without the keys (a test that can fail)', () => {
    expect(() => kargoYamlUpdate('kind: Kustomization\nresources: []\n', [{ key: 'images.0.newTag', value: 'x' }])).toThrow(/key path not found/);
  });
});

describe('the steps that touch the network retry', () => {
  it('git-clone and git-push retry three times; argocd-update too, within the rollout budget', () => {
    const config = clusterWith();
    const bySteps = Object.fromEntries(steps(config).map((s) => [s.uses, s.retry]));
    expect(bySteps['git-clone']).toEqual({ errorThreshold: 3 });
    expect(bySteps['git-push']).toEqual({ errorThreshold: 3 });
    expect(bySteps['argocd-update']).toEqual({ errorThreshold: 3, timeout: '10m0s' });
    // Local steps fail at once: retrying a kustomize build that cannot build changes nothing.
    expect(bySteps['kustomize-build']).toBeUndefined();
  });

  it('the argocd-update timeout follows the migration and the startup probe, or the app\'s own', () => {
    const app = (extra: Record<string, unknown>) => resolveCluster(clusterWith((c) => Object.assign(c.apps[0], extra)), registry).config.apps[0]!;
    expect(rolloutBudgetSeconds(app({}))).toBe(600);
    // 1800 s migration + 30 failures x 10 s startup + 300 s.
    expect(rolloutBudgetSeconds(app({ migrate: { command: ['migrate'], timeoutSeconds: 1800 }, probes: { startup: '/ready' } }))).toBe(2400);
    expect(rolloutBudgetSeconds(app({ rolloutTimeoutSeconds: 120 }))).toBe(120);
    const config = clusterWith((c) => (c.apps[0].migrate = { command: ['migrate'], timeoutSeconds: 1800 }));
    // No startup probe: the default readiness probe's 3 failures x 10 s stand in for it (1800 + 30 + 300 s).
    expect(step(config, 'argocd-update').retry.timeout).toBe('35m30s');
  });
});

describe('commits that tell the story', () => {
  it('names the app, stage, image, tag, digest and Freight, by the default Plinth author', () => {
    const config = clusterWith();
    expect(step(config, 'git-commit').config.message.split('\n')[0]).toBe(
      'deploy web to ${{ ctx.stage }}: ${{ vars.image }}:${{ imageFrom(vars.image).Tag }}@${{ imageFrom(vars.image).Digest }} (freight ${{ ctx.targetFreight.name }})',
    );
    expect(step(config, 'git-commit').config.message).toContain('Promoted by: ${{ ctx.meta.promotion.actor }}');
    // The author goes on git-clone: git-commit's own is deprecated since Kargo v1.10 (git-commit-config.json).
    expect(step(config, 'git-clone').config.author).toEqual({ name: 'Plinth', email: 'plinth@example.org' });
    expect(step(config, 'git-commit').config.author).toBeUndefined();
  });

  it('takes the author from delivery.commitAuthor', () => {
    const config = clusterWith((c) => (c.delivery = { commitAuthor: { name: 'Release Bot', email: 'release@example.org' } }));
    expect(step(config, 'git-clone').config.author).toEqual({ name: 'Release Bot', email: 'release@example.org' });
  });

  it('refuses an author without an email address, naming the path', () => {
    const issues = configIssues(clusterWith((c) => (c.delivery = { commitAuthor: { name: 'Bot', email: 'not an email' } })));
    expect(issues.map((i) => i.path)).toEqual(['delivery.commitAuthor.email']);
  });
});

describe('push, not poll', () => {
  it('gives each app a receiver of its registry\'s kind in a ProjectConfig the pinned CRD accepts', async () => {
    const config = clusterWith((c) => {
      c.apps[1].image = 'quay.io/example/api';
      c.apps[2].image = 'registry.example.org/team/worker';
    });
    const cases: [string, string, Record<string, unknown>][] = [
      ['web', 'github', { secretRef: { name: 'kargo-webhook' } }],
      ['api', 'quay', { secretRef: { name: 'kargo-webhook' } }],
      [
        'worker',
        'generic',
        { secretRef: { name: 'kargo-webhook' }, actions: [{ action: 'Refresh', targetSelectionCriteria: [{ kind: 'Warehouse', name: 'worker' }] }] },
      ],
    ];
    for (const [app, kind, receiver] of cases) {
      const projectConfig = pipelineFile(config, `projectconfig-kargo-${app}`, app);
      expect(projectConfig.spec.webhookReceivers).toEqual([{ name: `${app}-push`, [kind]: receiver }]);
      expect(await checkCustomResource(projectConfig as any)).toEqual([]);
      const secret = pipelineFile(config, 'externalsecret-kargo-webhook', app);
      expect(secret.metadata.namespace).toBe(`kargo-${app}`);
      expect(secret.spec.data.map((d: any) => d.secretKey)).toEqual(['secret']);
      expect(await checkCustomResource(secret as any)).toEqual([]);
    }
  });

  it('declares the shared secret as a secret input, and reads it under the key each receiver expects', () => {
    const config = clusterWith((c) => (c.delivery = { receiver: 'artifactory' }));
    const inputs = declarations(render(config));
    const webhook = inputs.find((input) => input.name === 'kargo-webhook');
    expect(webhook?.keys.map((k) => k.key)).toEqual(['secret']);
    // akuity/kargo pkg/webhook/external/artifactory.go: artifactorySecretDataKey = "secret-token".
    expect(pipelineFile(config, 'externalsecret-kargo-webhook').spec.data.map((d: any) => d.secretKey)).toEqual(['secret-token']);
  });

  it('polls only when told to, or when Kargo has no ingress to receive on; no secret input then', () => {
    for (const change of [(c: any) => (c.delivery = { receiver: false }), (c: any) => (c.components.kargo = { ingress: false })]) {
      const config = clusterWith(change);
      const tree = render(config);
      expect(renderedFile(tree, 'workloads/web/pipeline/projectconfig-kargo-web.yaml').spec.webhookReceivers).toBeUndefined();
      expect(tree.files.has('workloads/web/pipeline/externalsecret-kargo-webhook.yaml')).toBe(false);
      expect(declarations(render(config)).map((i) => i.name)).not.toContain('kargo-webhook');
    }
  });

  it('polls at delivery.pollInterval, written as Go writes durations so the field reads back unchanged', () => {
    expect(pipelineFile(clusterWith(), 'warehouse-web').spec.interval).toBe('5m0s');
    expect(pipelineFile(clusterWith((c) => (c.delivery = { pollInterval: '90s' })), 'warehouse-web').spec.interval).toBe('1m30s');
    expect(pipelineFile(clusterWith((c) => (c.delivery = { pollInterval: '1h' })), 'warehouse-web').spec.interval).toBe('1h0m0s');
    expect(durationSeconds('1.5h')).toBe(5400);
    expect(goDurationString(5400)).toBe('1h30m0s');
  });

  it('refuses a poll faster than 30 s or not a duration, with a fix', () => {
    for (const pollInterval of ['10s', 'often', '0.5s']) {
      const issues = configIssues(clusterWith((c) => (c.delivery = { pollInterval })));
      expect(issues.map((i) => i.path), pollInterval).toEqual(['delivery.pollInterval']);
    }
  });

  it('reads the registry host as Docker does', () => {
    expect(registryHost('ghcr.io/org/api')).toBe('ghcr.io');
    expect(registryHost('library/nginx')).toBe('docker.io');
    expect(registryHost('nginx')).toBe('docker.io');
    expect(registryHost('localhost:5000/api')).toBe('localhost:5000');
  });
});
