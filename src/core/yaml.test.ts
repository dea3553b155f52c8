import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { REPO } from '../../test/helpers.ts';
import { renderTree } from './render.ts';
import { HEADER, readYaml, readYamlAll, toYaml } from './yaml.ts';

describe('toYaml', () => {
  it('quotes every string a YAML 1.1 reader (Go: kubectl, Argo CD, Helm) would take for a bool, number, null or date', () => {
    const ambiguous = ['12e45', '0o17', 'yes', 'No', 'on', 'OFF', 'y', 'n', '0755', '0x1F', '1_000', '1:30', '1e3', '.5', '-1', '.inf', '~', 'null', 'true', '2024-01-01', '='];
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

describe('readYaml: YAML as Kubernetes reads it (Go yaml.v2 under sigs.k8s.io/yaml)', () => {
  // What kubectl apply and Argo CD send to the API server for each unquoted scalar.
  const GO_READS: [string, unknown][] = [
    ['yes', true], ['Yes', true], ['YES', true], ['y', true], ['Y', true], ['on', true], ['ON', true], ['true', true],
    ['no', false], ['n', false], ['N', false], ['off', false], ['Off', false], ['FALSE', false],
    ['~', null], ['null', null], ['NULL', null],
    ['0777', 511], ['0o17', 15], ['0x1F', 31], ['-0x1F', -31], ['0b101', 5], ['1_000', 1000], ['+7', 7], ['-12', -12], ['0', 0], ['08', 8],
    ['1e3', 1000], ['12e45', 1.2e46], ['1.5', 1.5], ['.5', 0.5], ['-.5', -0.5], ['1_000.5', 1000.5],
    ['.inf', Infinity], ['-.Inf', -Infinity],
    // Strings to Go, though a YAML 1.1 or 1.2 reader would say otherwise.
    ['1:30', '1:30'], ['2024-01-01', '2024-01-01'], ['2024-01-01T10:00:00Z', '2024-01-01T10:00:00Z'], ['_1', '_1'], ['0x', '0x'],
    ['yesno', 'yesno'], ['=', '='], ['1.2.3', '1.2.3'], ['0755abc', '0755abc'],
  ];

  it.each(GO_READS)('%s', (scalar, expected) => {
    expect(readYaml(`value: ${scalar}\n`)).toEqual({ value: expected });
  });

  it('reads an empty value as null, `n:` as the key "false", and merge keys', () => {
    expect(readYaml('a:\nn: x\nbase: &b {x: 1}\nmerged: {<<: *b, z: 2}\n')).toEqual({ a: null, false: 'x', base: { x: 1 }, merged: { x: 1, z: 2 } });
  });

  it('reads every document of a stream', () => {
    expect(readYamlAll('a: on\n---\nb: 0777\n')).toEqual([{ a: true }, { b: 511 }]);
  });

  it('reads back every string toYaml writes as that string: the writer quotes whatever Go would take for something else', () => {
    const tricky = [...GO_READS.map(([s]) => s), 'plain', '0', '1.0', '-', '+', '.', '', ' lead', 'trail ', '#x', 'a: b', '@x', '`x', '*x', '&x', '!x', '%x', '{x', '[x', '|', '>', '"', "'"];
    const value = Object.fromEntries(tricky.map((s, i) => [`k${i}`, s]));
    expect(readYaml(toYaml(value))).toEqual(value);
  });

  it('reads back every file of the default render as the object that was rendered', async () => {
    const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
    let checked = 0;
    for (const { file, object } of tree.objects) {
      const text = tree.files.get(file)!;
      expect(text.startsWith(HEADER)).toBe(true);
      expect(readYaml(text), file).toEqual(object);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});
