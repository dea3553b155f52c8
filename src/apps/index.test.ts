import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { customResourceProblems } from '../../test/upstream.ts';
import { configIssues, renderedFile } from '../../test/components.ts';

/** web (public, calls api, cache) -> api (database, produces videos) ; worker (consumes videos, scaled): two stages each. */
function twoStageCluster(change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  for (const app of config.apps) app.stages = ['staging', 'production'];
  config.apps[0].calls = ['api'];
  change(config);
  return config;
}

const render = (config = twoStageCluster()): RenderedTree => renderTree(resolveCluster(config, registry), registry);
const tree = render();
const file = renderedFile;
const object = (path: string) => file(tree, path);
const issues = (config: Record<string, any>) => configIssues(config);

describe('an app in a stage', () => {
  it('renders one folder per stage with a kustomization listing every object', () => {
    const files = [...tree.files.keys()].filter((f) => f.startsWith('workloads/web/stages/staging/'));
    expect(files).toEqual([
      'workloads/web/stages/staging/deployment-web.yaml',
      'workloads/web/stages/staging/ingress-web.yaml',
      'workloads/web/stages/staging/kustomization.yaml',
      'workloads/web/stages/staging/networkpolicy-web.yaml',
      'workloads/web/stages/staging/poddisruptionbudget-web.yaml',
      'workloads/web/stages/staging/service-web.yaml',
      'workloads/web/stages/staging/serviceaccount-web.yaml',
    ]);
    expect(object('workloads/web/stages/staging/kustomization.yaml')).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: files.filter((f) => !f.endsWith('kustomization.yaml')).map((f) => f.split('/').at(-1)),
      // Both keys present from the start: the promotion's yaml-update step replaces scalars, it never adds keys.
      images: [{ name: 'ghcr.io/example/web', newTag: 'unpromoted', digest: '' }],
    });
  });

  it('runs the image without a tag, non-root on a read-only filesystem, with probes and resources', () => {
    const deployment = object('workloads/web/stages/production/deployment-web.yaml');
    expect(deployment.metadata.namespace).toBe('production');
    expect(deployment.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/app': 'web', 'plinth.dev/stage': 'production' });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'web' } });
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('web');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container.image).toBe('ghcr.io/example/web');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it("injects the stage's own database, cache, queue and callees by reference: secrets by name, never by value", () => {
    const env = (app: string, stage = 'staging') =>
      Object.fromEntries(
        object(`workloads/${app}/stages/${stage}/deployment-${app}.yaml`).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
      );
    expect(env('api')).toEqual({
      PORT: '8080',
      PGHOST: 'main-rw.databases.svc',
      PGPORT: '5432',
      PGDATABASE: 'app-staging',
      PGUSER: { secretKeyRef: { name: 'pg-app-staging', key: 'username' } },
      PGPASSWORD: { secretKeyRef: { name: 'pg-app-staging', key: 'password' } },
      DATABASE_URL: 'postgresql://$(PGUSER)@main-rw.databases.svc:5432/app-staging',
      KAFKA_BROKERS: 'redpanda.redpanda.svc.cluster.local:9093',
      KAFKA_PRODUCE_TOPICS: 'videos-staging',
    });
    expect(env('api', 'production')).toMatchObject({ PGDATABASE: 'app', PGUSER: { secretKeyRef: { name: 'pg-app', key: 'username' } }, KAFKA_PRODUCE_TOPICS: 'videos' });
    expect(env('web')).toEqual({
      PORT: '8080',
      VALKEY_HOST: 'valkey-sessions-staging.valkey.svc.cluster.local',
      VALKEY_PORT: '6379',
      VALKEY_USERNAME: 'default',
      VALKEY_PASSWORD: { secretKeyRef: { name: 'valkey-sessions-staging', key: 'password' } },
      VALKEY_CLUSTER_MODE: 'true',
      API_URL: 'http://api.staging.svc.cluster.local',
    });
    expect(env('worker')).toMatchObject({ KAFKA_CONSUME_TOPICS: 'videos-staging', KAFKA_CONSUMER_GROUP: 'worker-staging' });
    expect(env('worker', 'production')).toMatchObject({ KAFKA_CONSUME_TOPICS: 'videos', KAFKA_CONSUMER_GROUP: 'worker' });
    expect(object('workloads/api/stages/staging/deployment-api.yaml').metadata.annotations).toEqual({
      'plinth.dev/database': 'app-staging',
      'plinth.dev/topics': 'videos-staging',
    });
  });

  it("copies each stage's own database and cache credentials only into that stage's namespace", () => {
    expect(object('manifests/clustersecret/clustersecret-pg-app.yaml').matchNamespace).toEqual(['^production$']);
    expect(object('manifests/clustersecret/clustersecret-pg-app-staging.yaml').matchNamespace).toEqual(['^staging$']);
    const cache = object('manifests/clustersecret/clustersecret-valkey-sessions.yaml');
    expect(cache.matchNamespace).toEqual(['^production$']);
    expect(cache.data.valueFrom.secretKeyRef).toEqual({ name: 'valkey-sessions', namespace: 'valkey', keys: ['password'] });
    expect(object('manifests/clustersecret/clustersecret-valkey-sessions-staging.yaml').matchNamespace).toEqual(['^staging$']);
  });

  it('serves an app at the domain itself in earlier stages at <stage>.<domain>, inside the zone external-dns manages', async () => {
    const apex = render(twoStageCluster((c) => (c.apps[0].host = 'example.org')));
    expect(file(apex, 'workloads/web/stages/production/ingress-web.yaml').spec.rules[0].host).toBe('example.org');
    const staging = file(apex, 'workloads/web/stages/staging/ingress-web.yaml');
    expect(staging.spec.rules[0].host).toBe('staging.example.org');
    expect(staging.metadata.annotations['external-dns.alpha.kubernetes.io/hostname']).toBe('staging.example.org');
    const { checkRules } = await import('../validate/rules/index.ts');
    const findings = checkRules(apex.objects.map((o) => ({ file: o.file, document: 1, object: o.object })));
    expect(findings.filter((f) => f.rule === 'ref/ingress-domain')).toEqual([]);
  });

  it('exposes a public app like the seed: external-dns host, websecure entrypoint, issuer and TLS; earlier stages get a prefixed host', () => {
    const production = object('workloads/web/stages/production/ingress-web.yaml');
    expect(production.metadata.annotations).toEqual({
      'external-dns.alpha.kubernetes.io/hostname': 'web.example.org',
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
    });
    expect(production.spec).toEqual({
      ingressClassName: 'traefik',
      tls: [{ hosts: ['web.example.org'], secretName: 'web-tls' }],
      rules: [
        {
          host: 'web.example.org',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
        },
      ],
    });
    expect(object('workloads/web/stages/staging/ingress-web.yaml').spec.tls).toEqual([{ hosts: ['staging-web.example.org'], secretName: 'web-tls' }]);
    expect(tree.files.has('workloads/api/stages/production/ingress-api.yaml')).toBe(false);
  });

  it('serves port 80 to the container port and keeps one pod up through disruptions', () => {
    expect(object('workloads/api/stages/production/service-api.yaml').spec).toEqual({
      selector: { 'app.kubernetes.io/name': 'api' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
    expect(object('workloads/api/stages/production/poddisruptionbudget-api.yaml').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
    });
    expect(object('workloads/api/stages/production/serviceaccount-api.yaml').automountServiceAccountToken).toBe(false);
  });

  it('lets in only what the app declares: traffic from Traefik or its callers, traffic out to its dependencies and DNS', () => {
    const web = object('workloads/web/stages/staging/networkpolicy-web.yaml').spec;
    expect(web.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(web.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
    expect(web.egress.map((rule: any) => rule.ports.map((p: any) => p.port))).toEqual([[53, 53], [6379], [8080]]);
    expect(web.egress[2].to).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } } }]);

    const api = object('workloads/api/stages/staging/networkpolicy-api.yaml').spec;
    expect(api.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
    expect(api.egress.slice(1)).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } }, podSelector: { matchLabels: { 'cnpg.io/cluster': 'main' } } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'redpanda' } } }], ports: [{ protocol: 'TCP', port: 9093 }] },
    ]);
    // Nothing calls the worker and it has no host: no traffic in at all.
    expect(object('workloads/worker/stages/staging/networkpolicy-worker.yaml').spec.ingress).toEqual([]);
  });

  it('scales a worker on the consumer-group lag of its topic, and leaves the replica count to KEDA', () => {
    const scaled = object('workloads/worker/stages/production/scaledobject-worker.yaml');
    expect(scaled.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' },
      minReplicaCount: 0,
      maxReplicaCount: 3,
      pollingInterval: 30,
      cooldownPeriod: 300,
      triggers: [
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: 'redpanda.redpanda.svc.cluster.local:9093',
            consumerGroup: 'worker',
            topic: 'videos',
            lagThreshold: '10',
            offsetResetPolicy: 'earliest',
          },
        },
      ],
    });
    expect(object('workloads/worker/stages/production/deployment-worker.yaml').spec.replicas).toBeUndefined();
  });

  it('merges the Deployment escape hatch last and renders extra objects into each stage', () => {
    const t = render(
      twoStageCluster((config) => {
        config.apps[1].deployment = { spec: { template: { spec: { priorityClassName: 'high' } } } };
        config.apps[1].extraObjects = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-settings' }, data: { mode: 'fast' } }];
      }),
    );
    const deployment = file(t, 'workloads/api/stages/staging/deployment-api.yaml');
    expect(deployment.spec.template.spec.priorityClassName).toBe('high');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('api');
    const extra = file(t, 'workloads/api/stages/production/configmap-api-settings.yaml');
    expect(extra.metadata.namespace).toBe('production');
    expect(file(t, 'workloads/api/stages/production/kustomization.yaml').resources).toContain('configmap-api-settings.yaml');
  });
});

describe("an app's Kargo pipeline", () => {
  const pipeline = (name: string) => object(`workloads/web/pipeline/${name}.yaml`);

  it('lives in its own project namespace, labelled for Kargo to adopt', () => {
    expect(pipeline('cluster-namespace-kargo-web').metadata.labels).toMatchObject({ 'kargo.akuity.io/project': 'true' });
    expect(pipeline('cluster-project-kargo-web').metadata.name).toBe('kargo-web');
  });

  it('watches the image repository for tags within the semver constraint', () => {
    expect(pipeline('warehouse-web').spec).toEqual({
      interval: '5m0s',
      freightCreationPolicy: 'Automatic',
      subscriptions: [{ image: { repoURL: 'ghcr.io/example/web', imageSelectionStrategy: 'SemVer', constraint: '*', discoveryLimit: 20 } }],
    });
  });

  it('chains the stages: the first from the Warehouse, promoted automatically; the next from the stage before', () => {
    expect(pipeline('stage-staging').spec.requestedFreight).toEqual([{ origin: { kind: 'Warehouse', name: 'web' }, sources: { direct: true } }]);
    expect(pipeline('stage-production').spec.requestedFreight).toEqual([{ origin: { kind: 'Warehouse', name: 'web' }, sources: { stages: ['staging'] } }]);
    for (const stage of ['staging', 'production'])
      expect(pipeline(`stage-${stage}`).spec.promotionTemplate).toEqual({ spec: { steps: [{ task: { name: 'promote', kind: 'PromotionTask' } }] } });
    expect(pipeline('projectconfig-kargo-web').spec.promotionPolicies).toEqual([{ stageSelector: { name: 'staging' }, autoPromotionEnabled: true }]);
  });

  it('promotes by rendering the stage folder, with the new image, to a branch of its own, then syncing its Application', () => {
    const task = pipeline('promotiontask-promote');
    expect(task.spec.steps.map((s: any) => s.uses)).toEqual([
      'git-clone', 'git-clear', 'yaml-update', 'kustomize-build', 'git-commit', 'git-push', 'argocd-update',
    ]);
    const [clone, , setImage, build, commit, push, update] = task.spec.steps;
    expect(clone.config.checkout).toEqual([
      { branch: '${{ vars.revision }}', path: './src' },
      { branch: 'plinth/web/${{ ctx.stage }}', create: true, path: './out' },
    ]);
    expect(setImage.config).toEqual({
      path: './src/rendered/workloads/web/stages/${{ ctx.stage }}/kustomization.yaml',
      updates: [
        { key: 'images.0.newTag', value: '${{ imageFrom(vars.image).Tag }}' },
        { key: 'images.0.digest', value: '${{ imageFrom(vars.image).Digest }}' },
      ],
    });
    expect(build.config).toEqual({ path: './src/rendered/workloads/web/stages/${{ ctx.stage }}', outPath: './out' });
    expect(commit.as).toBe('commit');
    // Pushing to the stage's own branch: two stages promoting at once never race for one branch.
    expect(push.config).toEqual({ path: './out' });
    expect(update.config.apps).toEqual([
      { name: 'web-${{ ctx.stage }}', namespace: 'argocd', sources: [{ repoURL: '${{ vars.repoURL }}', desiredRevision: "${{ task.outputs['commit'].commit }}" }] },
    ]);
    expect(task.spec.vars).toEqual([
      { name: 'repoURL', value: 'https://git.example.org/infra.git' },
      { name: 'revision', value: 'main' },
      { name: 'image', value: 'ghcr.io/example/web' },
    ]);
  });

  it('authorizes exactly its stage on each Application, which tracks that stage branch', () => {
    for (const stage of ['staging', 'production']) {
      const application = object(`apps/web-${stage}.yaml`);
      expect(application.metadata.annotations['kargo.akuity.io/authorized-stage']).toBe(`kargo-web:${stage}`);
      expect(application.spec.source).toEqual({ repoURL: 'https://git.example.org/infra.git', targetRevision: `plinth/web/${stage}`, path: '.' });
      expect(application.spec.destination.namespace).toBe(stage);
    }
    const apps = object('apps/web-pipeline.yaml');
    expect(apps.spec.source.path).toBe('rendered/workloads/web/pipeline');
    expect(apps.spec.destination.namespace).toBe('kargo-web');
  });

  it('syncs after every component', () => {
    const waves = tree.components.map((c) => c.wave);
    expect(Number(object('apps/web-staging.yaml').metadata.annotations['argocd.argoproj.io/sync-wave'])).toBe(Math.max(...waves) + 1);
  });

  it('gets push credentials from the secret store, labelled for Kargo, with only the repository URL written here', () => {
    const credentials = pipeline('externalsecret-git-credentials');
    expect(credentials.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'plinth-secrets' });
    expect(credentials.spec.target.template).toEqual({
      metadata: { labels: { 'kargo.akuity.io/cred-type': 'git' } },
      data: { repoURL: 'https://git.example.org/infra.git', username: '{{ .username }}', password: '{{ .password }}' },
    });
    expect(credentials.spec.data.map((d: any) => d.remoteRef)).toEqual([
      { key: 'kargo-git', property: 'username' },
      { key: 'kargo-git', property: 'password' },
    ]);
  });

  it('renders custom resources the upstream Kargo, KEDA and External Secrets CRDs accept', async () => {
    const appObjects = tree.objects.filter((o) => o.owner.startsWith('app:') || o.owner === 'apps');
    expect(appObjects.length).toBeGreaterThan(40);
    expect(await customResourceProblems(appObjects)).toEqual([]);
  });
});

describe('app declarations that cannot work', () => {
  it('names the path of each undeclared database, cache and topic', () => {
    const bad = issues(
      twoStageCluster((c) => {
        c.apps[0].cache = 'session';
        c.apps[1].database = 'ap';
        c.apps[1].topics.produce = ['video'];
        c.apps[2].topics.consume = ['videos', 'audio'];
      }),
    );
    expect(bad).toEqual([
      { path: 'apps[0].cache', message: 'cache "session" is not declared', hint: 'declare it in caches or did you mean "sessions"?' },
      { path: 'apps[1].database', message: 'database "ap" is not declared', hint: 'declare it in postgres.databases or did you mean "app"?' },
      { path: 'apps[1].topics.produce[0]', message: 'topic "video" is not declared', hint: 'declare it in topics or did you mean "videos"?' },
      { path: 'apps[2].topics.consume[1]', message: 'topic "audio" is not declared', hint: 'declare it in topics, or use one that is declared: videos' },
    ]);
  });

  it('names the path of a callee that is not declared, the app itself, or not in the stage', () => {
    expect(issues(twoStageCluster((c) => (c.apps[0].calls = ['apj'])))).toEqual([
      { path: 'apps[0].calls[0]', message: 'app "apj" is not declared', hint: 'declare it in apps or did you mean "api"?' },
    ]);
    expect(issues(twoStageCluster((c) => (c.apps[0].calls = ['web'])))).toEqual([
      { path: 'apps[0].calls[0]', message: '"web" is the app itself', hint: 'list only other apps it sends requests to' },
    ]);
    expect(issues(twoStageCluster((c) => (c.apps[1].stages = ['production'])))).toEqual([
      { path: 'apps[0].calls[0]', message: '"api" does not run in stage "staging", where this app calls it', hint: 'add "staging" to the stages of "api"' },
    ]);
  });

  it('refuses a stage whose Application would collide, and Secrets with data among the extra objects', () => {
    expect(issues(twoStageCluster((c) => (c.apps[1].stages = ['staging', 'pipeline'])))).toContainEqual({
      path: 'apps[1].stages[1]',
      message: 'the Argo CD Application "api-pipeline" of this stage would collide with the app\'s pipeline',
      hint: 'rename the stage or the app',
    });
    const leaked = issues(twoStageCluster((c) => (c.apps[1].extraObjects = [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } }])));
    expect(leaked.map((i) => i.path)).toEqual(['apps[1].extraObjects[0]']);
  });

  it('refuses limits below requests and probes that are not paths, naming the field', () => {
    const bad = issues(
      twoStageCluster((c) => {
        c.apps[1].resources = { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } };
        c.apps[2].probes = { liveness: 'healthz' };
      }),
    );
    expect(bad.map((i) => i.path)).toEqual(['apps[1].resources.requests.memory', 'apps[2].probes.liveness']);
  });

  it('needs clustersecret for an app that uses a cache, naming the path', () => {
    const config = twoStageCluster();
    delete config.components.clustersecret;
    delete config.apps[1].database;
    expect(issues(config)).toContainEqual({
      path: 'apps[0].cache',
      message: 'needs the "clustersecret" component, which copies the cache password into the app\'s namespaces, but it is not enabled',
      hint: 'enable it with components: { "clustersecret": {} }, or remove this declaration',
    });
  });
});
