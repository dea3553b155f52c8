import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../core/types.ts';
import { explainImmutable, operatorImmutableChanges } from './immutable.ts';

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

  it('warns that growing needs an expandable storage class (the seed resized on Horizon)', () => {
    const [change] = operatorImmutableChanges(cnpg({ size: '10Gi' }), cnpg({ size: '1Ti' }));
    expect(change?.explanation).toBe("growing main's volumes (10Gi -> 1Ti) works only if the storage class allows expansion");
    expect(change?.manualStep).toContain('Horizon');
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
