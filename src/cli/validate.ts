import type { PullResult } from '../validate/schema/pull.ts';
import type { ValidateReport } from '../validate/report.ts';
import type { Colors } from './output.ts';

/** Text output of `plinth validate`: findings grouped by file and object, then a summary line. */
export function describeValidate(report: ValidateReport, c: Colors, showInfo: boolean): string {
  const mark = { error: c.red('✗'), warning: c.yellow('!'), info: c.dim('i') };
  const lines: string[] = [];
  let lastFile = '';
  let lastObject = '';
  const shown = report.findings.filter((f) => showInfo || f.severity !== 'info');
  for (const f of shown) {
    if (f.file !== lastFile) {
      if (lines.length) lines.push('');
      lines.push(c.bold(f.file));
      lastFile = f.file;
      lastObject = '';
    }
    if (f.object !== lastObject) {
      lines.push(`  ${f.object}${f.document > 1 && !f.object.startsWith('document ') ? c.dim(` (document ${f.document})`) : ''}`);
      lastObject = f.object;
    }
    lines.push(`    ${mark[f.severity]} ${f.path || '/'}: ${f.message} ${c.dim(`[${f.rule}]`)}`);
    if (f.hint) lines.push(`      ${c.dim(`hint: ${f.hint}`)}`);
  }
  if (lines.length) lines.push('');
  if (report.optOuts.length) {
    lines.push(c.bold(`Opted out of policies (${report.optOuts.length}):`));
    for (const o of report.optOuts) lines.push(`  ${c.dim('-')} ${o.object} ${c.dim(`(${o.file})`)} ${o.policy}: ${JSON.stringify(o.reason)}`);
    lines.push('');
  }
  const hiddenInfo = report.infos && !showInfo ? c.dim(` (--info lists them)`) : '';
  // Relaxations are info findings too, but were evaluated: counted apart so the count of unevaluated rules stays true.
  const relaxed = report.findings.filter((f) => f.severity === 'info' && f.rule.startsWith('relaxation/')).length;
  const unevaluated = report.infos - relaxed;
  const relaxations = relaxed ? `, ${relaxed} relaxation${relaxed === 1 ? '' : 's'} of the hardening` : '';
  const counts = `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}${relaxations}, ${unevaluated} rule${unevaluated === 1 ? '' : 's'} not evaluated${hiddenInfo}`;
  const what = `${report.objects} object${report.objects === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'}`;
  lines.push(`${report.failed ? c.red('✗') : c.green('✓')} ${what} from ${report.source}: ${counts}${report.strict ? ' (strict: warnings fail)' : ''}`);
  return lines.join('\n');
}

export function describePull(result: PullResult, c: Colors): string {
  const lines: string[] = [];
  const parts = ([[result, 'CRD files'], [result.values, 'chart values files']] as const).filter(([part]) => part?.files.length);
  for (const [part, noun] of parts.length ? parts : [[result, 'CRD files'] as const]) {
    if (!part) continue;
    const downloaded = part.files.filter((f) => f.status === 'downloaded');
    lines.push(
      ...downloaded.map((f) => `  ${c.green('+')} ${f.file} ${c.dim(`(${Math.round(f.bytes / 1024)} KiB)`)}`),
      `${c.green('✓')} ${part.files.length} ${noun} in ${part.dir}: ${downloaded.length} downloaded, ${part.files.length - downloaded.length} already up to date`,
    );
  }
  return lines.join('\n');
}
