import type { ClusterConfig } from '../../config/schema.ts';
import { compareStrings } from '../../core/compare.ts';
import type { Finding, Subject } from '../finding.ts';
import { buildIndex, configPath, describe, type Index } from './context.ts';
import { kargoFreightRule, kargoRule } from './kargo.ts';
import { policyRules } from './policies.ts';
import { relaxationsRule } from './relaxations.ts';
import { sharedDataRule } from './stage-data.ts';
import { duplicatesRule } from './duplicates.ts';
import { promqlRule } from './promql.ts';
import {
  appRefsRule, certificateIssuerRule, databaseClusterRule, ingressDomainRule, ingressIssuerRule, kedaRule, secretStoreRule,
} from './refs.ts';
import { clusterSecretSourceRule, ingressTlsSecretRule, podSecretRule, secretIndex } from './secrets.ts';

export { POLICIES, type Policy, type PolicyName } from './policies.ts';

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareStrings(a.file, b.file) ||
    a.document - b.document ||
    compareStrings(a.path, b.path) ||
    compareStrings(a.rule, b.rule) ||
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    compareStrings(a.object, b.object) ||
    compareStrings(a.message, b.message)
  );
}

/**
 * Cross-references between objects (`ref/*`) and platform policies (`policy/*`), from the objects alone;
 * `cluster`, when the objects are a config's render, only sharpens hints into config paths (`apps[1].resources`)
 * and lets Ingress hosts be checked against `domain` when no external-dns is rendered. Pure, and linear in
 * the number of objects: every lookup goes through indexes built once.
 */
export function checkRules(subjects: Subject[], options: { cluster?: ClusterConfig } = {}): Finding[] {
  const index = buildIndex(subjects, options.cluster);
  const secrets = secretIndex(index);
  const findings = [
    ...ingressDomainRule(index),
    ...ingressIssuerRule(index),
    ...certificateIssuerRule(index),
    ...secretStoreRule(index),
    ...appRefsRule(index),
    ...databaseClusterRule(index),
    ...kedaRule(index),
    ...kargoRule(index),
    ...kargoFreightRule(index),
    ...podSecretRule(index, secrets),
    ...ingressTlsSecretRule(index, secrets),
    ...clusterSecretSourceRule(index, secrets),
    ...policyRules(index),
    ...relaxationsRule(index),
    ...sharedDataRule(index),
    ...duplicatesRule(index),
    ...promqlRule(index),
  ];
  return withComponentHints(findings, index).sort(compareFindings);
}

/**
 * With a config, a finding on a component's object says which component renders it, unless its hint
 * already names the config field to change.
 */
function withComponentHints(findings: Finding[], index: Index): Finding[] {
  if (!index.cluster) return findings;
  const owners = new Map<string, string>();
  for (const item of index.items) {
    const { component } = configPath(item, index.cluster);
    if (component) owners.set(`${item.file}\u0000${item.document}\u0000${describe(item)}`, component);
  }
  return findings.map((f) => {
    const component = owners.get(`${f.file}\u0000${f.document}\u0000${f.object}`);
    if (!component || f.hint?.includes('components[')) return f;
    const note = `it is rendered by ${component}: change it through that component's options, values or extraObjects`;
    return { ...f, hint: f.hint ? `${f.hint}; ${note}` : note };
  });
}
