import type { BackupResult, CheckResult, ImportResult, ListResult, RestoreResult, SetResult } from '../commands/secrets.ts';
import type { RenderProblem } from '../secrets/declarations.ts';
import type { Colors } from './output.ts';

/** Text output of `plinth secrets ...`; every function gets results that hold names, never values. */

const problemLines = (problems: RenderProblem[], c: Colors) =>
  problems.map((p) => `  ${p.kind === 'unread-input' ? c.yellow('!') : c.red('✗')} ${p.message}${p.hint ? `\n      ${c.dim(`hint: ${p.hint}`)}` : ''}`);

export function describeList(result: ListResult, c: Colors): string {
  if (result.inputs.length === 0) return 'No enabled component declares a secret input.';
  const lines: string[] = [];
  for (const input of result.inputs) {
    lines.push(`${c.bold(input.name)}  ${c.dim(`(${input.components.join(', ')})`)}`);
    lines.push(`  ${input.purpose}`);
    for (const key of input.keys) lines.push(`  - ${key.key}: ${key.description}`);
    lines.push(`  how to get it: ${input.howToGet}`);
    lines.push(`  read by: ${input.consumers.map((r) => r.ref).join(', ') || c.yellow('no ExternalSecret')}`);
    lines.push('');
  }
  if (result.problems.length) lines.push(c.bold('Render problems:'), ...problemLines(result.problems, c), '');
  lines.push(c.dim('set one: plinth secrets set NAME KEY   (the value is read from a prompt or stdin)'));
  return lines.join('\n');
}

export function describeCheck(result: CheckResult, c: Colors): string {
  const mark = { complete: c.green('✓'), incomplete: c.red('✗'), missing: c.red('✗') };
  const lines = [`${result.ok ? c.green('✓') : c.red('✗')} ${result.namespace} on ${result.server}: ${result.inputs.length - result.missing} of ${result.inputs.length} inputs complete, ${result.missing} missing, ${result.stale} stale`];
  for (const input of result.inputs) {
    const absent = input.keys.filter((k) => k.status !== 'set').map((k) => `${k.key} (${k.status})`);
    lines.push(`  ${mark[input.status]} ${input.name}${input.status === 'complete' ? '' : c.dim(`  ${input.status === 'missing' ? 'no Secret' : absent.join(', ')}`)}`);
    if (input.status !== 'complete') lines.push(`      ${c.dim(`plinth secrets set ${input.name} ${input.keys.find((k) => k.status !== 'set')!.key}`)}`);
    for (const key of input.undeclaredKeys) lines.push(`    ${c.yellow('!')} key ${key} is not declared (stale?)`);
  }
  for (const unknown of result.unknown) lines.push(`  ${c.yellow('!')} ${unknown.name}  ${c.dim(`in the store, declared by no enabled component (keys: ${unknown.keys.join(', ') || 'none'})`)}`);
  if (result.problems.length) lines.push(c.bold('Render problems:'), ...problemLines(result.problems, c));
  return lines.join('\n');
}

export const describeSet = (result: SetResult, c: Colors): string =>
  `${c.green('✓')} ${result.action} ${result.name} ${result.key} on ${result.server}${result.declared ? '' : c.yellow(' (not declared: written with --force)')}`;

export function describeImport(result: ImportResult, c: Colors): string {
  const lines: string[] = [];
  if (result.dryRun) {
    lines.push(`${result.mapped.length} variable${result.mapped.length === 1 ? '' : 's'} of ${result.file} would be written (dry run):`);
    for (const m of result.mapped) lines.push(`  ${c.green('+')} ${m.name} ${m.key}  ${c.dim(`from ${m.variable}`)}`);
  } else {
    lines.push(`${c.green('✓')} ${result.file} -> ${result.server}: ${result.written.length} input${result.written.length === 1 ? '' : 's'} written`);
    for (const w of result.written) lines.push(`  ${c.green('+')} ${w.name} ${c.dim(`${w.action}: ${w.keys.join(', ')}`)}`);
  }
  for (const u of result.unknown) lines.push(`  ${c.red('?')} ${u.variable}: ${u.message}\n      ${c.dim(`hint: ${u.hint}`)}`);
  for (const e of result.empty) lines.push(`  ${c.yellow('!')} ${e.variable} is empty: not written`);
  const missing = result.missing.filter((m) => !m.inStore);
  if (missing.length) {
    lines.push(`Still missing${result.dryRun ? ' from the file' : ''}:`);
    for (const m of missing) lines.push(`  ${c.red('✗')} ${m.name} ${m.key}`);
  }
  return lines.join('\n');
}

export const describeBackup = (result: BackupResult, c: Colors): string =>
  [
    `${c.green('✓')} ${result.inputs.length} input${result.inputs.length === 1 ? '' : 's'} from ${result.server} encrypted to ${result.recipients} recipient${result.recipients === 1 ? '' : 's'} in ${result.file}`,
    ...result.inputs.map((i) => `  ${i.name} ${c.dim(i.keys.join(', '))}`),
    c.dim('keep it with the identity apart from the cluster; restore with: plinth secrets restore --from FILE --identity KEYFILE'),
  ].join('\n');

export const describeRestore = (result: RestoreResult, c: Colors): string =>
  [
    `${c.green('✓')} ${result.restored.length} input${result.restored.length === 1 ? '' : 's'} from ${result.file} restored to ${result.server}${result.createdNamespace ? ' (store namespace created)' : ''}`,
    ...result.restored.map((r) => `  ${c.green('+')} ${r.name} ${c.dim(`${r.action}: ${r.keys.join(', ')}`)}`),
  ].join('\n');
