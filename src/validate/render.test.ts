import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, UPSTREAM } from '../../test/helpers.ts';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import type { Subject } from './finding.ts';
import { schemaFindings } from './schema-findings.ts';
import { openSchemaRegistry, type SchemaRegistry } from './schema/registry.ts';

let tree: RenderedTree;
let schemas: SchemaRegistry;
beforeAll(async () => {
  tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
  schemas = await openSchemaRegistry({ schemasDir: UPSTREAM, cacheDir: false });
});

const subjectsOf = (t: RenderedTree): Subject[] => t.objects.map(({ file, object }) => ({ file, document: 1, object }));

/** JSON Pointers of every scalar inside a value. */
function scalarPaths(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => scalarPaths(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => scalarPaths(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  return [path];
}

function setAt(object: unknown, path: string, value: unknown): void {
  const tokens = path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = object as Record<string, unknown>;
  for (const token of tokens.slice(0, -1)) node = node[token] as Record<string, unknown>;
  node[tokens.at(-1)!] = value;
}

describe('the default render against the upstream CRDs and the Kubernetes schemas', () => {
  it('validates clean: no errors or warnings (rules that cannot be evaluated are listed as info)', async () => {
    const findings = await schemaFindings(subjectsOf(tree), schemas);
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(findings.filter((f) => f.severity === 'info').every((f) => f.rule === 'schema/cel-unevaluated')).toBe(true);
    expect(tree.objects.length).toBeGreaterThan(10);
  });

  it('for each rendered kind: one object passes, and a typo or a wrong type fails at its path', async () => {
    const byKind = new Map<string, K8sObject>();
    for (const { object } of tree.objects) if (!byKind.has(`${object.apiVersion}/${object.kind}`)) byKind.set(`${object.apiVersion}/${object.kind}`, object);
    expect(byKind.size).toBeGreaterThan(5);
    for (const [key, object] of byKind) {
      const errors = async (o: K8sObject) => (await schemas.check(o)).filter((p) => p.severity !== 'info').map((p) => p.path);
      expect(await errors(object), key).toEqual([]);

      const typo = structuredClone(object);
      const body = typo.spec && typeof typo.spec === 'object' ? 'spec' : undefined;
      if (body) (typo.spec as Record<string, unknown>).plinthTypo = 1;
      else (typo as Record<string, unknown>).plinthTypo = 1;
      expect(await errors(typo), key).toEqual([body ? '/spec/plinthTypo' : '/plinthTypo']);

      const wrongName = structuredClone(object);
      (wrongName.metadata as Record<string, unknown>).name = 42;
      expect(await errors(wrongName), key).toEqual(['/metadata/name']);

      // A scalar of the object's own body turned into a list: some schema (or none, under preserved
      // fields such as Helm values) applies; where one does, the finding sits at that scalar.
      const { apiVersion: _a, kind: _k, metadata: _m, ...content } = object;
      const leaves = scalarPaths(content, '');
      let located = false;
      for (const leaf of leaves.slice(0, 20)) {
        const broken = structuredClone(object);
        setAt(broken, leaf, [[]]);
        const found = await errors(broken);
        if (found.length === 0) continue;
        expect(found, `${key} ${leaf}`).toContain(leaf);
        located = true;
        break;
      }
      if (leaves.length) expect(located, `${key}: no scalar of its body is checked`).toBe(true);
    }
  });
});
