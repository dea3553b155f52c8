import { createColors } from 'picocolors';
import type { ConfigIssue } from '../errors.ts';

export type Colors = ReturnType<typeof createColors>;

export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Colour only for a terminal, and never when NO_COLOR is set or --no-color given (https://no-color.org). */
export function useColor(stream: Stream, env: Record<string, string | undefined>, flag: boolean): boolean {
  if (!flag || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export function formatIssues(issues: ConfigIssue[], c: Colors): string {
  return issues
    .map((issue) => `  ${c.bold(issue.path)}: ${issue.message}${issue.hint ? `\n    ${c.dim(`hint: ${issue.hint}`)}` : ''}`)
    .join('\n');
}

export function table(rows: string[][], c: Colors): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => stripAnsi(row[i] ?? '').length)));
  return rows
    .map((row, r) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - stripAnsi(cell).length)))
        .map((cell) => (r === 0 ? c.dim(cell) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
