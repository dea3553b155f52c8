import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { applyPhases, comparable, objectDiff } from './apply.ts';

const crd = (group: string, kind: string): K8sObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: { group, names: { kind }, versions: [{ name: 'v1' }] },
});

describe('applyPhases', () => {
  const tree = renderTree(resolveCluster(minimalCluster(), registry), registry);
  const used = crd('cert-manager.io', 'ClusterIssuer');
  const unused = crd('example.org', 'Unused');
  const phases = applyPhases(tree, [unused, used]);
  const names = (phase: K8sObject[]) => phase.map((o) => `${o.kind}/${o.metadata.name}`);

  it('applies the CRDs the render uses first, the others with the namespaces, then the waves and the root last', () => {
    expect(names(phases[0]!)).toEqual(['CustomResourceDefinition/clusterissuers.cert-manager.io']);
    expect(names(phases[1]!)).toContain('CustomResourceDefinition/unuseds.example.org');
    expect(phases[1]!.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual(
      [...new Set(phases[1]!.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name))].sort(),
    );
    expect(names(phases.at(-1)!)).toEqual(['Application/test-root']);
    const waveOf = (o: K8sObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? -1);
    const applicationWaves = phases.slice(2, -1).map((phase) => [...new Set(phase.filter((o) => o.kind === 'Application').map(waveOf))]);
    // The apps' Applications come in the wave after the last component's.
    expect(applicationWaves).toEqual([[0], [1], [2]]);
  });

  it("leaves the objects an app's stage branch delivers to Argo CD, and applies its pipeline after the components", () => {
    const applied = phases.flat();
    const promoted = tree.objects.filter((o) => o.promoted);
    expect(promoted.length).toBeGreaterThan(0);
    for (const { object } of promoted) expect(applied).not.toContain(object);
    const warehouse = tree.objects.find((o) => o.object.kind === 'Warehouse')!.object;
    const lastWave = phases.at(-2)!;
    expect(lastWave).toContain(warehouse);
  });

  it('uses the namespace the render declares, with its labels, instead of a bare one', () => {
    const databases = phases[1]!.find((o) => o.kind === 'Namespace' && o.metadata.name === 'databases');
    expect(databases?.metadata.labels?.['plinth.dev/component']).toBe('cloudnative-pg');
    expect(phases.flat().filter((o) => o.kind === 'Namespace' && o.metadata.name === 'databases')).toHaveLength(1);
  });
});

describe('comparable and objectDiff', () => {
  const live = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', namespace: 'n', uid: 'x', resourceVersion: '7', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    data: { k: 'old' },
    status: { ignored: true },
  } as K8sObject;

  it('leaves out what the server owns', () => {
    expect(comparable(live)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' }, data: { k: 'old' } });
  });

  it('is empty for equal objects and shows only the changed lines otherwise', () => {
    expect(objectDiff('ConfigMap/n/a', live, { ...live, metadata: { ...live.metadata, resourceVersion: '8' } })).toBe('');
    const diff = objectDiff('ConfigMap/n/a', live, { ...live, data: { k: 'new' } });
    expect(diff.split('\n').filter((l) => /^[-+]/.test(l))).toEqual(['-  k: old', '+  k: new']);
  });
});
