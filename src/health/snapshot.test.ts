import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../core/types.ts';
import { KubeError, type LiveCluster } from '../kube/client.ts';
import { takeSnapshot } from './snapshot.ts';

/** A cluster that serves Deployments and Secrets, forbids Nodes and has no cert-manager CRDs; it counts calls per kind. */
function fakeCluster() {
  const calls: string[] = [];
  const deployment: K8sObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'x' } };
  const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'x' }, involvedObject: { kind: 'Deployment', name: 'a', namespace: 'x' }, reason: 'Failed', message: 'boom ', count: 2, lastTimestamp: '2026-01-01T00:00:00Z' };
  const cluster = {
    server: 'https://fake',
    async list(apiVersion: string, kind: string, options?: { fieldSelector?: string }) {
      calls.push(`list ${kind}${options?.fieldSelector ? `?${options.fieldSelector}` : ''}`);
      if (kind === 'Node') throw new KubeError(403, 'list Node: nodes is forbidden: User "dev" cannot list resource "nodes"', 'Forbidden');
      if (apiVersion.startsWith('cert-manager.io')) throw new KubeError(404, `the cluster serves no ${kind}`, 'NotFound');
      return kind === 'Deployment' ? [deployment] : kind === 'Event' ? [event as K8sObject] : [];
    },
    async listMetadata(_apiVersion: string, kind: string) {
      calls.push(`metadata ${kind}`);
      return [{ apiVersion: 'v1', kind, metadata: { name: 's', namespace: 'x' } }];
    },
    async isNamespaced(apiVersion: string, kind: string) {
      calls.push(`discover ${kind}`);
      if (apiVersion.startsWith('cert-manager.io')) throw new KubeError(404, 'not served', 'NotFound');
      return true;
    },
  };
  return { cluster: cluster as unknown as LiveCluster, calls };
}

describe('snapshot', () => {
  it('lists each kind once, Secrets as metadata only, and tells served, not served and unreadable apart', async () => {
    const { cluster, calls } = fakeCluster();
    const snapshot = await takeSnapshot(
      cluster,
      [
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'v1', kind: 'Secret', metadataOnly: true },
        { apiVersion: 'v1', kind: 'Node' },
        { apiVersion: 'v1', kind: 'Event', fieldSelector: 'type=Warning' },
        { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' },
      ],
      [{ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer' }, { apiVersion: 'example.org/v1', kind: 'Widget' }, { apiVersion: 'apps/v1', kind: 'Deployment' }],
    );
    expect(calls.sort()).toEqual(['discover ClusterIssuer', 'discover Widget', 'list Certificate', 'list Deployment', 'list Event?type=Warning', 'list Node', 'metadata Secret']);
    expect(snapshot.get('apps/v1', 'Deployment', 'a', 'x')?.metadata.name).toBe('a');
    expect(snapshot.get('v1', 'Secret', 's', 'x')).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'x' } });
    expect(snapshot.served('cert-manager.io/v1', 'Certificate')).toBe(false);
    expect(snapshot.served('cert-manager.io/v1', 'ClusterIssuer')).toBe(false);
    expect(snapshot.served('example.org/v1', 'Widget')).toBe(true);
    expect(snapshot.served('v1', 'Node')).toBeUndefined();
    expect(snapshot.errors.get('/Node')).toContain('forbidden');
    expect(snapshot.events('Deployment', 'a', 'x')).toEqual([{ reason: 'Failed', message: 'boom', count: 2, last: '2026-01-01T00:00:00Z' }]);
    expect(snapshot.list('v1', 'Event')).toEqual([]);
  });
});
