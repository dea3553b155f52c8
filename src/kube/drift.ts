import { BUILT_IN_GROUPS, groupOf } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep equality of JSON values, maps in any key order. */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && same(a[k], b[k]));
  }
  return a === b;
}

/**
 * Where a client-side diff of a custom resource never comes clean, however often it is synced: Argo CD's default
 * diff (argo-cd v3.4.4 gitops-engine/pkg/diff/diff.go: TwoWayDiff, then ThreeWayDiff) merges a custom resource
 * into the live one with a JSON merge patch. Maps merge, so a field only the server states is kept; but a list is
 * replaced whole, so a list item the API server completes (a CRD `default`, a webhook's addition) differs forever.
 * `completed` is the object as the server keeps it (a dry-run apply's result). Built-in kinds are left out: Argo CD
 * applies their scheme defaults and merges their lists by key before it compares.
 */
export function permanentDrift(rendered: K8sObject, completed: K8sObject): string[] {
  if (BUILT_IN_GROUPS.has(groupOf(rendered.apiVersion))) return [];
  const paths: string[] = [];
  const walk = (want: unknown, have: unknown, path: string) => {
    if (isMap(want) && isMap(have)) {
      for (const [key, value] of Object.entries(want)) walk(value, have[key], `${path}.${key}`);
      return;
    }
    if (!same(want, have)) paths.push(path.slice(1));
  };
  const { status: _status, ...desired } = rendered as K8sObject & { status?: unknown };
  walk(desired, completed, '');
  return paths;
}
