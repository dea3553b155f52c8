import type { K8sObject } from '../core/types.ts';

export type Severity = 'error' | 'warning' | 'info';

/** One object to validate, with the file it came from (a rendered tree path or a user's manifest file). */
export interface Subject {
  file: string;
  /** 1-based index of the document inside a multi-document file; 1 for single-document files. */
  document: number;
  object: K8sObject;
}

/**
 * A problem found by `plinth validate`: schema violations, broken cross-component references and policy
 * violations all share this shape, so every output format (table, json, junit, sarif) renders one list.
 */
export interface Finding {
  file: string;
  document: number;
  /** `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects), as `describeObject` prints it. */
  object: string;
  /** JSON Pointer into the object, e.g. `/spec/template/spec/containers/0/image`; `` for the whole object. */
  path: string;
  /** Stable id: `schema`, `schema/cel`, `ref/<name>`, `policy/<name>`. */
  rule: string;
  severity: Severity;
  message: string;
  hint?: string;
}

/**
 * Objects opt out of one policy with an annotation naming the policy and saying why:
 * `plinth.dev/allow-<policy-name>: "<reason>"`; an empty reason is itself a finding.
 */
export const OPT_OUT_PREFIX = 'plinth.dev/allow-';
