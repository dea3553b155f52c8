import { readdirSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { YAMLException } from 'js-yaml';
import { readYaml } from '../core/yaml.ts';
import type { K8sObject } from '../core/types.ts';
import { UsageError } from '../errors.ts';
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

/** Every manifest file under the given files and directories, sorted; hidden folders and node_modules skipped. */
export async function manifestFiles(paths: string[], cwd: string): Promise<string[]> {
  const files: string[] = [];
  // Synchronous, one readdir per folder: for a tree of thousands of files this is several times faster than
  // an asynchronous walk (mostly waiting) or readdir's own recursive mode.
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') walk(`${dir}${sep}${entry.name}`);
      } else if (entry.isFile() && MANIFEST.test(entry.name)) files.push(`${dir}${sep}${entry.name}`);
    }
  };
  for (const path of paths) {
    const full = resolve(cwd, path);
    const info = statSync(full, { throwIfNoEntry: false });
    if (!info) throw new UsageError(`${path}: no such file or directory`, 'pass manifest files or directories, or --config for a cluster definition');
    if (info.isFile()) files.push(full);
    else walk(full);
  }
  return [...new Set(files)].sort();
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
  return readManifestFiles(await manifestFiles(paths, cwd), cwd);
}

/** Reads the given manifest files (absolute paths), naming them relative to cwd. */
export function readManifestFiles(fullPaths: string[], cwd: string): ReadManifests {
  const out: ReadManifests = { subjects: [], findings: [], files: 0, lines: new Map() };
  const base = cwd.endsWith(sep) ? cwd : `${cwd}${sep}`;
  for (const full of fullPaths) {
    // path.relative normalises both paths on every call; files under cwd only need the prefix cut.
    const file = full.startsWith(base) ? full.slice(base.length) : relative(cwd, full) || full;
    out.files++;
    let text: string;
    try {
      // Synchronous on purpose: a tree is thousands of small files, and one round trip each through the
      // thread pool left the process idle most of the time.
      text = readFileSync(full, 'utf8');
    } catch (error) {
      out.findings.push({ file, document: 0, object: '', path: '', rule: 'input/unreadable', severity: 'error', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, hint: 'check the file permissions' });
      continue;
    }
    const docs = splitDocuments(text);
    out.lines.set(file, docs.map((d) => d.first));
    docs.forEach((doc, i) => {
      let value: unknown;
      try {
        value = readYaml(doc.text, file);
      } catch (error) {
        const line = error instanceof YAMLException ? doc.start + (error.mark?.line ?? 0) : doc.start;
        const reason = error instanceof YAMLException ? error.reason : (error as Error).message;
        out.findings.push({ file, document: i + 1, object: `document ${i + 1}`, path: '', rule: 'input/yaml', severity: 'error', message: `invalid YAML at ${file}:${line}: ${reason}`, hint: 'fix the YAML syntax; nothing in this document was validated' });
        return;
      }
      subjectsOf(file, i + 1, value, out);
    });
  }
  return out;
}
