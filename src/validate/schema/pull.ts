import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PlinthError, UsageError } from '../../errors.ts';
import { pool } from '../../core/pool.ts';
import { CRD_SOURCES, type CrdSource } from './crd-sources.ts';

export interface PullOptions {
  /** The schemas directory to fill; CRDs go under its crds/. */
  out: string;
  /** A mirror serving the same files as `<from>/<component>/<file>`, instead of the upstream URLs. */
  from?: string;
  /** Only these components' CRDs (folder names under crds/). */
  components?: string[];
  timeoutMs?: number;
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
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  return cause?.message ?? (error as Error).message;
}

/**
 * Downloads the CRDs of the pinned chart versions, each checked against its pinned SHA-256 before it
 * replaces anything; a file already present with the right content is not downloaded again.
 */
export async function pullSchemas(options: PullOptions): Promise<PullResult> {
  const known = [...new Set(CRD_SOURCES.map((s) => s.file.split('/')[0]!))];
  const unknown = (options.components ?? []).filter((c) => !known.includes(c));
  if (unknown.length) throw new UsageError(`no CRDs known for ${unknown.join(', ')}`, `components with CRDs: ${known.join(', ')}`);
  const sources = CRD_SOURCES.filter((s) => !options.components?.length || options.components.includes(s.file.split('/')[0]!));
  const dir = join(options.out, 'crds');
  const files: PulledFile[] = [];
  const failures: string[] = [];
  const pull = async (source: CrdSource) => {
    const target = join(dir, source.file);
    const existing = await readFile(target).catch(() => undefined);
    const url = options.from ? `${options.from.replace(/\/$/, '')}/${source.file}` : source.url;
    if (existing && sha256(existing) === source.sha256) return void files.push({ file: source.file, url, status: 'unchanged', bytes: existing.length });
    let body: Uint8Array;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 30_000), redirect: 'follow' });
      if (!response.ok) return void failures.push(`${url}: HTTP ${response.status}`);
      body = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      return void failures.push(`${url}: ${describeFailure(error)}`);
    }
    if (sha256(body) !== source.sha256) return void failures.push(`${url}: content differs from the pinned release (sha256 ${sha256(body).slice(0, 12)}..., expected ${source.sha256.slice(0, 12)}...)`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.${process.pid}.tmp`, body);
    await rename(`${target}.${process.pid}.tmp`, target);
    files.push({ file: source.file, url, status: 'downloaded', bytes: body.length });
  };
  await pool(sources, 4, pull);
  if (failures.length)
    throw new PlinthError(
      `could not download ${failures.length} of ${sources.length} CRD files:\n  ${failures.slice(0, 5).join('\n  ')}${failures.length > 5 ? `\n  ... and ${failures.length - 5} more` : ''}`,
      options.from ? `check that ${options.from} serves <component>/<file> for each CRD` : 'check the network and proxy settings, or pass --from with a mirror of the files',
    );
  files.sort((a, b) => (a.file < b.file ? -1 : 1));
  return { dir, files };
}
