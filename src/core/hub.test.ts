import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveEnvironments } from '../config/environments.ts';
import { environmentsRejectionOf } from '../../test/components.ts';
import { minimalCluster, REPO, stagedCluster } from '../../test/helpers.ts';
import { customResourceProblems } from '../../test/upstream.ts';
import { renderTree, type RenderedTree } from './render.ts';
import { RESOURCES_FINALIZER } from './argo.ts';

const SPOKE_SERVER = 'https://staging.example.org:6443';

/** The seed's apps through staging and production: production runs Argo CD and Kargo for both clusters. */
function hubAndSpoke(change: (config: Record<string, any>) => void = () => {}): Record<string, any> {
  const config = stagedCluster();
  config.environments = {
    production: { context: 'prod', stages: ['production'] },
    staging: {
      context: 'staging',
      managedBy: 'production',
      server: SPOKE_SERVER,
      stages: ['staging'],
      components: { 'argo-cd': false, kargo: false },
    },
  };
  change(config);
  return config;
}

const trees = (config: Record<string, any>) => {
  const clusters = resolveEnvironments(config, registry);
  const of = (env: string) => renderTree(clusters.find((c) => c.config.environment?.name === env)!, registry);
  return { hub: of('production'), spoke: of('staging') };
};

const applications = (tree: RenderedTree) => tree.objects.filter((o) => o.object.kind === 'Application').map((o) => o.object as Record<string, any>);
const find = (tree: RenderedTree, file: string) => {
  const found = tree.objects.find((o) => o.file === file);
  expect(found, `${file} in ${[...tree.files.keys()].filter((f) => f.startsWith(file.split('/')[0]!)).join(', ')}`).toBeDefined();
  return found!.object as Record<string, any>;
};

/** An ExternalSecret template value rendered by Go's text/template, as external-secrets renders it (test/esotemplate). */
async function goTemplate(template: string, data: Record<string, string>): Promise<string> {
  const child = promisify(execFile)('go', ['run', join(REPO, 'test', 'esotemplate', 'main.go')], { env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '' } });
  child.child.stdin!.end(JSON.stringify({ template, data }));
  return (await child).stdout;
}

describe('hub mode', () => {
  it("gives the hub's Argo CD a cluster Secret for the spoke, from its declared input, whose config Argo CD reads", async () => {
    const { hub } = trees(hubAndSpoke());
    const secret = find(hub, 'manifests/argo-cd/externalsecret-cluster-staging.yaml');
    expect(secret.metadata.namespace).toBe('argocd');
    expect(secret.spec.data).toEqual([
      { secretKey: 'bearerToken', remoteRef: { key: 'argocd-cluster-staging', property: 'bearerToken' } },
      { secretKey: 'caData', remoteRef: { key: 'argocd-cluster-staging', property: 'caData' } },
    ]);
    const template = secret.spec.target.template;
    expect(template.metadata.labels).toEqual({ 'argocd.argoproj.io/secret-type': 'cluster' });
    expect(template.data.name).toBe('staging');
    expect(template.data.server).toBe(SPOKE_SERVER);
    const config = JSON.parse(await goTemplate(template.data.config, { bearerToken: 'eyJhbGciOi.x-y_z', caData: 'LS0tLS1CRUdJTi==' }));
    expect(config).toEqual({ bearerToken: 'eyJhbGciOi.x-y_z', tlsClientConfig: { insecure: false, caData: 'LS0tLS1CRUdJTi==' } });
    const inputs = hub.components.find((c) => c.id === 'argo-cd')!.secrets.map((s) => [s.name, s.keys.map((k) => k.key)]);
    expect(inputs).toContainEqual(['argocd-cluster-staging', ['bearerToken', 'caData']]);
    expect(await customResourceProblems(hub.objects)).toEqual([]);
  }, 60_000);

  it("runs the spoke's root on the hub: the same Application in both trees, without the resources finalizer", () => {
    const { hub, spoke } = trees(hubAndSpoke());
    const root = find(hub, 'manifests/argo-cd/application-test-staging-root.yaml');
    expect(root.spec.source.path).toBe('rendered/staging/apps');
    expect(root.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
    expect(root.metadata.finalizers).toBeUndefined();
    const own = find(spoke, 'bootstrap/root.yaml');
    expect(own.metadata.name).toBe(root.metadata.name);
    expect(own.spec).toEqual(root.spec);
    // The hub's own root stays as it is.
    expect(find(hub, 'bootstrap/root.yaml').metadata.name).toBe('test-root');
  });

  it("puts the spoke's Applications in the hub's Argo CD namespace, targeting the spoke's server, in a project of their own", async () => {
    const { hub, spoke } = trees(hubAndSpoke());
    const children = applications(spoke).filter((a) => a.metadata.name !== 'test-staging-root');
    expect(children.length).toBeGreaterThan(5);
    for (const app of children) {
      expect(app.metadata.namespace, app.metadata.name).toBe('argocd');
      expect(app.spec.destination.server, app.metadata.name).toBe(SPOKE_SERVER);
      expect(app.spec.project, app.metadata.name).toBe('plinth-staging');
      expect(app.metadata.finalizers, app.metadata.name).toEqual([RESOURCES_FINALIZER]);
    }
    // Components' Applications are named apart from the hub's; a stage's keeps the name Kargo addresses.
    const names = children.map((a) => a.metadata.name);
    expect(names).toContain('staging-cert-manager');
    expect(names).toContain('web-staging');
    const hubNames = new Set(applications(hub).map((a) => a.metadata.name));
    expect(names.filter((n) => hubNames.has(n))).toEqual([]);
    const project = find(spoke, 'apps/appproject-plinth-staging.yaml');
    expect(project.metadata.namespace).toBe('argocd');
    expect(project.spec.destinations).toEqual([{ server: SPOKE_SERVER, namespace: '*' }]);
    expect([...spoke.files.keys()].some((f) => f === 'apps/appproject-plinth.yaml')).toBe(false);
    expect(await customResourceProblems(spoke.objects)).toEqual([]);
  });

  it("promotes across clusters with the hub's Kargo: staging (spoke) then production (hub), each from its own tree", async () => {
    const { hub, spoke } = trees(hubAndSpoke());
    const stage = (name: string) => find(hub, `workloads/web/pipeline/stage-${name}.yaml`);
    expect(stage('staging').spec.requestedFreight[0].sources).toEqual({ direct: true });
    expect(stage('production').spec.requestedFreight[0].sources).toEqual({ stages: ['staging'] });
    expect(stage('staging').spec.promotionTemplate.spec.steps[0].vars).toEqual([{ name: 'stagesPath', value: 'rendered/staging/workloads/web/stages' }]);
    expect(stage('production').spec.promotionTemplate.spec.steps[0].vars).toBeUndefined();
    const task = find(hub, 'workloads/web/pipeline/promotiontask-promote.yaml');
    expect(task.spec.vars).toContainEqual({ name: 'stagesPath', value: 'rendered/production/workloads/web/stages' });
    expect(JSON.stringify(task.spec.steps)).toContain('./src/${{ vars.stagesPath }}/${{ ctx.stage }}/kustomization.yaml');
    const update = task.spec.steps.find((s: any) => s.uses === 'argocd-update');
    expect(update.config.apps[0]).toMatchObject({ name: 'web-${{ ctx.stage }}', namespace: 'argocd' });
    // The spoke renders its stage and nothing of Kargo's; its stage Application is the one argocd-update finds.
    expect(spoke.objects.some((o) => o.object.apiVersion.startsWith('kargo.akuity.io/'))).toBe(false);
    expect(find(spoke, 'apps/web-staging.yaml').metadata.annotations['kargo.akuity.io/authorized-stage']).toBe('kargo-web:staging');
    expect(spoke.files.has('workloads/web/stages/staging/kustomization.yaml')).toBe(true);
    expect(hub.files.has('workloads/web/stages/staging/kustomization.yaml')).toBe(false);
    expect(await customResourceProblems(hub.objects.filter((o) => o.file.startsWith('workloads/web/pipeline/')))).toEqual([]);
  });

  it('leaves a config without a hub as it was: the promotion task names its folder, no stage vars', () => {
    const config = hubAndSpoke();
    delete config.environments.staging.managedBy;
    delete config.environments.staging.server;
    config.environments.staging.components = {};
    const { hub } = trees(config);
    const task = find(hub, 'workloads/web/pipeline/promotiontask-promote.yaml');
    expect(task.spec.vars.map((v: any) => v.name)).toEqual(['repoURL', 'revision', 'image']);
    expect(JSON.stringify(task.spec.steps)).toContain('./src/rendered/production/workloads/web/stages/${{ ctx.stage }}');
    expect(hub.objects.some((o) => o.file.includes('cluster-staging'))).toBe(false);
  });

  it("moves a multi-chart component's extra Applications to the spoke's apps/, so that they too live on the hub", () => {
    const { spoke } = trees(hubAndSpoke((c) => (c.components.istio = {})));
    const istiod = find(spoke, 'apps/staging-istiod.yaml');
    expect(istiod.metadata.namespace).toBe('argocd');
    expect(istiod.spec.destination.server).toBe(SPOKE_SERVER);
    expect(istiod.spec.project).toBe('plinth-staging');
    expect([...spoke.files.keys()].filter((f) => f.startsWith('manifests/istio/'))).toEqual([]);
    // Its component keeps its chart, and no source in the now empty folder (Argo CD fails a path that does not exist).
    const sources = find(spoke, 'apps/istio.yaml').spec.sources as { chart?: string; path?: string }[];
    expect(sources.map((s) => s.chart ?? s.path)).toEqual(['base']);
  });

  it("renders a cluster declared by hand in components['argo-cd'].clusters: its cluster Secret, no root; it needs External Secrets", () => {
    const config = minimalCluster();
    config.components['argo-cd'] = { clusters: [{ name: 'lab', server: 'https://lab.example.org:6443' }] };
    const tree = renderTree(resolveEnvironments(config, registry)[0]!, registry);
    expect(find(tree, 'manifests/argo-cd/externalsecret-cluster-lab.yaml').spec.target.template.data.server).toBe('https://lab.example.org:6443');
    expect(tree.objects.filter((o) => o.file.startsWith('manifests/argo-cd/application-'))).toEqual([]);
    delete config.components['external-secrets'];
    config.components = { 'argo-cd': { ingress: false, clusters: [{ name: 'lab', server: 'http://lab.example.org' }] } };
    config.apps = [];
    config.postgres = { servers: [], databases: [] };
    config.topics = [];
    config.caches = [];
    const issues = environmentsRejectionOf(config).map((i) => `${i.path}: ${i.message}`);
    expect(issues).toContain('components["argo-cd"].clusters[0].server: "http://lab.example.org" must be the https URL of the cluster\'s API server, e.g. "https://10.0.0.10:6443"');
    config.components['argo-cd'].clusters[0].server = 'https://lab.example.org';
    expect(environmentsRejectionOf(config).map((i) => `${i.path}: ${i.message}`)).toEqual(['components["argo-cd"]: "argo-cd" uses "external-secrets", which is not enabled']);
  });

  it('is byte-identical run to run', () => {
    const [a, b] = [trees(hubAndSpoke()), trees(hubAndSpoke())];
    expect([...a.hub.files]).toEqual([...b.hub.files]);
    expect([...a.spoke.files]).toEqual([...b.spoke.files]);
  });

  it('refuses a hub that cannot manage the spoke, a spoke running its own Argo CD, and a stage in both', () => {
    // The hub runs Kargo for the spoke's stages as for its own: the apps need it there, and only there.
    expect(environmentsRejectionOf(hubAndSpoke((c) => (c.environments.production.components = { kargo: false })))).toEqual([
      expect.objectContaining({ path: 'apps', message: expect.stringMatching(/"kargo".*\(in environment "production"\)$/) }),
    ]);
    const withoutApps = (c: Record<string, any>) => {
      c.apps = [];
      delete c.environments.production.stages;
      delete c.environments.staging.stages;
    };
    expect(environmentsRejectionOf(hubAndSpoke((c) => (withoutApps(c), (c.environments.production.components = { 'argo-cd': false, kargo: false }))))).toEqual([
      expect.objectContaining({ path: 'environments.staging.managedBy', message: 'environment "production" runs no Argo CD to manage this one' }),
    ]);
    expect(environmentsRejectionOf(hubAndSpoke((c) => (c.environments.staging.components = { kargo: false })))).toEqual([
      expect.objectContaining({ path: 'environments.staging.components["argo-cd"]', hint: expect.stringContaining('"argo-cd": false') }),
    ]);
    expect(environmentsRejectionOf(hubAndSpoke((c) => (c.environments.staging.stages = ['staging', 'production'])))).toEqual([
      expect.objectContaining({ path: 'environments.staging.stages[1]', message: expect.stringContaining('also runs in environment "production"') }),
    ]);
    expect(environmentsRejectionOf(hubAndSpoke((c) => delete c.environments.production.stages))).toEqual([
      expect.objectContaining({ path: 'environments.staging.stages[0]', hint: 'list the stages each environment runs: environments.production.stages and environments.staging.stages' }),
    ]);
    expect(environmentsRejectionOf(hubAndSpoke((c) => (c.environments.staging.git = { repoURL: 'https://git.example.org/staging.git' })))).toEqual([
      {
        path: 'environments.staging.git',
        message: "the hub's Kargo promotes this environment's stages from https://git.example.org/infra.git (main), but its tree is in https://git.example.org/staging.git (main)",
        hint: "keep the spoke's tree in the hub's repository and revision (another git.path is fine), or run the stages elsewhere",
      },
    ]);
  });
});
