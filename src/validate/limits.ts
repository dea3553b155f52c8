/**
 * Limits of what a cluster accepts, applied before an object is checked, so a hostile or broken manifest
 * costs bounded time: an alias bomb is refused as Kubernetes' own YAML reader refuses it, and an object too
 * large to store is reported without being validated.
 */

/**
 * The largest object a default cluster stores. etcd refuses a request over `--max-request-bytes`
 * (go.etcd.io/etcd server/embed/config.go: `DefaultMaxRequestBytes = 1.5 * 1024 * 1024`); the API server
 * takes a body of up to twice that (k8s.io/apiserver pkg/server/config.go: `MaxRequestBodyBytes:
 * int64(3 * 1024 * 1024)`, "1.5MB is the recommended client request size in byte the etcd server should
 * accept"), because JSON shrinks when stored as protobuf. Custom resources are stored as JSON, so their
 * JSON must fit etcd's limit as it is.
 */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/**
 * A document whose YAML text is this many times the limit is not parsed at all: only a document that is
 * almost all comments or indentation could still hold an object small enough to store.
 */
const UNPARSED_FACTOR = 16;

/** Beyond this nesting an object cannot be an API object (the deepest built-in schemas nest about 30 levels). */
const MAX_DEPTH = 1000;

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;

/** Whether a document's text is too large to be worth parsing (the answer is "too large to store" anyway). */
export const tooLargeToParse = (textLength: number): boolean => textLength > UNPARSED_FACTOR * MAX_OBJECT_BYTES;

/** Whether a YAML document may use aliases: it needs an anchor (`&a`) and an alias (`*a`). Cheap, and errs towards yes. */
export const mayHaveAliases = (text: string): boolean => text.includes('&') && /(?:^|[\s,[{:?-])\*[^\s,[\]{}]/m.test(text);

/**
 * The alias ratio Go's yaml.v2 allows, as kubectl, Argo CD and the API machinery read YAML with it
 * (gopkg.in/yaml.v2 decode.go, `allowedAliasRatio`: 99% of decoded nodes may come from aliases in a
 * document of up to 400,000 nodes, scaling down to 10% at 4,000,000).
 */
function allowedAliasRatio(decodes: number): number {
  if (decodes <= 400_000) return 0.99;
  if (decodes >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decodes - 400_000) / 3_600_000);
}

/**
 * What is wrong with how a parsed YAML document expands its aliases, or undefined. js-yaml shares one value
 * among the aliases of an anchor, so a "billion laughs" document parses in microseconds and then explodes in
 * everything that walks it. This walks it as yaml.v2 decodes it, counting each node reached through an alias,
 * and stops as soon as yaml.v2 would (decode.go, `unmarshal`: "document contains excessive aliasing").
 */
export function aliasProblem(value: unknown): string | undefined {
  if (containsItself(value)) return 'an alias refers to a node that contains it, so the document is infinite (yaml.v2: "anchor value contains itself")';
  const seen = new Set<object>();
  let decodes = 0;
  let aliased = 0;
  const stack: { value: unknown; alias: boolean; depth: number }[] = [{ value, alias: false, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    decodes++;
    if (node.alias) aliased++;
    if (aliased > 100 && decodes > 1000 && aliased / decodes > allowedAliasRatio(decodes))
      return `its aliases expand to more than ${Math.floor(aliased / Math.max(1, decodes - aliased))} times the nodes written out, which Kubernetes' YAML reader refuses ("document contains excessive aliasing")`;
    if (node.value === null || typeof node.value !== 'object') continue;
    if (node.depth > MAX_DEPTH) return `its aliases nest it more than ${MAX_DEPTH} levels deep`;
    const alias = node.alias || seen.has(node.value);
    seen.add(node.value);
    const children = Array.isArray(node.value) ? node.value : Object.values(node.value);
    for (const child of children) stack.push({ value: child, alias, depth: node.depth + 1 });
  }
  return undefined;
}

/** Whether a value reaches itself (js-yaml builds `&a [*a]` as a list that holds itself); each node is visited once. */
function containsItself(value: unknown): boolean {
  const state = new Map<object, 'open' | 'done'>();
  const stack: { node: object; leaving: boolean }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ node: value, leaving: false });
  while (stack.length > 0) {
    const { node, leaving } = stack.pop()!;
    if (leaving) {
      state.set(node, 'done');
      continue;
    }
    const seen = state.get(node);
    if (seen === 'done') continue;
    if (seen === 'open') return true;
    state.set(node, 'open');
    stack.push({ node, leaving: true });
    for (const child of Array.isArray(node) ? node : Object.values(node))
      if (child !== null && typeof child === 'object') {
        if (state.get(child) === 'open') return true;
        if (!state.has(child)) stack.push({ node: child, leaving: false });
      }
  }
  return false;
}

/**
 * The size of a value serialized as JSON, in bytes, counted without building the JSON and given up once it
 * passes `limit` (so an object of 100 MB costs as much as one of the limit). Strings are counted by their
 * JSON form, escapes included.
 */
export function jsonBytesOver(value: unknown, limit: number): number | undefined {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') total += stringBytes(v);
    else if (typeof v === 'number') total += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') total += v ? 4 : 5;
    else if (v === null || v === undefined) total += 4;
    else if (Array.isArray(v)) {
      total += 2 + Math.max(0, v.length - 1);
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v);
      total += 2 + Math.max(0, entries.length - 1);
      for (const [key, item] of entries) {
        total += stringBytes(key) + 1;
        stack.push(item);
      }
    }
    if (total > limit) return total;
  }
  return undefined;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const stringBytes = (s: string): number => Buffer.byteLength(s) + 2 + (NEEDS_ESCAPE.test(s) ? JSON.stringify(s).length - s.length - 2 : 0);

/**
 * Whether an object whose source text has `sourceLength` characters can be larger than the limit as JSON:
 * JSON is at most about three times the YAML it came from (`a:` is `"a":null,`; a CJK character is
 * one UTF-16 unit and three UTF-8 bytes), so only sources over a quarter of the limit, or documents with
 * aliases, are measured.
 */
export const worthMeasuring = (sourceLength: number, aliases: boolean): boolean => aliases || sourceLength * 4 > MAX_OBJECT_BYTES;

export const TOO_LARGE_HINT =
  'keep large data out of Kubernetes objects: mount it from an image or a volume, fetch it at start-up, or split it over several objects';
