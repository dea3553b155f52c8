// Stage isolation from the command line: render and validate say which stage shares which data service, and why.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimalCluster, runCli, snapshotDir, tempDir } from './helpers.ts';

async function configDir(change: (config: Record<string, any>) => void = () => {}): Promise<string> {
  const dir = await tempDir();
  const config = minimalCluster();
  for (const app of config.apps) app.stages = ['staging', 'production'];
  change(config);
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

const REASON = 'the cache holds only feature flags';
const WARNING = `warning: stage "staging" uses the cache "sessions" of stage "production" instead of its own (caches[0].stages.staging.share: "${REASON}")`;

describe('plinth render and validate on stages that share data', () => {
  it('render warns, naming the stage, the data service and the reason, in the table and in --json; validate warns and --strict fails', async () => {
    const dir = await configDir((c) => (c.caches[0].stages = { staging: { share: REASON } }));
    const render = await runCli(['render', '-c', 'plinth.config.json', '-o', 'out'], { cwd: dir });
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout.split('\n')).toContain(WARNING);
    const json = JSON.parse((await runCli(['render', '-c', 'plinth.config.json', '-o', 'out', '--json'], { cwd: dir })).stdout);
    expect(json.warnings).toEqual([WARNING.replace('warning: ', '')]);
    const validate = await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir });
    const shared = JSON.parse(validate.stdout).findings.filter((f: { rule: string }) => f.rule === 'isolation/shared-data');
    expect(shared.map((f: { object: string; severity: string; message: string }) => [f.object, f.severity, f.message])).toEqual([
      ['Deployment/staging/web', 'warning', `Deployment in stage "staging" uses the cache sessions of stage production: ${REASON}`],
    ]);
    expect((await runCli(['validate', '-c', 'plinth.config.json', '--strict'], { cwd: dir })).code).toBe(1);
  });

  it('says nothing when every stage has its own data', async () => {
    const dir = await configDir();
    const render = await runCli(['render', '-c', 'plinth.config.json', '-o', 'out'], { cwd: dir });
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).not.toContain('warning');
    const files = [...(await snapshotDir(join(dir, 'out'))).keys()];
    expect(files).toContain('manifests/valkey/valkeycluster-sessions-staging.yaml');
    expect(files).toContain('manifests/clustersecret/clustersecret-pg-app-staging.yaml');
    const validate = JSON.parse((await runCli(['validate', '-c', 'plinth.config.json', '--json'], { cwd: dir })).stdout);
    expect(validate.findings.filter((f: { rule: string }) => f.rule === 'isolation/shared-data')).toEqual([]);
  });

  it('refuses a share without a reason with exit 2, the path and a hint, and writes nothing', async () => {
    const dir = await configDir((c) => (c.topics[0].stages = { staging: { share: '' } }));
    const result = await runCli(['render', '-c', 'plinth.config.json', '-o', 'out'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('topics[0].stages.staging.share');
    expect(result.stderr).toContain("gives no reason: sharing the last stage's data with an earlier stage must say why");
    expect(result.stderr).toMatch(/hint: write why this stage may see that data/);
    expect((await snapshotDir(dir)).size).toBe(1);
  });
});
