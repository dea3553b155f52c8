import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { YAMLException } from 'js-yaml';
import { firstInvalidUtf8, utf16ByteOrderMark } from '../core/utf8.ts';
import { readYaml } from '../core/yaml.ts';
import type { K8sObject } from '../core/types.ts';
import { UsageError } from '../errors.ts';
import { aliasProblem, formatBytes, jsonBytesOver, mayHaveAliases, MAX_OBJECT_BYTES, TOO_LARGE_HINT, tooLargeToParse, worthMeasuring } from './limits.ts';
import type { Finding, Subject } from './finding.ts';

/** Manifests read from disk: the objects to validate, problems of the input itself, and where each document starts. */
export interface ReadManifests {
  subjects: Subject[];
  findings: Finding[];
  files: number;
  /** File -> 1-based line where each document starts (index = document - 1), for SARIF regions. */
  lines: Map<string, number[]>;
}

const MANIFEST = /\.(ya?ml|json)$/;

const code = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

const inputProblem = (file: string, rule: string, severity: 'error' | 'warning', message: string, hint: string): Finding =>
  ({ file, document: 0, object: '', path: '', rule, severity, message, hint });

/**
 * Every manifest file under the given files and directories, sorted; hidden folders and node_modules skipped.
 * Symbolic links are followed, to files and to folders, but never round a cycle: a link back to a folder
 * being read is reported in `problems` (as is a folder that cannot be read), and each file is read once
 * however many links lead to it.
 */
export async function manifestFiles(paths: string[], cwd: string, problems: Finding[] = []): Promise<string[]> {
  const byReal = new Map<string, string>();
  const walked = new Set<string>();
  const shown = (full: string) => relative(cwd, full) || full;
  const add = (full: string, real: string) => {
    const known = byReal.get(real);
    if (known === undefined || full < known) byReal.set(real, full);
  };
  // Synchronous, one readdir per folder: for a tree of thousands of files this is several times faster than
  // an asynchronous walk (mostly waiting) or readdir's own recursive mode.
  const walk = (dir: string, real: string, ancestors: Set<string>) => {
    if (walked.has(real)) return;
    walked.add(real);
    ancestors.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      problems.push(inputProblem(shown(dir), 'input/unreadable', 'error', `cannot read the folder ${shown(dir)}: ${code(error)}`, 'check the folder permissions'));
      entries = [];
    }
    for (const entry of entries) {
      const full = `${dir}${sep}${entry.name}`;
      const skipped = entry.name.startsWith('.') || entry.name === 'node_modules';
      if (entry.isDirectory()) {
        if (!skipped) walk(full, `${real}${sep}${entry.name}`, ancestors);
      } else if (entry.isFile()) {
        if (MANIFEST.test(entry.name)) add(full, `${real}${sep}${entry.name}`);
      } else if (entry.isSymbolicLink()) {
        let target: string;
        let info;
        try {
          target = realpathSync.native(full);
          info = statSync(target);
        } catch (error) {
          if (code(error) === 'ELOOP')
            problems.push(inputProblem(shown(full), 'input/symlink-cycle', 'warning', `${shown(full)} is a loop of symbolic links: not followed`, 'remove the link, or point it at a real file or folder'));
          else if (MANIFEST.test(entry.name))
            problems.push(inputProblem(shown(full), 'input/unreadable', 'error', `cannot read ${shown(full)}: a symbolic link to nothing (${code(error)})`, 'point the link at an existing file, or remove it'));
          continue;
        }
        if (info.isDirectory()) {
          if (skipped) continue;
          if (ancestors.has(target))
            problems.push(
              inputProblem(shown(full), 'input/symlink-cycle', 'warning', `${shown(full)} links back to ${shown(target)}, a folder it is in: the cycle is not followed`, 'remove the link, or point it outside the folders being validated'),
            );
          else walk(full, target, ancestors);
        } else if (info.isFile() && MANIFEST.test(entry.name)) add(full, target);
      }
    }
    ancestors.delete(real);
  };
  for (const path of paths) {
    const full = resolve(cwd, path);
    let info;
    let real: string;
    try {
      info = statSync(full);
      real = realpathSync.native(full);
    } catch (error) {
      const why = code(error);
      if (why === 'ENOENT') throw new UsageError(`${path}: no such file or directory`, 'pass manifest files or directories, or --config for a cluster definition');
      if (why === 'ELOOP') throw new UsageError(`${path}: a loop of symbolic links`, 'point the link at a real file or folder, or pass the folder itself');
      throw new UsageError(`${path}: cannot read it (${why})`, 'check the path and its permissions');
    }
    if (info.isDirectory()) walk(full, real, new Set());
    else if (info.isFile()) add(full, real);
    // A device or a pipe (/dev/zero, a FIFO) would be read forever.
    else throw new UsageError(`${path}: not a file or a folder`, 'pass manifest files or directories');
  }
  return [...byReal.values()].sort();
}

/**
 * Splits a YAML stream at `---` lines, keeping each document's first line. js-yaml reads a stream
 * several times faster than the yaml package, but it does not say where each document starts.
 */
function splitDocuments(text: string): { start: number; first: number; text: string }[] {
  // Most files of a rendered tree hold one document: no separator, nothing to split.
  if (!/^---(\s|$)/m.test(text)) {
    const content = /^[ \t]*[^#\s]/m.exec(text);
    if (!content) return [];
    let first = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < content.index; i = text.indexOf('\n', i + 1)) first++;
    return [{ start: 1, first, text }];
  }
  const docs: { start: number; first: number; text: string }[] = [];
  const lines = text.split('\n');
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length && !/^---(\s|$)/.test(lines[i]!)) continue;
    const body = lines.slice(start, i).join('\n');
    // Only documents with content count; a comment-only header or a trailing `---` is none.
    const content = body.split('\n').findIndex((l) => /^[ \t]*[^#\s]/.test(l));
    if (content >= 0) docs.push({ start: start + 1, first: start + content + 1, text: body });
    if (i < lines.length) {
      lines[i] = lines[i]!.replace(/^---/, '   '); // `--- {inline}` keeps content on the separator line
      start = i;
    }
  }
  return docs;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Turns parsed documents into subjects; input problems (no kind, not an object) become findings. */
export function subjectsOf(file: string, document: number, value: unknown, out: ReadManifests): void {
  if (value === null || value === undefined) return;
  const where = { file, document, object: `document ${document}`, path: '' };
  if (!isObject(value)) {
    out.findings.push({ ...where, rule: 'input/not-an-object', severity: 'error', message: `document ${document} is a ${Array.isArray(value) ? 'list' : typeof value}, not a Kubernetes object`, hint: 'each YAML document must be one object with apiVersion, kind and metadata' });
    return;
  }
  if (typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
    const missing = ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string');
    out.findings.push({ ...where, path: `/${missing[0]}`, rule: 'input/no-kind', severity: 'error', message: `document ${document} has no ${missing.join(' or ')}`, hint: 'every Kubernetes object needs apiVersion and kind, e.g. apiVersion: v1, kind: ConfigMap' });
    return;
  }
  // A kustomization (as in each app stage's folder) is build input for kustomize, never sent to a cluster.
  if (value.apiVersion.startsWith('kustomize.config.k8s.io/')) return;
  // `kind: List` (kubectl get -o yaml) holds the objects in items.
  if (value.kind === 'List' && Array.isArray(value.items)) {
    for (const item of value.items) subjectsOf(file, document, item, out);
    return;
  }
  out.subjects.push({ file, document, object: value as unknown as K8sObject });
}

/** Reads manifest files and directories (multi-document YAML or JSON) as subjects, files named relative to cwd. */
export async function readManifests(paths: string[], cwd: string): Promise<ReadManifests> {
  const problems: Finding[] = [];
  const read = readManifestFiles(await manifestFiles(paths, cwd, problems), cwd);
  read.findings.push(...problems);
  return read;
}

/** The line (1-based) of a byte offset. */
const lineAt = (bytes: Uint8Array, offset: number): number => {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
};

/**
 * Why a file's bytes are not UTF-8 text, or undefined. Kubernetes reads manifests as UTF-8 (JSON and YAML as
 * the API machinery decodes them); a Latin-1 file would otherwise be read with replacement characters, and
 * a UTF-16 one (as some Windows editors save) as garbage.
 */
function encodingProblem(bytes: Uint8Array): { message: string; hint: string } | undefined {
  const utf16 = utf16ByteOrderMark(bytes);
  if (utf16)
    return { message: `is UTF-16 (it starts with the byte order mark ${utf16}), not UTF-8`, hint: 'save it as UTF-8, e.g. iconv -f UTF-16 -t UTF-8 in.yaml > out.yaml' };
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    return {
      message: `is not UTF-8: byte 0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')} at line ${lineAt(bytes, at)} is not valid UTF-8`,
      hint: 'save it as UTF-8 (a Latin-1 file converts with iconv -f LATIN1 -t UTF-8); Kubernetes reads manifests as UTF-8',
    };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1)
    return { message: `is not a text file: it holds a NUL byte at line ${lineAt(bytes, nul)} (UTF-16 without a byte order mark, or binary)`, hint: 'save it as UTF-8 text; binary data belongs in a ConfigMap\'s binaryData, base64-encoded' };
  return undefined;
}

/** Reads the given manifest files (absolute paths), naming them relative to cwd. */
export function readManifestFiles(fullPaths: string[], cwd: string): ReadManifests {
  const out: ReadManifests = { subjects: [], findings: [], files: 0, lines: new Map() };
  const base = cwd.endsWith(sep) ? cwd : `${cwd}${sep}`;
  for (const full of fullPaths) {
    // path.relative normalises both paths on every call; files under cwd only need the prefix cut.
    const file = full.startsWith(base) ? full.slice(base.length) : relative(cwd, full) || full;
    out.files++;
    let bytes: Buffer;
    try {
      // Synchronous on purpose: a tree is thousands of small files, and one round trip each through the
      // thread pool left the process idle most of the time.
      bytes = readFileSync(full);
    } catch (error) {
      out.findings.push({ file, document: 0, object: '', path: '', rule: 'input/unreadable', severity: 'error', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, hint: 'check the file permissions' });
      continue;
    }
    const encoding = encodingProblem(bytes);
    if (encoding) {
      out.findings.push({ file, document: 0, object: '', path: '', rule: 'input/encoding', severity: 'error', message: `${file} ${encoding.message}; nothing in it was validated`, hint: encoding.hint });
      continue;
    }
    let text: string;
    try {
      text = bytes.toString('utf8');
    } catch (error) {
      // Past V8's longest string (about 512 MiB).
      out.findings.push({ file, document: 0, object: '', path: '', rule: 'input/too-large', severity: 'error', message: `${file} is ${formatBytes(bytes.length)}, too large to read (${(error as Error).message})`, hint: TOO_LARGE_HINT });
      continue;
    }
    const docs = splitDocuments(text);
    out.lines.set(file, docs.map((d) => d.first));
    docs.forEach((doc, i) => readDocument(file, i + 1, doc, out));
  }
  return out;
}

function readDocument(file: string, document: number, doc: { start: number; text: string }, out: ReadManifests): void {
  const where = { file, document, object: `document ${document}`, path: '' };
  const limit = formatBytes(MAX_OBJECT_BYTES);
  const tooLarge = (what: string, object = where.object) =>
    out.findings.push({
      ...where, object, rule: 'input/too-large', severity: 'error',
      message: `${what}: a cluster stores at most ${limit} per object (etcd's default --max-request-bytes), so the API server refuses it; not validated further`,
      hint: TOO_LARGE_HINT,
    });
  if (tooLargeToParse(doc.text.length)) return void tooLarge(`document ${document} is ${formatBytes(Buffer.byteLength(doc.text))} of YAML (not even parsed)`);
  let value: unknown;
  try {
    value = readYaml(doc.text, file);
  } catch (error) {
    // js-yaml says to expect other exceptions than its own on hostile input: each is this document's problem.
    const line = error instanceof YAMLException ? doc.start + (error.mark?.line ?? 0) : doc.start;
    const reason = error instanceof YAMLException ? error.reason : (error as Error).message;
    out.findings.push({ ...where, rule: 'input/yaml', severity: 'error', message: `invalid YAML at ${file}:${line}: ${reason}`, hint: 'fix the YAML syntax; nothing in this document was validated' });
    return;
  }
  const aliases = mayHaveAliases(doc.text);
  if (aliases) {
    const problem = aliasProblem(value);
    if (problem) {
      out.findings.push({ ...where, rule: 'input/yaml', severity: 'error', message: `document ${document} of ${file} (line ${doc.start}) cannot be read: ${problem}`, hint: 'write the repeated values out, or alias fewer nested anchors; nothing in this document was validated' });
      return;
    }
  }
  if (worthMeasuring(doc.text.length, aliases)) {
    if (jsonBytesOver(value, MAX_OBJECT_BYTES) !== undefined) {
      const label = objectLabel(value, document);
      return void tooLarge(`${label} is more than ${limit} as JSON (${formatBytes(Buffer.byteLength(doc.text))} of YAML)`, label);
    }
  }
  subjectsOf(file, document, value, out);
}

/** `Kind/namespace/name` when the value looks like an object, else `document N`. */
function objectLabel(value: unknown, document: number): string {
  if (!isObject(value) || typeof value.kind !== 'string') return `document ${document}`;
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '(no name)';
  return `${value.kind}/${typeof metadata.namespace === 'string' && metadata.namespace ? `${metadata.namespace}/` : ''}${name}`;
}
