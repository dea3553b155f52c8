import { describe, expect, it } from 'vitest';
import { checkRules } from './index.ts';
import { obj, only, run } from './fixtures.ts';

const warehouse = (namespace?: string) => obj('kargo.akuity.io/v1alpha1', 'Warehouse', 'web', namespace, { spec: {} });

describe('ref/duplicate', () => {
  it('reports the second definition of an object, naming the first', () => {
    const findings = only(run([warehouse('kargo-web'), obj('v1', 'ConfigMap', 'web', 'kargo-web'), warehouse('kargo-web')]), 'ref/duplicate');
    expect(findings).toEqual([
      {
        file: 'f002.yaml',
        document: 1,
        object: 'Warehouse/kargo-web/web',
        path: '',
        rule: 'ref/duplicate',
        severity: 'error',
        message: 'Warehouse/kargo-web/web is also defined in f000.yaml (document 1): one copy overwrites the other',
        hint: 'keep one definition: with Plinth, change the rendered object through its option, not a second copy in extraObjects',
      },
    ]);
  });

  it('tells apart namespaces, kinds and API groups, but not API versions', () => {
    expect(only(run([warehouse('a'), warehouse('b'), warehouse(), obj('v1', 'ConfigMap', 'web', 'a'), obj('example.org/v1', 'Warehouse', 'web', 'a')]), 'ref/duplicate')).toEqual([]);
    const versions = only(run([warehouse('a'), { ...warehouse('a'), apiVersion: 'kargo.akuity.io/v1beta1' }]), 'ref/duplicate');
    expect(versions.map((f) => f.object)).toEqual(['Warehouse/a/web']);
  });

  it('names the document when both copies are in one file', () => {
    const findings = checkRules([1, 2].map((document) => ({ file: 'all.yaml', document, object: warehouse('a') })));
    expect(only(findings, 'ref/duplicate')[0]!.message).toBe('Warehouse/a/web is also defined in document 1 of this file: one copy overwrites the other');
  });
});
