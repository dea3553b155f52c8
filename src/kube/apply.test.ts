import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { applyPhases, comparable, MissingCrdsError, namedPhases, objectDiff } from './apply.ts';

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

  it('names each phase for progress: CRDs, namespaces, each wave, the root Application', () => {
    expect(namedPhases(tree, [unused, used]).map((p) => p.name)).toEqual(['CRDs', 'namespaces and the other CRDs', 'wave 0', 'wave 1', 'wave 2', 'root Application']);
    expect(namedPhases(tree).map((p) => p.name)).toEqual(['namespaces', 'wave 0', 'wave 1', 'wave 2', 'root Application']);
    expect(namedPhases(tree, [unused, used]).map((p) => p.objects)).toEqual(phases);
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

describe('MissingCrdsError', () => {
  const kind = (apiVersion: string, kindName: string, objects: number) => ({ apiVersion, kind: kindName, objects, providedHere: false });

  it('says in one line how many kinds and objects, names Argo CD first and a few others, and gives both ways out', () => {
    const error = new MissingCrdsError([
      kind('external-secrets.io/v1', 'ExternalSecret', 9),
      kind('cert-manager.io/v1', 'ClusterIssuer', 2),
      kind('keda.sh/v1alpha1', 'ScaledObject', 1),
      kind('argoproj.io/v1alpha1', 'Application', 20),
      kind('kargo.akuity.io/v1alpha1', 'Stage', 3),
    ]);
    expect(error.message).toBe(
      'the cluster has no CRD for 5 kinds that 35 rendered objects use: Application (argoproj.io/v1alpha1), ExternalSecret (external-secrets.io/v1), ' +
        'ClusterIssuer (cert-manager.io/v1) and 2 more; nothing was applied',
    );
    expect(error.message).not.toContain('\n');
    expect(error.hint).toContain('`plinth bootstrap`');
    expect(error.hint).toContain('--crds DIR');
    expect(error.exitCode).toBe(1);
  });

  it('names every kind when there are few', () => {
    expect(new MissingCrdsError([kind('keda.sh/v1alpha1', 'ScaledObject', 1)]).message).toBe(
      'the cluster has no CRD for 1 kind that 1 rendered object uses: ScaledObject (keda.sh/v1alpha1); nothing was applied',
    );
  });
});
