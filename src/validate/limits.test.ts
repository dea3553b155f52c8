import { describe, expect, it } from 'vitest';
import { readYaml } from '../core/yaml.ts';
import { aliasProblem, jsonBytesOver, mayHaveAliases, MAX_OBJECT_BYTES, worthMeasuring } from './limits.ts';

/** A "billion laughs" document: `levels` anchors, each a list of `fanOut` aliases of the one before. */
const laughs = (levels: number, fanOut: number) => {
  const lines = ['l0: &l0 ["lol", "lol"]'];
  for (let level = 1; level <= levels; level++) lines.push(`l${level}: &l${level} [${Array(fanOut).fill(`*l${level - 1}`).join(', ')}]`);
  return lines.join('\n');
};

describe('aliasProblem', () => {
  it('refuses a billion laughs as yaml.v2 does, in milliseconds', () => {
    const bomb = readYaml(laughs(9, 9));
    const started = performance.now();
    expect(aliasProblem(bomb)).toMatch(/^its aliases expand to more than \d+ times the nodes written out, which Kubernetes' YAML reader refuses \("document contains excessive aliasing"\)$/);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('lets ordinary reuse through: a few anchors for repeated blocks, and a small expansion', () => {
    const reuse = readYaml('defaults: &d {cpu: 100m, memory: 128Mi}\na: {requests: *d, limits: *d}\nb: {requests: *d}\n');
    expect(aliasProblem(reuse)).toBeUndefined();
    expect(aliasProblem(readYaml(laughs(3, 3)))).toBeUndefined();
  });

  it('refuses an alias inside its own anchor (js-yaml builds a value that contains itself)', () => {
    for (const text of ['a: &a [*a]', 'x: &x\n  y: *x', '&a [1, {b: *a}]'])
      expect(aliasProblem(readYaml(text)), text).toMatch(/contains it, so the document is infinite/);
  });

  it('finds aliases cheaply in text, never missing one', () => {
    expect(mayHaveAliases(laughs(2, 2))).toBe(true);
    expect(mayHaveAliases('a: &x 1\nb:\n- *x\n')).toBe(true);
    expect(mayHaveAliases('host: "*.example.org"\nurl: "https://x/?a=1&b=2"\n')).toBe(false);
    expect(mayHaveAliases('schedule: "* * * * *"\n')).toBe(false);
  });
});

describe('jsonBytesOver', () => {
  it('counts the bytes JSON.stringify would write, escapes and UTF-8 included', () => {
    const value = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'é"\n', labels: {} }, data: { k: '日本', list: [1, 2.5, true, null, 'x'] } };
    expect(jsonBytesOver(value, 0)).toBeGreaterThan(0);
    const exact = Buffer.byteLength(JSON.stringify(value));
    expect(jsonBytesOver(value, exact)).toBeUndefined();
    expect(jsonBytesOver(value, exact - 1)).toBe(exact);
  });

  it('stops counting once over the limit: 1,000 aliases of a 1 MB string cost what the limit does', () => {
    const big = 'x'.repeat(1024 * 1024);
    const value = { data: Array(1000).fill(big) };
    const started = performance.now();
    expect(jsonBytesOver(value, MAX_OBJECT_BYTES)).toBeGreaterThan(MAX_OBJECT_BYTES);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('is asked only for large sources or aliased ones', () => {
    expect(worthMeasuring(10_000, false)).toBe(false);
    expect(worthMeasuring(10_000, true)).toBe(true);
    expect(worthMeasuring(MAX_OBJECT_BYTES / 3, false)).toBe(true);
  });
});
