import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { APPLICATION_HEALTH_LUA } from '../components/argo-cd/index.ts';
import { loadCluster } from '../config/load.ts';
import { resolveCluster, type ResolvedCluster } from '../config/validate.ts';
import { minimalCluster, REPO } from '../../test/helpers.ts';
import { chartFacts, crdValidator, customResourceProblems, valuesValidator } from '../../test/upstream.ts';
import { renderTree, type RenderedTree } from './render.ts';
import { HEADER } from './yaml.ts';

let resolved: ResolvedCluster;
let tree: RenderedTree;
const object = (file: string) => parse(tree.files.get(file)!, { version: '1.1' }) as Record<string, any>;

beforeAll(async () => {
  resolved = await loadCluster(REPO, undefined, registry);
  tree = renderTree(resolved, registry);
});

describe('the default cluster (plinth.config.ts)', () => {
  it('renders the expected files', () => {
    expect([...tree.files.keys()]).toEqual([
      'README.md',
      'apps/argo-cd.yaml',
      'apps/cert-manager.yaml',
      'bootstrap/root.yaml',
      'manifests/cert-manager/clusterissuer-letsencrypt-prod.yaml',
      'manifests/cert-manager/clusterissuer-letsencrypt-staging.yaml',
    ]);
    for (const [file, content] of tree.files) if (file.endsWith('.yaml')) expect(content.startsWith(HEADER)).toBe(true);
  });

  it('renders a root Application over the apps folder of the infra repo', () => {
    const root = object('bootstrap/root.yaml');
    expect(root.kind).toBe('Application');
    expect(root.metadata).toEqual({
      name: 'mswa-root',
      namespace: 'argocd',
      labels: { 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'bootstrap' },
    });
    expect(root.spec.source).toEqual({
      repoURL: 'https://github.com/Mobility-Scooter-Web-App/infra.git',
      targetRevision: 'main',
      path: 'rendered/apps',
    });
    expect(root.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
  });

  it('pins the argo-cd chart, checks Application health and exposes the UI like the seed', () => {
    const app = object('apps/argo-cd.yaml');
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
    expect(app.spec.sources).toHaveLength(1);
    const [chart] = app.spec.sources;
    expect(chart).toMatchObject({ repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', targetRevision: '10.1.1' });
    const values = chart.helm.valuesObject;
    expect(values.configs.cm['resource.customizations.health.argoproj.io_Application']).toBe(APPLICATION_HEALTH_LUA);
    expect(values.configs.cm['timeout.reconciliation']).toBe('180s');
    expect(values.configs.params['server.insecure']).toBe(true);
    const host = 'argocd.cis240470.projects.jetstream-cloud.org';
    expect(values.server.ingress).toEqual({
      enabled: true,
      ingressClassName: 'traefik',
      hostname: host,
      annotations: {
        'external-dns.alpha.kubernetes.io/hostname': host,
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
      },
      extraTls: [{ hosts: [host], secretName: 'argocd-tls' }],
    });
  });

  it('renders cert-manager with its CRDs and both Let\'s Encrypt issuers solving DNS01 through Designate', () => {
    const app = object('apps/cert-manager.yaml');
    expect(app.spec.sources).toEqual([
      {
        repoURL: 'https://charts.jetstack.io',
        chart: 'cert-manager',
        targetRevision: 'v1.21.1',
        helm: { releaseName: 'cert-manager', valuesObject: { crds: { enabled: true, keep: true } } },
      },
      {
        repoURL: 'https://github.com/Mobility-Scooter-Web-App/infra.git',
        targetRevision: 'main',
        path: 'rendered/manifests/cert-manager',
      },
    ]);
    for (const [name, server] of [
      ['letsencrypt-prod', 'https://acme-v02.api.letsencrypt.org/directory'],
      ['letsencrypt-staging', 'https://acme-staging-v02.api.letsencrypt.org/directory'],
    ] as const) {
      const issuer = object(`manifests/cert-manager/clusterissuer-${name}.yaml`);
      expect(issuer.metadata.name).toBe(name);
      expect(issuer.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'cert-manager' });
      expect(issuer.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' });
      expect(issuer.spec.acme).toEqual({
        email: 'ops@cis240470.projects.jetstream-cloud.org',
        server,
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [{ dns01: { webhook: { groupName: 'acme.syseleven.de', solverName: 'designatedns' } } }],
      });
    }
  });

  it('describes each component: wave, needs, chart, secret inputs and health checks', () => {
    const argo = tree.components.find((c) => c.id === 'argo-cd')!;
    expect(argo.secrets.map((s) => s.name)).toEqual(['argocd-repo-credentials']);
    expect(argo.health.map((h) => `${h.kind}/${h.name}`)).toEqual([
      'Deployment/argocd-server',
      'Deployment/argocd-repo-server',
      'StatefulSet/argocd-application-controller',
    ]);
  });

  it('writes no Secret objects', () => {
    for (const entry of tree.objects) expect(entry.object.kind).not.toBe('Secret');
  });
});

describe('against upstream facts', () => {
  it('pins every chart to the coordinates in the upstream charts.json', async () => {
    const facts = await chartFacts();
    for (const component of tree.components.filter((c) => c.chart)) {
      const fact = facts.find((f) => f.component === component.id);
      expect(fact, component.id).toBeDefined();
      expect(component.chart).toMatchObject({ repoURL: fact!.chartRepo, chart: fact!.chart, version: fact!.version });
    }
  });

  it('renders Applications the Argo CD Application CRD accepts', async () => {
    const validate = await crdValidator('argo-cd/application-crd.yaml', 'v1alpha1');
    const applications = tree.objects.filter((o) => o.object.kind === 'Application');
    expect(applications).toHaveLength(3);
    for (const { file, object } of applications) {
      expect(validate(object) ? [] : validate.errors, file).toEqual([]);
    }
  });

  it('renders ClusterIssuers the cert-manager CRD accepts', async () => {
    const validate = await crdValidator('cert-manager/cert-manager.io_clusterissuers.yaml', 'v1');
    for (const solver of ['designate', 'http01']) {
      const config = minimalCluster();
      config.components['cert-manager'].solver = solver;
      const issuers = renderTree(resolveCluster(config, registry), registry).objects.filter((o) => o.object.kind === 'ClusterIssuer');
      expect(issuers).toHaveLength(2);
      for (const { object } of issuers) expect(validate(object) ? [] : validate.errors).toEqual([]);
    }
  });

  it('catches a typo the CRD schema does not allow (the check can fail)', async () => {
    const validate = await crdValidator('cert-manager/cert-manager.io_clusterissuers.yaml', 'v1');
    const issuer = structuredClone(object('manifests/cert-manager/clusterissuer-letsencrypt-prod.yaml'));
    issuer.spec.acme.emial = issuer.spec.acme.email;
    expect(validate(issuer)).toBe(false);
  });

  it("renders cert-manager values its chart's values schema accepts", async () => {
    const validate = await valuesValidator('cert-manager-values.schema.json');
    const config = minimalCluster();
    config.components['cert-manager'].recursiveNameservers = ['1.1.1.1:53', '8.8.8.8:53'];
    const app = renderTree(resolveCluster(config, registry), registry).objects.find((o) => o.file === 'apps/cert-manager.yaml')!;
    const values = (app.object.spec as any).sources[0].helm.valuesObject;
    expect(values.dns01RecursiveNameservers).toBe('1.1.1.1:53,8.8.8.8:53');
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...values, crd: { enabled: true } })).toBe(false);
  });
});

describe('renderTree', () => {
  it('is deterministic', () => {
    const again = renderTree(resolved, registry);
    expect([...again.files]).toEqual([...tree.files]);
  });

  it('turns dependency depth into sync waves', () => {
    const config = minimalCluster();
    config.components['cert-manager'].needs = ['argo-cd'];
    const rendered = renderTree(resolveCluster(config, registry), registry);
    const wave = (id: string) => parse(rendered.files.get(`apps/${id}.yaml`)!).metadata.annotations['argocd.argoproj.io/sync-wave'];
    expect([wave('argo-cd'), wave('cert-manager')]).toEqual(['0', '1']);
  });

  it('merges raw values last and renders extra objects with Plinth labels', () => {
    const config = minimalCluster();
    config.components['cert-manager'].values = { crds: { keep: false }, replicaCount: 2 };
    config.components['cert-manager'].namespace = 'certs';
    config.components['argo-cd'] = {
      extraObjects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes', namespace: 'argocd' }, data: { on: 'yes' } }],
    };
    const rendered = renderTree(resolveCluster(config, registry), registry);
    const certManager = parse(rendered.files.get('apps/cert-manager.yaml')!);
    expect(certManager.spec.sources[0].helm.valuesObject).toEqual({ crds: { enabled: true, keep: false }, replicaCount: 2 });
    expect(certManager.spec.destination.namespace).toBe('certs');
    const configMap = rendered.files.get('manifests/argo-cd/configmap-notes.yaml')!;
    // Go YAML readers take an unquoted `yes` or `on` for a boolean.
    expect(configMap).toContain('data:\n  "on": "yes"\n');
    expect(parse(configMap).metadata.labels['plinth.dev/component']).toBe('argo-cd');
    const argo = parse(rendered.files.get('apps/argo-cd.yaml')!);
    expect(argo.spec.sources[1]).toEqual({
      repoURL: 'https://git.example.org/infra.git',
      targetRevision: 'main',
      path: 'rendered/manifests/argo-cd',
    });
  });

  it('refuses two objects that would share a file', () => {
    const config = minimalCluster();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'same' } };
    config.components['argo-cd'] = { extraObjects: [cm, { ...cm, data: {} }] };
    expect(() => renderTree(resolveCluster(config, registry), registry)).toThrow(
      'ConfigMap/same and ConfigMap/same would both be written to manifests/argo-cd/configmap-same.yaml',
    );
  });
});

describe('every custom resource of the default cluster', () => {
  it('validates against its upstream CRD', async () => {
    expect(await customResourceProblems(tree.objects)).toEqual([]);
  });

  it('is reported when it does not (the check can fail)', async () => {
    const broken = { file: 'x.yaml', object: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'x' }, spec: { acme: { server: 1 } } } };
    const unknown = { file: 'y.yaml', object: { apiVersion: 'example.org/v1', kind: 'Nope', metadata: { name: 'y' } } };
    const problems = await customResourceProblems([broken, unknown]);
    expect(problems.some((p) => p.startsWith('x.yaml: /spec/acme/server must be string'))).toBe(true);
    expect(problems).toContain('y.yaml: no upstream CRD serves example.org/v1/Nope');
  });
});
