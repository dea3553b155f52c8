import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../../test/helpers.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { findConfig, preloadConfig, readConfig, readConfigFile } from './read.ts';

async function configFile(name: string, content: string): Promise<string> {
  const file = join(await tempDir(), name);
  await writeFile(file, content);
  return file;
}

const issuesOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues;
};

describe('readConfigFile of a .ts/.js config, in a worker', () => {
  it("reads the repo's default config, whose import of the package resolves in the worker too", async () => {
    const value = (await readConfigFile(join(REPO, 'plinth.config.ts'))) as { name: string; components: object };
    expect(value.name).toBe('mswa');
    expect(Object.keys(value.components)).toContain('argo-cd');
  });

  it("sends the config's console output to the stream it is given, not to stdout", async () => {
    const file = await configFile('c.mjs', "console.log('from the config');\nexport default { name: 'x' };\n");
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk) => (text += chunk));
    expect(await readConfigFile(file, { output })).toEqual({ name: 'x' });
    expect(text).toBe('from the config\n');
  });

  it('stops a config that never finishes at the time limit, and names the limit', async () => {
    const file = await configFile('c.mjs', 'while (true) {}\nexport default {};\n');
    const started = Date.now();
    expect(await issuesOf(readConfigFile(file, { timeoutMs: 300 }))).toEqual([
      {
        path: '(file)',
        message: 'did not finish loading within 0.3 s',
        hint: 'look for an await that waits on something slow or endless, or a loop that never ends; PLINTH_CONFIG_TIMEOUT_MS=<ms> allows longer',
      },
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports process.exit with its code, and an error thrown later by a timer', async () => {
    expect(await issuesOf(readConfigFile(await configFile('c.mjs', 'process.exit(3);\n')))).toEqual([
      { path: '(file)', message: 'called process.exit(3) while loading', hint: 'a config only exports the cluster: remove the call, and throw an Error to report a problem' },
    ]);
    const later = await configFile('c.mjs', "setTimeout(() => { throw new RangeError('late'); }, 1);\nawait new Promise((done) => setTimeout(done, 2000));\nexport default {};\n");
    expect(await issuesOf(readConfigFile(later))).toEqual([{ path: '(file)', message: `threw RangeError: late at ${later}:1:26 while loading`, hint: `fix the code at ${later}:1:26` }]);
  });

  it('says a config that exports nothing, or a function', async () => {
    expect(await issuesOf(readConfigFile(await configFile('c.mjs', 'export const other = 1;\n')))).toEqual([
      { path: '(file)', message: 'exports no cluster', hint: 'export default defineCluster({ ... })' },
    ]);
    expect(await issuesOf(readConfigFile(await configFile('c.mjs', 'export default () => ({});\n')))).toEqual([
      { path: '(root)', message: 'is a function; a config holds data only', hint: 'call it and use its result, or remove it' },
    ]);
  });
});

describe('readConfigFile of JSON and YAML', () => {
  it('says where JSON breaks, and refuses an empty file', async () => {
    const issues = await issuesOf(readConfigFile(await configFile('c.json', '{\n  "name": "x",\n}\n')));
    expect(issues[0]!.message).toMatch(/^is not valid JSON: .*line 3/);
    expect(issues[0]!.hint).toBe('JSON takes no comments, trailing commas or single quotes; a .yaml or .ts config does');
    expect(await issuesOf(readConfigFile(await configFile('c.yaml', '\n  \n')))).toEqual([
      { path: '(file)', message: 'is empty', hint: 'write the cluster definition: name, domain, git and components (see docs/config.md)' },
    ]);
  });

  it('finds the first byte that is not UTF-8, past valid multi-byte characters', async () => {
    const file = join(await tempDir(), 'c.yaml');
    await writeFile(file, Buffer.concat([Buffer.from('name: "é日"\nother: "'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]));
    expect(await issuesOf(readConfigFile(file))).toEqual([
      {
        path: '(file)',
        message: 'is not UTF-8: byte 0xC3 at line 2, column 9 is not valid UTF-8 (a Latin-1 or Windows-1252 file?)',
        hint: 'save it as UTF-8, e.g. iconv -f LATIN1 -t UTF-8, or "Save with Encoding: UTF-8" in the editor',
      },
    ]);
  });
});

describe('finding and preloading the config', () => {
  it('refuses a directory passed as --config', async () => {
    const dir = await tempDir();
    const error = await findConfig(dir, '.').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message: 'config file . is a directory', hint: 'pass the config file inside it, e.g. --config ./plinth.config.ts' });
  });

  it('hands a preloaded read over once, errors included', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'plinth.config.json'), '{"name": "first"}');
    preloadConfig(dir, undefined);
    await writeFile(join(dir, 'plinth.config.json'), '{"name": "second"}');
    // The preload may have read either version; the next read is fresh.
    expect(['first', 'second']).toContain(((await readConfig(dir, undefined)).input as { name: string }).name);
    expect(await readConfig(dir, undefined)).toEqual({ file: join(dir, 'plinth.config.json'), input: { name: 'second' } });

    preloadConfig(dir, 'missing.json');
    await expect(readConfig(dir, 'missing.json')).rejects.toThrow('config file missing.json does not exist');
  });
});
