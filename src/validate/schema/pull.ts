import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PlinthError, UsageError } from '../../errors.ts';
import { pool } from '../../core/pool.ts';
import { CRD_SOURCES } from './crd-sources.ts';

export interface PullOptions {
  /** The schemas directory to fill; CRDs go under its crds/. */
  out: string;
  /** A mirror serving the same files as `<from>/<component>/<file>`, instead of the upstream URLs. */
  from?: string;
  /** Only these components' CRDs (folder names under crds/). */
  components?: string[];
  /**
   * How long to wait for a server's first answer (response headers) while none has answered yet: offline,
   * every request would wait this long, so the first ones decide. Default 5 s.
   */
  firstAnswerMs?: number;
  /** Time for one file once a server has answered: headers and body. Default 60 s. */
  timeoutMs?: number;
  /** Called as each component's files are done. */
  progress?: (message: string) => void;
  /** Called after each file, with how many of how many are done (a count a terminal redraws in place). */
  counted?: (done: number, total: number) => void;
}

export interface PulledFile {
  file: string;
  url: string;
  status: 'downloaded' | 'unchanged';
  bytes: number;
}

export interface PullResult {
  dir: string;
  files: PulledFile[];
  /** The pinned charts' values.yaml and values.schema.json files, under the schemas directory's values/ and schemas/. */
  values?: PullResult;
}

/** One file to download: its path under the target folder, its URL, and the SHA-256 it must have. */
interface PinnedFile {
  file: string;
  url: string;
  sha256: string;
}

/** What the downloads are, for messages: `CRD file`, `values file`; and the group each file is reported under. */
interface Batch {
  noun: string;
  groupOf: (source: { file: string }) => string;
  /** What a mirror serves (`<component>/<file>`), and for each what (`CRD`), for hints. */
  serves: string;
  each: string;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Errors meaning nothing answered at all: no name, no route, nothing listening, or no answer in time. */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'NO_ANSWER']);

class NoAnswer extends Error {
  readonly code = 'NO_ANSWER';
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

function failureCode(error: unknown): string | undefined {
  if (error instanceof NoAnswer) return error.code;
  return (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
}

function describeFailure(error: unknown): string {
  if (error instanceof NoAnswer) return error.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  return cause?.message ?? (error as Error).message;
}

const componentOf = (source: { file: string }) => source.file.split('/')[0]!;

/**
 * Downloads the CRDs of the pinned chart versions, each checked against its pinned SHA-256 before it
 * replaces anything; a file already present with the right content is not downloaded again. If the first
 * requests reach no server at all (offline, a firewall, a wrong mirror), it stops there, in seconds, with
 * one error instead of one per file.
 */
export async function pullSchemas(options: PullOptions): Promise<PullResult> {
  const known = [...new Set(CRD_SOURCES.map(componentOf))];
  const unknown = (options.components ?? []).filter((c) => !known.includes(c));
  if (unknown.length) throw new UsageError(`no CRDs known for ${unknown.join(', ')}`, `components with CRDs: ${known.join(', ')}`);
  const sources = CRD_SOURCES.filter((s) => !options.components?.length || options.components.includes(componentOf(s)));
  return pullFiles(sources, join(options.out, 'crds'), options, { noun: 'CRD file', groupOf: componentOf, serves: '<component>/<file>', each: 'CRD' });
}

/**
 * Downloads the default values.yaml and values.schema.json of the pinned charts into the schemas directory's values/
 * and schemas/, checked like the CRDs. A mirror serves them as `<from>/values/<file>` and `<from>/schemas/<file>`,
 * beside the CRDs' `<from>/<component>/<file>`. `components` picks charts by their upstream entry's name.
 */
export async function pullValues(options: PullOptions): Promise<PullResult> {
  const { VALUES_SOURCES } = await import('../values-sources.ts');
  const picked = VALUES_SOURCES.filter((s) => !options.components?.length || options.components.includes(s.component));
  const sources: (PinnedFile & { component: string })[] = picked.flatMap((s) => [
    ...(s.values.url ? [{ file: `values/${s.values.file}`, url: s.values.url, sha256: s.values.sha256, component: s.component }] : []),
    ...(s.schema ? [{ file: `schemas/${s.schema.file}`, url: s.schema.url, sha256: s.schema.sha256, component: s.component }] : []),
  ]);
  const component = new Map(sources.map((s) => [s.file, s.component]));
  return pullFiles(sources, options.out, options, {
    noun: 'values file',
    groupOf: (s) => component.get(s.file) ?? s.file,
    serves: 'values/<file> and schemas/<file>',
    each: 'chart',
  });
}

async function pullFiles(sources: PinnedFile[], dir: string, options: PullOptions, batch: Batch): Promise<PullResult> {
  const componentOf = batch.groupOf;
  const plural = (n: number) => `${batch.noun}${n === 1 ? '' : 's'}`;
  const firstAnswerMs = options.firstAnswerMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const files: PulledFile[] = [];
  const failures: string[] = [];
  // Until one server answers, a request that reaches nothing stops the others: the rest would only wait as long.
  const stop = new AbortController();
  let answered = false;
  let unreachable: { url: string; why: string } | undefined;
  const left = new Map<string, number>();
  for (const source of sources) left.set(componentOf(source), (left.get(componentOf(source)) ?? 0) + 1);
  let finished = 0;
  const done = (source: PinnedFile) => {
    options.counted?.(++finished, sources.length);
    const component = componentOf(source);
    const remaining = left.get(component)! - 1;
    left.set(component, remaining);
    if (remaining > 0 || !options.progress) return;
    const own = files.filter((f) => componentOf(f) === component);
    const downloaded = own.filter((f) => f.status === 'downloaded');
    const failed = sources.filter((s) => componentOf(s) === component).length - own.length;
    options.progress(
      `${component}: ${own.length} ${plural(own.length)}${downloaded.length ? `, ${downloaded.length} downloaded (${Math.round(downloaded.reduce((n, f) => n + f.bytes, 0) / 1024)} KiB)` : ', up to date'}${failed ? `, ${failed} failed` : ''}`,
    );
  };
  const download = async (url: string): Promise<Uint8Array | string> => {
    const request = new AbortController();
    const limit = answered ? timeoutMs : firstAnswerMs;
    let timer = setTimeout(() => request.abort(new NoAnswer(limit)), limit);
    try {
      const response = await fetch(url, { signal: AbortSignal.any([stop.signal, request.signal]), redirect: 'follow' });
      answered = true;
      clearTimeout(timer);
      timer = setTimeout(() => request.abort(new NoAnswer(timeoutMs)), timeoutMs);
      if (!response.ok) {
        await response.body?.cancel();
        return `HTTP ${response.status}`;
      }
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw request.signal.aborted ? request.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  };
  const pull = async (source: PinnedFile) => {
    if (stop.signal.aborted) return;
    const target = join(dir, source.file);
    const existing = await readFile(target).catch(() => undefined);
    const url = options.from ? `${options.from.replace(/\/$/, '')}/${source.file}` : source.url;
    if (existing && sha256(existing) === source.sha256) {
      files.push({ file: source.file, url, status: 'unchanged', bytes: existing.length });
      return done(source);
    }
    let body: Uint8Array | string;
    try {
      body = await download(url);
    } catch (error) {
      if (stop.signal.aborted) return;
      if (!answered && UNREACHABLE.has(failureCode(error) ?? '')) {
        unreachable = { url, why: describeFailure(error) };
        stop.abort();
        return;
      }
      failures.push(`${url}: ${describeFailure(error)}`);
      return done(source);
    }
    if (typeof body === 'string') failures.push(`${url}: ${body}`);
    else if (sha256(body) !== source.sha256) failures.push(`${url}: content differs from the pinned release (sha256 ${sha256(body).slice(0, 12)}..., expected ${source.sha256.slice(0, 12)}...)`);
    else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(`${target}.${process.pid}.tmp`, body);
      await rename(`${target}.${process.pid}.tmp`, target);
      files.push({ file: source.file, url, status: 'downloaded', bytes: body.length });
    }
    done(source);
  };
  await pool(sources, 4, pull);
  if (unreachable) {
    const host = new URL(unreachable.url).host;
    throw new PlinthError(
      `cannot reach ${host}: ${unreachable.why} (${unreachable.url}); stopped before trying the other ${sources.length - 1} ${plural(sources.length - 1)}`,
      options.from
        ? `check that the mirror ${options.from} is up and reachable from here, or set PLINTH_SCHEMAS_DIR to a folder that already holds crds/`
        : `offline or behind a firewall? pass --from <mirror> serving ${batch.serves}, or set PLINTH_SCHEMAS_DIR to a folder that already holds crds/`,
    );
  }
  if (failures.length)
    throw new PlinthError(
      `could not download ${failures.length} of ${sources.length} ${plural(2)}:\n  ${failures.slice(0, 5).join('\n  ')}${failures.length > 5 ? `\n  ... and ${failures.length - 5} more` : ''}`,
      options.from ? `check that ${options.from} serves ${batch.serves} for each ${batch.each}` : 'check the network and proxy settings, or pass --from with a mirror of the files',
    );
  files.sort((a, b) => (a.file < b.file ? -1 : 1));
  return { dir, files };
}
