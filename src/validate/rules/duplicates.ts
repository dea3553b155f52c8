import type { Finding } from '../finding.ts';
import { describe, finding, type Index, type Item } from './context.ts';

/**
 * `ref/duplicate`: one object (API group, kind, namespace, name) defined twice among the validated files. Applied
 * by one tool, the later copy silently wins; synced by two Argo CD Applications, each undoes the other at every
 * sync. Plinth's render refuses it (src/core/render.ts); this finds it in any manifests. Objects that name no
 * namespace are compared as written, since where they land depends on how they are applied.
 */
export function duplicatesRule(index: Index): Finding[] {
  const first = new Map<string, Item>();
  const out: Finding[] = [];
  for (const item of index.items) {
    const key = `${item.group}\u0000${item.kind}\u0000${item.namespace ?? ''}\u0000${item.name}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, item);
      continue;
    }
    const where = earlier.file === item.file ? `document ${earlier.document} of this file` : `${earlier.file} (document ${earlier.document})`;
    out.push(
      finding(
        item, '', 'ref/duplicate', 'error', `${describe(item)} is also defined in ${where}: one copy overwrites the other`,
        'keep one definition: with Plinth, change the rendered object through its option, not a second copy in extraObjects',
      ),
    );
  }
  return out;
}
