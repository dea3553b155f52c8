import { types } from 'node:util';
import type { ConfigIssue } from '../errors.ts';
import { formatPath, type PathSegment } from './paths.ts';

/**
 * What a config may hold, whatever produced it (a .ts module, JSON or YAML): plain objects, arrays, strings,
 * finite numbers, booleans and null. Everything past these bounds is a mistake or an attack (a YAML alias bomb,
 * a runaway loop), and each would otherwise end in a stack overflow or an endless render.
 */
export const CONFIG_LIMITS = {
  /** Deeper than any Kubernetes object or Helm values need; recursive code downstream stays far from the stack limit. */
  depth: 100,
  /**
   * A ConfigMap's data may total 1 MiB (kubernetes pkg/apis/core/validation/validation.go, ValidateConfigMap:
   * `totalSize > core.MaxSecretSize`), and no object field holds more than its object: no config string needs more.
   */
  stringLength: 1024 * 1024,
  /** Objects, arrays and scalars counted together; a large cluster holds a few tens of thousands. */
  values: 1_000_000,
};

const MAX_ISSUES = 20;

export type PlainDataResult = { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] };

/** A thrown value as a short text, whatever it is (code may throw a string, undefined or an object). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  if (typeof thrown === 'string') return JSON.stringify(thrown.length > 200 ? `${thrown.slice(0, 197)}...` : thrown);
  try {
    return String(thrown);
  } catch {
    return typeof thrown;
  }
}

const CLASS_HINTS: Record<string, string> = {
  Date: 'write the date as a string, e.g. "2025-01-31"',
  Map: 'use a plain object: Object.fromEntries(map)',
  Set: 'use an array: [...set]',
  Promise: 'await it: export default defineCluster({ ... }) with the awaited values',
  RegExp: 'write the pattern as a string',
};

/**
 * Copies a config into plain data, reporting by path everything that is not: functions, symbols, BigInts,
 * NaN and Infinity, class instances, Proxies, getters that throw, cycles, and values past CONFIG_LIMITS.
 * The copy keeps a key named `__proto__` as an ordinary key, so the schema reports it instead of obeying it.
 */
export function toPlainData(root: unknown): PlainDataResult {
  const issues: ConfigIssue[] = [];
  const ancestors = new Map<object, number>();
  let values = 0;
  let stopped = false;
  // One path, pushed and popped as the walk goes: a copy per value would dominate the walk of a large config.
  const path: PathSegment[] = [];
  const report = (at: readonly PathSegment[], message: string, hint: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ path: formatPath(at), message, hint });
    else stopped = true;
  };

  const walk = (value: unknown): unknown => {
    if (stopped) return undefined;
    if (++values > CONFIG_LIMITS.values) {
      stopped = true;
      issues.push({
        path: '(root)',
        message: `holds more than ${CONFIG_LIMITS.values.toLocaleString('en')} values`,
        hint: 'a loop that builds the config may run away, or objects are shared many times over; a cluster needs far fewer',
      });
      return undefined;
    }
    switch (typeof value) {
      case 'string':
        if (value.length > CONFIG_LIMITS.stringLength)
          report(path, `is a string of ${value.length.toLocaleString('en')} characters, more than the 1 MiB a Kubernetes object field can hold`, 'keep large files out of the config: mount them from a ConfigMap or a volume the app reads');
        return value;
      case 'number':
        if (!Number.isFinite(value))
          report(path, `is ${String(value)}, which YAML and JSON cannot carry to Kubernetes`, 'use a finite number');
        return value;
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
        report(path, `is the BigInt ${value}n; a config holds plain numbers`, `write ${value} without the "n"`);
        return undefined;
      case 'function':
        report(path, 'is a function; a config holds data only', 'call it and use its result, or remove it');
        return undefined;
      case 'symbol':
        report(path, `is a symbol (${String(value.description ?? '')}); a config holds data only`, 'use a string');
        return undefined;
    }
    if (value === null) return null;
    const object = value as object;
    if (types.isProxy(object)) {
      report(path, 'is a Proxy; a config holds plain data', 'pass a plain copy instead, e.g. structuredClone(value) or { ...value }');
      return undefined;
    }
    const ancestor = ancestors.get(object);
    if (ancestor !== undefined) {
      report(path, `refers back to ${formatPath(path.slice(0, ancestor))}, which contains it: a cycle`, 'copy the values instead of referring to an object that holds this one');
      return undefined;
    }
    if (path.length >= CONFIG_LIMITS.depth) {
      // The whole path would be a hundred segments long: its start says where.
      issues.push({
        path: `${formatPath(path.slice(0, 8))}...`,
        message: `is nested more than ${CONFIG_LIMITS.depth} levels deep`,
        hint: 'flatten it: neither Kubernetes objects nor Helm values nest this deep',
      });
      stopped = true;
      return undefined;
    }
    const isArray = Array.isArray(object);
    const prototype = Object.getPrototypeOf(object);
    if (!isArray && prototype !== Object.prototype && prototype !== null) {
      const kind = className(object);
      report(path, `is ${kind === 'Object' ? 'an object of a class' : `a ${kind}`}; a config holds plain objects, arrays, strings, numbers and booleans`, CLASS_HINTS[kind] ?? 'use a plain object literal');
      return undefined;
    }
    ancestors.set(object, path.length);
    let copy: unknown;
    if (isArray) {
      const array = object as unknown[];
      const out: unknown[] = [];
      for (let i = 0; i < array.length && !stopped; i++) out.push(child(array, i));
      copy = out;
    } else {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(object)) {
        if (stopped) break;
        if (key.length > CONFIG_LIMITS.stringLength) {
          report(path, `has a key of ${key.length.toLocaleString('en')} characters`, 'use a short key');
          continue;
        }
        Object.defineProperty(out, key, { value: child(object, key), enumerable: true, writable: true, configurable: true });
      }
      copy = out;
    }
    ancestors.delete(object);
    return copy;
  };

  /** The copy of object[key], read once: a getter may throw, or answer differently the next time. */
  const child = (object: object, key: PathSegment): unknown => {
    path.push(key);
    try {
      let value: unknown;
      try {
        value = (object as Record<PathSegment, unknown>)[key];
      } catch (error) {
        report(path, `could not be read: its getter threw ${describeThrown(error)}`, 'make it a plain value, or fix the getter');
        return undefined;
      }
      return walk(value);
    } finally {
      path.pop();
    }
  };

  const value = walk(root);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

function className(object: object): string {
  try {
    const tag = Object.prototype.toString.call(object).slice(8, -1);
    if (tag !== 'Object') return tag;
    const name = (Object.getPrototypeOf(object) as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name ? name : 'Object';
  } catch {
    return 'Object';
  }
}
