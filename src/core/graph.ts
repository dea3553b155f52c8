import type { ConfigIssue } from '../errors.ts';
import { formatPath, suggestion } from '../config/paths.ts';
import { compareStrings } from './compare.ts';
import type { ComponentId } from './types.ts';

export interface GraphNode {
  id: ComponentId;
  /** Dependencies the component itself declares. */
  needs: readonly ComponentId[];
  /** Dependencies the user added in the config (`components[id].needs`). */
  extraNeeds?: readonly ComponentId[];
  conflicts?: readonly ComponentId[];
  /** Components that must be enabled, with no ordering between them. */
  uses?: readonly { id: ComponentId; path: string; hint: string }[];
  /** Where the config declares it, when not at components.<id> (a chart: `['charts', i]`). */
  path?: readonly (string | number)[];
}

export interface ResolvedGraph {
  /** Components in dependency order: every component comes after everything it needs. */
  order: ComponentId[];
  /** Argo CD sync wave of each component: 0 for no dependencies, else one more than its deepest dependency. */
  waves: Map<ComponentId, number>;
  /** Direct dependencies of each component, declared and added. */
  needs: Map<ComponentId, ComponentId[]>;
}

export type GraphResult = { ok: true; graph: ResolvedGraph } | { ok: false; issues: ConfigIssue[] };

const nodePath = (node: GraphNode | undefined, id: ComponentId, ...rest: (string | number)[]) => formatPath([...(node?.path ?? ['components', id]), ...rest]);

/**
 * Orders the enabled components by their dependencies. Reports every missing, unknown and conflicting
 * component and every cycle (with its path) rather than stopping at the first.
 */
export function resolveGraph(nodes: readonly GraphNode[], known: readonly ComponentId[]): GraphResult {
  const issues: ConfigIssue[] = [];
  const enabled = new Map(nodes.map((node) => [node.id, node]));
  const needs = new Map<ComponentId, ComponentId[]>();

  for (const node of [...nodes].sort((a, b) => compareStrings(a.id, b.id))) {
    const direct: ComponentId[] = [];
    const declared = node.needs.map((id) => ({ id, path: nodePath(node, node.id), declared: true }));
    const added = (node.extraNeeds ?? []).map((id, i) => ({ id, path: nodePath(node, node.id, 'needs', i), declared: false }));
    for (const need of [...declared, ...added]) {
      if (need.id === node.id) {
        issues.push({ path: need.path, message: `"${node.id}" cannot need itself`, hint: 'remove this entry' });
      } else if (!known.includes(need.id)) {
        issues.push({
          path: need.path,
          message: `needs "${need.id}", which is not a Plinth component${node.path ? ' nor a chart in charts' : ''}`,
          hint: suggestion(need.id, known, 'component'),
        });
      } else if (!enabled.has(need.id)) {
        issues.push({
          path: need.path,
          message: `"${node.id}" needs "${need.id}", which is not enabled`,
          hint: `enable it with components: { "${need.id}": {} }${need.declared ? ` or remove "${node.id}"` : ' or remove this entry'}`,
        });
      } else if (!direct.includes(need.id)) {
        direct.push(need.id);
      }
    }
    for (const use of node.uses ?? []) {
      if (!enabled.has(use.id))
        issues.push({ path: use.path, message: `"${node.id}" uses "${use.id}", which is not enabled`, hint: use.hint });
    }
    for (const other of node.conflicts ?? []) {
      if (enabled.has(other) && node.id < other) {
        issues.push({
          path: nodePath(node, node.id),
          message: `"${node.id}" conflicts with "${other}", which is also enabled`,
          hint: `enable only one of "${node.id}" and "${other}"`,
        });
      }
    }
    needs.set(node.id, direct.sort(compareStrings));
  }

  for (const cycle of findCycles(needs)) {
    const [first] = cycle;
    issues.push({
      path: nodePath(enabled.get(first!), first!, 'needs'),
      message: `dependency cycle: ${[...cycle, first].join(' -> ')}`,
      hint: 'remove one of these needs so the components can be installed in order',
    });
  }
  if (issues.length > 0) return { ok: false, issues };

  const waves = new Map<ComponentId, number>();
  const waveOf = (id: ComponentId): number => {
    const known = waves.get(id);
    if (known !== undefined) return known;
    const wave = Math.max(-1, ...needs.get(id)!.map(waveOf)) + 1;
    waves.set(id, wave);
    return wave;
  };
  for (const id of enabled.keys()) waveOf(id);
  const order = [...enabled.keys()].sort((a, b) => waves.get(a)! - waves.get(b)! || compareStrings(a, b));
  return { ok: true, graph: { order, waves, needs } };
}

/** Each elementary cycle reported once, starting from its smallest id, found by depth-first search. */
function findCycles(needs: Map<ComponentId, ComponentId[]>): ComponentId[][] {
  const cycles = new Map<string, ComponentId[]>();
  const state = new Map<ComponentId, 'visiting' | 'done'>();
  const stack: ComponentId[] = [];
  const visit = (id: ComponentId) => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of needs.get(id) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort(compareStrings)[0]!);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(canonical.join('>'), canonical);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of [...needs.keys()].sort(compareStrings)) if (!state.has(id)) visit(id);
  return [...cycles.values()];
}
