import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS, describeThrown, toPlainData } from './plain.ts';

const issuesOf = (value: unknown) => {
  const result = toPlainData(value);
  return result.ok ? [] : result.issues;
};

describe('toPlainData', () => {
  it('copies plain data as it is, shared references included', () => {
    const shared = { cpu: '1' };
    const value = { a: [1, 'x', true, null, undefined, shared], b: shared, c: Object.create(null) };
    const result = toPlainData(value);
    expect(result).toEqual({ ok: true, value });
    expect(result.ok && (result.value as typeof value).a).not.toBe(value.a);
  });

  it('keeps a key named __proto__ as a key, so the schema can refuse it', () => {
    const result = toPlainData(JSON.parse('{"__proto__": {"polluted": true}, "name": "x"}'));
    expect(result.ok).toBe(true);
    const copy = (result as { value: Record<string, unknown> }).value;
    expect(Object.keys(copy)).toEqual(['__proto__', 'name']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('names each value that is not data, by path', () => {
    class Settings {}
    expect(issuesOf({ a: { when: new Date(0), map: new Map(), settings: new Settings(), s: Symbol('x'), later: Promise.resolve(1) } })).toEqual([
      { path: 'a.when', message: 'is a Date; a config holds plain objects, arrays, strings, numbers and booleans', hint: 'write the date as a string, e.g. "2025-01-31"' },
      { path: 'a.map', message: 'is a Map; a config holds plain objects, arrays, strings, numbers and booleans', hint: 'use a plain object: Object.fromEntries(map)' },
      { path: 'a.settings', message: 'is a Settings; a config holds plain objects, arrays, strings, numbers and booleans', hint: 'use a plain object literal' },
      { path: 'a.s', message: 'is a symbol (x); a config holds data only', hint: 'use a string' },
      {
        path: 'a.later',
        message: 'is a Promise; a config holds plain objects, arrays, strings, numbers and booleans',
        hint: 'await it: export default defineCluster({ ... }) with the awaited values',
      },
    ]);
  });

  it('finds a cycle through an array and says where it closes', () => {
    const apps: unknown[] = [];
    const config = { apps: [{ name: 'web', friends: apps }] };
    apps.push(config.apps);
    expect(issuesOf(config)).toEqual([
      { path: 'apps[0].friends[0]', message: 'refers back to apps, which contains it: a cycle', hint: 'copy the values instead of referring to an object that holds this one' },
    ]);
  });

  it('stops at the limits: depth, string length, key length, number of values', () => {
    let deep: unknown = {};
    for (let i = 0; i < CONFIG_LIMITS.depth; i++) deep = { a: deep };
    expect(issuesOf(deep)).toEqual([{ path: 'a.a.a.a.a.a.a.a...', message: 'is nested more than 100 levels deep', hint: 'flatten it: neither Kubernetes objects nor Helm values nest this deep' }]);
    let fits: unknown = 'leaf';
    for (let i = 0; i < CONFIG_LIMITS.depth - 1; i++) fits = { a: fits };
    expect(issuesOf(fits)).toEqual([]);

    expect(issuesOf({ s: 'x'.repeat(CONFIG_LIMITS.stringLength) })).toEqual([]);
    expect(issuesOf({ s: 'x'.repeat(CONFIG_LIMITS.stringLength + 1) })[0]?.message).toBe(
      'is a string of 1,048,577 characters, more than the 1 MiB a Kubernetes object field can hold',
    );
    expect(issuesOf({ ['k'.repeat(CONFIG_LIMITS.stringLength + 1)]: 1 })).toEqual([{ path: '(root)', message: 'has a key of 1,048,577 characters', hint: 'use a short key' }]);

    // A list shared 2^25 times over: a small object, far too many values once expanded.
    let wide: unknown = [1];
    for (let i = 0; i < 25; i++) wide = [wide, wide];
    expect(issuesOf({ wide })).toEqual([
      {
        path: '(root)',
        message: 'holds more than 1,000,000 values',
        hint: 'a loop that builds the config may run away, or objects are shared many times over; a cluster needs far fewer',
      },
    ]);
  });

  it('reports at most 20 problems', () => {
    expect(issuesOf(Array.from({ length: 50 }, () => Number.NaN))).toHaveLength(20);
  });
});

describe('describeThrown', () => {
  it('says what was thrown, whatever it is', () => {
    expect(describeThrown(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeThrown('oops')).toBe('"oops"');
    expect(describeThrown(undefined)).toBe('undefined');
    expect(describeThrown(null)).toBe('null');
    expect(describeThrown(42)).toBe('42');
    expect(describeThrown(Object.create(null))).toBe('object');
  });
});
