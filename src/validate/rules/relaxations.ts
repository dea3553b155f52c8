import { RELAXED_PREFIX } from '../../apps/security.ts';
import type { Finding } from '../finding.ts';
import { configPath, finding, pointer, quote, workloads, type Index } from './context.ts';

const OPTIONS: Record<string, string> = { 'run-as-root': 'runAsRoot', 'writable-root-filesystem': 'writableRootFilesystem' };
const WHAT: Record<string, string> = { 'run-as-root': 'runs as root', 'writable-root-filesystem': 'writes to its root filesystem' };

/**
 * `relaxation/<what>`: every workload that relaxes the hardening (`plinth.dev/relaxed-<what>: <reason>`, rendered
 * from an app's `security`), listed with its reason so a review sees each one; without a reason it is a warning.
 */
export function relaxationsRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const item of workloads(index))
    for (const [annotation, reason] of Object.entries(item.annotations)) {
      if (!annotation.startsWith(RELAXED_PREFIX)) continue;
      const what = annotation.slice(RELAXED_PREFIX.length);
      const { app } = configPath(item, index.cluster);
      const option = app && OPTIONS[what] ? `${app}.security.${OPTIONS[what]}` : undefined;
      const path = pointer('metadata', 'annotations', annotation);
      const doing = WHAT[what] ?? `relaxes ${what}`;
      if (reason.trim() === '')
        out.push(finding(item, path, `relaxation/${what}`, 'warning', `${item.kind} ${doing} and gives no reason`, option ? `say why in ${option}` : `say why in ${annotation}: "<reason>"`));
      else
        out.push(finding(item, path, `relaxation/${what}`, 'info', `${item.kind} ${doing}: ${quote(reason)}`, option ? `remove ${option} once the reason no longer holds` : undefined));
    }
  return out;
}
