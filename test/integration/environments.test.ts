import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { IDENTITY } from '../../src/commands/environment.ts';
import { connect, type LiveCluster } from '../../src/kube/client.ts';
import { readStore } from '../../src/secrets/store.ts';
import { runCli, tempDir, UPSTREAM } from '../helpers.ts';
import { startControlPlane, type TestCluster } from './control-plane.ts';

/**
 * Two real control planes side by side, one per environment of one config, reached through one kubeconfig with
 * a context each: the way a team's laptop sees its staging and production clusters.
 */
const planes: Record<'staging' | 'production', TestCluster> = {} as never;
const live: Record<'staging' | 'production', LiveCluster> = {} as never;
let dir: string;
let kubeconfig: string;
let crds: string;

const config = {
  name: 'seed',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: { 'argo-cd': { ingress: false }, 'external-secrets': {} },
  secretInputs: [{ name: 'team-token', purpose: 'a token the team hands its tools', keys: { token: 'the token' } }],
  environments: {
    staging: { context: 'staging', domain: 'staging.example.org' },
    production: { context: 'production' },
  },
};

/** One kubeconfig holding both control planes' clusters, users and contexts, renamed after the environments. */
async function mergedKubeconfig(): Promise<string> {
  const merged = { apiVersion: 'v1', kind: 'Config', clusters: [] as unknown[], users: [] as unknown[], contexts: [] as unknown[], 'current-context': 'staging' };
  for (const env of ['staging', 'production'] as const) {
    const own = parse(await readFile(planes[env].kubeconfig, 'utf8')) as { clusters: { cluster: unknown }[]; users: { user: unknown }[] };
    merged.clusters.push({ name: env, cluster: own.clusters[0]!.cluster });
    merged.users.push({ name: env, user: own.users[0]!.user });
    merged.contexts.push({ name: env, context: { cluster: env, user: env } });
  }
  const path = join(dir, 'kubeconfig');
  await writeFile(path, stringify(merged), { mode: 0o600 });
  return path;
}

const plinth = (args: string[], input?: string) => runCli([...args, '--kubeconfig', kubeconfig], { cwd: dir, ...(input !== undefined && { input }) });

beforeAll(async () => {
  [planes.staging, planes.production] = await Promise.all([startControlPlane(), startControlPlane()]);
  live.staging = await connect({ kubeconfig: planes.staging.kubeconfig });
  live.production = await connect({ kubeconfig: planes.production.kubeconfig });
  dir = await tempDir('plinth-environments-');
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  kubeconfig = await mergedKubeconfig();
  // Only the CRDs this config's objects need: Argo CD's and External Secrets'.
  crds = join(dir, 'crds');
  for (const component of ['argo-cd', 'external-secrets']) await cp(join(UPSTREAM, 'crds', component), join(crds, component), { recursive: true });
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(planes).map((plane) => plane?.stop()));
});

const identityOf = async (env: 'staging' | 'production') => (await live[env].get(IDENTITY))?.data as Record<string, string> | undefined;

describe('environments on two control planes', () => {
  it('apply --env reaches each environment\'s own cluster through its context, and records which environment it is', { timeout: 300_000 }, async () => {
    const staging = await plinth(['apply', '--env', 'staging', '--crds', crds, '--json']);
    expect(staging.code, staging.stderr).toBe(0);
    expect(JSON.parse(staging.stdout)).toMatchObject({ server: planes.staging.server, failed: [] });
    const uid = (await live.staging.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }))!.metadata.uid;
    expect(await identityOf('staging')).toEqual({ environment: 'staging', cluster: 'seed', 'kube-system-uid': uid });
    // Production is untouched: nothing of Plinth's there yet.
    expect(await identityOf('production')).toBeUndefined();
    expect(await live.production.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'seed-root', namespace: 'argocd' } }).catch(() => undefined)).toBeUndefined();

    const production = await plinth(['apply', '--env', 'production', '--crds', crds, '--json']);
    expect(production.code, production.stderr).toBe(0);
    expect(JSON.parse(production.stdout)).toMatchObject({ server: planes.production.server, failed: [] });
    expect((await identityOf('production'))?.environment).toBe('production');

    // Each root Application follows its environment's tree.
    const root = async (env: 'staging' | 'production') =>
      ((await live[env].get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'seed-root', namespace: 'argocd' } }))!.spec as { source: { path: string } }).source.path;
    expect(await root('staging')).toBe('rendered/staging/apps');
    expect(await root('production')).toBe('rendered/production/apps');
  });

  it('refuses to work on a cluster recorded as another environment, and a record copied from another cluster', { timeout: 120_000 }, async () => {
    const wrong = await plinth(['apply', '--env', 'staging', '--context', 'production', '--crds', crds]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `error: refusing to work on kubeconfig context "production" (${planes.production.server}) as environment "staging": Plinth recorded it as the cluster of environment "production" (ConfigMap kube-system/plinth-cluster)`,
    );
    expect(wrong.stderr).toContain('hint: pass --env production to work on that environment, or point environments.staging.context (or --context) at the staging cluster');
    // Read-only commands are guarded alike.
    for (const command of [['diff'], ['doctor', '--no-dns'], ['secrets', 'check']]) {
      const refused = await plinth([...command, '--env', 'production', '--context', 'staging']);
      expect(refused.code, command.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(/refusing to work on kubeconfig context "staging" .* as environment "production"/);
    }
    // Without --env, a config with environments names them and touches nothing.
    const none = await plinth(['apply', '--crds', crds]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('error: the config declares environments (staging, production): say which cluster with --env NAME');

    // Production's record copied onto staging (a restore of kube-system from the wrong backup) does not pass.
    const copy = (await live.production.get(IDENTITY))!;
    await live.staging.delete(IDENTITY);
    await live.staging.apply({ ...IDENTITY, data: copy.data } as never);
    const copied = await plinth(['diff', '--env', 'production', '--context', 'staging']);
    expect(copied.code).toBe(2);
    expect(copied.stderr).toMatch(/its record of environment "production" was made on another cluster \(kube-system uid [0-9a-f-]+, this cluster's is [0-9a-f-]+\), so it was copied here/);
    await live.staging.delete(IDENTITY);
    const again = await plinth(['apply', '--env', 'staging', '--crds', crds]);
    expect(again.code, again.stderr).toBe(0);
    expect((await identityOf('staging'))?.environment).toBe('staging');
  });

  it('doctor --env reports each environment from its own cluster', { timeout: 120_000 }, async () => {
    for (const env of ['staging', 'production'] as const) {
      const result = await plinth(['doctor', '--env', env, '--no-dns', '--json']);
      expect([0, 1], result.stderr).toContain(result.code);
      expect(JSON.parse(result.stdout)).toMatchObject({ cluster: 'seed', environment: env, server: planes[env].server });
      const text = await plinth(['doctor', '--env', env, '--no-dns']);
      expect(text.stdout.split('\n')[0]).toContain(`plinth doctor: seed (environment ${env}) ${planes[env].server}`);
    }
  });

  it('prepares a spoke its hub deploys: bootstrap records the environment and installs no Argo CD; apply sends you to the hub', { timeout: 120_000 }, async () => {
    const hubDir = await tempDir('plinth-environments-hub-');
    const hubConfig = {
      ...config,
      environments: {
        staging: { context: 'staging', managedBy: 'production', server: planes.staging.server, components: { 'argo-cd': false } },
        production: { context: 'production' },
      },
    };
    await writeFile(join(hubDir, 'plinth.config.json'), JSON.stringify(hubConfig));
    await live.staging.delete(IDENTITY);
    const spoke = await runCli(['bootstrap', '--env', 'staging', '--kubeconfig', kubeconfig, '--json'], { cwd: hubDir });
    expect(spoke.code, spoke.stderr).toBe(0);
    const result = JSON.parse(spoke.stdout) as { server: string; steps: { name: string; status: string }[]; checklist: string[] };
    expect(result.server).toBe(planes.staging.server);
    expect(result.steps).toEqual([{ name: 'ConfigMap/kube-system/plinth-cluster', status: 'created' }]);
    expect(result.checklist[0]).toMatch(/^give the hub this cluster's credentials: the secret input argocd-cluster-staging of environment "production"/);
    expect(result.checklist[1]).toBe(`apply the hub (plinth apply --env production, or let its Argo CD sync): its Argo CD runs this environment's root from rendered/staging/apps against ${planes.staging.server}`);
    expect((await identityOf('staging'))?.environment).toBe('staging');
    expect(await live.staging.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } })).toBeDefined(); // from the earlier apply, untouched
    expect(await live.staging.list('batch/v1', 'Job', { namespace: 'argocd' })).toEqual([]);

    const apply = await runCli(['apply', '--env', 'staging', '--kubeconfig', kubeconfig, '--crds', crds], { cwd: hubDir });
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain('error: environment "staging" is deployed by environment "production"\'s Argo CD: nothing is applied to it directly; nothing was applied');
    expect(apply.stderr).toContain('hint: plinth apply --env production (the hub\'s tree runs this environment\'s root)');
  });

  it('keeps secret inputs per environment: each store apart, a backup restores into its own environment unless --from-env', { timeout: 120_000 }, async () => {
    const set = await plinth(['secrets', 'set', '--env', 'production', 'team-token', 'token'], 'production-value\n');
    expect(set.code, set.stderr).toBe(0);
    expect((await readStore(live.production)).get('team-token')?.get('token')?.toString()).toBe('production-value');
    expect((await readStore(live.staging)).get('team-token')).toBeUndefined();
    const check = async (env: string) => JSON.parse((await plinth(['secrets', 'check', '--env', env, '--json'])).stdout) as { server: string; missing: number };
    // The same declarations (the team token, Argo CD's repository credentials), one store each: staging lacks the token.
    const [production, staging] = [await check('production'), await check('staging')];
    expect(production.server).toBe(planes.production.server);
    expect(staging.server).toBe(planes.staging.server);
    expect(staging.missing).toBe(production.missing + 1);

    const identity = await generateIdentity();
    const identityFile = join(dir, 'escrow.key');
    await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });
    const backup = await plinth(['secrets', 'backup', '--env', 'production', '--to', 'production.age', '--recipient', await identityToRecipient(identity), '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ server: planes.production.server, environment: 'production' });
    // Without --env the backup still records what the cluster is.
    const plain = await runCli(['secrets', 'backup', '--kubeconfig', kubeconfig, '--context', 'production', '--to', 'plain.age', '--recipient', await identityToRecipient(identity), '--json'], { cwd: dir });
    expect(JSON.parse(plain.stdout)).toMatchObject({ environment: 'production' });

    const refused = await plinth(['secrets', 'restore', '--env', 'staging', '--from', 'production.age', '--identity', identityFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error: production.age is a backup of environment "production"; refusing to restore it into environment "staging"; nothing was restored');
    expect(refused.stderr).toContain('hint: restore a backup of staging, or pass --from-env production to put production\'s secret inputs here on purpose');
    expect((await readStore(live.staging)).get('team-token')).toBeUndefined();
    const mistaken = await plinth(['secrets', 'restore', '--env', 'staging', '--from', 'production.age', '--identity', identityFile, '--from-env', 'local']);
    expect(mistaken.code).toBe(2);
    expect(mistaken.stderr).toContain('--from-env local: production.age is a backup of environment "production"');

    // Into its own environment, and into another when asked explicitly.
    await live.production.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'team-token', namespace: 'plinth-secrets' } });
    const own = await plinth(['secrets', 'restore', '--env', 'production', '--from', 'production.age', '--identity', identityFile]);
    expect(own.code, own.stderr).toBe(0);
    expect((await readStore(live.production)).get('team-token')?.get('token')?.toString()).toBe('production-value');
    const explicit = await plinth(['secrets', 'restore', '--env', 'staging', '--from', 'production.age', '--identity', identityFile, '--from-env', 'production']);
    expect(explicit.code, explicit.stderr).toBe(0);
    expect((await readStore(live.staging)).get('team-token')?.get('token')?.toString()).toBe('production-value');
  });
});
