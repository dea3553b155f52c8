// The local preset and hub mode through the real CLI: trees written and validated, and a hub the config cannot
// have refused with the environment's path and fix, writing nothing.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, runCli, snapshotDir, stagedCluster } from './helpers.ts';

function hubAndSpoke(): Record<string, any> {
  const config = stagedCluster();
  config.environments = {
    production: { context: 'production', stages: ['production'] },
    staging: { context: 'staging', managedBy: 'production', server: 'https://10.0.1.10:6443', stages: ['staging'], components: { 'argo-cd': false, kargo: false } },
    local: { context: 'k3d-plinth', preset: 'local', stages: ['staging'], git: { path: 'rendered/local' } },
  };
  return config;
}

describe('hub mode and the local preset through the CLI', () => {
  it('renders the hub, its spoke and a laptop environment, and validates all three', { timeout: 120_000 }, async () => {
    const dir = await configDir(hubAndSpoke());
    const rendered = await runCli(['render'], { cwd: dir });
    expect(rendered.code, rendered.stderr).toBe(0);
    const tree = await snapshotDir(join(dir, 'rendered'));
    expect(tree.get('production/manifests/argo-cd/application-test-staging-root.yaml')).toContain('path: rendered/staging/apps');
    expect(tree.get('production/manifests/argo-cd/externalsecret-cluster-staging.yaml')).toContain('argocd.argoproj.io/secret-type: cluster');
    expect(tree.get('staging/apps/cert-manager.yaml')).toContain('name: staging-cert-manager\n');
    expect(tree.get('staging/apps/cert-manager.yaml')).toContain('server: https://10.0.1.10:6443');
    expect(tree.get('local/manifests/cert-manager/clusterissuer-plinth-local-ca.yaml')).toContain('secretName: plinth-local-ca');
    expect([...tree.keys()].some((f) => f.startsWith('local/') && f.includes('external-dns'))).toBe(false);
    const validated = await runCli(['validate', '--output', 'json'], { cwd: dir });
    expect(validated.code, validated.stdout.slice(0, 3000)).toBe(0);
  });

  it('refuses a stage the hub and its spoke both run: exit 2, the path and the fix, nothing written', async () => {
    const config = hubAndSpoke();
    config.environments.staging.stages = ['staging', 'production'];
    const dir = await configDir(config);
    const result = await runCli(['render'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('environments.staging.stages[1]: stage "production" also runs in environment "production"');
    expect(result.stderr).toContain('give each environment its own stages: environments.staging.stages');
    expect(await readdir(dir)).toEqual(['plinth.config.json']);
  });
});
