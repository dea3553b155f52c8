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
  for (const { file, document, object } of subjects)
    for (const problem of await registry.check(object))
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
  return findings;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };

/** Findings in a stable order: by file, document, severity, path, rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  return [...findings].sort(
    (a, b) => cmp(a.file, b.file) || cmp(a.document, b.document) || cmp(SEVERITY_ORDER[a.severity], SEVERITY_ORDER[b.severity]) || cmp(a.path, b.path) || cmp(a.rule, b.rule),
  );
}
