// `plinth webhooks` on a real API server with the pinned Kargo CRDs: it reads the receiver URL Kargo's management
// controller publishes in the ProjectConfig status (here written by the test through the status subresource, as the
// controller writes it), and says what is missing until then.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registry } from '../../src/components/index.ts';
import { resolveCluster } from '../../src/config/validate.ts';
import { renderTree } from '../../src/core/render.ts';
import { minimalCluster, runCli, tempDir, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { controlPlaneBinary } from './control-plane.ts';

const cluster = useControlPlane();
const run = promisify(execFile);
const kubectl = async (args: string[]) => (await run(controlPlaneBinary(), ['kubectl', '--kubeconfig', cluster.control.kubeconfig, ...args])).stdout;

async function configDir(config: Record<string, any>): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

const webhooks = async (dir: string, ...args: string[]) => {
  const cli = await runCli(['webhooks', '--kubeconfig', cluster.control.kubeconfig, ...args], { cwd: dir });
  return { ...cli, result: args.includes('--json') ? JSON.parse(cli.stdout) : undefined };
};

describe('plinth webhooks', () => {
  it('before Kargo is installed: every receiver pending, saying why, exit 1', async () => {
    const dir = await configDir(minimalCluster());
    const cli = await webhooks(dir, '--json');
    expect(cli.code).toBe(1);
    expect(cli.result.ready).toBe(false);
    expect(cli.result.entries.map((e: any) => [e.app, e.status, e.receiver.kind])).toEqual([
      ['web', 'pending', 'github'],
      ['api', 'pending', 'github'],
      ['worker', 'pending', 'github'],
    ]);
    expect(cli.result.entries[0].detail).toMatch(/^Kargo is not installed yet/);
  });

  it('prints the URL Kargo published and where to paste it, once the ProjectConfig has it', { timeout: 120_000 }, async () => {
    await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', 'kargo', 'kargo.akuity.io_projectconfigs.yaml')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/projectconfigs.kargo.akuity.io']);
    const config = minimalCluster();
    const tree = renderTree(resolveCluster(config, registry), registry);
    // The rendered Namespace and ProjectConfig of the web app, as Argo CD would sync them.
    for (const file of ['workloads/web/pipeline/cluster-namespace-kargo-web.yaml', 'workloads/web/pipeline/projectconfig-kargo-web.yaml'])
      await cluster.live.apply(parse(tree.files.get(file)!));
    const dir = await configDir(config);

    const before = await webhooks(dir, '--json', '--app', 'web');
    expect(before.result.entries[0]).toMatchObject({ status: 'pending', detail: 'Kargo has not published it yet: run again in a minute' });

    // What the management controller writes (akuity/kargo pkg/controller/management/projectconfigs/project_configs.go):
    // the receiver's path is <base>/<kind>/<sha256 of project, name and secret>.
    const path = `/webhooks/github/${'3f'.repeat(32)}`;
    await cluster.live.mergePatchStatus(
      { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'ProjectConfig', metadata: { name: 'kargo-web', namespace: 'kargo-web' } },
      { status: { webhookReceivers: [{ name: 'web-push', path, url: `https://kargo.example.org${path}` }] } },
    );
    const after = await webhooks(dir, '--json', '--app', 'web');
    expect(after.code).toBe(0);
    expect(after.result.entries).toEqual([
      expect.objectContaining({ app: 'web', status: 'ready', url: `https://kargo.example.org${path}`, receiver: { kind: 'github', name: 'web-push' } }),
    ]);
    const text = await webhooks(dir, '--app', 'web');
    expect(text.stdout).toContain(`web: github receiver https://kargo.example.org${path}`);
    expect(text.stdout).toContain('Settings > Webhooks > Add webhook');
    expect(text.stdout).toContain('at the next poll (every 5m0s)');
  });

  it('an app without a receiver polls, and is never pending', async () => {
    const config = minimalCluster();
    config.delivery = { receiver: false };
    const cli = await webhooks(await configDir(config), '--json');
    expect(cli.code).toBe(0);
    expect(cli.result.entries.every((e: any) => e.status === 'poll' && e.detail === 'delivery.receiver is false')).toBe(true);
  });

  it('refuses an unknown app, naming the apps there are', async () => {
    const cli = await webhooks(await configDir(minimalCluster()), '--app', 'nope');
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('no app "nope" in the config');
    expect(cli.stderr).toContain('name one of: web, api, worker');
  });
});
