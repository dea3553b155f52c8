import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { toYaml } from './yaml.ts';

describe('toYaml', () => {
  it('quotes every string a YAML 1.1 reader (Go: kubectl, Argo CD, Helm) would take for a bool, number, null or date', () => {
    const ambiguous = ['12e45', 'yes', 'No', 'on', 'OFF', 'y', 'n', '0755', '0x1F', '1_000', '1:30', '1e3', '.5', '-1', '.inf', '~', 'null', 'true', '2024-01-01', '='];
    const text = toYaml(Object.fromEntries(ambiguous.map((s) => [s, s])));
    for (const s of ambiguous) expect(text).toContain(`"${s}": "${s}"\n`);
    expect(parse(text, { version: '1.1' })).toEqual(Object.fromEntries(ambiguous.map((s) => [s, s])));
  });

  it('leaves ordinary strings plain, sorts keys, never folds long lines and never uses anchors', () => {
    const shared = { a: 1 };
    const long = 'x'.repeat(300);
    expect(toYaml({ b: [shared, shared], a: 'plain text', c: long, n: 3, t: true, z: null })).toBe(
      `a: plain text\nb:\n  - a: 1\n  - a: 1\nc: ${long}\n"n": 3\nt: true\nz: null\n`,
    );
  });

  it('writes multi-line strings as literal blocks that read back unchanged', () => {
    const value = { script: 'set -e\necho "hi"\n' };
    expect(toYaml(value)).toBe('script: |\n  set -e\n  echo "hi"\n');
    expect(parse(toYaml(value))).toEqual(value);
  });
});
