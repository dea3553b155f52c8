import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { APPLICATION_HEALTH_LUA } from '../components/argo-cd/index.ts';
import { loadCluster } from '../config/load.ts';
import { resolveCluster, type ResolvedCluster } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { minimalCluster, REPO } from '../../test/helpers.ts';
import { chartFactId, chartFacts, crdValidator, customResourceProblems, valuesValidator } from '../../test/upstream.ts';
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
      'apps/api-pipeline.yaml',
      'apps/api-production.yaml',
      'apps/api-staging.yaml',
      'apps/appproject-plinth.yaml',
      'apps/argo-cd.yaml',
      'apps/cert-manager.yaml',
      'apps/cloudnative-pg.yaml',
      'apps/clustersecret.yaml',
      'apps/designate-webhook.yaml',
      'apps/devpod.yaml',
      'apps/eraser.yaml',
      'apps/external-dns.yaml',
      'apps/external-secrets.yaml',
      'apps/grafana.yaml',
      'apps/kargo.yaml',
      'apps/keda.yaml',
      'apps/redpanda.yaml',
      'apps/secret-generator.yaml',
      'apps/traefik.yaml',
      'apps/valkey.yaml',
      'apps/video-worker-pipeline.yaml',
      'apps/video-worker-production.yaml',
      'apps/video-worker-staging.yaml',
      'apps/web-pipeline.yaml',
      'apps/web-production.yaml',
      'apps/web-staging.yaml',
      'bootstrap/root.yaml',
      'manifests/argo-cd/externalsecret-infra-repository.yaml',
      'manifests/cert-manager/clusterissuer-letsencrypt-prod.yaml',
      'manifests/cert-manager/clusterissuer-letsencrypt-staging.yaml',
      'manifests/cloudnative-pg/cluster-databases-main.yaml',
      'manifests/cloudnative-pg/database-databases-mswa-staging.yaml',
      'manifests/cloudnative-pg/database-databases-mswa.yaml',
      'manifests/cloudnative-pg/namespace-databases.yaml',
      'manifests/cloudnative-pg/podmonitor-databases-main.yaml',
      'manifests/cloudnative-pg/stringsecret-databases-pg-mswa-staging.yaml',
      'manifests/cloudnative-pg/stringsecret-databases-pg-mswa.yaml',
      'manifests/clustersecret/clustersecret-pg-mswa-staging.yaml',
      'manifests/clustersecret/clustersecret-pg-mswa.yaml',
      'manifests/clustersecret/clustersecret-valkey-sessions-staging.yaml',
      'manifests/clustersecret/clustersecret-valkey-sessions.yaml',
      'manifests/designate-webhook/externalsecret-designate-credentials.yaml',
      'manifests/devpod/clusterrole-plinth-devpod.yaml',
      'manifests/eraser/configmap-plinth-excluded-images.yaml',
      'manifests/external-dns/externalsecret-external-dns-clouds-yaml.yaml',
      'manifests/external-secrets/clustersecretstore-plinth-secrets.yaml',
      'manifests/external-secrets/namespace-plinth-secrets.yaml',
      'manifests/external-secrets/role-plinth-secrets-secret-store-reader.yaml',
      'manifests/external-secrets/role-plinth-secrets-secret-store-token-issuer.yaml',
      'manifests/external-secrets/rolebinding-plinth-secrets-secret-store-reader.yaml',
      'manifests/external-secrets/rolebinding-plinth-secrets-secret-store-token-issuer.yaml',
      'manifests/external-secrets/serviceaccount-plinth-secrets-secret-store-reader.yaml',
      'manifests/grafana/externalsecret-grafana-api-token.yaml',
      'manifests/grafana/externalsecret-grafana-discord-webhook.yaml',
      'manifests/grafana/grafana-grafana.yaml',
      'manifests/grafana/grafanaalertrulegroup-certificates.yaml',
      'manifests/grafana/grafanaalertrulegroup-databases.yaml',
      'manifests/grafana/grafanaalertrulegroup-delivery.yaml',
      'manifests/grafana/grafanaalertrulegroup-messaging.yaml',
      'manifests/grafana/grafanaalertrulegroup-nodes.yaml',
      'manifests/grafana/grafanaalertrulegroup-secrets.yaml',
      'manifests/grafana/grafanaalertrulegroup-storage.yaml',
      'manifests/grafana/grafanaalertrulegroup-workloads.yaml',
      'manifests/grafana/grafanacontactpoint-discord.yaml',
      'manifests/grafana/grafanafolder-plinth-alerts.yaml',
      'manifests/grafana/grafananotificationpolicy-discord.yaml',
      'manifests/kargo/externalsecret-kargo-admin.yaml',
      'manifests/kargo/stringsecret-kargo-token-signing-key.yaml',
      'manifests/redpanda/redpanda-redpanda.yaml',
      'manifests/redpanda/topic-videos-staging.yaml',
      'manifests/redpanda/topic-videos.yaml',
      'manifests/valkey/stringsecret-valkey-sessions-staging.yaml',
      'manifests/valkey/stringsecret-valkey-sessions.yaml',
      'manifests/valkey/valkeycluster-sessions-staging.yaml',
      'manifests/valkey/valkeycluster-sessions.yaml',
      'workloads/api/pipeline/cluster-namespace-kargo-api.yaml',
      'workloads/api/pipeline/cluster-project-kargo-api.yaml',
      'workloads/api/pipeline/externalsecret-git-credentials.yaml',
      'workloads/api/pipeline/externalsecret-kargo-webhook.yaml',
      'workloads/api/pipeline/projectconfig-kargo-api.yaml',
      'workloads/api/pipeline/promotiontask-promote.yaml',
      'workloads/api/pipeline/stage-production.yaml',
      'workloads/api/pipeline/stage-staging.yaml',
      'workloads/api/pipeline/warehouse-api.yaml',
      'workloads/api/stages/production/deployment-api.yaml',
      'workloads/api/stages/production/kustomization.yaml',
      'workloads/api/stages/production/networkpolicy-api.yaml',
      'workloads/api/stages/production/poddisruptionbudget-api.yaml',
      'workloads/api/stages/production/service-api.yaml',
      'workloads/api/stages/production/serviceaccount-api.yaml',
      'workloads/api/stages/staging/deployment-api.yaml',
      'workloads/api/stages/staging/kustomization.yaml',
      'workloads/api/stages/staging/networkpolicy-api.yaml',
      'workloads/api/stages/staging/poddisruptionbudget-api.yaml',
      'workloads/api/stages/staging/service-api.yaml',
      'workloads/api/stages/staging/serviceaccount-api.yaml',
      'workloads/video-worker/pipeline/cluster-namespace-kargo-video-worker.yaml',
      'workloads/video-worker/pipeline/cluster-project-kargo-video-worker.yaml',
      'workloads/video-worker/pipeline/externalsecret-git-credentials.yaml',
      'workloads/video-worker/pipeline/externalsecret-kargo-webhook.yaml',
      'workloads/video-worker/pipeline/projectconfig-kargo-video-worker.yaml',
      'workloads/video-worker/pipeline/promotiontask-promote.yaml',
      'workloads/video-worker/pipeline/stage-production.yaml',
      'workloads/video-worker/pipeline/stage-staging.yaml',
      'workloads/video-worker/pipeline/warehouse-video-worker.yaml',
      'workloads/video-worker/stages/production/deployment-video-worker.yaml',
      'workloads/video-worker/stages/production/kustomization.yaml',
      'workloads/video-worker/stages/production/networkpolicy-video-worker.yaml',
      'workloads/video-worker/stages/production/poddisruptionbudget-video-worker.yaml',
      'workloads/video-worker/stages/production/scaledobject-video-worker.yaml',
      'workloads/video-worker/stages/production/service-video-worker.yaml',
      'workloads/video-worker/stages/production/serviceaccount-video-worker.yaml',
      'workloads/video-worker/stages/staging/deployment-video-worker.yaml',
      'workloads/video-worker/stages/staging/kustomization.yaml',
      'workloads/video-worker/stages/staging/networkpolicy-video-worker.yaml',
      'workloads/video-worker/stages/staging/poddisruptionbudget-video-worker.yaml',
      'workloads/video-worker/stages/staging/scaledobject-video-worker.yaml',
      'workloads/video-worker/stages/staging/service-video-worker.yaml',
      'workloads/video-worker/stages/staging/serviceaccount-video-worker.yaml',
      'workloads/web/pipeline/cluster-namespace-kargo-web.yaml',
      'workloads/web/pipeline/cluster-project-kargo-web.yaml',
      'workloads/web/pipeline/externalsecret-git-credentials.yaml',
      'workloads/web/pipeline/externalsecret-kargo-webhook.yaml',
      'workloads/web/pipeline/projectconfig-kargo-web.yaml',
      'workloads/web/pipeline/promotiontask-promote.yaml',
      'workloads/web/pipeline/stage-production.yaml',
      'workloads/web/pipeline/stage-staging.yaml',
      'workloads/web/pipeline/warehouse-web.yaml',
      'workloads/web/stages/production/deployment-web.yaml',
      'workloads/web/stages/production/ingress-web.yaml',
      'workloads/web/stages/production/kustomization.yaml',
      'workloads/web/stages/production/networkpolicy-web.yaml',
      'workloads/web/stages/production/poddisruptionbudget-web.yaml',
      'workloads/web/stages/production/service-web.yaml',
      'workloads/web/stages/production/serviceaccount-web.yaml',
      'workloads/web/stages/staging/deployment-web.yaml',
      'workloads/web/stages/staging/ingress-web.yaml',
      'workloads/web/stages/staging/kustomization.yaml',
      'workloads/web/stages/staging/networkpolicy-web.yaml',
      'workloads/web/stages/staging/poddisruptionbudget-web.yaml',
      'workloads/web/stages/staging/service-web.yaml',
      'workloads/web/stages/staging/serviceaccount-web.yaml',
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
    expect(app.spec.sources).toHaveLength(2);
    const [chart, manifests] = app.spec.sources;
    expect(manifests).toEqual({
      repoURL: 'https://github.com/Mobility-Scooter-Web-App/infra.git',
      targetRevision: 'main',
      path: 'rendered/manifests/argo-cd',
    });
    expect(chart).toMatchObject({ repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', targetRevision: '10.1.1' });
    const values = chart.helm.valuesObject;
    expect(values.configs.cm['resource.customizations.health.argoproj.io_Application']).toBe(APPLICATION_HEALTH_LUA);
    expect(values.configs.cm['timeout.reconciliation']).toBe('180s');
    expect(values.configs.params['server.insecure']).toBe(true);
    expect(values.configs.params['controller.diff.server.side']).toBe(true);
    const host = 'argocd.cis240470.projects.jetstream-cloud.org';
    expect(values.server.ingress).toEqual({
      enabled: true,
      ingressClassName: 'traefik',
      hostname: host,
      annotations: {
        'external-dns.alpha.kubernetes.io/hostname': host,
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
        // Served once traefik, in the same wave, has an address: never a part of Argo CD's health for wave gating.
        'argocd.argoproj.io/ignore-healthcheck': 'true',
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
        // The chart's ServiceMonitor, for the certificate alerts (src/components/cert-manager/alerts.ts).
        helm: { releaseName: 'cert-manager', valuesObject: { crds: { enabled: true, keep: true }, prometheus: { enabled: true, servicemonitor: { enabled: true, labels: { release: 'magnum' } } } } },
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

  it('delivers the infra repository token through External Secrets, never in the tree', () => {
    const secret = object('manifests/argo-cd/externalsecret-infra-repository.yaml');
    expect(secret.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'plinth-secrets' });
    expect(secret.spec.data).toEqual([{ secretKey: 'token', remoteRef: { key: 'argocd-repo-credentials', property: 'token' } }]);
    expect(secret.spec.target.template.metadata.labels).toEqual({ 'argocd.argoproj.io/secret-type': 'repository' });
    expect(secret.spec.target.template.data).toMatchObject({ url: 'https://github.com/Mobility-Scooter-Web-App/infra.git', password: '{{ .token }}' });
  });

  it('orders the components in waves from their declared needs', () => {
    const waves = Object.fromEntries(tree.components.map((c) => [c.id, c.wave]));
    expect(waves).toEqual({
      'argo-cd': 0, 'cert-manager': 0, clustersecret: 0, devpod: 0, eraser: 0, 'external-secrets': 0, keda: 0, redpanda: 0,
      'secret-generator': 0, traefik: 0,
      'cloudnative-pg': 1, 'designate-webhook': 1, 'external-dns': 1, grafana: 1, kargo: 1, valkey: 1,
    });
    expect(object('apps/kargo.yaml').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
  });

  it('describes each component: wave, needs, chart, secret inputs and health checks', () => {
    const argo = tree.components.find((c) => c.id === 'argo-cd')!;
    expect(argo.secrets.map((s) => s.name)).toEqual(['argocd-repo-credentials']);
    expect(argo.health.map((h) => `${h.kind}/${h.name}`)).toEqual([
      'Deployment/argocd-server',
      'Deployment/argocd-repo-server',
      'StatefulSet/argocd-application-controller',
      // Its scrape target, with grafana collecting alerts: Prometheus reads the Application statuses from it.
      'ServiceMonitor/argocd-application-controller',
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
      const fact = facts.find((f) => f.component === chartFactId(component.id));
      expect(fact, component.id).toBeDefined();
      expect(component.chart, component.id).toMatchObject({ repoURL: fact!.chartRepo, chart: fact!.chart, version: fact!.version });
      // Argo CD takes an OCI Helm repository without its scheme.
      const source = object(`apps/${component.id}.yaml`).spec.sources[0];
      expect(source.repoURL, component.id).toBe(fact!.chartRepo.replace(/^oci:\/\//, ''));
    }
  });

  it('renders Applications the Argo CD Application CRD accepts', async () => {
    const validate = await crdValidator('argo-cd/application-crd.yaml', 'v1alpha1');
    const applications = tree.objects.filter((o) => o.object.kind === 'Application');
    // One per component, the root, and per app its pipeline and one per stage.
    const appApplications = resolved.config.apps.reduce((n, app) => n + 1 + app.stages.length, 0);
    expect(applications).toHaveLength(tree.components.length + 1 + appApplications);
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
    config.components['argo-cd'] = { extraObjects: [cm, { ...cm, apiVersion: 'example.org/v1' }] };
    expect(() => renderTree(resolveCluster(config, registry), registry)).toThrow(
      'ConfigMap/same and ConfigMap/same would both be written to manifests/argo-cd/configmap-same.yaml',
    );
  });
});

describe('an object rendered twice', () => {
  const rejection = (config: Record<string, any>) => {
    try {
      renderTree(resolveCluster(config, registry), registry);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues;
      throw error;
    }
    throw new Error('rendered without an error');
  };
  const warehouse = { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Warehouse', metadata: { name: 'web', namespace: 'kargo-web' }, spec: {} };

  it("is a config error naming both sources and both Applications when extraObjects override an app's object", () => {
    const config = minimalCluster();
    config.components.kargo = { extraObjects: [warehouse] };
    expect(rejection(config)).toEqual([
      {
        path: 'components.kargo.extraObjects[0]',
        message:
          'Warehouse/kargo-web/web (kargo.akuity.io/v1alpha1) is rendered twice: by components.kargo.extraObjects[0] (manifests/kargo/warehouse-kargo-web-web.yaml) ' +
          'and by app "web" (workloads/web/pipeline/warehouse-web.yaml); Argo CD Applications "kargo" and "web-pipeline" would both own it',
        hint: "declare it once: drop the extra object and change the rendered one through its option (an app's `deployment` patch, a component's values), or rename it",
      },
    ]);
  });

  it("names the app's extra object when an app repeats a component's object", () => {
    const config = minimalCluster();
    config.components.kargo = { extraObjects: [warehouse] };
    config.components.kargo.extraObjects[0].metadata.name = 'shared';
    config.apps[1].extraObjects = [{ ...warehouse, metadata: { name: 'shared', namespace: 'kargo-web' } }];
    const [issue] = rejection(config);
    expect(issue!.message).toContain('by apps[1].extraObjects[0] (workloads/api/stages/production/warehouse-shared.yaml)');
    expect(issue!.message).toContain('Argo CD Applications "kargo" and "api-production" would both own it');
  });

  it('compares cluster-scoped objects whatever namespace their Application has, and the same Application by source', () => {
    const issuer = { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' }, spec: { selfSigned: {} } };
    const config = minimalCluster();
    config.components['argo-cd'] = { extraObjects: [issuer] };
    expect(rejection(config).map((i) => [i.path, i.message])).toEqual([
      [
        'components["argo-cd"].extraObjects[0]',
        'ClusterIssuer/letsencrypt-prod (cert-manager.io/v1) is rendered twice: by components["argo-cd"].extraObjects[0] (manifests/argo-cd/clusterissuer-letsencrypt-prod.yaml) ' +
          'and by component "cert-manager" (manifests/cert-manager/clusterissuer-letsencrypt-prod.yaml); Argo CD Applications "argo-cd" and "cert-manager" would both own it',
      ],
    ]);
    const own = minimalCluster();
    own.components['cert-manager'].extraObjects = [issuer];
    const [issue] = rejection(own);
    expect(issue!.path).toBe('components["cert-manager"].extraObjects[0]');
    expect(issue!.message).toMatch(/by component "cert-manager" .* and by components\["cert-manager"\]\.extraObjects\[0\] \(manifests\/cert-manager\/clusterissuer-letsencrypt-prod\.yaml\)$/);
  });

  it('tells apart namespaced objects that land in different namespaces', () => {
    const config = minimalCluster();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes' }, data: {} };
    config.components['argo-cd'] = { extraObjects: [cm] };
    config.components.kargo = { extraObjects: [cm] };
    const rendered = renderTree(resolveCluster(config, registry), registry);
    expect(rendered.objects.filter((o) => o.object.metadata.name === 'notes').map((o) => o.file)).toEqual([
      'manifests/argo-cd/configmap-notes.yaml',
      'manifests/kargo/configmap-notes.yaml',
    ]);
    config.components.kargo = { extraObjects: [{ ...cm, metadata: { name: 'notes', namespace: 'argocd' } }] };
    expect(rejection(config)[0]!.message).toMatch(/^ConfigMap\/argocd\/notes \(v1\) is rendered twice/);
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
