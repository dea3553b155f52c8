import { promqlProblems } from '../../core/promql.ts';
import type { Finding } from '../finding.ts';
import { finding, pointer, type Index } from './context.ts';

type Obj = Record<string, unknown>;
const list = (value: unknown): Obj[] => (Array.isArray(value) ? (value.filter((v) => typeof v === 'object' && v !== null) as Obj[]) : []);
const obj = (value: unknown): Obj => (typeof value === 'object' && value !== null ? (value as Obj) : {});

/**
 * `promql/syntax`: every PromQL expression of an alert rule parses with Prometheus's own grammar: the queries of
 * Grafana-managed rules (GrafanaAlertRuleGroup, grafana-operator) and the expressions of PrometheusRules
 * (prometheus-operator). A rule whose expression does not parse never evaluates, so it never fires.
 */
export function promqlRule(index: Index): Finding[] {
  const out: Finding[] = [];
  const check = (item: Parameters<typeof finding>[0], path: string, expr: unknown, what: string) => {
    if (typeof expr !== 'string') return;
    const problem = promqlProblems(expr)[0];
    if (problem)
      out.push(finding(item, path, 'promql/syntax', 'error', `${what}: the PromQL ${problem.message}`, 'fix the expression; `promtool check rules` and Grafana\'s query editor show the same error'));
  };
  for (const item of index.ofKind('grafana.integreatly.org', 'GrafanaAlertRuleGroup'))
    list(obj(item.object.spec).rules).forEach((rule, r) =>
      list(rule.data).forEach((query, q) => {
        const model = obj(query.model);
        // Only queries on a Prometheus datasource are PromQL; server-side expressions (`__expr__`) are not.
        if (obj(model.datasource).type === 'prometheus' || (query.datasourceUid !== '__expr__' && 'expr' in model))
          check(item, pointer('spec', 'rules', r, 'data', q, 'model', 'expr'), model.expr, `rule ${JSON.stringify(rule.title ?? rule.uid)}`);
      }),
    );
  for (const item of index.ofKind('monitoring.coreos.com', 'PrometheusRule'))
    list(obj(item.object.spec).groups).forEach((group, g) =>
      list(group.rules).forEach((rule, r) => check(item, pointer('spec', 'groups', g, 'rules', r, 'expr'), rule.expr, `rule ${JSON.stringify(rule.alert ?? rule.record)}`)),
    );
  return out;
}
