import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../config/validate.ts';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { clusterSecret } from './index.ts';

const registry = testRegistry(clusterSecret);
/** What apps using databases need besides clustersecret: Argo CD and Kargo (with what Kargo needs) and CloudNativePG. */
const base = {
  'argo-cd': {},
  kargo: {},
  'cert-manager': { acmeEmail: 'ops@example.org' },
  'secret-generator': {},
  'external-secrets': {},
  traefik: {},
  'cloudnative-pg': {},
};
const render = (options: Record<string, unknown> = {}, change?: (config: Record<string, any>) => void) =>
  renderWith(registry, { ...base, clustersecret: options }, change);

const clusterSecrets = (tree: RenderedTree) =>
  tree.objects.filter((o) => o.object.kind === 'ClusterSecret').map((o) => o.object as Record<string, any>);
const application = (tree: RenderedTree) =>
  tree.objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === 'clustersecret')!.object as Record<string, any>;
const targets = (tree: RenderedTree) => Object.fromEntries(clusterSecrets(tree).map((c) => [c.metadata.name, c.matchNamespace]));

/** Three databases; `app` is used by two apps across overlapping stages, `reports` by one, `archive` by none. */
function sharedDatabases(config: Record<string, any>) {
  config.postgres.databases = [{ name: 'app' }, { name: 'reports' }, { name: 'archive' }];
  config.apps[0].database = 'app';
  config.apps[0].stages = ['staging', 'production'];
  config.apps[1].database = 'app';
  config.apps[1].stages = ['dev', 'production'];
  config.apps[2].database = 'reports';
}

// Kubernetes always allows apiVersion and kind; the ClusterSecret CRD schema does not list them, and
// test/upstream.ts closes the root schema, so only those two would be flagged.
const IMPLICIT_FIELDS = /: \/ must NOT have additional properties \{"additionalProperty":"(apiVersion|kind)"\}$/;

function issuesOf(options: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith({ ...base, clustersecret: options });
  return rejectionOf(config, registry);
}

describe('clustersecret', () => {
  it('installs the pinned chart and never replaces Secrets it did not create', async () => {
    const tree = render();
    const fact = (await chartFacts()).find((f) => f.component === 'clustersecret')!;
    const app = application(tree);
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'clustersecret' });
    expect(app.spec.sources).toEqual([
      {
        repoURL: fact.chartRepo,
        chart: fact.chart,
        targetRevision: fact.version,
        helm: { releaseName: 'cluster-secret', valuesObject: { replace_existing: 'false' } },
      },
      { repoURL: 'https://git.example.org/infra.git', targetRevision: 'main', path: 'rendered/manifests/clustersecret' },
    ]);
  });

  it('copies the credentials of a used database into the namespace of each stage of its apps', () => {
    const tree = render();
    const [secret, ...rest] = clusterSecrets(tree);
    expect(rest).toEqual([]);
    expect(secret).toEqual({
      apiVersion: 'clustersecret.io/v1',
      kind: 'ClusterSecret',
      metadata: {
        name: 'pg-app',
        labels: { 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'clustersecret' },
        annotations: { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' },
      },
      type: 'kubernetes.io/basic-auth',
      matchNamespace: ['^production$'],
      data: { valueFrom: { secretKeyRef: { name: 'pg-app', namespace: 'databases', keys: ['username', 'password'] } } },
    });
    expect(tree.files.has('manifests/clustersecret/clustersecret-pg-app.yaml')).toBe(true);
  });

  it("copies each stage's own credentials only into that stage's namespace, and skips databases no app uses", () => {
    const tree = render({}, sharedDatabases);
    expect(clusterSecrets(tree).map((c) => c.metadata.name).sort()).toEqual(['pg-app', 'pg-app-dev', 'pg-app-staging', 'pg-reports']);
    expect(targets(tree)).toEqual({
      'pg-app': ['^production$'],
      'pg-reports': ['^production$'],
      'pg-app-staging': ['^staging$'],
      'pg-app-dev': ['^dev$'],
    });
    const byName = (name: string) => clusterSecrets(tree).find((c) => c.metadata.name === name)!;
    expect(byName('pg-reports').data.valueFrom.secretKeyRef.name).toBe('pg-reports');
    expect(byName('pg-app-staging').data.valueFrom.secretKeyRef).toEqual({ name: 'pg-app-staging', namespace: 'databases', keys: ['username', 'password'] });
  });

  it("copies production's credentials into an earlier stage only when the database says that stage shares it, with a reason", () => {
    const tree = render({}, (config) => {
      sharedDatabases(config);
      config.postgres.databases[0].stages = { staging: { share: 'anonymised demo data only' } };
    });
    expect(targets(tree)).toEqual({ 'pg-app': ['^production$', '^staging$'], 'pg-reports': ['^production$'], 'pg-app-dev': ['^dev$'] });
  });

  it('renders the same objects whatever the order of the apps', () => {
    const reversed = render({}, (config) => {
      sharedDatabases(config);
      config.apps.reverse();
    });
    expect(targets(reversed)).toEqual(targets(render({}, sharedDatabases)));
  });

  it('does not copy a Secret onto itself when a stage is the databases namespace', () => {
    const tree = render({}, (config) => (config.apps[1].stages = ['databases', 'production']));
    expect(targets(tree)).toEqual({ 'pg-app': ['^production$'] });
    const only = render({}, (config) => (config.apps[1].stages = ['databases']));
    expect(clusterSecrets(only)).toEqual([]);
  });

  it('renders only the operator when no app uses a database', () => {
    const tree = render({}, (config) => delete config.apps[1].database);
    expect(tree.objects.filter((o) => o.owner === 'clustersecret')).toEqual([]);
    expect(application(tree).spec.sources).toHaveLength(1);
    const component = tree.components.find((c) => c.id === 'clustersecret')!;
    expect(component.health.map((h) => h.kind)).toEqual(['Deployment']);
  });

  it('replaces pre-existing Secrets when asked', () => {
    expect(application(render({ replaceExisting: true })).spec.sources[0].helm.valuesObject).toEqual({ replace_existing: 'true' });
  });

  it('rejects a non-boolean replaceExisting, naming the path', () => {
    expect(issuesOf({ replaceExisting: 'yes' })).toEqual([
      { path: 'components.clustersecret.replaceExisting', message: 'must be a boolean, got string "yes"' },
    ]);
    expect(issuesOf({ replaceExsting: true })).toEqual([
      {
        path: 'components.clustersecret.replaceExsting',
        message: 'unknown key "replaceExsting"',
        hint: 'did you mean "replaceExisting"?',
      },
    ]);
  });

  it('needs no other component, even when apps use databases', () => {
    expect(resolveCluster(clusterWith({ clustersecret: {} }), registry).graph.order).toEqual(['clustersecret']);
    const config = clusterWith({ ...base, clustersecret: {} });
    expect(config.apps.filter((app: { database?: string }) => app.database)).not.toEqual([]);
    const { graph } = resolveCluster(config, registry);
    expect(graph.needs.get('clustersecret')).toEqual([]);
    expect(graph.waves.get('clustersecret')).toBe(0);
  });

  it('renders ClusterSecrets the upstream CRD accepts', async () => {
    const tree = render({}, sharedDatabases);
    expect(clusterSecrets(tree)).toHaveLength(4);
    const problems = await customResourceProblems(tree.objects);
    expect(problems.filter((p) => !IMPLICIT_FIELDS.test(p))).toEqual([]);
    const typo = tree.objects.find((o) => o.object.kind === 'ClusterSecret')!;
    const wrong = { ...typo, object: { ...typo.object, matchNamespaces: ['^production$'] } };
    expect((await customResourceProblems([wrong])).filter((p) => !IMPLICIT_FIELDS.test(p))).toHaveLength(1);
  });

  it('declares health checks for the operator and each ClusterSecret, blaming the source of the credentials', () => {
    const component = render({}, sharedDatabases).components.find((c) => c.id === 'clustersecret')!;
    expect(component.secrets).toEqual([]);
    expect(component.health).toEqual([
      { description: 'operator', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cluster-secret-clustersecret', namespace: 'clustersecret' },
      {
        description: 'copies pg-app from databases to production (status.create_fn.syncedns)',
        apiVersion: 'clustersecret.io/v1',
        kind: 'ClusterSecret',
        name: 'pg-app',
        blame: 'cloudnative-pg',
      },
      {
        description: 'copies pg-reports from databases to production (status.create_fn.syncedns)',
        apiVersion: 'clustersecret.io/v1',
        kind: 'ClusterSecret',
        name: 'pg-reports',
        blame: 'cloudnative-pg',
      },
      {
        description: 'copies pg-app-staging from databases to staging (status.create_fn.syncedns)',
        apiVersion: 'clustersecret.io/v1',
        kind: 'ClusterSecret',
        name: 'pg-app-staging',
        blame: 'cloudnative-pg',
      },
      {
        description: 'copies pg-app-dev from databases to dev (status.create_fn.syncedns)',
        apiVersion: 'clustersecret.io/v1',
        kind: 'ClusterSecret',
        name: 'pg-app-dev',
        blame: 'cloudnative-pg',
      },
    ]);
  });
});
