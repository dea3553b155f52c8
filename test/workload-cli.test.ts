import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimalCluster, runCli, snapshotDir, tempDir } from './helpers.ts';

async function configDir(change: (config: Record<string, any>) => void): Promise<string> {
  const dir = await tempDir();
  const config = minimalCluster();
  change(config);
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

describe('plinth validate on relaxed apps', () => {
  it('counts relaxations apart, lists each with its reason under --info and in --json, and passes', async () => {
    const dir = await configDir((c) => {
      c.apps[0].security = { runAsRoot: 'node:20-slim has no USER yet' };
      c.apps[1].security = { writableRootFilesystem: 'npm writes its cache under $HOME' };
    });
    const table = await runCli(['validate', '-c', 'plinth.config.json'], { cwd: dir });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/0 errors, \d+ warnings?, 2 relaxations of the hardening, \d+ rules? not evaluated/);
    const info = await runCli(['validate', '-c', 'plinth.config.json', '--info'], { cwd: dir });
    expect(info.stdout).toContain('Deployment runs as root: "node:20-slim has no USER yet" [relaxation/run-as-root]');
    expect(info.stdout).toContain('hint: remove apps[0].security.runAsRoot once the reason no longer holds');
    expect(info.stdout).toContain('Deployment writes to its root filesystem: "npm writes its cache under $HOME" [relaxation/writable-root-filesystem]');
    const json = JSON.parse((await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir })).stdout);
    expect(json.findings.filter((f: { rule: string }) => f.rule.startsWith('relaxation/')).map((f: { object: string; severity: string }) => [f.object, f.severity])).toEqual([
      ['Deployment/production/api', 'info'],
      ['Deployment/production/web', 'info'],
    ]);
  });

  it('refuses a relaxation without a reason with exit 2, the path and a hint, and writes nothing', async () => {
    const dir = await configDir((c) => (c.apps[0].security = { runAsRoot: '' }));
    const result = await runCli(['render', '-c', 'plinth.config.json'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('apps[0].security.runAsRoot');
    expect(result.stderr).toContain('gives no reason');
    expect(result.stderr).toMatch(/hint: .*why/);
    expect([...(await snapshotDir(dir)).keys()]).toEqual(['plinth.config.json']);
  });
});
