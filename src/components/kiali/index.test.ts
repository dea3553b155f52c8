import { describe, expect, it } from 'vitest';
import { renderWith, testRegistry, configIssues } from '../../../test/components.ts';
import { minimalCluster, UPSTREAM } from '../../../test/helpers.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { componentHosts } from '../../config/hosts.ts';
import { resolveCluster } from '../../config/validate.ts';
import { checkValues } from '../../validate/values.ts';
import { istio } from '../istio/index.ts';
import { kiali } from './index.ts';

const registry = testRegistry(istio, kiali);
const components = (kialiOptions: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...minimalCluster().components,
  istio: {},
  monitoring: {},
  kiali: kialiOptions,
  ...extra,
});
const render = (kialiOptions: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  renderWith(registry, components(kialiOptions, extra));
const find = (tree: ReturnType<typeof render>, file: string) => tree.objects.find((o) => o.file === file)?.object as Record<string, any> | undefined;
const issues = (kialiOptions: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  configIssues({ ...minimalCluster(), components: components(kialiOptions, extra) }, registry);

describe('kiali', () => {
  it('installs the kiali-server chart pinned as in charts.json, beside istiod, after istio', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'kiali')!;
    const tree = render();
    const app = find(tree, 'apps/kiali.yaml')!;
    expect(app.spec.destination.namespace).toBe('istio-system');
    const [chart] = app.spec.sources;
    expect([chart.repoURL, chart.chart, chart.targetRevision, chart.helm.releaseName]).toEqual([fact.chartRepo, fact.chart, fact.version, 'kiali']);
    expect(tree.components.find((c) => c.id === 'kiali')!.needs).toEqual(expect.arrayContaining(['istio', 'secret-generator', 'traefik', 'cert-manager']));
  });

  it('serves the UI at kiali.<domain> with a certificate, reads the monitoring component\'s Prometheus, and keeps its signing key out of values', () => {
    const values = find(render(), 'apps/kiali.yaml')!.spec.sources[0].helm.valuesObject;
    expect(values).toEqual({
      auth: { strategy: 'token' },
      deployment: {
        view_only_mode: false,
        ingress: {
          enabled: true,
          override_yaml: {
            metadata: {
              annotations: {
                'external-dns.alpha.kubernetes.io/hostname': 'kiali.example.org',
                'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
                'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
              },
            },
            spec: {
              ingressClassName: 'traefik',
              rules: [
                {
                  host: 'kiali.example.org',
                  http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'kiali', port: { number: 20001 } } } }] },
                },
              ],
              tls: [{ hosts: ['kiali.example.org'], secretName: 'kiali-tls' }],
            },
          },
        },
      },
      external_services: { prometheus: { url: 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090' } },
      login_token: { signing_key: 'secret:kiali-signing-key:key' },
      server: { web_root: '/' },
    });
    const tree = render();
    expect(find(tree, 'manifests/kiali/stringsecret-kiali-signing-key.yaml')!.spec).toEqual({
      forceRegenerate: false,
      fields: [{ fieldName: 'key', encoding: 'base64url', length: '32' }],
    });
  });

  it('publishes its host like any component, so SSO and the host checks see it without a kiali-specific rule', () => {
    const config = resolveCluster({ ...minimalCluster(), components: components({ host: 'mesh.example.org' }) }, registry).config;
    expect(componentHosts(config, registry).filter((h) => h.owner === 'the "kiali" component')).toEqual([
      { host: 'mesh.example.org', owner: 'the "kiali" component', path: 'components.kiali.host', option: 'components.kiali.host' },
    ]);
  });

  it('goes behind SSO like any host (`sso: true` on the component), and only then may drop its own login', () => {
    const sso = { sso: { github: { org: 'acme-corp' } } };
    const values = find(render({ sso: true, auth: 'anonymous', viewOnly: true }, sso), 'apps/kiali.yaml')!.spec.sources[0].helm.valuesObject;
    const annotations = values.deployment.ingress.override_yaml.metadata.annotations;
    expect(annotations['traefik.ingress.kubernetes.io/router.middlewares']).toMatch(/^sso-.+@kubernetescrd$/);
    expect(annotations['external-dns.alpha.kubernetes.io/hostname']).toBe('kiali.example.org');
    expect(values.auth).toEqual({ strategy: 'anonymous' });
    expect(issues({ sso: true, auth: 'anonymous' }, sso)).toEqual([]);
    // Without SSO the Ingress names no middleware.
    expect(find(render(), 'apps/kiali.yaml')!.spec.sources[0].helm.valuesObject.deployment.ingress.override_yaml.metadata.annotations).not.toHaveProperty(
      'traefik.ingress.kubernetes.io/router.middlewares',
    );
  });

  it('takes an explicit Prometheus, follows a moved Istio, and goes without an Ingress when told', () => {
    const values = find(render({ prometheusUrl: 'http://prometheus.observability.svc:9090', ingress: false, viewOnly: true }, { istio: { namespace: 'mesh' } }), 'apps/kiali.yaml')!
      .spec.sources[0].helm.valuesObject;
    expect(values.external_services).toEqual({ prometheus: { url: 'http://prometheus.observability.svc:9090' }, istio: { root_namespace: 'mesh' } });
    expect(values.istio_namespace).toBe('mesh');
    expect(values.deployment).toEqual({ view_only_mode: true, ingress: { enabled: false } });
    const tree = render({ ingress: false });
    expect(tree.components.find((c) => c.id === 'kiali')!.health.map((h) => `${h.kind}/${h.namespace}/${h.name}`)).toEqual([
      'Deployment/istio-system/kiali',
      'StringSecret/istio-system/kiali-signing-key',
    ]);
    expect(render().components.find((c) => c.id === 'kiali')!.health.map((h) => `${h.kind}/${h.name}/${h.blame ?? ''}`)).toEqual([
      'Deployment/kiali/',
      'StringSecret/kiali-signing-key/secret-generator',
      'Certificate/kiali-tls/cert-manager',
    ]);
  });

  it("makes Prometheus scrape the mesh it draws: istiod, and ztunnel or the sidecars, with or without a component collecting alerts", async () => {
    const ambient = render({}, { grafana: {}, istio: { mode: 'ambient', ambientNamespaces: ['production'] } });
    const monitors = (tree: ReturnType<typeof render>) =>
      tree.objects.filter((o) => o.object.apiVersion === 'monitoring.coreos.com/v1' && o.owner === 'istio');
    expect(monitors(ambient).map((o) => [o.object.kind, o.object.metadata.name, o.object.metadata.namespace, o.object.metadata.labels?.release])).toEqual([
      ['PodMonitor', 'ztunnel', 'istio-system', 'kube-prometheus-stack'],
      ['ServiceMonitor', 'istiod', 'istio-system', 'kube-prometheus-stack'],
    ]);
    expect(monitors(ambient)[0]!.object.spec).toEqual({ selector: { matchLabels: { app: 'ztunnel' } }, podMetricsEndpoints: [{ port: 'ztunnel-stats' }] });
    const sidecar = render({}, { grafana: {}, istio: { injectNamespaces: ['production'] } });
    expect(monitors(sidecar).map((o) => o.object.metadata.name)).toEqual(['envoy-sidecars', 'istiod']);
    expect(monitors(sidecar)[0]!.object.spec).toEqual({
      namespaceSelector: { matchNames: ['production'] },
      selector: { matchExpressions: [{ key: 'security.istio.io/tlsMode', operator: 'Exists' }] },
      podMetricsEndpoints: [{ port: 'http-envoy-prom', path: '/stats/prometheus' }],
    });
    expect(ambient.components.find((c) => c.id === 'istio')!.health.map((h) => h.description)).toEqual(
      expect.arrayContaining(["ServiceMonitor: Prometheus scrapes istiod's control-plane metrics", "PodMonitor: Prometheus scrapes ztunnel's L4 traffic metrics of the ambient pods"]),
    );
    expect(await customResourceProblems([...monitors(ambient), ...monitors(sidecar)])).toEqual([]);
    // The monitoring component's Prometheus scrapes them when nothing collects alerts too, or Kiali's graph stays empty.
    const alone = render({}, { istio: { mode: 'ambient', ambientNamespaces: ['production'] } });
    expect(alone.components.some((c) => c.id === 'grafana')).toBe(false);
    expect(monitors(alone).map((o) => o.object.metadata.name)).toEqual(['ztunnel', 'istiod']);
    // Without Kiali, istio renders as before.
    const without = renderWith(registry, { ...components({}, { grafana: {} }), kiali: undefined });
    expect(without.objects.some((o) => o.owner === 'istio' && o.object.apiVersion === 'monitoring.coreos.com/v1')).toBe(false);
  });

  it('refuses what would leave it blind or open, with the fix', () => {
    expect(issues({}, { monitoring: undefined })).toEqual([
      {
        path: 'components.kiali.prometheusUrl',
        message: 'is not set and the monitoring component is off: Kiali draws its graph and health from Istio\'s metrics in Prometheus',
        hint: 'enable components.monitoring, or set prometheusUrl to the Prometheus that scrapes Istio',
      },
    ]);
    expect(issues({ auth: 'anonymous' })).toEqual([
      {
        path: 'components.kiali.auth',
        message: 'is "anonymous" without SSO in front: anyone who reaches the host could read and change the mesh',
        hint: 'set components.kiali.sso (true, or a list of teams) with the sso component on, or keep auth "token"',
      },
    ]);
    expect(issues({ prometheusUrl: 'prometheus:9090' })[0]!.path).toBe('components.kiali.prometheusUrl');
    expect(issues({}, { istio: undefined }).map((i) => i.path)).toContain('components.kiali');
  });

  it('renders values the pinned chart reads and objects the upstream CRDs accept', async () => {
    const tree = render({}, { istio: { namespace: 'mesh' } });
    const app = find(tree, 'apps/kiali.yaml')!;
    const source = app.spec.sources[0];
    const findings = await checkValues(
      [{ path: ['rendered', 'kiali'], chart: source.chart, version: source.targetRevision, user: source.helm.valuesObject, rendered: source.helm.valuesObject }],
      { dir: UPSTREAM, file: 'plinth.config.ts' },
    );
    expect(findings).toEqual([]);
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'kiali' || o.file === 'apps/kiali.yaml'))).toEqual([]);
  });
});
