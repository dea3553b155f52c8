import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { diagnose } from '../health/doctor.ts';
import { snapshotOf } from '../health/snapshot.ts';
import { checkValues, valuesTargets } from '../validate/values.ts';
import { healthyWorld, withStatuses } from '../../test/health-world.ts';
import { renderedFile, rejectionOf } from '../../test/components.ts';
import { UPSTREAM } from '../../test/helpers.ts';
import { withUserCharts } from './charts.ts';
import { chartCrdFindings } from '../validate/chart-crds.ts';
import { resolveCluster } from './validate.ts';
import { resolveEnvironments } from './environments.ts';
import { ConfigError } from '../errors.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

const podinfo = {
  name: 'podinfo',
  repo: 'https://stefanprodan.github.io/podinfo',
  chart: 'podinfo',
  version: '6.9.2',
  namespace: 'demo',
  values: { replicaCount: 2, ui: { message: 'hello' } },
  needs: ['cert-manager'],
  health: [{ kind: 'Deployment', name: 'podinfo' }],
};

const cluster = (charts: Record<string, unknown>[], components: Record<string, unknown> = {}): Record<string, any> => ({
  name: 'charted',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: { 'argo-cd': { ingress: false }, 'cert-manager': { acmeEmail: 'ops@example.org', solver: 'http01' }, traefik: {}, ...components },
  charts,
});

const render = (config: Record<string, any>) => renderTree(resolveCluster(config, registry), registry);

const second = {
  name: 'kube-ops-view',
  repo: 'oci://ghcr.io/example/charts',
  chart: 'kube-ops-view',
  version: 'v1.2.0-rc.1',
  needs: ['podinfo'],
  health: [{ kind: 'DaemonSet', name: 'node-agent', namespace: 'kube-system' }, { kind: 'StatefulSet', name: 'store' }],
};

describe('charts: any other chart as a component', () => {
  it('renders each chart as a component Application: pinned chart, the values, its namespace and a wave after what it needs', () => {
    const tree = render(cluster([podinfo, second]));
    const application = renderedFile(tree, 'apps/podinfo.yaml');
    expect(application.metadata).toMatchObject({ name: 'podinfo', namespace: 'argocd', labels: { 'plinth.dev/component': 'podinfo' } });
    expect(application.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'demo' });
    expect(application.spec.sources).toEqual([
      {
        repoURL: 'https://stefanprodan.github.io/podinfo',
        chart: 'podinfo',
        targetRevision: '6.9.2',
        helm: { releaseName: 'podinfo', valuesObject: { replicaCount: 2, ui: { message: 'hello' } } },
      },
    ]);
    const wave = (name: string) => renderedFile(tree, `apps/${name}.yaml`).metadata.annotations['argocd.argoproj.io/sync-wave'];
    // cert-manager is wave 0, podinfo needs it, kube-ops-view needs podinfo.
    expect([wave('cert-manager'), wave('podinfo'), wave('kube-ops-view')]).toEqual(['0', '1', '2']);
    // An OCI registry goes without its scheme, as for any component; the namespace defaults to the chart's name.
    const oci = renderedFile(tree, 'apps/kube-ops-view.yaml');
    expect(oci.spec.sources[0]).toMatchObject({ repoURL: 'ghcr.io/example/charts', chart: 'kube-ops-view', targetRevision: 'v1.2.0-rc.1' });
    expect(oci.spec.destination.namespace).toBe('kube-ops-view');
    // Argo CD's project lets the Applications pull from the charts' repositories.
    expect(renderedFile(tree, 'apps/appproject-plinth.yaml').spec.sourceRepos).toEqual(
      expect.arrayContaining(['https://stefanprodan.github.io/podinfo', 'ghcr.io/example/charts']),
    );
    const component = tree.components.find((c) => c.id === 'podinfo')!;
    expect(component).toMatchObject({ namespace: 'demo', wave: 1, needs: ['cert-manager'], chart: { chart: 'podinfo', version: '6.9.2', releaseName: 'podinfo' } });
    expect(tree.components.find((c) => c.id === 'kube-ops-view')!.health.map((h) => `${h.kind}/${h.namespace}/${h.name}`)).toEqual([
      'DaemonSet/kube-system/node-agent',
      'StatefulSet/kube-ops-view/store',
    ]);
    expect(tree.files.get('README.md')).toMatch(/\| 1 \| `podinfo` \| `demo` \| .*podinfo.* `6\.9\.2` \| `cert-manager` \|/);
  });

  it('lets a component need a chart, and renders a chart\'s extra objects in its own manifests folder', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'podinfo-extra' }, data: { a: 'b' } };
    const tree = render(cluster([{ ...podinfo, needs: [], extraObjects: [configMap] }], { traefik: { needs: ['podinfo'] } }));
    expect(renderedFile(tree, 'apps/traefik.yaml').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(renderedFile(tree, 'manifests/podinfo/configmap-podinfo-extra.yaml').metadata.labels).toMatchObject({ 'plinth.dev/component': 'podinfo' });
    expect(renderedFile(tree, 'apps/podinfo.yaml').spec.sources[1]).toEqual({ repoURL: 'https://git.example.org/infra.git', targetRevision: 'main', path: 'rendered/manifests/podinfo' });
  });

  it('renders the same tree run to run, and with or without the charts already in the registry', () => {
    const config = cluster([podinfo, second]);
    const resolved = resolveCluster(config, registry);
    const extended = withUserCharts(registry, resolved.config);
    expect(extended).toBe(withUserCharts(registry, resolved.config));
    expect([...renderTree(resolved, extended).files]).toEqual([...render(cluster([podinfo, second])).files]);
  });

  it('reports each chart that cannot be a component at its path, with a fix', () => {
    const issues = rejectionOf(
      cluster([
        { ...podinfo, name: 'traefik' },
        { ...podinfo, needs: ['cert-manger'] },
        { ...podinfo, needs: [] },
        { ...second, name: 'a', needs: ['b'] },
        { ...second, name: 'b', needs: ['a'] },
        { ...second, name: 'apps', needs: [] },
        { ...second, name: 'g', needs: [], extraObjects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, stringData: { token: 'x' } }] },
      ]),
      registry,
    );
    const at = (path: string) => issues.filter((i) => i.path === path);
    expect(at('charts[0].name')).toEqual([expect.objectContaining({ message: '"traefik" is the name of a Plinth component' })]);
    expect(at('charts[0].name')[0]!.hint).toContain('components: { "traefik": {} }');
    expect(at('charts[1].needs[0]')).toEqual([
      expect.objectContaining({ message: 'needs "cert-manger", which is not a Plinth component nor a chart in charts', hint: 'did you mean "cert-manager"?' }),
    ]);
    expect(at('charts[2].name')).toEqual([expect.objectContaining({ message: 'duplicate chart name "podinfo" (first declared at charts[1].name)' })]);
    expect(at('charts[3].needs')).toEqual([expect.objectContaining({ message: 'dependency cycle: a -> b -> a' })]);
    expect(at('charts[5].name')[0]!.message).toBe('"apps" is reserved for Plinth\'s own Applications');
    expect(at('charts[6].extraObjects[0]')[0]!.message).toBe('Secret "token" carries data, which would land in git');
    expect(issues).toHaveLength(6);
  });

  it('reports a chart entry the schema refuses at its path: a version range, plain http, a typo, a workload kind doctor cannot check', () => {
    const issues = rejectionOf(
      cluster([
        { ...second, name: 'c', version: '^1.2.0', needs: [] },
        { ...second, name: 'd', repo: 'http://charts.example.org', needs: [] },
        { ...second, name: 'e', valuse: {}, needs: [] },
        { ...second, name: 'f', needs: [], health: [{ kind: 'Job', name: 'migrate' }] },
        { ...second, name: 'Bad_Name', needs: [] },
      ]),
      registry,
    );
    const at = (path: string) => issues.filter((i) => i.path === path);
    expect(at('charts[0].version')[0]!.message).toMatch(/^"\^1\.2\.0" must be an exact chart version/);
    expect(at('charts[1].repo')[0]!.hint).toBe('use https: "https://charts.example.org"');
    expect(at('charts[2].valuse')).toEqual([expect.objectContaining({ message: 'unknown key "valuse"', hint: 'did you mean "values"?' })]);
    expect(at('charts[3].health[0].kind')[0]!.message).toBe('must be one of "Deployment", "StatefulSet", "DaemonSet"');
    expect(at('charts[4].name')[0]!.message).toMatch(/^"Bad_Name" must be a DNS label/);
    expect(issues).toHaveLength(5);
  });

  it('reports a chart that needs a component not enabled, and a chart named like an app stage\'s Application', () => {
    const config = cluster([{ ...podinfo, needs: ['keda'] }, { ...second, name: 'web-production', needs: [] }]);
    config.apps = [{ name: 'web', image: 'ghcr.io/example/web' }];
    const issues = rejectionOf(config, registry);
    expect(issues).toContainEqual(
      expect.objectContaining({ path: 'charts[0].needs[0]', message: '"podinfo" needs "keda", which is not enabled', hint: 'enable it with components: { "keda": {} } or remove this entry' }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({ path: 'apps[0].stages[0]', message: 'the Argo CD Application "web-production" of this stage would collide with the component "web-production"' }),
    );
  });

  it('claims the hosts its values publish: another Ingress on the same host is a config error naming the chart', () => {
    const published = { ...podinfo, needs: [], values: { ingress: { enabled: true, annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'argocd.example.org' } } } };
    const issues = rejectionOf(cluster([published], { 'argo-cd': {}, 'external-dns': {}, 'external-secrets': {}, 'designate-webhook': {} }), registry);
    expect(issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(/host "argocd\.example\.org" is already served by the "argo-cd" component/);
    expect(issues.find((i) => i.message.includes('argocd.example.org'))!.path).toBe('charts[0]');
  });

  it('puts the hosts a chart publishes behind the sso sign-in, and refuses sso where it cannot work at charts[i].sso', () => {
    const MIDDLEWARES = 'traefik.ingress.kubernetes.io/router.middlewares';
    const ingress = { enabled: true, annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'podinfo.example.org' } };
    const behindSignIn = { ...podinfo, needs: [], sso: ['platform'], values: { ingress } };
    const ssoOn = { 'external-secrets': {}, 'secret-generator': {}, sso: { github: { org: 'acme-corp', teams: ['platform'] } } };
    const tree = render(cluster([behindSignIn], ssoOn));
    expect(renderedFile(tree, 'apps/podinfo.yaml').spec.sources[0].helm.valuesObject.ingress.annotations[MIDDLEWARES]).toBe('sso-sso-team-platform@kubernetescrd');
    // The sso component renders the Middleware of the chart's team list, as for a component's.
    expect(tree.objects.some((o) => o.owner === 'sso' && o.object.kind === 'Middleware' && o.object.metadata.name === 'sso-team-platform')).toBe(true);

    expect(rejectionOf(cluster([behindSignIn]), registry)).toContainEqual(
      expect.objectContaining({ path: 'charts[0].sso', message: 'puts the component\'s hosts behind sign-in, but the "sso" component is not enabled' }),
    );
    expect(rejectionOf(cluster([{ ...podinfo, needs: [], sso: true }], ssoOn), registry)).toContainEqual(
      expect.objectContaining({ path: 'charts[0].sso', message: expect.stringContaining('publishes no host') }),
    );
  });

  it('takes an environment\'s override of a chart by its name, and reports a wrong one at environments.<env>.charts[i]', () => {
    const input = {
      ...cluster([podinfo]),
      environments: { staging: { context: 'staging' }, production: { context: 'production', charts: [{ name: 'podinfo', values: { replicaCount: 3 } }] } },
    };
    const replicas = resolveEnvironments(input, registry).map((resolved) => [
      resolved.config.environment?.name,
      renderedFile(renderTree(resolved, registry), 'apps/podinfo.yaml').spec.sources[0].helm.valuesObject,
    ]);
    expect(replicas).toEqual([
      ['staging', { replicaCount: 2, ui: { message: 'hello' } }],
      ['production', { replicaCount: 3, ui: { message: 'hello' } }],
    ]);
    const broken = { ...input, environments: { production: { context: 'production', charts: [{ name: 'podinfo', version: 'latest' }] } } };
    const error = (() => {
      try {
        resolveEnvironments(broken, registry);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues.map((i) => i.path)).toEqual(['environments.production.charts[0].version']);
  });

  it('checks the values of a chart the schemas directory has values for, at the chart\'s path; another chart\'s are unchecked', async () => {
    const proxy = { name: 'proxy', repo: 'https://oauth2-proxy.github.io/manifests', chart: 'oauth2-proxy', version: '10.7.0', values: { replicaCont: 2 } };
    const config = cluster([proxy, podinfo]);
    const resolved = resolveCluster(config, registry);
    const tree = renderTree(resolved, registry);
    const findings = await checkValues(valuesTargets(resolved.config, tree), { dir: UPSTREAM, file: 'plinth.config.ts' });
    expect(findings).toContainEqual(expect.objectContaining({ rule: 'values/unknown-key', path: 'charts[0].values.replicaCont', hint: 'did you mean "replicaCount"? (charts[0].values.replicaCount)' }));
    expect(findings.find((f) => f.rule === 'values/unchecked')?.message).toContain('charts[1].values (podinfo 6.9.2)');
  });

  it('warns when a chart\'s crds folder is not in the schemas directory, and passes one that holds CRDs', async () => {
    const config = cluster([{ ...podinfo, crds: 'logging-operator' }, { ...second, needs: [], crds: 'podinfo-operator' }]);
    const findings = await chartCrdFindings(resolveCluster(config, registry).config, UPSTREAM, 'plinth.config.ts');
    expect(findings).toEqual([
      expect.objectContaining({ path: 'charts[1].crds', rule: 'charts/crds-missing', severity: 'warning', message: expect.stringContaining('podinfo-operator: the kinds chart kube-ops-view v1.2.0-rc.1 serves are unknown') }),
    ]);
  });

  it('gives doctor a check per declared workload: passing when ready, failing with the chart\'s hint when missing', () => {
    const tree = render(cluster([podinfo, second]));
    const world = withStatuses(healthyWorld(tree, NOW));
    const daemonSet: K8sObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agent', namespace: 'kube-system' },
      spec: {},
      status: { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2 },
    };
    const objects = [...world.filter((o) => !(o.kind === 'DaemonSet' && o.metadata.name === 'node-agent')), daemonSet];
    const feature = (features: ReturnType<typeof diagnose>, id: string) => features.find((f) => f.id === id)!;
    const healthy = diagnose(tree, snapshotOf(objects, { now: NOW }));
    expect(feature(healthy, 'podinfo').checks.map((c) => [c.name, c.status])).toEqual([
      ['synced by Argo CD', 'pass'],
      ['Deployment podinfo ready', 'pass'],
    ]);
    expect(feature(healthy, 'kube-ops-view').checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
    const broken = diagnose(tree, snapshotOf(objects.filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'podinfo')), { now: NOW }));
    const check = feature(broken, 'podinfo').checks.find((c) => c.name === 'Deployment podinfo ready')!;
    expect(check).toMatchObject({ status: 'fail', ref: 'Deployment/demo/podinfo', message: 'does not exist' });
    expect(check.hint).toContain('the chart podinfo 6.9.2 runs it (charts[0].health)');
  });
});
