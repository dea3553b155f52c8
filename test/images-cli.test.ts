import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimalCluster, runCli, snapshotDir, tempDir } from './helpers.ts';

async function configDir(change: (app: Record<string, any>) => void): Promise<string> {
  const dir = await tempDir();
  const config = minimalCluster();
  change(config.apps[0]);
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

describe('plinth render and validate on image options Kargo would fail on at runtime', () => {
  it.each([
    ['semver "^develop"', (app: Record<string, any>) => (app.semver = '^develop'), 'apps[0].semver', /hint: .*strategy: "Digest", constraint: "develop"/],
    ['a lookahead in allowTags', (app: Record<string, any>) => (app.images = { strategy: 'NewestBuild', allowTags: '^(?!pr-)' }), 'apps[0].images.allowTags', /hint: Go RE2 has no lookaround/],
    ['an unknown strategy', (app: Record<string, any>) => (app.images = { strategy: 'Latest' }), 'apps[0].images.strategy', /hint: use SemVer .* Digest .* NewestBuild .* Lexical/],
  ])('%s: exit 2 with the path and a hint, nothing written', async (_, change, path, hint) => {
    const dir = await configDir(change);
    for (const command of [['render', '-c', 'plinth.config.json'], ['validate', '-c', 'plinth.config.json']]) {
      const result = await runCli(command, { cwd: dir });
      expect(result.code, `${command[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(path);
      expect(result.stderr).toMatch(hint);
    }
    expect([...(await snapshotDir(dir)).keys()]).toEqual(['plinth.config.json']);
  });
});
