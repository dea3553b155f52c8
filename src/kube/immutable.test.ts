import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../core/types.ts';
import { explainImmutable, growsVolumes, operatorImmutableChanges, storageClassFacts } from './immutable.ts';

const cnpg = (storage: Record<string, string>, walStorage?: Record<string, string>): K8sObject => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'main', namespace: 'databases' },
  spec: { instances: 1, storage, ...(walStorage && { walStorage }) },
});

describe('operatorImmutableChanges', () => {
  it('accepts an unchanged CNPG cluster', () => {
    expect(operatorImmutableChanges(cnpg({ size: '10Gi' }, { size: '2Gi' }), cnpg({ size: '10Gi' }, { size: '2Gi' }))).toEqual([]);
  });

  it('refuses to shrink a volume and says what to do instead', () => {
    expect(operatorImmutableChanges(cnpg({ size: '20Gi' }, { size: '2Gi' }), cnpg({ size: '10Gi' }, { size: '2Gi' }))).toEqual([
      {
        field: 'spec.storage.size',
        explanation: 'volumes cannot shrink (20Gi -> 10Gi)',
        manualStep: 'keep 20Gi; to get a smaller volume, create a new cluster and migrate the data',
      },
    ]);
  });

  it('refuses a storage class change and dropping the WAL volume', () => {
    const changes = operatorImmutableChanges(
      cnpg({ size: '10Gi', storageClass: 'fast' }, { size: '2Gi' }),
      cnpg({ size: '10Gi', storageClass: 'slow' }),
    );
    expect(changes.map((c) => c.field)).toEqual(['spec.storage.storageClass', 'spec.walStorage']);
  });

  const storageClass = (name: string, allowVolumeExpansion?: boolean, isDefault = false, creationTimestamp = '2026-01-01T00:00:00Z'): K8sObject => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, creationTimestamp, ...(isDefault && { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }) },
    ...(allowVolumeExpansion !== undefined && { allowVolumeExpansion }),
  });

  it('takes the newest default class when several are marked default, as Kubernetes does', () => {
    const older = storageClass('local', true, true, '2025-01-01T00:00:00Z');
    const newer = storageClass('standard', false, true, '2026-06-01T00:00:00Z');
    for (const order of [[older, newer], [newer, older]])
      expect(operatorImmutableChanges(cnpg({ size: '1Gi' }), cnpg({ size: '2Gi' }), storageClassFacts(order))[0]!.explanation).toContain('StorageClass standard does not allow');
    expect(operatorImmutableChanges(cnpg({ size: '1Gi' }), cnpg({ size: '2Gi' }), storageClassFacts([older]))).toEqual([]);
  });

  it('lets a volume grow only on a StorageClass with allowVolumeExpansion: true, named or the default', () => {
    const classes = storageClassFacts([storageClass('fast', true), storageClass('standard', false, true), storageClass('cinder')]);
    expect(growsVolumes(cnpg({ size: '10Gi' }), cnpg({ size: '1Ti' }))).toBe(true);
    expect(operatorImmutableChanges(cnpg({ size: '10Gi', storageClass: 'fast' }), cnpg({ size: '1Ti', storageClass: 'fast' }), classes)).toEqual([]);
    const [onDefault, ...rest] = operatorImmutableChanges(cnpg({ size: '10Gi' }, { size: '2Gi' }), cnpg({ size: '20Gi' }, { size: '2Gi' }), classes);
    expect(rest).toEqual([]);
    expect(onDefault).toEqual({
      field: 'spec.storage.size',
      explanation: "growing main's volumes (10Gi -> 20Gi) needs expansion, which StorageClass standard does not allow (no allowVolumeExpansion: true)",
      manualStep:
        "keep 10Gi in the config until the volumes are bigger: if the CSI driver can expand volumes, a cluster admin sets allowVolumeExpansion: true on StorageClass standard (kubectl patch storageclass standard -p '{\"allowVolumeExpansion\":true}'), then apply; otherwise resize each volume of main by hand in the cloud console (Horizon on Jetstream2: Volumes, Extend Volume, one instance at a time), then apply",
    });
    // A class without the field is not expandable (its default is false), and neither is one the cluster lacks.
    expect(operatorImmutableChanges(cnpg({ size: '1Gi' }, { size: '1Gi', storageClass: 'cinder' }), cnpg({ size: '1Gi' }, { size: '2Gi', storageClass: 'cinder' }), classes).map((c) => c.field)).toEqual(['spec.walStorage.size']);
    expect(operatorImmutableChanges(cnpg({ size: '1Gi', storageClass: 'gone' }), cnpg({ size: '2Gi', storageClass: 'gone' }), classes)[0]!.explanation).toBe(
      "growing main's volumes (1Gi -> 2Gi) needs an expandable storage class, and the cluster has no StorageClass gone",
    );
    // StorageClasses that could not be read: refused, saying so.
    expect(operatorImmutableChanges(cnpg({ size: '10Gi' }), cnpg({ size: '1Ti' }))[0]!.explanation).toBe(
      "growing main's volumes (10Gi -> 1Ti) works only if the storage class allows expansion, and its StorageClass could not be read",
    );
    expect(growsVolumes(cnpg({ size: '10Gi' }), cnpg({ size: '10Gi' }))).toBe(false);
  });

  it('ignores other kinds', () => {
    expect(operatorImmutableChanges({ ...cnpg({ size: '9Gi' }), kind: 'Pooler' }, { ...cnpg({ size: '1Gi' }), kind: 'Pooler' })).toEqual([]);
  });
});

describe('explainImmutable', () => {
  it('names the manual step for a Deployment selector change', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'production' } };
    expect(explainImmutable(deployment, 'field is immutable')).toEqual({
      field: 'spec.selector',
      explanation: 'the label selector of a Deployment cannot change',
      manualStep: 'kubectl delete deployment api -n production --cascade=orphan, then apply again (the pods keep running and are adopted)',
    });
  });
});
