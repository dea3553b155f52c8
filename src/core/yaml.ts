import {
  boolYaml11Tag, DEFAULT_SCALAR_STYLE_RULES, defineScalarTag, dump, FAILSAFE_SCHEMA, load, loadAll, mergeTag, NOT_RESOLVED, nullYaml11Tag,
  SCALAR_STYLE, Schema, YAML11_SCHEMA, type ScalarLayout,
} from 'js-yaml';

export const HEADER = '# Rendered by plinth: change the cluster config and run `plinth render` instead of editing this file.\n';

const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const GO_SPECIAL_FLOATS: Record<string, number> = Object.fromEntries([
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Infinity]),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, -Infinity]),
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, NaN]),
]);

/** An integer as Go's strconv.ParseInt(s, 0, 64) reads it after yaml.v2 drops the underscores: `0777` is octal. */
const goIntTag = defineScalarTag('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: ['-', '+', ...'0123456789'],
  resolve: (source: string) => {
    const plain = source.replaceAll('_', '');
    if (!GO_INT.test(plain)) return NOT_RESOLVED;
    const sign = plain.startsWith('-') ? -1 : 1;
    let digits = plain.replace(/^[-+]/, '');
    let radix = 10;
    if (/^0[xob]/i.test(digits)) {
      radix = { x: 16, o: 8, b: 2 }[digits[1]!.toLowerCase() as 'x' | 'o' | 'b'];
      digits = digits.slice(2);
    } else if (digits.length > 1 && digits.startsWith('0')) radix = 8;
    return sign * parseInt(digits, radix);
  },
  identify: (value: unknown) => Number.isInteger(value),
});

const goFloatTag = defineScalarTag('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: ['-', '+', '.', ...'0123456789'],
  resolve: (source: string) => {
    if (source in GO_SPECIAL_FLOATS) return GO_SPECIAL_FLOATS[source]!;
    const plain = source.replaceAll('_', '');
    return GO_FLOAT.test(plain) ? parseFloat(plain) : NOT_RESOLVED;
  },
  identify: (value: unknown) => typeof value === 'number',
});

/**
 * Go's YAML reader (yaml.v2, under kubectl, Argo CD and Helm) also takes `1e3`, `12e45` (a short commit
 * hash) or `0o17` for a number, which YAML 1.1 itself does not: such strings are quoted too.
 */
function quoteGoNumbers(layout: ScalarLayout): void {
  const { node } = layout;
  if (layout.style !== SCALAR_STYLE.PLAIN || node.tag !== 'tag:yaml.org,2002:str') return;
  // Only a string starting as a number can read as one (the tags' implicitFirstChars): skips most names and labels.
  if (!NUMBER_START.has(node.value.charCodeAt(0))) return;
  const readAsNumber = [goIntTag, goFloatTag].some((tag) => tag.resolve(node.value, false, tag.tagName) !== NOT_RESOLVED);
  if (readAsNumber) layout.style = SCALAR_STYLE.DOUBLE_QUOTED;
}

const NUMBER_START = new Set([...'-+.0123456789'].map((c) => c.charCodeAt(0)));

const SCALAR_RULES = [quoteGoNumbers, ...Object.values(DEFAULT_SCALAR_STYLE_RULES)];

/**
 * Serializes one object as it is written to the tree: keys sorted, no line folding, no anchors. Strings a
 * YAML 1.1 reader would take for something else come out quoted, because Go readers (kubectl, Argo CD, Helm)
 * read unquoted `yes`, `on`, `0755` or `1:30` as bool, octal or sexagesimal. js-yaml decides that from its
 * YAML 1.1 schema, and is several times faster than the `yaml` package on large trees.
 */
export function toYaml(value: unknown): string {
  return blockYaml(value) ?? dump(value, DUMP_OPTIONS);
}

const DUMP_OPTIONS = { schema: YAML11_SCHEMA, sortKeys: true, lineWidth: -1, noRefs: true, quoteStyle: 'double', scalarStyleRules: SCALAR_RULES } as const;

/** toYaml by js-yaml's dump() alone: what the block writer below must match byte for byte. */
export const dumpYaml = (value: unknown): string => dump(value, DUMP_OPTIONS);

/*
 * The same text as dump() with DUMP_OPTIONS, several times faster on rendered manifests: the block layout
 * (js-yaml 5's writeBlockMapping/writeBlockSequence with indent 2, seqInlineFirst) is written here, and each
 * distinct scalar is rendered once by dump() itself, in a mapping, and reused. Anything whose text could
 * depend on its place (a multi-line string, a number that is not an integer, a non-plain object) returns
 * undefined, and dump() renders the whole value. src/core/yaml.test.ts compares both on whole renders.
 */
const NOT_SIMPLE = Symbol('not simple');
const renderedKeys = new Map<string, string>();
const renderedValues = new Map<unknown, string>();

function scalarText(value: unknown, cache: Map<unknown, string>, asKey: boolean): string {
  // The cache is a Map, which takes -0 for 0: js-yaml writes it "-0.0".
  if (value === 0 && Object.is(value, -0)) throw NOT_SIMPLE;
  let text = cache.get(value);
  if (text !== undefined) return text;
  if (typeof value === 'number' ? !Number.isSafeInteger(value) : typeof value === 'string' ? value.includes('\n') || value.includes('\r') : value !== null && typeof value !== 'boolean') {
    throw NOT_SIMPLE;
  }
  const line = dump(asKey ? { [value as string]: 0 } : { k: value }, DUMP_OPTIONS);
  text = asKey ? line.slice(0, -4) : line.slice(3, -1);
  if (line.indexOf('\n') !== line.length - 1 || (asKey ? !line.endsWith(': 0\n') : !line.startsWith('k: '))) throw NOT_SIMPLE;
  cache.set(value, text);
  return text;
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** A node's text at `level`; `compact` leaves out the line break before its first entry. */
function blockNode(value: unknown, level: number, compact: boolean): string {
  if (typeof value !== 'object' || value === null) return scalarText(value, renderedValues, false);
  const indent = `\n${'  '.repeat(level)}`;
  let out = '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    for (const item of value) {
      const text = blockNode(item, level + 1, true);
      if (!compact || out !== '') out += indent;
      out += text === '' || text.charCodeAt(0) === 10 ? `-${text}` : `- ${text}`;
    }
    return out;
  }
  if (!isPlainObject(value)) throw NOT_SIMPLE;
  const keys = Object.keys(value).sort();
  if (keys.length === 0) return '{}';
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol' || typeof item === 'bigint') throw NOT_SIMPLE;
    const text = blockNode(item, level + 1, false);
    if (!compact || out !== '') out += indent;
    out += scalarText(key, renderedKeys, true);
    out += text === '' || text.charCodeAt(0) === 10 ? `:${text}` : `: ${text}`;
  }
  return out;
}

function blockYaml(value: unknown): string | undefined {
  try {
    return `${blockNode(value, 0, true)}\n`;
  } catch (error) {
    if (error === NOT_SIMPLE) return undefined;
    throw error;
  }
}

/**
 * YAML as Kubernetes reads it: kubectl, the API machinery and Argo CD parse manifests with Go's yaml.v2
 * (through sigs.k8s.io/yaml). That is YAML 1.1 for booleans (`yes`, `on`, `n`) and octal (`0777`), Go's
 * number syntax (`1e3` is a float, `1:30` is a string), and dates kept as strings. Reading manifests the
 * same way is what lets `enabled: yes` in a ConfigMap be reported as the boolean the API server rejects.
 */
export const KUBERNETES_SCHEMA = new Schema([...FAILSAFE_SCHEMA.tags, nullYaml11Tag, boolYaml11Tag, goIntTag, goFloatTag, mergeTag]);

/** One YAML document, read as Kubernetes reads it. */
export function readYaml(text: string, filename?: string): unknown {
  return load(text, { schema: KUBERNETES_SCHEMA, ...(filename && { filename }) });
}

/** Every document of a YAML stream, read as Kubernetes reads it. */
export function readYamlAll(text: string, filename?: string): unknown[] {
  return loadAll(text, { schema: KUBERNETES_SCHEMA, ...(filename && { filename }) });
}

export const MARKDOWN_HEADER = '<!-- Rendered by plinth: change the cluster config and run `plinth render` instead of editing this file. -->\n';

/** Plinth owns exactly the files that start with one of its headers (docs/adr/0002). */
export function isRenderedFile(content: string): boolean {
  return content.startsWith(HEADER) || content.startsWith(MARKDOWN_HEADER);
}
