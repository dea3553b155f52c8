// Hub mode on a real API server: the production environment's Argo CD manages the staging cluster too. Applying the
// hub's tree gives the hub the spoke's cluster Secret (from its ExternalSecret's template) and the spoke's root;
// what that root syncs (the spoke's Applications) lands on the hub, targeting the spoke's API server.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadEnvironments } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { configDir, REPO, runCli, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const SPOKE = 'https://staging.example.org:6443';
const config = {
  name: 'seed',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: {
    'argo-cd': { ingress: false },
    'external-secrets': {},
    'secret-generator': {},
    'cert-manager': { acmeEmail: 'ops@example.org', issuer: 'local-ca' },
    kargo: { ingress: false },
  },
  apps: [{ name: 'web', image: 'ghcr.io/example/web', stages: ['staging', 'production'] }],
  environments: {
    // The control plane's kubeconfig names its one context "plinth".
    production: { context: 'plinth', stages: ['production'] },
    staging: { context: 'staging', managedBy: 'production', server: SPOKE, stages: ['staging'], components: { 'argo-cd': false, kargo: false } },
  },
};
let dir: string;

const get = (apiVersion: string, kind: string, name: string, namespace?: string) =>
  cluster.live.get({ apiVersion, kind, metadata: { name, ...(namespace && { namespace }) } }) as Promise<(K8sObject & Record<string, any>) | undefined>;

/** An ExternalSecret template value rendered by Go's text/template, as external-secrets renders it (test/esotemplate). */
async function goTemplate(template: string, data: Record<string, string>): Promise<string> {
  const child = promisify(execFile)('go', ['run', join(REPO, 'test', 'esotemplate', 'main.go')], { env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '' } });
  child.child.stdin!.end(JSON.stringify({ template, data }));
  return (await child).stdout;
}

beforeAll(async () => {
  dir = await configDir(config, 'plinth-hub-');
});

describe('hub mode on a control plane', () => {
  it("apply --env of the hub gives its Argo CD the spoke's cluster Secret and root, and its Kargo the spoke's stage", { timeout: 300_000 }, async () => {
    const applied = await runCli(['apply', '--env', 'production', '--crds', join(UPSTREAM, 'crds'), '--kubeconfig', cluster.control.kubeconfig, '--json'], { cwd: dir });
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ failed: [] });

    const external = (await get('external-secrets.io/v1', 'ExternalSecret', 'cluster-staging', 'argocd'))!;
    expect(external.spec.target.template.metadata.labels).toEqual({ 'argocd.argoproj.io/secret-type': 'cluster' });
    expect(external.spec.data.map((d: any) => d.remoteRef.key)).toEqual(['argocd-cluster-staging', 'argocd-cluster-staging']);

    // What external-secrets makes of it once the input is set: the Secret Argo CD reads as a cluster.
    const data = external.spec.target.template.data as Record<string, string>;
    const values = { bearerToken: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln', caData: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') };
    const stringData = Object.fromEntries(await Promise.all(Object.entries(data).map(async ([key, template]) => [key, await goTemplate(template, values)] as const)));
    await cluster.live.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cluster-staging', namespace: 'argocd', labels: external.spec.target.template.metadata.labels },
      type: 'Opaque',
      stringData,
    } as K8sObject);
    const secret = (await get('v1', 'Secret', 'cluster-staging', 'argocd'))!;
    const decoded = (key: string) => Buffer.from(secret.data[key], 'base64').toString();
    expect(secret.metadata.labels!['argocd.argoproj.io/secret-type']).toBe('cluster');
    expect([decoded('name'), decoded('server')]).toEqual(['staging', SPOKE]);
    expect(JSON.parse(decoded('config'))).toEqual({ bearerToken: values.bearerToken, tlsClientConfig: { insecure: false, caData: values.caData } });

    const root = (await get('argoproj.io/v1alpha1', 'Application', 'seed-staging-root', 'argocd'))!;
    expect(root.spec.source.path).toBe('rendered/staging/apps');
    expect(root.metadata.finalizers).toBeUndefined();

    // Kargo on the hub promotes staging (on the spoke) before production (here), each from its own tree.
    const stage = (name: string) => get('kargo.akuity.io/v1alpha1', 'Stage', name, 'kargo-web');
    expect((await stage('staging'))!.spec.promotionTemplate.spec.steps[0].vars).toEqual([{ name: 'stagesPath', value: 'rendered/staging/workloads/web/stages' }]);
    expect((await stage('production'))!.spec.requestedFreight[0].sources).toEqual({ stages: ['staging'] });
    // The hub runs no workload of the spoke's stage.
    expect(await get('argoproj.io/v1alpha1', 'Application', 'web-staging', 'argocd')).toBeUndefined();
  });

  it("the spoke's root syncs the spoke's Applications onto the hub, each targeting the spoke's API server", { timeout: 120_000 }, async () => {
    // What the hub's Argo CD does with the root: apply the spoke tree's apps/ on the hub.
    const { clusters } = await loadEnvironments(dir, undefined, registry);
    const spoke = renderTree(clusters.find((c) => c.config.environment?.name === 'staging')!, registry);
    const synced = spoke.objects.filter((o) => o.file.startsWith('apps/')).map((o) => o.object);
    for (const object of synced.sort((a, b) => Number(b.kind === 'AppProject') - Number(a.kind === 'AppProject'))) await cluster.live.apply(object);

    const project = (await get('argoproj.io/v1alpha1', 'AppProject', 'plinth-staging', 'argocd'))!;
    expect(project.spec.destinations).toEqual([{ server: SPOKE, namespace: '*' }]);
    const live = (await cluster.live.list('argoproj.io/v1alpha1', 'Application', { namespace: 'argocd' })) as (K8sObject & Record<string, any>)[];
    const spokes = live.filter((a) => a.spec.project === 'plinth-staging');
    expect(spokes.map((a) => a.metadata.name).sort()).toEqual(['staging-cert-manager', 'staging-external-secrets', 'staging-secret-generator', 'web-staging']);
    for (const app of spokes) expect(app.spec.destination.server, app.metadata.name).toBe(SPOKE);
    // The hub's own Applications stay on the hub.
    const own = live.filter((a) => a.spec.project === 'plinth');
    expect(own.map((a) => a.metadata.name)).toContain('argo-cd');
    for (const app of own) expect(app.spec.destination.server, app.metadata.name).toBe('https://kubernetes.default.svc');
    // Kargo's argocd-update finds the stage's Application where it runs: the hub's Argo CD namespace, by its name.
    const web = spokes.find((a) => a.metadata.name === 'web-staging')!;
    expect(web.metadata.annotations!['kargo.akuity.io/authorized-stage']).toBe('kargo-web:staging');
  });
});
