import type { DoctorResult } from '../commands/doctor.ts';
import type { Colors } from './output.ts';

/** The doctor table, grouped by feature: each check's status, message and hint, and a failing check's cause chain. */
export function describeDoctor(result: DoctorResult, c: Colors): string {
  const paint = { pass: c.green, warn: c.yellow, fail: c.red, skip: c.dim } as const;
  const mark = { pass: '✓', warn: '!', fail: '✗', skip: '-' } as const;
  const lines: string[] = [`${c.bold(`plinth doctor: ${result.cluster}`)} ${c.dim(`${result.server}, ${result.generatedAt}`)}`];
  for (const feature of result.features) {
    lines.push('', `${paint[feature.status](mark[feature.status])} ${c.bold(feature.id)} ${c.dim(feature.title)}`);
    for (const check of feature.checks) {
      lines.push(`  ${paint[check.status](`${mark[check.status]} ${check.status.padEnd(4)}`)} ${check.name}: ${check.message}`);
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
  return lines.join('\n');
}
