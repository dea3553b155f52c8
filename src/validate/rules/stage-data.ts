import { SHARES_PREFIX } from '../../apps/stage-data.ts';
import type { Finding } from '../finding.ts';
import { finding, pointer, workloads, type Index } from './context.ts';

/**
 * `isolation/shared-data`: a workload of an earlier stage that uses the last stage's database, cache or topics
 * (`plinth.dev/shares-<kind>: <name> of stage <last>: <reason>`, rendered from a data service's `stages.<stage>.share`).
 * Stages are isolated by default; each opt-out stays a warning, with its reason, so a review sees every one.
 */
export function sharedDataRule(index: Index): Finding[] {
  const out: Finding[] = [];
  for (const item of workloads(index))
    for (const [annotation, value] of Object.entries(item.annotations)) {
      if (!annotation.startsWith(SHARES_PREFIX)) continue;
      const kind = annotation.slice(SHARES_PREFIX.length);
      const stage = item.namespace ?? 'its namespace';
      for (const note of value.split('; ').filter((n) => n.trim() !== ''))
        out.push(
          finding(
            item, pointer('metadata', 'annotations', annotation), 'isolation/shared-data', 'warning',
            `${item.kind} in stage ${JSON.stringify(stage)} uses the ${kind} ${note}`,
            `remove the share of stage ${JSON.stringify(stage)} on that ${kind} (its stages.${stage}.share) to give the stage its own ${kind}`,
          ),
        );
    }
  return out;
}
