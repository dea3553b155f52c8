import { Environment } from '@marcbachmann/cel-js';
import type { DoubleTree } from './structural.ts';

/**
 * CEL for `x-kubernetes-validations`, with the Kubernetes extension functions that CRDs use. What is
 * missing (listed in docs/validate.md) makes a rule "unevaluated": reported, never passed silently.
 */

class Url {
  readonly scheme: string;
  readonly url: URL;
  constructor(text: string) {
    // Go's url.ParseRequestURI, which Kubernetes uses: an absolute URL or an absolute path.
    this.scheme = text.startsWith('/') ? '' : text.slice(0, text.indexOf(':')).toLowerCase();
    this.url = new URL(text, 'http://relative.invalid');
  }
}

const QUANTITY = /^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** A resource.Quantity, kept as a double: exact enough for the comparisons rules make. */
class Quantity {
  readonly value: number;
  constructor(text: string) {
    const m = QUANTITY.exec(text.trim());
    if (!m || !/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(m[1]!)) throw new Error(`invalid quantity "${text}"`);
    const suffix = m[2] ?? '';
    this.value = Number(m[1]) * (SUFFIX[suffix] ?? 10 ** Number(suffix.slice(1)));
  }
}

const isQuantity = (s: string) => {
  try {
    new Quantity(s);
    return true;
  } catch {
    return false;
  }
};
const isIP = (s: string) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) ? s.split('.').every((p) => Number(p) <= 255 && String(Number(p)) === p) : s.includes(':') && URL.canParse(`http://[${s}]/`);
const compare = (a: unknown, b: unknown) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0);

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false, enableOptionalTypes: true })
  .registerVariable('self', 'dyn')
  .registerVariable('oldSelf', 'dyn')
  .registerType('URL', Url)
  .registerType('Quantity', Quantity)
  .registerFunction('isURL(string): bool', (s: string) => {
    try {
      return s.startsWith('/') || (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && Boolean(new Url(s)));
    } catch {
      return false;
    }
  })
  .registerFunction('url(string): URL', (s: string) => new Url(s))
  .registerFunction('URL.getScheme(): string', (u: Url) => u.scheme)
  .registerFunction('URL.getHost(): string', (u: Url) => (u.scheme ? u.url.host : ''))
  .registerFunction('URL.getHostname(): string', (u: Url) => (u.scheme ? u.url.hostname.replace(/^\[|\]$/g, '') : ''))
  .registerFunction('URL.getPort(): string', (u: Url) => (u.scheme ? u.url.port : ''))
  .registerFunction('URL.getEscapedPath(): string', (u: Url) => u.url.pathname)
  .registerFunction('isQuantity(string): bool', isQuantity)
  .registerFunction('quantity(string): Quantity', (s: string) => new Quantity(s))
  .registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(compare(a.value, b.value)))
  .registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value > b.value)
  .registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value < b.value)
  .registerFunction('Quantity.asApproximateFloat(): double', (a: Quantity) => a.value)
  .registerFunction('Quantity.isInteger(): bool', (a: Quantity) => Number.isInteger(a.value))
  .registerFunction('Quantity.asInteger(): int', (a: Quantity) => {
    if (!Number.isInteger(a.value)) throw new Error('quantity is not an integer');
    return BigInt(a.value);
  })
  .registerFunction('Quantity.sign(): int', (a: Quantity) => BigInt(Math.sign(a.value)))
  .registerFunction('isIP(string): bool', isIP)
  .registerFunction('isCIDR(string): bool', (s: string) => {
    const [ip, bits, ...rest] = s.split('/');
    return rest.length === 0 && bits !== undefined && /^[0-9]+$/.test(bits) && isIP(ip!) && Number(bits) <= (ip!.includes(':') ? 128 : 32);
  })
  .registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0))
  .registerFunction('list.sum(): dyn', (l: unknown[]) => l.reduce((a: any, b: any) => a + b))
  .registerFunction('list.min(): dyn', (l: unknown[]) => l.reduce((a, b) => (compare(a, b) <= 0 ? a : b)))
  .registerFunction('list.max(): dyn', (l: unknown[]) => l.reduce((a, b) => (compare(a, b) >= 0 ? a : b)))
  .registerFunction('string.find(string): string', (s: string, re: string) => new RegExp(re).exec(s)?.[0] ?? '')
  .registerFunction('string.findAll(string): list<string>', (s: string, re: string) => [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]));

type Program = ReturnType<typeof env.parse>;

/** Why a rule cannot be evaluated here, or the parsed program. */
const programs = new Map<string, Program | { unevaluated: string }>();

export function compileRule(rule: string): Program | { unevaluated: string } {
  let program = programs.get(rule);
  if (!program) {
    if (/\boldSelf\b/.test(rule)) program = { unevaluated: 'a transition rule (oldSelf): the API server evaluates it only on update, against the stored object' };
    else
      try {
        const parsed = env.parse(rule);
        const check = parsed.check();
        program = check.valid ? parsed : { unevaluated: `not supported by the CEL evaluator: ${check.error?.message.split('\n')[0]}` };
      } catch (error) {
        program = { unevaluated: `not supported by the CEL evaluator: ${(error as Error).message.split('\n')[0]}` };
      }
    programs.set(rule, program);
  }
  return program;
}

/** JSON to CEL values: integers are CEL ints (BigInt) unless the schema types the field as a number (double). */
export function toCel(value: unknown, doubles?: DoubleTree): unknown {
  if (typeof value === 'number') return doubles === true || !Number.isInteger(value) ? value : BigInt(value);
  if (Array.isArray(value)) return value.map((v) => toCel(v, doubles === true ? undefined : doubles?.i));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const tree = doubles === true ? undefined : doubles;
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v, tree?.p?.[k] ?? tree?.a);
    return out;
  }
  return value;
}

export type RuleOutcome = { ok: true } | { ok: false; message?: string } | { unevaluated: string };

export function evaluateRule(program: Program, self: unknown, messageExpression?: string): RuleOutcome {
  let result: unknown;
  try {
    result = program({ self });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    // A missing field is an error in Kubernetes too; anything else is this evaluator's limit.
    if (/^No such key/i.test(message)) return { ok: false, message: `${message} (evaluating the rule)` };
    return { unevaluated: `the CEL evaluator failed: ${message}` };
  }
  if (result === true) return { ok: true };
  if (result !== false) return { unevaluated: `the rule returned ${typeof result}, not a bool` };
  if (messageExpression) {
    const compiled = compileRule(messageExpression);
    if (typeof compiled === 'function') {
      try {
        const message = compiled({ self });
        if (typeof message === 'string' && message) return { ok: false, message };
      } catch {
        // fall back to the static message
      }
    }
  }
  return { ok: false };
}
