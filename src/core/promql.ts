import { parser } from '@prometheus-io/lezer-promql';

/**
 * PromQL read with Prometheus's own grammar (@prometheus-io/lezer-promql, the parser of Prometheus's UI). The grammar
 * recovers from errors by inserting error nodes, so a syntax error is any error node in the tree.
 */
export interface PromqlProblem {
  /** Offset in the expression where the parser could not go on. */
  at: number;
  message: string;
}

export function promqlProblems(expr: string): PromqlProblem[] {
  if (expr.trim() === '') return [{ at: 0, message: 'is empty' }];
  const problems: PromqlProblem[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (!node.type.isError) return;
      const near = expr.slice(node.from, node.from + 20);
      problems.push({ at: node.from, message: near === '' ? 'ends too early' : `cannot parse at offset ${node.from}: "${near}"` });
    },
  });
  return problems;
}

const metricNamesOf = new Map<string, string[]>();

/**
 * The metric names an expression selects: each vector selector's name, or its `__name__="..."` matcher. Kept per
 * expression: a render asks about each rule once per scrape target.
 */
export function metricNames(expr: string): string[] {
  const known = metricNamesOf.get(expr);
  if (known) return known;
  const names = new Set<string>();
  const tree = parser.parse(expr);
  tree.iterate({
    enter: (node) => {
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier) names.add(expr.slice(identifier.from, identifier.to));
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const label = node.node.getChild('LabelName');
        const value = node.node.getChild('StringLiteral');
        const op = node.node.getChild('MatchOp');
        if (label && value && op && expr.slice(label.from, label.to) === '__name__' && expr.slice(op.from, op.to) === '=')
          names.add(expr.slice(value.from + 1, value.to - 1));
      }
    },
  });
  const sorted = [...names].sort();
  metricNamesOf.set(expr, sorted);
  return sorted;
}
