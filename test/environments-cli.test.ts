import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, minimalCluster, runCli, snapshotDir, stagedCluster } from './helpers.ts';

function withEnvironments(): Record<string, any> {
  const config = stagedCluster();
  config.environments = {
    staging: { context: 'staging', stages: ['staging'], apps: [{ name: 'web', replicas: 1 }] },
    production: { context: 'production', stages: ['production'] },
  };
  return config;
}

describe('environments through the CLI', () => {
  it('writes one tree per environment, byte-identical run to run, and --check compares them all', async () => {
    const dir = await configDir(withEnvironments());
    const first = await runCli(['render', '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.environments.map((e: { environment: string; outDir: string }) => [e.environment, e.outDir])).toEqual([
      ['staging', join(dir, 'rendered', 'staging')],
      ['production', join(dir, 'rendered', 'production')],
    ]);
    const tree = await snapshotDir(join(dir, 'rendered'));
    expect(tree.get('staging/bootstrap/root.yaml')).toContain('path: rendered/staging/apps');
    expect(tree.get('production/bootstrap/root.yaml')).toContain('path: rendered/production/apps');
    // Each tree's catalogue page names its environment.
    expect(tree.get('staging/README.md')).toContain('# test (staging): platform catalogue\n\nEnvironment `staging` of the config, reached through kubeconfig context `staging`; app stages here: `staging`.');
    expect(tree.get('production/README.md')).toContain('# test (production): platform catalogue');
    expect(tree.has('staging/apps/web-staging.yaml') && !tree.has('staging/apps/web-production.yaml')).toBe(true);

    const again = await runCli(['render'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('environment staging\n✓ rendered');
    expect(await snapshotDir(join(dir, 'rendered'))).toEqual(tree);
    expect((await runCli(['render', '--check'], { cwd: dir })).code).toBe(0);

    await rm(join(dir, 'rendered', 'production', 'apps', 'web-production.yaml'));
    const stale = await runCli(['render', '--check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('✓ rendered/staging is up to date');
    expect(stale.stdout).toContain('✗ rendered/production is stale');
    // --env renders (and checks) one environment only.
    expect((await runCli(['render', '--check', '--env', 'staging'], { cwd: dir })).code).toBe(0);
  });

  it('warns of the one-cluster tree left beside the environments\' trees, and of a removed environment\'s', async () => {
    const dir = await configDir(minimalCluster());
    expect((await runCli(['render'], { cwd: dir })).code).toBe(0);
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(withEnvironments()));
    await mkdir(join(dir, 'rendered', 'canary', 'bootstrap'), { recursive: true });
    await writeFile(join(dir, 'rendered', 'canary', 'bootstrap', 'root.yaml'), 'kind: Application\n');
    const cli = await runCli(['render', '--json'], { cwd: dir });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).warnings).toEqual([
      expect.stringMatching(/rendered still holds a one-cluster tree .* delete it \(docs\/environments\.md, migration\)$/),
      expect.stringMatching(/rendered\/canary is the tree of no environment of the config/),
    ]);
  });

  it('reports an override\'s mistake at its environment path and writes nothing; --env is refused without environments', async () => {
    const config = withEnvironments();
    config.environments.staging.components = { 'cert-manager': { acmeEmial: 'x@example.org' } };
    const dir = await configDir(config);
    const cli = await runCli(['render'], { cwd: dir });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('environments.staging.components["cert-manager"].acmeEmial: unknown key "acmeEmial"');
    expect(cli.stderr).toContain('hint: did you mean "acmeEmail"?');
    expect(await snapshotDir(join(dir, 'rendered'))).toEqual(new Map());

    const single = await configDir(minimalCluster());
    const refused = await runCli(['graph', '--env', 'staging'], { cwd: single });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error: --env staging: the config declares no environments; it is one cluster');
  });

  /** Every command that reads the config for a cluster, with the arguments it needs to get that far. */
  const LIVE = [
    ['diff'], ['apply'], ['bootstrap'], ['doctor', '--no-dns'], ['onboard', 'ada'], ['secrets', 'check'], ['secrets', 'set', 'team-token', 'token'],
    ['secrets', 'restore', '--from', 'backup.age'], ['db', 'restore', 'main'], ['promote', 'web', 'production'], ['releases', 'web'], ['webhooks'],
  ];
  const OFFLINE = [['secrets', 'list'], ['graph'], ['docs'], ['expose', 'web', '--host', 'x.example.org']];

  it('every command that works on one cluster requires --env with environments, and refuses it without', { timeout: 120_000 }, async () => {
    const both = await configDir(withEnvironments());
    const single = await configDir(minimalCluster());
    // No kubeconfig to reach: the commands stop at the config, before any connection.
    const kubeconfig = ['--kubeconfig', join(both, 'no-such-kubeconfig')];
    for (const command of [...LIVE.map((c) => [...c, ...kubeconfig]), ...OFFLINE]) {
      const missing = await runCli(command, { cwd: both, input: 'x\n' });
      expect([missing.code, missing.stderr], command.join(' ')).toEqual([2, expect.stringContaining('error: the config declares environments (staging, production): say which cluster with --env NAME')]);
    }
    // render and validate without --env take every environment; backup reads no config without it.
    for (const command of [...LIVE, ...OFFLINE, ['render'], ['validate'], ['secrets', 'backup', '--to', 'out.age', '--recipient', 'age1x']]) {
      const refused = await runCli([...command, '--env', 'staging'], { cwd: single, input: 'x\n' });
      expect([refused.code, refused.stderr], command.join(' ')).toEqual([2, expect.stringContaining('error: --env staging: the config declares no environments; it is one cluster')]);
    }
  });
});
