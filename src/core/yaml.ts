import { stringify } from 'yaml';

export const HEADER = '# Rendered by plinth: change the cluster config and run `plinth render` instead of editing this file.\n';

/**
 * Serializes one object as it is written to the tree: keys sorted, no line folding, and YAML 1.1
 * quoting, because Go readers (kubectl, Argo CD, Helm) read unquoted `yes`, `on` or `0755` as bool or octal.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

export const MARKDOWN_HEADER = '<!-- Rendered by plinth: change the cluster config and run `plinth render` instead of editing this file. -->\n';

/** Plinth owns exactly the files that start with one of its headers (docs/adr/0002). */
export function isRenderedFile(content: string): boolean {
  return content.startsWith(HEADER) || content.startsWith(MARKDOWN_HEADER);
}
