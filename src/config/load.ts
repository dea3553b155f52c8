import { access, readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError, UsageError } from '../errors.ts';
import type { Registry } from './schema.ts';
import { resolveCluster, type ResolvedCluster } from './validate.ts';

export const CONFIG_FILES = [
  'plinth.config.ts',
  'plinth.config.mts',
  'plinth.config.js',
  'plinth.config.mjs',
  'plinth.config.json',
  'plinth.config.yaml',
  'plinth.config.yml',
];

export async function findConfig(cwd: string, explicit?: string): Promise<string> {
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    try {
      await access(path);
    } catch {
      throw new UsageError(`config file ${explicit} does not exist`, 'pass the path of a plinth.config.ts, .js, .json or .yaml file');
    }
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name);
    try {
      await access(path);
      return path;
    } catch {
      // try the next name
    }
  }
  throw new UsageError(`no plinth.config.ts (or .js, .json, .yaml) in ${cwd}`, 'run plinth from the directory that holds the config, or pass --config FILE');
}

/** Reads a config file into plain data, without validating it. */
export async function readConfigFile(path: string): Promise<unknown> {
  const extension = extname(path);
  if (extension === '.json') {
    try {
      return JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new ConfigError([{ path: '(file)', message: `is not valid JSON: ${(error as Error).message}` }], path);
    }
  }
  if (extension === '.yaml' || extension === '.yml') {
    const document = parseDocument(await readFile(path, 'utf8'), { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length > 0) {
      throw new ConfigError(
        document.errors.map((e) => ({ path: '(file)', message: `is not valid YAML: ${e.message.split('\n')[0]}` })),
        path,
      );
    }
    return document.toJS();
  }
  if (['.ts', '.mts', '.js', '.mjs'].includes(extension)) {
    // The query defeats the module cache, so a long-lived process sees an edited config.
    const url = `${pathToFileURL(path).href}?mtime=${(await stat(path)).mtimeMs}`;
    let module: { default?: unknown; config?: unknown };
    try {
      module = (await import(url)) as typeof module;
    } catch (error) {
      throw new ConfigError([{ path: '(file)', message: `could not be loaded: ${(error as Error).message}` }], path);
    }
    const value = module.default ?? module.config;
    if (value === undefined) {
      throw new ConfigError(
        [{ path: '(file)', message: 'exports no cluster', hint: 'export default defineCluster({ ... })' }],
        path,
      );
    }
    return value;
  }
  throw new UsageError(`cannot read a config from ${path}`, 'use a .ts, .js, .json or .yaml file');
}

export async function loadCluster(cwd: string, explicit: string | undefined, registry: Registry): Promise<ResolvedCluster & { file: string }> {
  const file = await findConfig(cwd, explicit);
  const input = await readConfigFile(file);
  return { ...resolveCluster(input, registry, file), file };
}
