import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { apply, diff, readCrds } from '../../src/commands/live.ts';
import { renderTree } from '../../src/core/render.ts';
import { describeObject, type K8sObject } from '../../src/core/types.ts';
import { namedPhases, planLive } from '../../src/kube/apply.ts';
import { REPO, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');

/** The rendered Cluster of the default config's database server, whose managed roles the CRD completes with defaults. */
const isDatabaseCluster = (o: K8sObject) => o.kind === 'Cluster' && o.apiVersion === 'postgresql.cnpg.io/v1';

describe('the default tree converges: after apply, nothing is left to change, in any diff mode', () => {
  it('applies the whole default tree, then a server-side dry run of every object against the live state finds 0 differences', { timeout: 600_000 }, async () => {
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    const applied = await apply(options, cluster.context(REPO));
    expect(applied.failed).toEqual([]);
    expect(applied.skipped).toBe(0);
    const after = await diff(options, cluster.context(REPO));
    expect(after.changes.filter((c) => c.action !== 'unchanged')).toEqual([]);
    expect(after.differences).toBe(0);

    // The Cluster holds managed roles, and the API server really completes them: the test would catch a missing default.
    const rendered = renderTree(await loadCluster(REPO, undefined, registry), registry).objects.map((o) => o.object).find(isDatabaseCluster)!;
    const live = await cluster.live.get(rendered);
    const roles = (live!.spec as { managed: { roles: Record<string, unknown>[] } }).managed.roles;
    expect(roles.length).toBeGreaterThan(0);
    expect(roles[0]).toMatchObject({ connectionLimit: -1, inherit: true, ensure: 'present' });
  });

  it('finds the permanent drift of a Cluster whose managed roles leave out a field the CRD defaults', { timeout: 300_000 }, async () => {
    const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
    const phases = namedPhases(tree, await readCrds(crds));
    // Drop one defaulted field of each role, as Plinth rendered them before: the API server puts it back at every sync.
    const dropped = phases.map((phase) => ({
      ...phase,
      objects: phase.objects.map((object) => {
        if (!isDatabaseCluster(object)) return object;
        const spec = structuredClone(object.spec) as { managed: { roles: Record<string, unknown>[] } };
        for (const role of spec.managed.roles) delete role.connectionLimit;
        return { ...object, spec };
      }),
    }));
    const plan = await planLive(cluster.live, dropped);
    const drifting = plan.changes.filter((c) => c.action !== 'unchanged');
    expect(drifting.map((c) => [c.ref, c.drift])).toEqual([[describeObject(tree.objects.map((o) => o.object).find(isDatabaseCluster)!), ['spec.managed.roles']]]);
    expect(drifting[0]!.reason).toMatch(/^the API server completes spec\.managed\.roles: Argo CD's client-side diff would show it OutOfSync forever/);
    // The server-side dry run alone sees no change: the defaults come back either way, which is why drift is checked apart.
    expect(drifting[0]!.diff).toBeUndefined();
  });

  it('shows, with --prune, that a removed component\'s Application goes with everything Argo CD synced for it', { timeout: 300_000 }, async () => {
    const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
    const devpod = tree.objects.find((o) => o.file === 'apps/devpod.yaml')!.object;
    // What Argo CD reports it synced for devpod, as its controller writes it (the Application CRD has no status subresource).
    const resources = [
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', name: 'plinth-devpod', status: 'Synced' },
      { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', name: 'workspaces.example.org', status: 'Synced' },
    ];
    await cluster.live.apply({ ...devpod, status: { resources } });
    const without = namedPhases({ ...tree, objects: tree.objects.filter((o) => o.owner !== 'devpod' && o.file !== 'apps/devpod.yaml') });
    const plan = await planLive(cluster.live, without, { prune: true });
    const pruned = plan.changes.filter((c) => c.action === 'prune').map((c) => [c.ref, c.reason]);
    expect(pruned).toContainEqual([
      'Application/argocd/devpod',
      'Argo CD deletes what it synced: ClusterRole/plinth-devpod (CRDs, PersistentVolumeClaims and CloudNativePG Clusters are kept)',
    ]);
  });
});
