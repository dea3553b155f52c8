import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCrds } from '../../commands/live.ts';
import { UPSTREAM } from '../../../test/helpers.ts';
import { ARGO_CD_CHART_CRDS, crdFingerprint, foreignArgoCrds } from './crds.ts';

const crd = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name, labels },
  spec,
});

describe("the pinned argo-cd chart's CRDs", () => {
  it('refuses the upstream fixtures, which are Argo CD v3.5.1 while chart 10.1.1 ships v3.4.4', async () => {
    const fixtures = await readCrds(join(UPSTREAM, 'crds', 'argo-cd'));
    expect(fixtures.map((c) => c.metadata.name).sort()).toEqual(Object.keys(ARGO_CD_CHART_CRDS.fingerprints).sort());
    expect(foreignArgoCrds(fixtures)).toEqual(fixtures.map((c) => ({ name: c.metadata.name, problem: 'differs' })));
  });

  it('names a CRD the chart does not install at all', () => {
    expect(foreignArgoCrds([crd('rollouts.argoproj.io', { group: 'argoproj.io' })])).toEqual([{ name: 'rollouts.argoproj.io', problem: 'unknown' }]);
  });

  it('fingerprints the spec alone, whatever the key order and the labels a chart adds', () => {
    const a = crd('x.argoproj.io', { group: 'argoproj.io', names: { kind: 'X', plural: 'xs' }, versions: [{ name: 'v1', served: true }] });
    const b = crd('x.argoproj.io', { versions: [{ served: true, name: 'v1' }], names: { plural: 'xs', kind: 'X' }, group: 'argoproj.io' }, { 'helm.sh/chart': 'argo-cd-10.1.1' });
    expect(crdFingerprint(b)).toBe(crdFingerprint(a));
    const c = crd('x.argoproj.io', { group: 'argoproj.io', names: { kind: 'X', plural: 'xs' }, versions: [{ name: 'v1', served: false }] });
    expect(crdFingerprint(c)).not.toBe(crdFingerprint(a));
    expect(crdFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
