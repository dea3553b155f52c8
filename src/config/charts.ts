import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import type { AnyComponent, HealthCheck } from '../core/types.ts';
import { formatPath } from './paths.ts';
import type { ClusterConfig, EnabledComponent, Registry, UserChartConfig } from './schema.ts';

/** Owners the render gives its own objects (src/core/render.ts): a chart of that name would be mistaken for them. */
const RESERVED = new Set(['apps', 'bootstrap', 'workloads']);

/** Marks a component made from `charts[]`, so it is never taken for a registry component of the same id. */
const FROM_CHARTS = Symbol('plinth.chart');

/**
 * A `charts[]` entry as a component: its pinned chart with the user's values (merged last by the render, as any
 * component's raw values), its workloads as doctor checks. No typed options: the values are the options.
 */
export function chartComponent(chart: UserChartConfig, index: number): AnyComponent {
  const component: AnyComponent = {
    id: chart.name,
    description: chart.description ?? `Helm chart ${chart.chart} ${chart.version} (charts[${index}])`,
    namespace: chart.namespace ?? chart.name,
    // Its needs are the user's, reported at charts[i].needs[j]: they go to the graph as added needs.
    needs: [],
    options: z.object({}),
    chart: () => ({ repoURL: chart.repo, chart: chart.chart, version: chart.version, releaseName: chart.name, values: {} }),
    health: (ctx): HealthCheck[] =>
      chart.health.map((workload) => ({
        description: `${workload.kind} ${workload.name} ready`,
        apiVersion: 'apps/v1',
        kind: workload.kind,
        name: workload.name,
        namespace: workload.namespace ?? ctx.namespace,
        hint: `the chart ${chart.chart} ${chart.version} runs it (${formatPath(['charts', index, 'health'])}): check its pods (kubectl -n ${workload.namespace ?? ctx.namespace} describe ${workload.kind.toLowerCase()} ${workload.name}) and the chart's values`,
      })),
  };
  return Object.assign(component, { [FROM_CHARTS]: true });
}

const fromCharts = (component: AnyComponent | undefined) => component !== undefined && FROM_CHARTS in component;

const extended = new WeakMap<Registry, WeakMap<object, Registry>>();

/**
 * The registry with a component for each of the config's charts: what render, hosts and the graph look components
 * up in. Pure and cached per config, so each caller can extend the registry it was given. A chart whose name a
 * registry component has is left out (resolveCluster reports the clash).
 */
export function withUserCharts(registry: Registry, config: Pick<ClusterConfig, 'charts'>): Registry {
  const charts = config.charts ?? [];
  if (charts.length === 0) return registry;
  let byConfig = extended.get(registry);
  if (!byConfig) extended.set(registry, (byConfig = new WeakMap()));
  const cached = byConfig.get(charts);
  if (cached) return cached;
  const added: Record<string, AnyComponent> = {};
  charts.forEach((chart, i) => {
    if ((chart.name in registry && !fromCharts(registry[chart.name])) || chart.name in added || RESERVED.has(chart.name)) return;
    added[chart.name] = chartComponent(chart, i);
  });
  const result = { ...registry, ...added };
  byConfig.set(charts, result);
  return result;
}

/** Each chart as an enabled component, declared at charts[i]: the clashing or repeated ones are left to chartIssues. */
export function enabledCharts(config: Pick<ClusterConfig, 'charts'>, registry: Registry): Record<string, EnabledComponent> {
  const enabled: Record<string, EnabledComponent> = {};
  config.charts.forEach((chart, i) => {
    if ((chart.name in registry && !fromCharts(registry[chart.name])) || chart.name in enabled || RESERVED.has(chart.name)) return;
    enabled[chart.name] = {
      options: {},
      common: {
        needs: chart.needs,
        ...(chart.values && { values: chart.values }),
        ...(chart.extraObjects && { extraObjects: chart.extraObjects }),
        ...(chart.sso && { sso: chart.sso }),
      },
      path: ['charts', i],
    };
  });
  return enabled;
}

/**
 * Charts that cannot be components: a name a component, another chart or the render itself already has. Their needs
 * (unknown names, cycles) are the dependency graph's to report, at charts[i].needs[j].
 */
export function chartIssues(config: Pick<ClusterConfig, 'charts'>, registry: Registry): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const first = new Map<string, number>();
  config.charts.forEach((chart, i) => {
    const path = formatPath(['charts', i, 'name']);
    if (chart.name in registry && !fromCharts(registry[chart.name]))
      issues.push({
        path,
        message: `"${chart.name}" is the name of a Plinth component`,
        hint: `rename the chart (e.g. "${chart.name}-chart"), or enable the component with components: { "${chart.name}": {} } and set its values there`,
      });
    else if (RESERVED.has(chart.name))
      issues.push({ path, message: `"${chart.name}" is reserved for Plinth's own Applications`, hint: 'rename the chart' });
    else if (first.has(chart.name))
      issues.push({
        path,
        message: `duplicate chart name "${chart.name}" (first declared at ${formatPath(['charts', first.get(chart.name)!, 'name'])})`,
        hint: 'chart names must be unique: each names an Argo CD Application and a Helm release',
      });
    else first.set(chart.name, i);
  });
  return issues;
}
