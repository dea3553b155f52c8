import { describe, expect, it } from 'vitest';
import { resolveGraph, type GraphNode } from './graph.ts';

const known = ['argo-cd', 'cert-manager', 'designate-webhook', 'external-dns', 'external-secrets', 'traefik', 'istio', 'linkerd'];
const node = (id: string, needs: string[] = [], extra: Partial<GraphNode> = {}): GraphNode => ({ id, needs, ...extra });

describe('resolveGraph', () => {
  it('orders components after their dependencies and numbers waves by depth', () => {
    const result = resolveGraph(
      [
        node('external-dns', ['traefik']),
        node('designate-webhook', ['cert-manager', 'external-secrets']),
        node('traefik'),
        node('cert-manager', ['external-secrets']),
        node('external-secrets'),
        node('argo-cd'),
      ],
      known,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.graph.order).toEqual([
      'argo-cd',
      'external-secrets',
      'traefik',
      'cert-manager',
      'external-dns',
      'designate-webhook',
    ]);
    expect(Object.fromEntries(result.graph.waves)).toEqual({
      'argo-cd': 0,
      'external-secrets': 0,
      traefik: 0,
      'cert-manager': 1,
      'external-dns': 1,
      'designate-webhook': 2,
    });
    expect(result.graph.needs.get('designate-webhook')).toEqual(['cert-manager', 'external-secrets']);
  });

  it('gives a lone component wave 0', () => {
    const result = resolveGraph([node('traefik')], known);
    expect(result.ok && Object.fromEntries(result.graph.waves)).toEqual({ traefik: 0 });
  });

  it('gives the same order whatever the input order', () => {
    const nodes = [node('a', ['b']), node('b'), node('c', ['b']), node('d', ['a', 'c'])];
    const orders = [nodes, [...nodes].reverse(), [nodes[2]!, nodes[0]!, nodes[3]!, nodes[1]!]].map((n) => {
      const r = resolveGraph(n, ['a', 'b', 'c', 'd']);
      return r.ok ? r.graph.order : [];
    });
    expect(orders[0]).toEqual(['b', 'a', 'c', 'd']);
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });

  it('adds dependencies the user declared to the ones the component declares', () => {
    const result = resolveGraph([node('traefik', [], { extraNeeds: ['cert-manager'] }), node('cert-manager')], known);
    expect(result.ok && Object.fromEntries(result.graph.waves)).toEqual({ 'cert-manager': 0, traefik: 1 });
  });

  it('reports a cycle with its path through the graph', () => {
    const result = resolveGraph([node('a', ['b']), node('b', ['c']), node('c', ['a']), node('d', ['a'])], ['a', 'b', 'c', 'd']);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'components.a.needs',
          message: 'dependency cycle: a -> b -> c -> a',
          hint: 'remove one of these needs so the components can be installed in order',
        },
      ],
    });
  });

  it('reports each distinct cycle once', () => {
    const result = resolveGraph([node('a', ['b']), node('b', ['a']), node('c', ['d']), node('d', ['c'])], ['a', 'b', 'c', 'd']);
    expect(!result.ok && result.issues.map((i) => i.message)).toEqual([
      'dependency cycle: a -> b -> a',
      'dependency cycle: c -> d -> c',
    ]);
  });

  it('reports a dependency that is not enabled, naming how to fix it', () => {
    const result = resolveGraph([node('designate-webhook', ['cert-manager'])], known);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'components["designate-webhook"]',
          message: '"designate-webhook" needs "cert-manager", which is not enabled',
          hint: 'enable it with components: { "cert-manager": {} } or remove "designate-webhook"',
        },
      ],
    });
  });

  it('reports conflicting components once', () => {
    const result = resolveGraph([node('istio', [], { conflicts: ['linkerd'] }), node('linkerd', [], { conflicts: ['istio'] })], known);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'components.istio',
          message: '"istio" conflicts with "linkerd", which is also enabled',
          hint: 'enable only one of "istio" and "linkerd"',
        },
      ],
    });
  });

  it('rejects a component needing itself', () => {
    const result = resolveGraph([node('traefik', [], { extraNeeds: ['traefik'] })], known);
    expect(!result.ok && result.issues[0]).toEqual({
      path: 'components.traefik.needs[0]',
      message: '"traefik" cannot need itself',
      hint: 'remove this entry',
    });
  });
});
