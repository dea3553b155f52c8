import { pathToFileURL } from 'node:url';
import type { ConfigIssue } from '../errors.ts';
import { describeThrown } from './plain.ts';

export interface WorkerData {
  file: string;
  /** [exited, exit code], written by the worker when the config calls process.exit. */
  exitFlag: SharedArrayBuffer;
  compileCacheDir?: string;
  /** URL of load-worker.ts, which the worker imports once the compile cache is on. */
  runner: string;
}

export type WorkerResult =
  | { type: 'ok'; value: unknown }
  | { type: 'invalid'; issues: ConfigIssue[] }
  | { type: 'no-export' }
  | { type: 'threw'; message: string; hint: string };

const SYNTAX_CODES = new Set(['ERR_INVALID_TYPESCRIPT_SYNTAX', 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX']);

/**
 * What went wrong while a .ts/.js config was imported or ran, with where: `file:line:column` of a syntax error
 * (Node puts it only in the stack's first lines), the config's own line for an error it threw.
 */
export function describeModuleError(error: unknown, file: string): { message: string; hint: string } {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'message' in error)) {
    return {
      message: `threw ${describeThrown(error)} instead of an Error`,
      hint: 'fix the code that throws it; throw new Error("...") says what is wrong',
    };
  }
  const { name, message, stack, code } = error as Error & { code?: unknown };
  const language = /\.m?ts$/.test(file) ? 'TypeScript' : 'JavaScript';
  if (name === 'SyntaxError' || SYNTAX_CODES.has(String(code))) {
    const where = syntaxLocation(String(stack ?? ''));
    return {
      message: `is not valid ${language}: ${message}${where ? ` at ${where}` : ''}`,
      hint: where ? `fix the syntax at ${where}${language === 'TypeScript' ? '; npx tsc --noEmit lists every error' : ''}` : `fix the syntax; node --check ${file} shows where`,
    };
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    return {
      message: `could not be loaded: ${message}`,
      hint: 'install the package the config imports in the project that holds the config (npm install), or fix the import',
    };
  }
  const where = frameIn(String(stack ?? ''), file);
  return {
    message: `threw ${name || 'an error'}: ${message}${where ? ` at ${where}` : ''}`,
    hint: where ? `fix the code at ${where}` : 'fix the code that throws; run the config with node to see the whole stack',
  };
}

/** `path:line:column` from a syntax error's stack: its first line names the file and line, a caret line the column. */
function syntaxLocation(stack: string): string | undefined {
  const lines = stack.split('\n');
  const header = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  if (!header) return undefined;
  const path = header[1]!.startsWith('file://') ? decodeURIComponent(new URL(header[1]!).pathname) : header[1]!;
  const caret = lines.slice(1, 8).find((line) => /^\s*\^+\s*$/.test(line));
  return `${path}:${header[2]}${caret ? `:${caret.indexOf('^') + 1}` : ''}`;
}

/** The first stack frame in the config file itself, as `path:line:column`. */
function frameIn(stack: string, file: string): string | undefined {
  const url = pathToFileURL(file).href;
  for (const candidate of [url, file]) {
    const escaped = candidate.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = new RegExp(`${escaped}(?:\\?[^:\\s)]*)?:(\\d+):(\\d+)`).exec(stack);
    if (match) return `${file}:${match[1]}:${match[2]}`;
  }
  return undefined;
}
