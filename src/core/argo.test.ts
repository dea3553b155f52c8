import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { REPO } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { applicationRemoval, appProject, inProject, keepData, PROJECT, removalEffects, RESOURCES_FINALIZER, sourceRepos } from './argo.ts';
import { renderTree, type RenderedTree } from './render.ts';
import type { K8sObject } from './types.ts';

let tree: RenderedTree;
beforeAll(async () => {
  tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
});

const applications = () => tree.objects.filter((o) => o.object.kind === 'Application');
const application = (name: string, extra: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: { project: 'default', ...extra },
});

describe('the resources finalizer', () => {
  it('is on every child Application of the default tree, so removing a component deletes what it synced', () => {
    const children = applications().filter((o) => o.owner !== 'bootstrap');
    expect(children.length).toBeGreaterThan(20);
    for (const { object } of children) expect(object.metadata.finalizers, object.metadata.name).toEqual([RESOURCES_FINALIZER]);
    expect(RESOURCES_FINALIZER).toBe('resources-finalizer.argocd.argoproj.io');
  });

  it('is never on the root: deleting the root would otherwise delete every component with it', () => {
    const root = applications().find((o) => o.owner === 'bootstrap')!.object;
    expect(root.metadata.name).toBe('mswa-root');
    expect(root.metadata.finalizers).toBeUndefined();
    expect(inProject(application('root'), { root: true }).metadata.finalizers).toBeUndefined();
  });

  it('is added once, beside a finalizer the object already has, and only to Applications', () => {
    const withOwn = { ...application('a'), metadata: { name: 'a', finalizers: ['example.org/own'] } };
    expect(inProject(withOwn, { root: false }).metadata.finalizers).toEqual(['example.org/own', RESOURCES_FINALIZER]);
    const twice = inProject(inProject(application('a'), { root: false }), { root: false });
    expect(twice.metadata.finalizers).toEqual([RESOURCES_FINALIZER]);
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(inProject(configMap, { root: false })).toBe(configMap);
  });

  it('leaves the data behind: a CloudNativePG Cluster is neither pruned nor deleted with its Application', () => {
    const cluster = tree.objects.find((o) => o.object.kind === 'Cluster' && o.object.apiVersion === 'postgresql.cnpg.io/v1')!.object;
    expect(cluster.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true,Prune=false,Delete=false');
    const pvc = keepData({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' } });
    expect(pvc.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(keepData(configMap)).toBe(configMap);
    // The Database inside a Cluster is the operator's to drop with the Cluster; only the data holders are kept.
    const database = tree.objects.find((o) => o.object.kind === 'Database')!.object;
    expect(database.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
  });
});

describe("Plinth's AppProject", () => {
  it('holds every Application of the tree, the root included, instead of the default project argocd-server creates', () => {
    for (const { object } of applications()) expect((object.spec as { project: string }).project, object.metadata.name).toBe(PROJECT);
    const nested = tree.objects.filter((o) => o.file.startsWith('manifests/') && o.object.kind === 'Application');
    for (const { object } of nested) expect(object.metadata.finalizers).toEqual([RESOURCES_FINALIZER]);
  });

  it('is scoped to the repositories the tree reads and the in-cluster server, and synced by the root before the children', () => {
    const project = tree.objects.find((o) => o.object.kind === 'AppProject')!;
    expect(project.file).toBe('apps/appproject-plinth.yaml');
    expect(project.object.metadata).toEqual({
      name: 'plinth',
      namespace: 'argocd',
      labels: { 'app.kubernetes.io/managed-by': 'plinth' },
      annotations: { 'argocd.argoproj.io/sync-wave': '-1' },
    });
    const spec = project.object.spec as { sourceRepos: string[]; destinations: unknown[]; clusterResourceWhitelist: unknown[] };
    expect(spec.sourceRepos).toContain('https://github.com/Mobility-Scooter-Web-App/infra.git');
    expect(spec.sourceRepos).toContain('https://argoproj.github.io/argo-helm');
    expect(spec.sourceRepos).not.toContain('*');
    // Every source of every Application is allowed, and nothing else.
    const used = new Set(
      applications().flatMap(({ object }) => {
        const s = object.spec as { source?: { repoURL: string }; sources?: { repoURL: string }[] };
        return [...(s.sources ?? []), ...(s.source ? [s.source] : [])].map((x) => x.repoURL);
      }),
    );
    expect(new Set(spec.sourceRepos)).toEqual(used);
    expect(spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: '*' }]);
    expect(spec.clusterResourceWhitelist).toEqual([{ group: '*', kind: '*' }]);
  });

  it('is accepted by the pinned AppProject CRD, and a misspelt field is not (the check can fail)', async () => {
    const project = tree.objects.find((o) => o.object.kind === 'AppProject')!.object;
    expect(await checkCustomResource(project)).toEqual([]);
    const wrong = { ...project, spec: { ...(project.spec as object), sourceRepo: ['x'] } };
    expect(await checkCustomResource(wrong)).not.toEqual([]);
  });

  it('lists each source once, sorted, from single and multiple sources', () => {
    const repos = sourceRepos([
      application('a', { sources: [{ repoURL: 'https://b.example' }, { repoURL: 'https://a.example' }] }),
      application('b', { source: { repoURL: 'https://b.example' } }),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: { source: { repoURL: 'https://c.example' } } },
    ]);
    expect(repos).toEqual(['https://a.example', 'https://b.example']);
    expect(appProject({ argoNamespace: 'ops', cluster: 'x', sourceRepos: repos }).metadata.namespace).toBe('ops');
  });
});

describe('removing from the tree', () => {
  it('says that a removed component is deleted with what it synced, and that a removed manifest is pruned, data kept', () => {
    const kept = ['apps/cloudnative-pg.yaml', 'apps/appproject-plinth.yaml', 'manifests/cloudnative-pg/namespace-databases.yaml'];
    const deleted = [
      'apps/devpod.yaml',
      'manifests/devpod/clusterrole-plinth-devpod.yaml',
      'manifests/cloudnative-pg/database-databases-old.yaml',
      'manifests/cloudnative-pg/cluster-databases-old.yaml',
      'README.md',
    ];
    expect(removalEffects(deleted, kept)).toEqual([
      'Application devpod: Argo CD deletes it and every object it synced (CRDs, PersistentVolumeClaims and CloudNativePG Clusters are kept)',
      'manifests/cloudnative-pg/database-databases-old.yaml: pruned by Application cloudnative-pg',
      'manifests/cloudnative-pg/cluster-databases-old.yaml: kept on the cluster, data is never pruned (delete it by hand once its data is safe elsewhere)',
    ]);
    expect(removalEffects([], kept)).toEqual([]);
  });

  it('names what a live Application takes with it, from the resources Argo CD lists, CRDs and data left out', () => {
    const live = inProject(
      {
        ...application('devpod'),
        status: {
          resources: [
            { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'plinth-devpod' },
            { kind: 'Namespace', name: 'devpod' },
            { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name: 'workspaces.devpod.sh' },
            { group: 'postgresql.cnpg.io', kind: 'Cluster', namespace: 'databases', name: 'main' },
            { kind: 'PersistentVolumeClaim', namespace: 'devpod', name: 'data' },
          ],
        },
      },
      { root: false },
    );
    expect(applicationRemoval(live)).toBe(
      'Argo CD deletes what it synced: ClusterRole/plinth-devpod, Namespace/devpod (CRDs, PersistentVolumeClaims and CloudNativePG Clusters are kept)',
    );
    expect(applicationRemoval(application('old'))).toBe('no resources finalizer: Argo CD leaves the objects it synced behind, untracked');
  });
});

describe('a namespace that holds data', () => {
  it('is kept like the data: deleting the databases namespace would delete the Clusters in it', () => {
    const namespace = tree.objects.find((o) => o.object.kind === 'Namespace' && o.object.metadata.name === 'databases')!.object;
    expect(namespace.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    // A namespace without data is deleted with its Application, like anything else.
    const pipeline = tree.objects.find((o) => o.object.kind === 'Namespace' && o.object.metadata.name === 'kargo-web')!.object;
    expect(pipeline.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBeUndefined();
  });
});
