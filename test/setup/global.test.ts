import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, UPSTREAM } from '../helpers.ts';
import { upstreamData } from './global.ts';

describe('test setup: the upstream data', () => {
  const saved = process.env.PLINTH_SCHEMAS_DIR;
  afterEach(() => {
    process.env.PLINTH_SCHEMAS_DIR = saved;
  });

  it('is found where PLINTH_SCHEMAS_DIR points', () => {
    process.env.PLINTH_SCHEMAS_DIR = UPSTREAM;
    expect(upstreamData()).toBe(UPSTREAM);
  });

  it('fails at once naming what is missing and where to get it, when a clone has no shared/ beside it', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'crds'));
    process.env.PLINTH_SCHEMAS_DIR = dir;
    expect(() => upstreamData()).toThrow(`${dir} lacks charts.json, values, schemas`);
    expect(() => upstreamData()).toThrow(/put the project's shared\/ folder beside this clone .*PLINTH_SCHEMAS_DIR/);
  });
});
