import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimalCluster, runCli, tempDir } from './helpers.ts';

describe('plinth render says what a removal deletes', () => {
  it('names the component Application Argo CD deletes with its objects, and what it keeps', async () => {
    const dir = await tempDir();
    const config = minimalCluster();
    config.components.devpod = { members: ['ada'] };
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const first = await runCli(['render'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain('Once Argo CD syncs it');

    delete config.components.devpod;
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const check = await runCli(['render', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('Once Argo CD syncs it:\n  - Application devpod: Argo CD deletes it and every object it synced');
    const second = await runCli(['render', '--json'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).removals).toEqual([
      'Application devpod: Argo CD deletes it and every object it synced (CRDs, PersistentVolumeClaims and CloudNativePG Clusters are kept)',
    ]);
    // Once written, the removal is behind: the next render has nothing to say.
    const third = await runCli(['render', '--json'], { cwd: dir });
    expect(JSON.parse(third.stdout).removals).toEqual([]);
  });
});
