// plinth promote, releases and doctor against a real API server serving the pinned Kargo CRDs (crds/kargo). The test
// plays Kargo's controller: it writes Freight, Stage and Promotion status through the status subresource, as
// Kargo v1.11.2 does, and the commands read what it wrote.
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { BIN, type CliResult, collectOutput, minimalCluster, runCli, tempDir, UPSTREAM } from '../helpers.ts';
import { controlPlaneBinary } from './control-plane.ts';
import { until, useControlPlane } from './live.ts';
/** This file's patience: the shared poll with its own timeout. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, seconds = 60) => until(what, probe, seconds, 250);

const cluster = useControlPlane();
const run = promisify(execFile);
const KARGO = 'kargo.akuity.io/v1alpha1';
const NS = 'kargo-api';
const IMAGE = 'ghcr.io/example/api';
const origin = { kind: 'Warehouse', name: 'api' };
const sha = (c: string) => `sha256:${c.repeat(64)}`;
/** Freight as Kargo's Warehouse creates it: its name is the hash of its artifacts (api/v1alpha1/freight_types.go). */
const FREIGHT = {
  v100: { name: 'a'.repeat(40), tag: '1.0.0', digest: sha('a'), alias: 'early-eagle' },
  v110: { name: 'b'.repeat(40), tag: '1.1.0', digest: sha('b'), alias: 'brave-bison' },
  v120: { name: 'c'.repeat(40), tag: '1.2.0', digest: sha('c'), alias: 'calm-camel' },
};
const ref = (f: (typeof FREIGHT)[keyof typeof FREIGHT]) => ({ name: f.name, origin, images: [{ repoURL: IMAGE, tag: f.tag, digest: f.digest }] });

let dir: string;
let config: string;

async function kubectl(args: string[]): Promise<string> {
  return (await run(controlPlaneBinary(), ['kubectl', '--kubeconfig', cluster.control.kubeconfig, ...args], { maxBuffer: 64 * 2 ** 20 })).stdout;
}
const plinth = (...args: string[]) => runCli([...args, '-c', config, '--kubeconfig', cluster.control.kubeconfig], { cwd: dir });
const status = async (kind: string, name: string, value: Record<string, unknown>, namespace = NS) => {
  const written = await cluster.live.mergePatchStatus({ apiVersion: KARGO, kind, metadata: { name, namespace } }, { status: value });
  if (!written) throw new Error(`no ${kind} ${namespace}/${name}`);
};
const promotions = async () => cluster.live.list(KARGO, 'Promotion', { namespace: NS });
const newPromotion = async (before: K8sObject[]) => {
  const known = new Set(before.map((p) => p.metadata.name));
  return (await promotions()).filter((p) => !known.has(p.metadata.name));
};


/** The CLI as a child process, for --wait: the test writes the Promotion's status while it runs. */
function startCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '-c', config, '--kubeconfig', cluster.control.kubeconfig], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collectOutput(child).then(resolve, reject);
  });
}

/** Steps as Kargo writes stepExecutionMetadata: each done one Succeeded, then `last` for the step it stopped at. */
const executions = (promotion: K8sObject, done: number, last?: { status: string; message?: string }) =>
  ((promotion.spec as { steps: { as: string }[] }).steps.slice(0, done + (last ? 1 : 0)) ?? []).map((step, i) => ({
    alias: step.as,
    startedAt: '2026-12-06T03:00:00Z',
    ...(i < done ? { status: 'Succeeded', finishedAt: '2026-12-06T03:00:01Z' } : { ...last, errorCount: 1 }),
  }));

beforeAll(async () => {
  dir = await tempDir();
  config = join(dir, 'plinth.config.json');
  await writeFile(config, JSON.stringify({ ...minimalCluster(), apps: [{ name: 'api', image: IMAGE, stages: ['staging', 'production'] }] }));

  await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', 'kargo')]);
  await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', 'argo-cd', 'application-crd.yaml')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/stages.kargo.akuity.io', 'crd/freights.kargo.akuity.io', 'crd/promotions.kargo.akuity.io', 'crd/promotiontasks.kargo.akuity.io', 'crd/applications.argoproj.io']);

  // The app's pipeline as Plinth renders it: namespace, Project, Warehouse, PromotionTask and the two Stages.
  const tree = renderTree(await loadCluster(dir, config, registry), registry);
  const pipeline = tree.objects
    .map((o) => o.object)
    .filter((o) => (o.kind === 'Namespace' && o.metadata.name === NS) || (o.metadata.namespace === NS && o.apiVersion === KARGO) || (o.kind === 'Project' && o.metadata.name === NS));
  for (const object of pipeline) await cluster.live.apply(object);

  // The Argo CD and Kargo servers doctor checks for, running on kwok: the controllers Promotions wait on are up.
  for (const [namespace, name] of [['argocd', 'argocd-server'], ['kargo', 'kargo-api']] as const) {
    await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await cluster.live.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'registry.k8s.io/pause:3.10' }] } } },
    });
  }

  await waitFor('the Argo CD and Kargo servers to be available', async () => {
    const ready = await Promise.all([['argocd', 'argocd-server'], ['kargo', 'kargo-api']].map(async ([namespace, name]) =>
      (((await cluster.live.get({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: name!, namespace } }))?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) > 0));
    return ready.every(Boolean) || undefined;
  }, 120);

  // Three Freight the Warehouse found; 1.0.0 and 1.1.0 passed staging, 1.2.0 has not yet.
  for (const [i, f] of Object.values(FREIGHT).entries()) {
    await cluster.live.apply({
      apiVersion: KARGO,
      kind: 'Freight',
      metadata: { name: f.name, namespace: NS, labels: { 'kargo.akuity.io/alias': f.alias } },
      alias: f.alias,
      origin,
      images: [{ repoURL: IMAGE, tag: f.tag, digest: f.digest }],
      discoveredAt: `2026-12-0${i + 1}T10:00:00Z`,
    } as K8sObject);
  }
  await status('Freight', FREIGHT.v100.name, { verifiedIn: { staging: {}, production: {} } });
  await status('Freight', FREIGHT.v110.name, { verifiedIn: { staging: {}, production: {} } });
  await status('Warehouse', 'api', { lastFreightID: FREIGHT.v120.name, conditions: [{ type: 'Ready', status: 'True', reason: 'Synced', message: 'ok', lastTransitionTime: '2026-12-06T00:00:00Z' }] });
  // production ran 1.0.0, then 1.1.0 (its current Freight); staging runs 1.2.0.
  await status('Stage', 'production', { freightHistory: [{ id: 'h2', items: { 'Warehouse/api': ref(FREIGHT.v110) } }, { id: 'h1', items: { 'Warehouse/api': ref(FREIGHT.v100) } }] });
  await status('Stage', 'staging', { freightHistory: [{ id: 'h3', items: { 'Warehouse/api': ref(FREIGHT.v120) } }] });
}, 300_000);

describe('plinth promote on a control plane with the pinned Kargo CRDs', () => {
  it('--previous creates the Promotion Kargo would, for the Freight production ran before its current one, and the API server accepts it', async () => {
    const before = await promotions();
    const result = await plinth('--json', 'promote', 'api', 'production', '--previous');
    expect(result.stderr).toContain('created Promotion kargo-api/production.');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ app: 'api', stage: 'production', selectedBy: 'previous', approved: false, freight: { name: FREIGHT.v100.name, tag: '1.0.0', digest: FREIGHT.v100.digest, alias: 'early-eagle' } });

    const [created] = await newPromotion(before);
    expect(created!.metadata.name).toBe(output.promotion);
    expect(created!.metadata.name).toMatch(/^production\.[0-9a-hjkmnp-tv-z]{26}\.aaaaaaa$/);
    const spec = created!.spec as { stage: string; freight: string; steps: { uses: string; as: string }[] };
    expect([spec.stage, spec.freight]).toEqual(['production', FREIGHT.v100.name]);
    // The PromotionTask's steps, inflated as Kargo's webhook does.
    const task = await cluster.live.get({ apiVersion: KARGO, kind: 'PromotionTask', metadata: { name: 'promote', namespace: NS } });
    expect(spec.steps.map((s) => s.uses)).toEqual((task!.spec as { steps: { uses: string }[] }).steps.map((s) => s.uses));
    expect(spec.steps.every((s) => s.as.startsWith('task-1::'))).toBe(true);
    const stage = await cluster.live.get({ apiVersion: KARGO, kind: 'Stage', metadata: { name: 'production', namespace: NS } });
    expect(created!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Stage', name: 'production', uid: stage!.metadata.uid, controller: true })]);
    expect(created!.metadata.annotations?.['kargo.akuity.io/create-actor']).toMatch(/^kubernetes:.+/);
  });

  it('refuses Freight not verified in staging unless --force, which approves it for production first as kargo approve does', async () => {
    const before = await promotions();
    const refused = await plinth('promote', 'api', 'production', '--image', '1.2.0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`Freight ${FREIGHT.v120.name} (1.2.0@${FREIGHT.v120.digest}) is not verified in staging, so stage production may not run it yet`);
    expect(refused.stderr).toContain('--force');
    expect(await newPromotion(before)).toEqual([]);
    const untouched = await cluster.live.get({ apiVersion: KARGO, kind: 'Freight', metadata: { name: FREIGHT.v120.name, namespace: NS } });
    expect((untouched!.status as { approvedFor?: object } | undefined)?.approvedFor).toBeUndefined();

    const forced = await plinth('promote', 'api', 'production', '--image', '1.2.0', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('approved Freight ccccccc (calm-camel) 1.2.0@sha256:cccccccccccc… for production (--force): it is not verified upstream');
    const approved = await cluster.live.get({ apiVersion: KARGO, kind: 'Freight', metadata: { name: FREIGHT.v120.name, namespace: NS } });
    expect(Object.keys((approved!.status as { approvedFor: object }).approvedFor)).toEqual(['production']);
    expect((await newPromotion(before)).map((p) => (p.spec as { freight: string }).freight)).toEqual([FREIGHT.v120.name]);
  });

  it('names the unknown app, stage or Freight and lists the valid ones (exit 2, nothing created)', async () => {
    const before = await promotions();
    const app = await plinth('promote', 'web', 'production');
    expect([app.code, app.stderr]).toEqual([2, 'error: no app "web" in the config\n  hint: the apps: api\n']);
    const stage = await plinth('promote', 'api', 'qa');
    expect([stage.code, stage.stderr]).toEqual([2, 'error: app api has no stage "qa"\n  hint: its stages: staging, production\n']);
    const freight = await plinth('promote', 'api', 'production', '--freight', 'deadbeef');
    expect(freight.code).toBe(2);
    expect(freight.stderr).toContain('error: no Freight "deadbeef" in app api');
    expect(freight.stderr).toContain(`hint: the Freight of app api, newest first: ccccccc (calm-camel) 1.2.0@${FREIGHT.v120.digest}, bbbbbbb (brave-bison) 1.1.0@${FREIGHT.v110.digest}, aaaaaaa (early-eagle) 1.0.0@${FREIGHT.v100.digest}`);
    const tag = await plinth('promote', 'api', 'production', '--image', '9.9.9');
    expect([tag.code, tag.stderr.split('\n')[0]]).toEqual([2, `error: no Freight of app api has the image ${IMAGE}:9.9.9`]);
    const both = await plinth('promote', 'api', 'production', '--previous', '--image', '1.1.0');
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([2, 'error: --image and --previous each pick the Freight: give one']);
    expect(await newPromotion(before)).toEqual([]);
  });

  it('--wait follows the steps Kargo reports and exits 1 naming the failed step when the promotion fails; 0 when it succeeds', async () => {
    const before = await promotions();
    const waiting = startCli(['promote', 'api', 'production', '--freight', 'brave-bison', '--wait']);
    const created = await waitFor('the Promotion', async () => (await newPromotion(before))[0]);
    await status('Promotion', created.metadata.name, { phase: 'Running', currentStep: 2, stepExecutionMetadata: executions(created, 2, { status: 'Running' }) });
    await new Promise((r) => setTimeout(r, 2500));
    const steps = (created.spec as { steps: { as: string; uses: string }[] }).steps;
    const total = steps.length;
    const failure = { status: 'Failed', message: 'Application argocd/api-production sync timed out after 5m0s' };
    await status('Promotion', created.metadata.name, { phase: 'Failed', message: 'step "task-1::step-7" failed', currentStep: total - 1, stepExecutionMetadata: executions(created, total - 1, failure) });
    const failed = await waiting;
    expect(failed.code).toBe(1);
    const [third, last] = [steps[2]!, steps[total - 1]!];
    expect(failed.stderr).toContain(`step 3/${total} ${third.as} (${third.uses}): Running`);
    expect(failed.stderr).toContain(`step ${total}/${total} ${last.as} (${last.uses}): Failed: Application argocd/api-production sync timed out after 5m0s`);
    expect(failed.stdout).toContain(`✗ api production <- Freight bbbbbbb (brave-bison) 1.1.0@sha256:bbbbbbbbbbbb…: Promotion ${created.metadata.name} Failed`);
    expect(failed.stdout).toContain(`failed at step ${total}/${total} ${last.as} (${last.uses}) Failed: Application argocd/api-production sync timed out after 5m0s`);
    expect(failed.stdout).toContain(`resume: plinth promote api production --freight ${FREIGHT.v110.name} --wait`);

    const again = await promotions();
    const succeeding = startCli(['--json', 'promote', 'api', 'staging', '--freight', FREIGHT.v120.name, '--wait']);
    const second = await waitFor('the second Promotion', async () => (await newPromotion(again))[0]);
    await status('Promotion', second.metadata.name, { phase: 'Succeeded', currentStep: total - 1, finishedAt: '2026-12-06T03:10:00Z', stepExecutionMetadata: executions(second, total) });
    const succeeded = await succeeding;
    expect(succeeded.code).toBe(0);
    expect(JSON.parse(succeeded.stdout)).toMatchObject({ phase: 'Succeeded', stage: 'staging', steps: expect.arrayContaining([expect.objectContaining({ number: total, status: 'Succeeded' })]) });
  });

  it('plinth releases reads Freight, Stage and Promotion status: tag, digest, when, by whom and the stage branch commit', async () => {
    // Kargo finishes the --previous promotion of 1.0.0 and records it as production's current Freight.
    const rollback = (await promotions()).find((p) => (p.spec as { freight: string; stage: string }).freight === FREIGHT.v100.name)!;
    const steps = (rollback.spec as { steps: { uses: string; as: string }[] }).steps;
    const push = steps.find((s) => s.uses === 'git-push')!.as;
    await status('Promotion', rollback.metadata.name, {
      phase: 'Succeeded',
      finishedAt: '2026-12-06T03:05:00Z',
      currentStep: steps.length - 1,
      stepExecutionMetadata: executions(rollback, steps.length),
      state: { [push]: { commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b', branch: 'plinth/api/production' } },
    });
    await status('Stage', 'production', {
      freightHistory: [{ id: 'h4', items: { 'Warehouse/api': ref(FREIGHT.v100) } }, { id: 'h2', items: { 'Warehouse/api': ref(FREIGHT.v110) } }, { id: 'h1', items: { 'Warehouse/api': ref(FREIGHT.v100) } }],
      lastPromotion: { name: rollback.metadata.name, freight: ref(FREIGHT.v100), status: { phase: 'Succeeded' }, finishedAt: '2026-12-06T03:05:00Z' },
    });

    const json = await plinth('--json', 'releases', 'api');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    const production = result.stages.find((s: { stage: string }) => s.stage === 'production');
    expect(production.releases.map((r: Record<string, unknown>) => [r.freight, r.tag, r.current, r.promotedAt, r.commit])).toEqual([
      [FREIGHT.v100.name, '1.0.0', true, '2026-12-06T03:05:00Z', '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'],
      [FREIGHT.v110.name, '1.1.0', false, undefined, undefined],
      [FREIGHT.v100.name, '1.0.0', false, undefined, undefined],
    ]);
    expect(production.releases[0]).toMatchObject({ digest: FREIGHT.v100.digest, alias: 'early-eagle', promotion: rollback.metadata.name, promotedBy: expect.stringMatching(/^kubernetes:/) });
    expect(result.stages.map((s: { stage: string }) => s.stage)).toEqual(['staging', 'production']);

    const table = await plinth('releases', 'api');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/production\s+\*\s+aaaaaaa early-eagle\s+1\.0\.0@sha256:a{12}…\s+2026-12-06T03:05:00Z\s+kubernetes:\S+\s+1a2b3c4/);
  });

  it('plinth doctor fails the stage whose last promotion failed, naming the step, the Freight and the command that resumes it', async () => {
    const failed = (await promotions()).find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Failed')!;
    await status('Stage', 'production', {
      autoPromotionEnabled: true,
      lastPromotion: { name: failed.metadata.name, freight: ref(FREIGHT.v110), status: { phase: 'Failed', message: 'step "task-1::step-7" failed' }, finishedAt: '2026-12-06T03:06:00Z' },
    });
    const resume = `plinth promote api production --freight ${FREIGHT.v110.name} --wait`;
    const json = await plinth('--json', 'doctor', '--no-dns');
    expect(json.code).toBe(1);
    const check = JSON.parse(json.stdout).features.find((f: { id: string }) => f.id === 'app:api').checks.find((c: { name: string }) => c.name === 'stage production: promoted the latest Freight');
    expect(check.status).toBe('fail');
    const steps = (failed.spec as { steps: { as: string; uses: string }[] }).steps;
    const last = steps.at(-1)!;
    expect(check.message).toBe(
      `last promotion ${failed.metadata.name} Failed at step ${steps.length}/${steps.length} ${last.as} (${last.uses}) Failed: Application argocd/api-production sync timed out after 5m0s; ` +
        `Freight ${FREIGHT.v110.name} (1.1.0@${FREIGHT.v110.digest}); auto-promotion is halted until a promotion of this stage succeeds`,
    );
    expect(check.hint).toBe(`fix the cause, then resume: ${resume}`);
    const text = await plinth('doctor', '--no-dns');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(resume);
  });
});
