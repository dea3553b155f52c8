// Every alert rule Plinth renders, proven by Prometheus's own rule tester (promtool test rules, v0.316.0 from the Go
// module proxy: test/setup/global.ts), and the notification routes by Alertmanager's own router (amtool, v0.35.0).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { registry } from '../src/components/index.ts';
import { resolveCluster } from '../src/config/validate.ts';
import { renderTree } from '../src/core/render.ts';
import { metricNames, promqlProblems } from '../src/core/promql.ts';
import { prometheusRuleFile, promtoolTests, summaryIsPortable, type AlertRule } from '../src/core/alerts.ts';
import { notificationRoute } from '../src/components/grafana/index.ts';
import { minimalCluster, REPO, tempDir } from './helpers.ts';

const run = promisify(execFile);
const tool = (name: 'PLINTH_PROMTOOL' | 'PLINTH_AMTOOL') => {
  const path = process.env[name];
  if (!path) throw new Error(`${name} is not set: test/setup/global.ts builds the tool (run the tests with npm test)`);
  return path;
};

/** The whole platform with alerting on and backups configured, so that every rule of every component renders. */
function everyRule(): { rules: AlertRule[]; grafanaQueries: Map<string, string> } {
  const config = minimalCluster();
  config.components.grafana = {};
  config.components['cloudnative-pg'] = { backup: { destinationPath: 's3://backups/test', endpointURL: 'https://s3.example.org' } };
  config.components['barman-cloud'] = {};
  config.components.logging = { bucket: 'cluster-logs' };
  const tree = renderTree(resolveCluster(config, registry), registry);
  const rules = tree.components.flatMap((c) => c.alerts);
  const grafanaQueries = new Map<string, string>();
  for (const { object } of tree.objects)
    if (object.kind === 'GrafanaAlertRuleGroup')
      for (const rule of (object.spec as { rules: { uid: string; data: { model: { expr?: string } }[] }[] }).rules) grafanaQueries.set(rule.uid, rule.data[0]!.model.expr!);
  return { rules, grafanaQueries };
}

async function promtoolTest(rules: AlertRule[]): Promise<{ code: number; output: string }> {
  const dir = await tempDir('plinth-promtool-');
  await writeFile(join(dir, 'rules.yaml'), stringify(prometheusRuleFile(rules)));
  await writeFile(join(dir, 'tests.yaml'), stringify(promtoolTests(rules, 'rules.yaml')));
  try {
    const { stdout, stderr } = await run(tool('PLINTH_PROMTOOL'), ['test', 'rules', join(dir, 'tests.yaml')]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('alert rules', () => {
  const { rules, grafanaQueries } = everyRule();

  it('cover what a patient-data cluster needs, each once, with a portable summary and PromQL that parses', () => {
    expect(rules.map((r) => r.uid).sort()).toEqual([
      'plinth-argocd-app-degraded',
      'plinth-argocd-app-out-of-sync',
      'plinth-certificate-expiry',
      'plinth-certificate-not-ready',
      'plinth-externalsecret-not-synced',
      'plinth-keda-scaler-errors',
      'plinth-logging-output-errors',
      'plinth-node-cpu',
      'plinth-node-disk',
      'plinth-node-memory',
      'plinth-node-not-ready',
      'plinth-pod-crashloop',
      'plinth-postgres-archiving-failing',
      'plinth-postgres-backup-stale',
      'plinth-postgres-down',
      'plinth-postgres-replication-lag',
      'plinth-postgres-volume-filling',
      'plinth-postgres-volume-full',
      'plinth-redpanda-under-replicated',
      'plinth-volume-almost-full',
    ]);
    for (const rule of rules) {
      expect(promqlProblems(rule.query), rule.uid).toEqual([]);
      expect(summaryIsPortable(rule.summary), rule.uid).toBe(true);
      expect(summaryIsPortable(rule.runbook), rule.uid).toBe(true);
      expect(rule.uid.length, rule.uid).toBeLessThanOrEqual(40);
      // What Grafana evaluates is the very query promtool tests.
      expect(grafanaQueries.get(rule.uid), rule.uid).toBe(rule.query);
    }
  });

  it('every rule fires on its failure with the expected labels, summary and runbook, and stays silent when healthy (promtool)', { timeout: 120_000 }, async () => {
    const result = await promtoolTest(rules);
    expect(result.output).toContain('SUCCESS');
    expect(result.code, result.output).toBe(0);
    // Two unit tests per rule ran.
    expect(promtoolTests(rules, 'rules.yaml').tests).toHaveLength(rules.length * 2);
  });

  it('fails when a threshold is wrong or an expression breaks (the proof can fail)', { timeout: 120_000 }, async () => {
    const wrongThreshold = rules.map((r) => (r.uid === 'plinth-postgres-volume-full' ? { ...r, threshold: 99 } : r));
    const threshold = await promtoolTest(wrongThreshold);
    expect(threshold.code).not.toBe(0);
    expect(threshold.output).toContain('PostgresVolumeAlmostFull');

    const misspelt = rules.map((r) => (r.uid === 'plinth-postgres-down' ? { ...r, query: r.query.replace('cnpg_collector_up', 'cnpg_collector_upp') } : r));
    const expression = await promtoolTest(misspelt);
    expect(expression.code).not.toBe(0);
    expect(expression.output).toContain('PostgresInstanceDown');
  });

  it('docs/components/grafana.md lists every rule with its threshold, for and no-data state', async () => {
    const doc = await readFile(join(REPO, 'docs', 'components', 'grafana.md'), 'utf8');
    for (const rule of rules) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${rule.uid}\` |`));
      expect(row, rule.uid).toBeDefined();
      expect(row, rule.uid).toContain(`${rule.op === 'gt' ? '>' : '<'} ${rule.threshold} | ${rule.for} | ${rule.severity} | ${rule.noData}: `);
    }
  });

  it('every metric a rule reads comes from a scrape target that is rendered', () => {
    for (const rule of rules) expect(metricNames(rule.query).length, rule.uid).toBeGreaterThan(0);
  });
});

/**
 * The Grafana notification policy as an Alertmanager configuration: Grafana's policy tree is Alertmanager's routing
 * tree (its `object_matchers` are Alertmanager's `matchers`), so amtool routes alerts through it as Grafana would.
 */
function alertmanagerConfig(route: ReturnType<typeof notificationRoute>): Record<string, unknown> {
  const convert = (node: Record<string, any>): Record<string, unknown> => {
    const { object_matchers, routes, ...rest } = node;
    return {
      ...rest,
      ...(object_matchers && { matchers: (object_matchers as string[][]).map(([name, op, value]) => `${name}${op}"${value}"`) }),
      ...(routes && { routes: (routes as Record<string, any>[]).map(convert) }),
    };
  };
  const receivers = new Set<string>();
  const collect = (node: Record<string, any>) => {
    receivers.add(node.receiver);
    for (const child of node.routes ?? []) collect(child);
  };
  collect(route);
  return { route: convert(route), receivers: [...receivers].map((name) => ({ name })) };
}

async function routeOf(route: ReturnType<typeof notificationRoute>, labels: string[]): Promise<string> {
  const dir = await tempDir('plinth-amtool-');
  const file = join(dir, 'alertmanager.yaml');
  await writeFile(file, stringify(alertmanagerConfig(route)));
  const { stdout } = await run(tool('PLINTH_AMTOOL'), ['config', 'routes', 'test', `--config.file=${file}`, ...labels]);
  return stdout.trim();
}

describe('notification routes (amtool)', () => {
  it('a critical alert reaches the critical route, and email too when there is an email contact point', async () => {
    expect(await routeOf(notificationRoute(false), ['severity=critical', 'alertname=PostgresInstanceDown'])).toBe('discord');
    expect(await routeOf(notificationRoute(true), ['severity=critical', 'alertname=PostgresInstanceDown'])).toBe('discord,email');
  });

  it('a warning goes to Discord only, never to email', async () => {
    expect(await routeOf(notificationRoute(true), ['severity=warning', 'alertname=NodeMemoryHigh'])).toBe('discord');
  });

  it('the routes differ in timing: critical repeats hourly, warnings every 12 hours', () => {
    const [critical, , warning] = notificationRoute(true).routes;
    expect(critical).toMatchObject({ object_matchers: [['severity', '=', 'critical']], repeat_interval: '1h', continue: true });
    expect(warning).toMatchObject({ object_matchers: [['severity', '=', 'warning']], repeat_interval: '12h' });
  });
});
