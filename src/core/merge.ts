import type { ConfigIssue } from '../errors.ts';
import { formatPath } from '../config/paths.ts';

type Plain = Record<string, unknown>;

const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Helm-style merge: objects merge key by key, anything else (arrays included) is replaced by the override. */
export function deepMerge(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/**
 * Lists of named items a patch merges into item by item, and the field naming each item. The keys are Kubernetes'
 * strategic-merge keys (k8s.io/api core/v1/types.go `patchMergeKey` tags: containers, initContainers, env,
 * volumes by `name`; volumeMounts by `mountPath`), except container ports, merged by `name` where Kubernetes uses
 * `containerPort`: Plinth names every port it renders, and port names are unique in a pod, so a patch can renumber one.
 */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  ports: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
};

/** The directive key of a strategic merge patch (as in kubectl and kustomize). */
export const PATCH_DIRECTIVE = '$patch';

/**
 * Strategic merge, as `kubectl patch --type strategic` and kustomize do it for the lists in MERGE_KEYS: objects merge
 * key by key; `null` removes a key; an item of a named list merges into the base item of the same key, or is
 * appended; `{ $patch: delete }` beside the key removes that item; a `{ $patch: replace }` item makes the rest of
 * the list replace the base list; `$patch: replace` in an object replaces the base object. Other lists are replaced.
 */
export function strategicMerge(base: Plain, patch: Plain): Plain {
  if (patch[PATCH_DIRECTIVE] === 'replace') return withoutDirective(patch);
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key === PATCH_DIRECTIVE) continue;
    const current = out[key];
    if (value === null || (isPlain(value) && value[PATCH_DIRECTIVE] === 'delete')) delete out[key];
    else if (isPlain(current) && isPlain(value)) out[key] = strategicMerge(current, value);
    else if (Array.isArray(value) && MERGE_KEYS[key]) out[key] = mergeList(Array.isArray(current) ? current : [], value, MERGE_KEYS[key]);
    else out[key] = value;
  }
  return out;
}

function withoutDirective(value: Plain): Plain {
  const { [PATCH_DIRECTIVE]: _directive, ...rest } = value;
  return rest;
}

function mergeList(base: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  if (patch.some((item) => isPlain(item) && item[PATCH_DIRECTIVE] === 'replace' && Object.keys(item).length === 1)) {
    return patch.filter((item) => !(isPlain(item) && item[PATCH_DIRECTIVE] === 'replace' && Object.keys(item).length === 1));
  }
  const out = [...base];
  for (const item of patch) {
    const key = isPlain(item) ? item[mergeKey] : undefined;
    const index = key === undefined ? -1 : out.findIndex((existing) => isPlain(existing) && existing[mergeKey] === key);
    if (isPlain(item) && item[PATCH_DIRECTIVE] === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) out[index] = strategicMerge(out[index] as Plain, item as Plain);
    else out.push(isPlain(item) ? withoutDirective(item) : item);
  }
  return out;
}

/** Where a patch misuses the merge directives, as [path below the patch, message] pairs. */
export function patchProblems(patch: unknown, path: (string | number)[] = []): { path: (string | number)[]; message: string; hint: string }[] {
  const problems: { path: (string | number)[]; message: string; hint: string }[] = [];
  const directiveHint = `use ${PATCH_DIRECTIVE}: "replace" (replace the object or, as a list item of its own, the list) or "delete" (remove the object or the named item)`;
  const visit = (value: unknown, at: (string | number)[], listKey?: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...at, i], MERGE_KEYS[String(at.at(-1))]));
      return;
    }
    if (!isPlain(value)) return;
    const directive = value[PATCH_DIRECTIVE];
    if (directive !== undefined && directive !== 'replace' && directive !== 'delete') {
      problems.push({ path: [...at, PATCH_DIRECTIVE], message: `unknown merge directive ${JSON.stringify(directive)}`, hint: directiveHint });
    }
    if (listKey) {
      const replaceMarker = directive === 'replace' && Object.keys(value).length === 1;
      if (directive === 'replace' && !replaceMarker) {
        problems.push({
          path: [...at, PATCH_DIRECTIVE],
          message: 'a "replace" directive in a list stands alone as an item',
          hint: `put { ${PATCH_DIRECTIVE}: "replace" } as an item of its own before the items that replace the list`,
        });
      }
      if (!replaceMarker && typeof value[listKey] !== 'string') {
        problems.push({
          path: [...at, listKey],
          message: `an item of "${String(at.at(-2))}" needs its "${listKey}": items merge by it`,
          hint: `give the item the "${listKey}" it has (or will have) in the rendered object, or replace the whole list with a { ${PATCH_DIRECTIVE}: "replace" } item`,
        });
      }
    }
    for (const [key, child] of Object.entries(value)) if (key !== PATCH_DIRECTIVE) visit(child, [...at, key]);
  };
  visit(patch, path);
  return problems;
}

/** Misused merge directives in the apps' `deployment` patches, located in the config. */
export function deploymentPatchIssues(apps: readonly { deployment?: Record<string, unknown> | undefined }[]): ConfigIssue[] {
  return apps.flatMap((app, i) =>
    app.deployment ? patchProblems(app.deployment, ['apps', i, 'deployment']).map((p) => ({ path: formatPath(p.path), message: p.message, hint: p.hint })) : [],
  );
}
