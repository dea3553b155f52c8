import { describeObject, type K8sObject } from '../core/types.ts';
import type { Finding, Subject } from './finding.ts';
import type { SchemaRegistry } from './schema/registry.ts';

const nameOf = (object: K8sObject) =>
  object.metadata && typeof object.metadata === 'object' ? describeObject(object) : `${object.kind}/(no metadata)`;

/**
 * Schema findings of every subject. CustomResourceDefinitions among the subjects serve their kinds too,
 * so a chart's own CRDs validate the custom resources beside them.
 */
export async function schemaFindings(subjects: Subject[], registry: SchemaRegistry): Promise<Finding[]> {
  const crds = subjects.filter((s) => s.object.kind === 'CustomResourceDefinition');
  for (const s of crds) registry.addCrds([s.object], s.file);
  const findings: Finding[] = [];
  const unchecked = new Map<string, number>();
  for (const { file, document, object } of subjects)
    for (const problem of await registry.check(object)) {
      if (problem.noSchemas) {
        const kind = `${object.kind} (${object.apiVersion})`;
        unchecked.set(kind, (unchecked.get(kind) ?? 0) + 1);
        continue;
      }
      findings.push({
        file,
        document,
        object: nameOf(object),
        path: problem.path,
        rule: problem.rule,
        severity: problem.severity,
        message: problem.message,
        ...(problem.hint ? { hint: problem.hint } : {}),
      });
    }
  if (unchecked.size > 0) findings.push(noSchemasFinding(registry.crdsDir, unchecked));
  return findings;
}

/**
 * Without any CRD schemas every custom resource is an unknown kind: one finding says so, instead of the same
 * finding and hint on each of them. Built-in kinds are still checked.
 */
function noSchemasFinding(crdsDir: string, unchecked: Map<string, number>): Finding {
  const objects = [...unchecked.values()].reduce((a, b) => a + b, 0);
  const kinds = [...unchecked.keys()].sort();
  const named = `${kinds.slice(0, 5).join(', ')}${kinds.length > 5 ? ` and ${kinds.length - 5} more` : ''}`;
  return {
    file: crdsDir,
    document: 0,
    object: '',
    path: '',
    rule: 'schema/no-crds',
    severity: 'error',
    message: `no CRD schemas in ${crdsDir}, so ${objects} custom resource${objects === 1 ? '' : 's'} of ${kinds.length} kind${kinds.length === 1 ? '' : 's'} went unchecked: ${named}`,
    hint: 'run `plinth schemas pull` (with --from <mirror> where the upstream hosts are out of reach), or set PLINTH_SCHEMAS_DIR to a folder holding crds/; built-in kinds were checked',
  };
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };

/** Findings in a stable order: by file, document, severity, path, rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  return [...findings].sort(
    (a, b) => cmp(a.file, b.file) || cmp(a.document, b.document) || cmp(SEVERITY_ORDER[a.severity], SEVERITY_ORDER[b.severity]) || cmp(a.path, b.path) || cmp(a.rule, b.rule),
  );
}
