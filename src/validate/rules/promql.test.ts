import { describe, expect, it } from 'vitest';
import { obj, only, run } from './fixtures.ts';

const group = (expr: string) =>
  obj('grafana.integreatly.org/v1beta1', 'GrafanaAlertRuleGroup', 'nodes', 'grafana', {
    spec: {
      rules: [
        {
          uid: 'plinth-x',
          title: 'X',
          data: [
            { refId: 'A', datasourceUid: 'prometheus', model: { datasource: { type: 'prometheus', uid: 'prometheus' }, expr } },
            { refId: 'B', datasourceUid: '__expr__', model: { datasource: { type: '__expr__', uid: '__expr__' }, type: 'threshold', expression: 'A' } },
          ],
        },
      ],
    },
  });

describe('promql/syntax', () => {
  it('passes a rule whose query parses', () => {
    expect(only(run([group('max by (node) (kube_node_status_condition{condition="Ready",status="true"})')]), 'promql/syntax')).toEqual([]);
  });

  it('fails a Grafana rule query that does not parse, naming the rule and the path to the expression', () => {
    const findings = only(run([group('max by (node (up)')]), 'promql/syntax');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', path: '/spec/rules/0/data/0/model/expr', object: 'GrafanaAlertRuleGroup/grafana/nodes' });
    expect(findings[0]!.message).toMatch(/^rule "X": the PromQL cannot parse at offset \d+/);
  });

  it('reads PrometheusRule expressions too', () => {
    const rule = obj('monitoring.coreos.com/v1', 'PrometheusRule', 'extra', 'monitoring', {
      spec: { groups: [{ name: 'g', rules: [{ alert: 'Fine', expr: 'up == 0' }, { alert: 'Broken', expr: 'rate(up[5m]' }] }] },
    });
    const findings = only(run([rule]), 'promql/syntax');
    expect(findings.map((f) => [f.path, f.message.split(':')[0]])).toEqual([['/spec/groups/0/rules/1/expr', 'rule "Broken"']]);
  });
});
