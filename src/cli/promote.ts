import type { PromoteResult } from '../commands/promote.ts';
import type { ReleasesResult } from '../commands/releases.ts';
import { describeStep } from '../health/promotions.ts';
import { table, type Colors } from './output.ts';

const image = (tag?: string, digest?: string) => (tag && digest ? `${tag}@${digest.slice(0, 19)}…` : tag ?? (digest ? `${digest.slice(0, 19)}…` : '-'));

export function describePromote(result: PromoteResult, c: Colors): string {
  const freight = `Freight ${result.freight.name.slice(0, 7)}${result.freight.alias ? ` (${result.freight.alias})` : ''} ${image(result.freight.tag, result.freight.digest)}`;
  const lines: string[] = [];
  if (result.approved) lines.push(`${c.yellow('!')} approved ${freight} for ${result.stage} (--force): it is not verified upstream`);
  if (!result.phase) {
    lines.push(`${c.green('✓')} ${result.app} ${result.stage} <- ${freight}: Promotion ${result.promotion} created`, c.dim(`  follow it: plinth releases ${result.app}, or add --wait`));
    return lines.join('\n');
  }
  const ok = result.phase === 'Succeeded';
  lines.push(`${ok ? c.green('✓') : c.red('✗')} ${result.app} ${result.stage} <- ${freight}: Promotion ${result.promotion} ${result.phase}`);
  if (result.failedStep) lines.push(`  ${c.bold('failed at')} ${describeStep(result.failedStep)} ${result.failedStep.status}${result.failedStep.message ? `: ${result.failedStep.message}` : ''}`);
  else if (!ok && result.message) lines.push(`  ${result.message}`);
  if (!ok) lines.push(c.dim(`  fix the cause, then resume: plinth promote ${result.app} ${result.stage} --freight ${result.freight.name} --wait`));
  return lines.join('\n');
}

export function describeReleases(result: ReleasesResult, c: Colors): string {
  const rows = [['STAGE', '', 'FREIGHT', 'IMAGE', 'PROMOTED', 'BY', 'COMMIT']];
  const notes: string[] = [];
  for (const stage of result.stages) {
    if (stage.releases.length === 0) rows.push([c.bold(stage.stage), '', c.dim('(nothing promoted yet)'), '', '', '', '']);
    for (const [i, r] of stage.releases.entries())
      rows.push([
        i === 0 ? c.bold(stage.stage) : '',
        r.current ? c.green('*') : '',
        `${r.freight.slice(0, 7)}${r.alias ? ` ${c.dim(r.alias)}` : ''}`,
        image(r.tag, r.digest),
        r.promotedAt ?? '-',
        r.promotedBy ?? '-',
        r.commit?.slice(0, 7) ?? '-',
      ]);
    if (stage.running) notes.push(`${c.yellow('~')} ${stage.stage}: promotion ${stage.running.promotion} ${stage.running.phase ?? 'Running'}${stage.running.freight ? ` (Freight ${stage.running.freight.slice(0, 7)})` : ''}`);
    if (stage.failed) {
      const f = stage.failed;
      notes.push(
        `${c.red('✗')} ${stage.stage}: last promotion ${f.promotion} ${f.phase}${f.step ? ` at ${describeStep(f.step)}${f.step.message ? `: ${f.step.message}` : ''}` : f.message ? `: ${f.message}` : ''}` +
          (stage.autoPromotion ? '; auto-promotion is halted until a promotion succeeds' : ''),
      );
      if (f.resume) notes.push(c.dim(`    resume: ${f.resume} --wait`));
    }
  }
  return [`${c.bold(`releases of ${result.app}`)} ${c.dim(`(${result.namespace} on ${result.server}; * = running now)`)}`, table(rows, c), ...notes].join('\n');
}
