import type { DoctorResult } from '../commands/doctor.ts';
import type { DoctorCheck } from '../health/doctor.ts';
import type { Colors } from './output.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A few names, then how many more: a line stays readable when a cause blocks dozens of checks. */
const someOf = (names: string[], shown = 3) =>
  names.length <= shown + 1 ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;

/**
 * The doctor table: first the root causes that several checks share, with the thing to do, then the checks
 * grouped by feature. A check that waits on a shared root cause points at it instead of repeating its chain
 * and hint; several in one feature take one line.
 */
export function describeDoctor(result: DoctorResult, c: Colors): string {
  const paint = { pass: c.green, warn: c.yellow, fail: c.red, skip: c.dim } as const;
  const mark = { pass: '✓', warn: '!', fail: '✗', skip: '-' } as const;
  const lines: string[] = [`${c.bold(`plinth doctor: ${result.cluster}${result.environment ? ` (environment ${result.environment})` : ''}`)} ${c.dim(`${result.server}, ${result.generatedAt}`)}`];
  const causes = result.rootCauses ?? [];
  const number = new Map(causes.map((cause, i) => [cause.id, i + 1]));
  for (const [i, cause] of causes.entries()) {
    const blocked = cause.checks.filter((x) => x.status !== 'skip');
    const skipped = cause.checks.length - blocked.length;
    const features = [...new Set(cause.checks.map((x) => x.feature))];
    lines.push(
      '',
      `${paint[cause.status](mark[cause.status])} ${c.bold(`root cause ${i + 1}: ${cause.title}`)}: ${cause.message}`,
      ...(cause.hint ? [`    ${c.bold('do first:')} ${cause.hint}`] : []),
      c.dim(
        `    ${plural(blocked.length, 'check')}${skipped ? ` (and ${skipped} skipped)` : ''} in ${plural(features.length, 'feature')} depend on it: ${someOf(features, 6)}`,
      ),
    );
  }
  for (const feature of result.features) {
    lines.push('', `${paint[feature.status](mark[feature.status])} ${c.bold(feature.id)} ${c.dim(feature.title)}`);
    const waiting = new Map<string, DoctorCheck[]>();
    for (const check of feature.checks) if (check.rootCause) waiting.set(check.rootCause, [...(waiting.get(check.rootCause) ?? []), check]);
    for (const check of feature.checks) {
      const cause = check.rootCause;
      if (cause && waiting.get(cause)!.length > 1) {
        // One line for all the checks of this feature that wait on the cause, where the first of them was.
        const group = waiting.get(cause)!;
        if (group[0] !== check) continue;
        const blocked = group.filter((x) => x.status !== 'skip');
        const status = blocked.some((x) => x.status === 'fail') ? 'fail' : blocked.length ? 'warn' : 'skip';
        const skipped = group.length - blocked.length;
        const names = someOf(group.map((x) => x.name));
        lines.push(
          `  ${paint[status](`${mark[status]} ${status.padEnd(4)}`)} ${plural(blocked.length || group.length, 'check')}${blocked.length && skipped ? ` (and ${skipped} skipped)` : ''} ` +
            `${blocked.length === 1 ? 'waits' : 'wait'} on root cause ${number.get(cause)}: ${names}`,
        );
        continue;
      }
      lines.push(`  ${paint[check.status](`${mark[check.status]} ${check.status.padEnd(4)}`)} ${check.name}: ${check.message}`);
      if (cause) {
        lines.push(`         ${c.dim(`-> root cause ${number.get(cause)}`)}`);
        continue;
      }
      if (check.chain && check.chain.length > 1)
        for (const [i, step] of check.chain.entries()) {
          if (i === 0) continue;
          lines.push(`         ${c.dim('<-')} ${step.ref} ${paint[step.health === 'Healthy' ? 'pass' : step.health === 'Degraded' || step.health === 'Missing' ? 'fail' : 'warn'](step.health)}: ${step.message}`);
          for (const event of step.events ?? []) lines.push(`            ${c.dim(`event ${event}`)}`);
        }
      if (check.hint) lines.push(`         ${c.dim(`hint: ${check.hint}`)}`);
    }
  }
  const s = result.summary;
  lines.push(
    '',
    `${paint[result.status](mark[result.status])} ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip ${c.dim(`(${result.requests} API requests, ${result.durationMs} ms)`)}`,
  );
  if (causes.length > 0) lines.push(c.dim(`start with root cause 1: ${causes[0]!.hint ?? causes[0]!.title}`));
  return lines.join('\n');
}
