import type { ComponentId, HealthCheck, K8sObject } from './types.ts';
import { metricNames } from './promql.ts';

/**
 * An alert a component owns about itself. It is one instant PromQL query (`query`), alerting on each series where
 * `value <op> threshold` holds for `for`: the shape Grafana evaluates as a query plus a threshold expression, and
 * Prometheus as `(query) <op> threshold`. Both read the same query the same way, so the Prometheus form is what
 * `promtool test rules` proves.
 */
export interface AlertRule {
  /** Grafana uid, unique in the cluster: `plinth-<what>`. */
  uid: string;
  /** The Grafana title, which is also the alert's name in notifications. */
  title: string;
  /** The Prometheus alert name (a metric-name-like identifier), used by `promtool test rules`. */
  name: string;
  /** The rule group it renders in (one GrafanaAlertRuleGroup per group). */
  group: AlertGroup;
  query: string;
  op: 'gt' | 'lt';
  threshold: number;
  for: string;
  severity: 'critical' | 'warning';
  /**
   * What Grafana does when the query returns nothing: NoData (notify: the metric should always exist), OK (an absent
   * series means nothing is wrong), or Alerting. Prometheus has no such state: a query with no result never fires.
   */
  noData: 'OK' | 'NoData' | 'Alerting';
  /** Why that noData state. */
  noDataWhy: string;
  /** One line naming the object, from `{{ $labels.<name> }}` only, so Grafana and Prometheus write it alike. */
  summary: string;
  /** What to look at first. */
  runbook: string;
  /** Grafana only: may show the value, `{{ humanize $values.A.Value }}`. */
  description?: string;
  tests: { fires: RuleTest; silent: RuleTest };
}

/** Synthetic series in promtool's expanding notation, the time to evaluate at, and (fires) the alert's labels then. */
export interface RuleTest {
  series: { series: string; values: string }[];
  at: string;
  /** The alert's labels besides alertname and severity: the query's output labels. */
  labels?: Record<string, string>;
}

export const ALERT_GROUPS = {
  nodes: 'Nodes',
  workloads: 'Workloads',
  storage: 'Storage',
  certificates: 'Certificates',
  databases: 'Databases',
  delivery: 'Delivery',
  secrets: 'Secrets',
  messaging: 'Messaging',
} as const;
export type AlertGroup = keyof typeof ALERT_GROUPS;

/**
 * What a component makes Prometheus scrape, and the metrics that brings: a ServiceMonitor or PodMonitor it renders
 * (`objects`) or that its chart creates from values (then `check` names it), or a target the cluster's Prometheus
 * stack already scrapes (`external`: node-exporter, kubelet, kube-state-metrics).
 */
export interface ScrapeTarget {
  id: string;
  description: string;
  /** Metric names the target exports that rules may use. */
  metrics: string[];
  objects?: K8sObject[];
  /** Chart values that make the component's chart create its ServiceMonitor or PodMonitor. */
  values?: Record<string, unknown>;
  /** The ServiceMonitor or PodMonitor doctor expects on a live cluster. */
  check?: HealthCheck;
  /** Who creates that monitor when neither the chart's values nor `objects` do: an operator, from a resource of the component. */
  createdBy?: string;
  external?: true;
}

/**
 * A target whose ServiceMonitor the component's chart renders from `values`: doctor expects it under `name` once
 * Argo CD has synced the chart.
 */
export function chartServiceMonitor(target: {
  id: string;
  description: string;
  metrics: string[];
  values: Record<string, unknown>;
  name: string;
  namespace: string;
  /** What Prometheus reads through it, for doctor's check name. */
  scrapes: string;
}): ScrapeTarget {
  const { id, description, metrics, values, name, namespace, scrapes } = target;
  return {
    id,
    description,
    metrics,
    values,
    check: { description: `ServiceMonitor: Prometheus scrapes ${scrapes}`, apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', name, namespace },
  };
}

export interface OwnedAlert {
  component: ComponentId;
  rule: AlertRule;
}

export interface OwnedTarget {
  component: ComponentId;
  target: ScrapeTarget;
}

export interface UnscrapedMetric {
  component: ComponentId;
  rule: string;
  metric: string;
}

/** Every metric a rule reads that no rendered scrape target provides: such a rule could never fire. */
export function unscrapedMetrics(alerts: OwnedAlert[], targets: OwnedTarget[]): UnscrapedMetric[] {
  const provided = new Set(targets.flatMap(({ target }) => target.metrics));
  return alerts.flatMap(({ component, rule }) =>
    metricNames(rule.query)
      .filter((metric) => !provided.has(metric))
      .map((metric) => ({ component, rule: rule.uid, metric })),
  );
}

const COMPARISON = { gt: '>', lt: '<' } as const;

/** The rule as Prometheus evaluates it: the query, filtered by the threshold. */
export const prometheusExpr = (rule: AlertRule): string => `(${rule.query}) ${COMPARISON[rule.op]} ${rule.threshold}`;

/** A Prometheus rule file of the rules, grouped as Grafana groups them (the file `promtool test rules` loads). */
export function prometheusRuleFile(rules: AlertRule[]): Record<string, unknown> {
  const groups = new Map<AlertGroup, AlertRule[]>();
  for (const rule of rules) groups.set(rule.group, [...(groups.get(rule.group) ?? []), rule]);
  return {
    groups: [...groups].map(([group, members]) => ({
      name: group,
      interval: '1m',
      rules: members.map((rule) => ({
        alert: rule.name,
        expr: prometheusExpr(rule),
        for: rule.for,
        labels: { severity: rule.severity },
        annotations: { summary: rule.summary, runbook: rule.runbook },
      })),
    })),
  };
}

/** `{{ $labels.x }}` filled in, as both Grafana's and Prometheus's templates fill it; no other template is allowed. */
export function expandLabels(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '<no value>');
}

/** Whether a summary uses only `{{ $labels.x }}`, the one template both evaluators render alike. */
export const summaryIsPortable = (summary: string): boolean => !/\{\{/.test(summary.replace(/\{\{\s*\$labels\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}/g, ''));

/**
 * A promtool unit test file: per rule, its failure series must fire the alert with the expected labels and
 * annotations, and its healthy series must leave it silent.
 */
export function promtoolTests(rules: AlertRule[], ruleFile: string): Record<string, unknown> {
  return {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    tests: rules.flatMap((rule) => {
      const labels = { severity: rule.severity, ...rule.tests.fires.labels };
      return [
        {
          name: `${rule.name} fires`,
          interval: '1m',
          input_series: rule.tests.fires.series,
          alert_rule_test: [
            {
              eval_time: rule.tests.fires.at,
              alertname: rule.name,
              exp_alerts: [
                {
                  exp_labels: labels,
                  exp_annotations: { summary: expandLabels(rule.summary, labels), runbook: expandLabels(rule.runbook, labels) },
                },
              ],
            },
          ],
        },
        {
          name: `${rule.name} stays silent`,
          interval: '1m',
          input_series: rule.tests.silent.series,
          alert_rule_test: [{ eval_time: rule.tests.silent.at, alertname: rule.name, exp_alerts: [] }],
        },
      ];
    }),
  };
}
