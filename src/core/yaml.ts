import { DEFAULT_SCALAR_STYLE_RULES, dump, SCALAR_STYLE, YAML11_SCHEMA, type ScalarLayout } from 'js-yaml';

export const HEADER = '# Rendered by plinth: change the cluster config and run `plinth render` instead of editing this file.\n';

/**
 * Go's YAML reader (yaml.v2, under kubectl, Argo CD and Helm) also takes `1e3` or `12e45` (a short commit
 * hash) for a float, which YAML 1.1 itself does not: such strings are quoted too.
 */
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function quoteGoNumbers(layout: ScalarLayout): void {
  if (layout.style === SCALAR_STYLE.PLAIN && layout.node.tag === 'tag:yaml.org,2002:str' && GO_FLOAT.test(layout.node.value)) {
    layout.style = SCALAR_STYLE.DOUBLE_QUOTED;
  }
}

const SCALAR_RULES = [quoteGoNumbers, ...Object.values(DEFAULT_SCALAR_STYLE_RULES)];

/**
 * Serializes one object as it is written to the tree: keys sorted, no line folding, no anchors. Strings a
 * YAML 1.1 reader would take for something else come out quoted, because Go readers (kubectl, Argo CD, Helm)
 * read unquoted `yes`, `on`, `0755` or `1:30` as bool, octal or sexagesimal. js-yaml decides that from its
 * YAML 1.1 schema, and is several times faster than the `yaml` package on large trees.
 */
export function toYaml(value: unknown): string {
  return dump(value, { schema: YAML11_SCHEMA, sortKeys: true, lineWidth: -1, noRefs: true, quoteStyle: 'double', scalarStyleRules: SCALAR_RULES });
}

export const MARKDOWN_HEADER = '<!-- Rendered by plinth: change the cluster config and run `plinth render` instead of editing this file. -->\n';

/** Plinth owns exactly the files that start with one of its headers (docs/adr/0002). */
export function isRenderedFile(content: string): boolean {
  return content.startsWith(HEADER) || content.startsWith(MARKDOWN_HEADER);
}
