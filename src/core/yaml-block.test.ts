import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { resolveCluster } from '../config/validate.ts';
import { minimalCluster, REPO } from '../../test/helpers.ts';
import { renderTree } from './render.ts';
import { dumpYaml, toYaml } from './yaml.ts';

// toYaml writes the block layout itself and asks js-yaml only for each distinct scalar: it must give dump()'s text.
describe('toYaml', () => {
  it("writes exactly js-yaml's text for every object of the default, the example and an options-heavy render", async () => {
    const trees = [
      renderTree(await loadCluster(REPO, undefined, registry), registry),
      renderTree(await loadCluster(`${REPO}/examples`, 'real-team.config.ts', registry), registry),
    ];
    const heavy = minimalCluster();
    heavy.apps[1].deployment = { spec: { template: { spec: { containers: [{ name: 'api', args: ['--a', 'yes', '0777', '1e3', 'on', ''] }] } } } };
    heavy.apps[1].env = { MULTI: 'line one\nline two', EMPTY: '', BOOLISH: 'no', OCTAL: '0755', TIME: '1:30', HASH: '12e45', QUOTE: 'it\'s "x"', COLON: 'a: b', HASHMARK: 'a #b', LEAD: ' x', UNICODE: 'ünïcødé \u2028' };
    trees.push(renderTree(resolveCluster(heavy, registry), registry));
    let compared = 0;
    for (const tree of trees) {
      for (const { file, object } of tree.objects) {
        expect(toYaml(object), file).toBe(dumpYaml(object));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('matches on scalars, empty collections, nested sequences, odd keys and what it leaves to js-yaml', () => {
    const values: unknown[] = [
      'x', 0, -5, 2 ** 53, 1.5, -0, true, null, [], {}, [[1, [2, []]], {}], [{ a: [{ b: {} }] }, [{}]],
      { 'on': 1, 'yes': 'no', '': 'empty key', 'a b': [null], '0x1F': 'k', '-': '-', '? q': '?', ['x'.repeat(1100)]: 1 },
      { nested: { list: ['a', { b: 'line\nbreak', c: [] }] } },
      Object.assign(Object.create(null), { z: 1, a: 2 }),
      { date: new Date(0) },
    ];
    for (const value of values) expect(toYaml(value), JSON.stringify(value)).toBe(dumpYaml(value));
  });
});
