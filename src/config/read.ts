import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getCompileCacheDir } from 'node:module';
import { extname, isAbsolute, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { firstInvalidUtf8, utf16ByteOrderMark } from '../core/utf8.ts';
import { ConfigError, UsageError, type ConfigIssue } from '../errors.ts';
import { describeModuleError, type WorkerData, type WorkerResult } from './module-errors.ts';
import { toPlainData } from './plain.ts';

// Reading a config is kept apart from validating it (load.ts), and light: the CLI starts reading (a worker for a
// .ts config) before it loads the components, so the two overlap.

export const CONFIG_FILES = [
  'plinth.config.ts',
  'plinth.config.mts',
  'plinth.config.js',
  'plinth.config.mjs',
  'plinth.config.json',
  'plinth.config.yaml',
  'plinth.config.yml',
];

const FORMATS: Record<string, 'module' | 'json' | 'yaml'> = {
  '.ts': 'module',
  '.mts': 'module',
  '.js': 'module',
  '.mjs': 'module',
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
};

/** How long a .ts/.js config may take to load: PLINTH_CONFIG_TIMEOUT_MS, else 10 s. */
export const DEFAULT_CONFIG_TIMEOUT_MS = 10_000;

export interface ReadConfigOptions {
  timeoutMs?: number;
  /** Where a .ts/.js config's own console output goes; never stdout, which may carry --json. Default: stderr. */
  output?: NodeJS.WritableStream;
}

/** The config file: --config, else the first plinth.config.* in cwd. Synchronous, so a preload starts at once. */
function locateConfig(cwd: string, explicit?: string): string {
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(`config file ${explicit} does not exist`, 'pass the path of a plinth.config.ts, .js, .json or .yaml file');
    }
    if (isDirectory) throw new UsageError(`config file ${explicit} is a directory`, `pass the config file inside it, e.g. --config ${explicit.replace(/\/+$/, '')}/plinth.config.ts`);
    return path;
  }
  const found = CONFIG_FILES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
  if (found) return found;
  throw new UsageError(`no plinth.config.ts (or .js, .json, .yaml) in ${cwd}`, 'run plinth from the directory that holds the config, or pass --config FILE');
}

export async function findConfig(cwd: string, explicit?: string): Promise<string> {
  return locateConfig(cwd, explicit);
}

const fileIssue = (message: string, hint: string): ConfigIssue => ({ path: '(file)', message, hint });

/** Reads a config file into plain data, without validating it. */
export async function readConfigFile(path: string, options: ReadConfigOptions = {}): Promise<unknown> {
  const format = FORMATS[extname(path)];
  if (!format) throw new UsageError(`cannot read a config from ${path}`, 'use a .ts, .js, .json or .yaml file');
  // A .ts/.js config's worker starts before the first await: its start-up overlaps the checks of the file here.
  const loading = format === 'module' ? startModuleConfig(path, options) : undefined;
  let text: string;
  try {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new UsageError(`cannot read the config ${path}: ${(error as Error).message}`, 'check that the file exists and that you may read it');
    }
    text = decodeUtf8(bytes, path);
    if (text.trim() === '') throw new ConfigError([fileIssue('is empty', 'write the cluster definition: name, domain, git and components (see docs/config.md)')], path);
  } catch (error) {
    loading?.cancel();
    throw error;
  }
  if (loading) return loading.result;
  const plain = toPlainData(format === 'json' ? parseJson(text, path) : parseYaml(text, path, (await import('yaml')).parseAllDocuments));
  if (!plain.ok) throw new ConfigError(plain.issues, path);
  return plain.value;
}

/**
 * The text of a config, which must be UTF-8 (as Node reads a .ts/.js module); a UTF-8 byte order mark is
 * dropped, since editors on Windows add one. A Latin-1 or UTF-16 file is named as such, not left to surface as
 * an invisible "unexpected token" or as a mangled name.
 */
function decodeUtf8(bytes: Uint8Array, path: string): string {
  if (utf16ByteOrderMark(bytes))
    throw new ConfigError([fileIssue('is not UTF-8: it starts with the byte order mark of UTF-16', 'save it as UTF-8, e.g. iconv -f UTF-16 -t UTF-8, or "Save with Encoding: UTF-8" in the editor')], path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw new ConfigError(
      [
        fileIssue(
          `is not UTF-8: byte 0x${bytes[offset]!.toString(16).toUpperCase().padStart(2, '0')} at line ${line}, column ${column} is not valid UTF-8 (a Latin-1 or Windows-1252 file?)`,
          'save it as UTF-8, e.g. iconv -f LATIN1 -t UTF-8, or "Save with Encoding: UTF-8" in the editor',
        ),
      ],
      path,
    );
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof RangeError) throw new ConfigError([nestedTooDeep()], path);
    const message = (error as Error).message;
    const position = /at position (\d+)(?! \(line)/.exec(message);
    const where = position ? ` (line ${text.slice(0, Number(position[1])).split('\n').length})` : '';
    throw new ConfigError([fileIssue(`is not valid JSON: ${message}${where}`, 'JSON takes no comments, trailing commas or single quotes; a .yaml or .ts config does')], path);
  }
}

const nestedTooDeep = () => fileIssue('is nested too deeply to read', 'flatten it: neither Kubernetes objects nor Helm values nest this deep');

function parseYaml(text: string, path: string, parseAllDocuments: typeof import('yaml').parseAllDocuments): unknown {
  try {
    const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
    if (documents.length > 1)
      throw new ConfigError(
        [fileIssue(`holds ${documents.length} documents (separated by "---"); a config is one`, 'keep one cluster definition in the file: remove the "---" lines, or put each cluster in a file of its own')],
        path,
      );
    const document = documents[0];
    if (!document) return null;
    if (document.errors.length > 0)
      throw new ConfigError(
        document.errors.map((e) => fileIssue(`is not valid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML there: look at the indentation and at unclosed quotes or brackets')),
        path,
      );
    // The yaml package counts how far aliases expand and refuses past maxAliasCount: a "billion laughs" file.
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof RangeError) throw new ConfigError([nestedTooDeep()], path);
    if (error instanceof ReferenceError && /alias/i.test(error.message))
      throw new ConfigError([fileIssue('expands its aliases (*name) too many times, as a "billion laughs" file does', 'write the values out, or refer to each anchor (&name) fewer times')], path);
    throw error;
  }
}

function configTimeout(): number {
  const fromEnv = Number(process.env.PLINTH_CONFIG_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_CONFIG_TIMEOUT_MS;
}

// The worker's first code turns the compile cache on, so the runner's TypeScript and the config's imports come
// from it; the runner is loaded after. An eval'd entry is plain JavaScript, which needs no type stripping.
const WORKER_ENTRY = `
const { workerData } = require('node:worker_threads');
if (workerData.compileCacheDir) require('node:module').enableCompileCache(workerData.compileCacheDir);
import(workerData.runner);
`;

/**
 * Imports a .ts/.js config in a worker thread, under a time limit, and takes back plain data only. A config is
 * code: it may wait forever, call process.exit (which ends only the worker here), print to stdout (which would
 * corrupt --json), or export what cannot be copied. Each of these becomes a config error naming the file.
 * The worker starts at once; cancel() ends it when the file turns out unreadable.
 */
function startModuleConfig(path: string, options: ReadConfigOptions): { result: Promise<unknown>; cancel: () => void } {
  const timeoutMs = options.timeoutMs ?? configTimeout();
  const output = options.output ?? process.stderr;
  const exitFlag = new SharedArrayBuffer(8);
  const workerData: WorkerData = {
    file: path,
    exitFlag,
    compileCacheDir: getCompileCacheDir(),
    runner: new URL('./load-worker.ts', import.meta.url).href,
  };
  const worker = new Worker(WORKER_ENTRY, { eval: true, workerData, stdout: true, stderr: true });
  let cancelled = false;
  const forwarded = [worker.stdout, worker.stderr].map((stream) => {
    stream.on('data', (chunk: Buffer) => cancelled || output.write(chunk));
    return finished(stream).catch(() => undefined);
  });
  let message: WorkerResult | undefined;
  let crash: unknown;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void worker.terminate();
  }, timeoutMs);
  worker.on('message', (received: WorkerResult) => {
    message ??= received;
    void worker.terminate();
  });
  worker.on('error', (error) => (crash ??= error));
  const exited = new Promise((done) => worker.once('exit', done));
  const result = (async () => {
    await exited;
    clearTimeout(timer);
    // Output the worker printed may still be on its way; wait for it, but not for ever.
    let flushTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(forwarded), new Promise((done) => (flushTimer = setTimeout(done, 1000)))]);
    clearTimeout(flushTimer);
    return moduleResult(path, { message, crash, timedOut, timeoutMs, exitFlag });
  })();
  // The worker may fail before the caller awaits the result (it is still reading the file): not unhandled.
  result.catch(() => undefined);
  return {
    result,
    cancel: () => {
      cancelled = true;
      void worker.terminate();
    },
  };
}

function moduleResult(
  path: string,
  outcome: { message: WorkerResult | undefined; crash: unknown; timedOut: boolean; timeoutMs: number; exitFlag: SharedArrayBuffer },
): unknown {
  const { message: result, crash, timedOut, timeoutMs, exitFlag } = outcome;
  const fail = (message: string, hint: string): never => {
    throw new ConfigError([fileIssue(message, hint)], path);
  };
  switch (result?.type) {
    case 'ok':
      return result.value;
    case 'invalid':
      throw new ConfigError(result.issues, path);
    case 'no-export':
      return fail('exports no cluster', 'export default defineCluster({ ... })');
    case 'threw':
      return fail(result.message, result.hint);
  }
  const [exited, exitCode] = new Int32Array(exitFlag);
  if (timedOut)
    return fail(
      `did not finish loading within ${timeoutMs / 1000} s`,
      'look for an await that waits on something slow or endless, or a loop that never ends; PLINTH_CONFIG_TIMEOUT_MS=<ms> allows longer',
    );
  // An error thrown later (in a timer) also ends the worker through process.exit(1): the error says more.
  if (crash !== undefined) {
    const described = describeModuleError(crash, path);
    return fail(`${described.message} while loading`, described.hint);
  }
  if (exited)
    return fail(`called process.exit(${exitCode}) while loading`, 'a config only exports the cluster: remove the call, and throw an Error to report a problem');
  return fail(
    'never finished loading: a top-level await waits on a promise that nothing settles',
    'await only promises that settle; a config needs no server, listener or open handle',
  );
}

const preloads = new Map<string, Promise<{ file: string; input: unknown }>>();
const preloadKey = (cwd: string, explicit: string | undefined) => `${cwd}\0${explicit ?? ''}`;

/**
 * Starts finding and reading the config now, for a command that will load it after importing the components:
 * a .ts config's worker then runs beside that import. The result (or error) is taken by takePreloadedConfig.
 */
export function preloadConfig(cwd: string, explicit: string | undefined): void {
  const key = preloadKey(cwd, explicit);
  if (preloads.has(key)) return;
  let pending: Promise<{ file: string; input: unknown }>;
  try {
    // Synchronous up to the worker's start: the caller goes on to load modules, which would hold back a callback.
    const file = locateConfig(cwd, explicit);
    pending = readConfigFile(file).then((input) => ({ file, input }));
  } catch (error) {
    pending = Promise.reject(error);
  }
  pending.catch(() => undefined); // reported when taken
  preloads.set(key, pending);
}

/** The config file and its data: the preloaded read if there is one (taken once), else a fresh one. */
export async function readConfig(cwd: string, explicit: string | undefined): Promise<{ file: string; input: unknown }> {
  const key = preloadKey(cwd, explicit);
  const preloaded = preloads.get(key);
  preloads.delete(key);
  if (preloaded) return preloaded;
  const file = await findConfig(cwd, explicit);
  return { file, input: await readConfigFile(file) };
}
