import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../index.ts';
import { loadCluster } from '../../config/load.ts';
import { renderTree, SYNC_WAVE, type RenderedTree } from '../../core/render.ts';
import type { K8sObject } from '../../core/types.ts';
import { REPO } from '../../../test/helpers.ts';
import { APPLICATION_HEALTH_LUA } from './index.ts';

interface Health {
  status: string;
  message: string;
}

/** The health Argo CD's controller computes with the script, in the interpreter it uses (test/argolua, gopher-lua). */
async function assess(objects: K8sObject[]): Promise<Health[]> {
  const run = promisify(execFile)('go', ['run', '.'], { cwd: join(REPO, 'test', 'argolua'), env: { ...process.env, GOFLAGS: '' } });
  run.child.stdin!.end(JSON.stringify({ script: APPLICATION_HEALTH_LUA, objects }));
  return JSON.parse((await run).stdout) as Health[];
}

/**
 * What the root's sync does with its children, wave by wave, as gitops-engine's Sync does (argo-cd v3.4.4
 * gitops-engine/pkg/sync/sync_context.go): a wave's objects are applied; the next wave starts once every one of them
 * is Healthy; a Degraded one fails the sync; anything else keeps it waiting.
 */
function rootSync(children: K8sObject[], healths: Health[]): { applied: string[]; outcome: string } {
  const waves = [...new Set(children.map((c) => Number(c.metadata.annotations?.[SYNC_WAVE] ?? 0)))].sort((a, b) => a - b);
  const applied: string[] = [];
  for (const wave of waves) {
    const inWave = children.map((c, i) => ({ name: c.metadata.name, health: healths[i]! })).filter((_, i) => Number(children[i]!.metadata.annotations?.[SYNC_WAVE] ?? 0) === wave);
    applied.push(...inWave.map((c) => c.name));
    if (wave === waves.at(-1)) return { applied, outcome: 'succeeded' };
    const degraded = inWave.find((c) => c.health.status === 'Degraded');
    if (degraded) return { applied, outcome: `failed at wave ${wave} on ${degraded.name}` };
    const waiting = inWave.find((c) => c.health.status !== 'Healthy');
    if (waiting) return { applied, outcome: `waiting at wave ${wave} on ${waiting.name}` };
  }
  return { applied, outcome: 'succeeded' };
}

let tree: RenderedTree;
let children: K8sObject[];
beforeAll(async () => {
  tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
  children = tree.objects.filter((o) => o.file.startsWith('apps/') && o.object.kind === 'Application').map((o) => o.object);
});

const synced = { sync: { status: 'Synced' }, operationState: { phase: 'Succeeded' }, history: [{ id: 0 }] };
const withStatus = (object: K8sObject, status: Record<string, unknown>): K8sObject => ({ ...object, status });
const healthy = (object: K8sObject) => withStatus(object, { ...synced, health: { status: 'Healthy' } });

describe('wave gating of the root Application', () => {
  it('a Degraded component in wave 0 does not stop wave 1, where a component that does not need it is synced', { timeout: 120_000 }, async () => {
    const waveOf = new Map(tree.components.map((c) => [c.id, c.wave]));
    const needs = new Map(tree.components.map((c) => [c.id, c.needs]));
    // In the ordering Plinth computes: cert-manager is in wave 0, valkey in wave 1 for its own need only.
    expect(waveOf.get('cert-manager')).toBe(0);
    expect(waveOf.get('valkey')).toBe(1);
    expect(needs.get('valkey')).toEqual(['secret-generator']);
    expect(needs.get('designate-webhook')).toContain('cert-manager');

    const statuses = children.map((child) =>
      child.metadata.name === 'cert-manager'
        ? withStatus(child, { ...synced, health: { status: 'Degraded', message: 'ClusterIssuer letsencrypt-prod: ACME server unreachable' } })
        : healthy(child),
    );
    const healths = await assess(statuses);
    const certManager = healths[children.findIndex((c) => c.metadata.name === 'cert-manager')]!;
    expect(certManager).toEqual({ status: 'Healthy', message: 'Degraded (does not hold later waves): ClusterIssuer letsencrypt-prod: ACME server unreachable' });
    // In what the rendered annotations tell Argo CD: the root's sync goes on past wave 0 and syncs valkey.
    const sync = rootSync(children, healths);
    expect(sync.outcome).toBe('succeeded');
    expect(sync.applied).toContain('valkey');
    // A component that needs it is applied too, and fails or retries on its own until cert-manager recovers.
    expect(sync.applied).toContain('designate-webhook');
  });

  it('a component still installing holds the later waves, which is what waves are for (the check can fail)', { timeout: 120_000 }, async () => {
    const statuses = children.map((child) =>
      child.metadata.name === 'secret-generator' ? withStatus(child, { ...synced, health: { status: 'Progressing', message: 'Waiting for rollout to finish' } }) : healthy(child),
    );
    const sync = rootSync(children, await assess(statuses));
    expect(sync.outcome).toBe('waiting at wave 0 on secret-generator');
    expect(sync.applied).not.toContain('valkey');
    // Without a status at all (just created), it holds them too.
    expect((await assess([children[0]!]))[0]).toEqual({ status: 'Progressing', message: '' });
  });

  it('a component whose manifests cannot be generated does not hold them either, and says why', { timeout: 120_000 }, async () => {
    const app = children.find((c) => c.metadata.name === 'eraser')!;
    const [health] = await assess([
      withStatus(app, { sync: { status: 'Unknown' }, health: { status: 'Healthy' }, conditions: [{ type: 'ComparisonError', message: 'chart eraser 1.4.1 not found' }] }),
    ]);
    expect(health).toEqual({ status: 'Healthy', message: 'Degraded (does not hold later waves): ComparisonError: chart eraser 1.4.1 not found' });
  });
});

describe('a stage Application before its first promotion', () => {
  const branchMissing = "Failed to load target state: unable to resolve 'plinth/web/production' to a commit SHA";

  it('is waiting for the first promotion, never Healthy, so the root does not report Healthy with the stage not deployed', { timeout: 120_000 }, async () => {
    const stage = children.find((c) => c.metadata.name === 'web-production')!;
    expect(stage.metadata.annotations?.['kargo.akuity.io/authorized-stage']).toBe('kargo-web:production');
    const [health] = await assess([
      withStatus(stage, { sync: { status: 'Unknown' }, health: { status: 'Healthy' }, conditions: [{ type: 'ComparisonError', message: branchMissing }] }),
    ]);
    expect(health).toEqual({ status: 'Progressing', message: `waiting for the first promotion of web-production: ${branchMissing}` });
    // It is in the last wave: waiting there holds nothing back.
    const waves = children.map((c) => Number(c.metadata.annotations?.[SYNC_WAVE] ?? 0));
    expect(Number(stage.metadata.annotations?.[SYNC_WAVE])).toBe(Math.max(...waves));
  });

  it('once promoted, a later ComparisonError is a failure like any other', { timeout: 120_000 }, async () => {
    const stage = children.find((c) => c.metadata.name === 'web-production')!;
    const [later, running] = await assess([
      withStatus(stage, { ...synced, health: { status: 'Healthy' }, conditions: [{ type: 'ComparisonError', message: 'kustomize build failed' }] }),
      healthy(stage),
    ]);
    expect(later).toEqual({ status: 'Healthy', message: 'Degraded (does not hold later waves): ComparisonError: kustomize build failed' });
    expect(running).toEqual({ status: 'Healthy', message: '' });
  });
});

describe("argo-cd's own health for gating", () => {
  it('leaves out its Ingress, which is served only once traefik in the same wave has an address', () => {
    const app = tree.objects.find((o) => o.file === 'apps/argo-cd.yaml')!.object;
    const chart = (app.spec as { sources: { helm?: { valuesObject: any } }[] }).sources.find((s) => s.helm)!;
    expect(chart.helm!.valuesObject.server.ingress.annotations['argocd.argoproj.io/ignore-healthcheck']).toBe('true');
  });
});
