import type { ClusterConfig } from '../config/schema.ts';
import type { Finding, Subject } from './finding.ts';
import { checkRules } from './rules/index.ts';
import { schemaFindings, sortFindings } from './schema-findings.ts';
import type { SchemaRegistry } from './schema/registry.ts';

export type { Finding, Severity, Subject } from './finding.ts';

/** Everything `plinth validate` checks on a set of objects: schemas, then cross-references and policies. */
export async function validateSubjects(subjects: Subject[], options: { schemas: SchemaRegistry; cluster?: ClusterConfig }): Promise<Finding[]> {
  const schema = await schemaFindings(subjects, options.schemas);
  const rules = checkRules(subjects, options.cluster ? { cluster: options.cluster } : {});
  return sortFindings([...schema, ...rules]);
}
