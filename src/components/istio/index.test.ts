import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../errors.ts';
import { stageNamespace } from '../../core/conventions.ts';
import { renderWith, testRegistry, rejectionOf, configIssues } from '../../../test/components.ts';
import { minimalCluster } from '../../../test/helpers.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { istio } from './index.ts';

const registry = testRegistry(istio);
const render = (options: Record<string, unknown> = {}, argo: Record<string, unknown> = {}) =>
  renderWith(registry, { 'argo-cd': argo, istio: options });
const find = (tree: ReturnType<typeof render>, file: string) => tree.objects.find((o) => o.file === file)?.object as Record<string, any> | undefined;

function issuesOf(options: unknown): ConfigIssue[] {
  const config = minimalCluster();
  config.components['cert-manager'].solver = 'http01';
  config.components.istio = options;
  return rejectionOf(config, registry);
}

const shared = { global: { istioNamespace: 'istio-system' }, base: { validationFailurePolicy: 'Fail' } };

describe('istio', () => {
  it('installs the base chart (CRDs) as the component chart, pinned as in charts.json', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'istio-base')!;
    const app = find(render(), 'apps/istio.yaml')!;
    expect(app.spec.destination.namespace).toBe('istio-system');
    const [chart, manifests] = app.spec.sources;
    expect(chart).toEqual({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'istio-base', valuesObject: shared },
    });
    expect(manifests.path).toBe('rendered/manifests/istio');
  });

  it('syncs istiod as a child Application after the base chart, pinned as in charts.json', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'istiod')!;
    const tree = render();
    const istiod = find(tree, 'manifests/istio/application-argocd-istiod.yaml')!;
    expect(istiod.metadata).toEqual({
      name: 'istiod',
      namespace: 'argocd',
      labels: { 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'istio' },
      annotations: {
        'argocd.argoproj.io/sync-wave': '1',
        'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
      },
      // Removing istio deletes istiod's objects too, not only the Application.
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    });
    expect(istiod.spec.project).toBe('plinth');
    expect(istiod.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'istio-system' });
    expect(istiod.spec.sources).toEqual([
      { repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version, helm: { releaseName: 'istiod', valuesObject: shared } },
    ]);
    expect(istiod.spec.ignoreDifferences).toEqual([
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
    ]);
    expect(istiod.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true', 'ServerSideApply=true', 'RespectIgnoreDifferences=true']);
    expect(istiod.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(tree.objects.filter((o) => o.owner === 'istio').map((o) => o.file)).toEqual(['manifests/istio/application-argocd-istiod.yaml']);
  });

  it('labels the listed namespaces for injection, after istiod, without ever pruning or deleting them', () => {
    const production = stageNamespace('production');
    const tree = render({ injectNamespaces: [production, 'staging'] });
    const namespace = find(tree, `manifests/istio/namespace-${production}.yaml`)!;
    expect(namespace.metadata).toEqual({
      name: 'production',
      labels: { 'istio-injection': 'enabled', 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'istio' },
      annotations: { 'argocd.argoproj.io/sync-wave': '2', 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' },
    });
    expect(find(tree, 'manifests/istio/namespace-staging.yaml')!.metadata.labels['istio-injection']).toBe('enabled');
    const component = tree.components.find((c) => c.id === 'istio')!;
    expect(component.needs).toEqual([]);
    expect(component.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}`)).toEqual([
      'Application/argocd/istiod',
      'Deployment/istio-system/istiod',
      'MutatingWebhookConfiguration//istio-sidecar-injector',
      'Namespace//production',
      'Namespace//staging',
    ]);
  });

  it('merges istiodValues into the istiod chart only, and follows the argo-cd and istio namespaces', () => {
    const tree = renderWith(registry, {
      'argo-cd': { namespace: 'gitops' },
      istio: { namespace: 'mesh', istiodValues: { autoscaleEnabled: false, base: { validationFailurePolicy: 'Ignore' } } },
    });
    const istiod = find(tree, 'manifests/istio/application-gitops-istiod.yaml')!;
    expect(istiod.metadata.namespace).toBe('gitops');
    expect(istiod.spec.destination.namespace).toBe('mesh');
    expect(istiod.spec.sources[0].helm.valuesObject).toEqual({
      global: { istioNamespace: 'mesh' },
      base: { validationFailurePolicy: 'Ignore' },
      autoscaleEnabled: false,
    });
    expect(find(tree, 'apps/istio.yaml')!.spec.sources[0].helm.valuesObject).toEqual({
      global: { istioNamespace: 'mesh' },
      base: { validationFailurePolicy: 'Fail' },
    });
  });

  it('reports bad options with their path', () => {
    expect(issuesOf({ injectNamespaces: ['kube-system'] })).toEqual([
      {
        path: 'components.istio.injectNamespaces[0]',
        message:
          '"kube-system" is a system namespace; putting it in the mesh would put the control plane behind its own mesh (refused: kube-system, kube-public, kube-node-lease, istio-system)',
      },
    ]);
    expect(issuesOf({ injectNamespaces: ['production', 'production'] })).toEqual([
      { path: 'components.istio.injectNamespaces[1]', message: '"production" is listed twice' },
    ]);
    expect(issuesOf({ injectNamespaces: ['Production'] })).toEqual([
      {
        path: 'components.istio.injectNamespaces[0]',
        message: '"Production" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric',
      },
    ]);
  });

  it('renders Applications the Argo CD CRD accepts, and the check catches a typo', async () => {
    const tree = render({ injectNamespaces: ['production'] });
    expect(await customResourceProblems(tree.objects)).toEqual([]);
    const istiod = structuredClone(find(tree, 'manifests/istio/application-argocd-istiod.yaml')!);
    istiod.spec.ignoreDifference = istiod.spec.ignoreDifferences;
    expect(await customResourceProblems([{ file: 'x.yaml', object: istiod as never }])).not.toEqual([]);
  });
});

/** The whole minimal cluster (apps web, api, worker in "production") with istio on and a change. */
function meshCluster(istioOptions: Record<string, unknown>, change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  config.components.istio = istioOptions;
  change(config);
  return config;
}
const renderMesh = (istioOptions: Record<string, unknown>, change?: (config: Record<string, any>) => void) => {
  const config = meshCluster(istioOptions, change);
  return renderWith(registry, config.components, (c) => Object.assign(c, { apps: config.apps }));
};
const ambient = { mode: 'ambient', ambientNamespaces: ['production'] };

describe('istio ambient mode', () => {
  it('installs istiod with the ambient profile, then istio-cni and ztunnel, pinned as in charts.json', async () => {
    const facts = await chartFacts();
    const tree = render(ambient);
    const istiod = find(tree, 'manifests/istio/application-argocd-istiod.yaml')!;
    expect(istiod.spec.sources[0].helm.valuesObject).toEqual({ ...shared, profile: 'ambient' });
    for (const [file, component, release, values, wave] of [
      ['application-argocd-istio-cni.yaml', 'istio-cni', 'istio-cni', { profile: 'ambient' }, '1'],
      ['application-argocd-ztunnel.yaml', 'ztunnel', 'ztunnel', { profile: 'ambient', istioNamespace: 'istio-system' }, '2'],
    ] as const) {
      const fact = facts.find((f) => f.component === component)!;
      const app = find(tree, `manifests/istio/${file}`)!;
      expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe(wave);
      expect(app.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
      expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'istio-system' });
      expect(app.spec.sources).toEqual([
        { repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version, helm: { releaseName: release, valuesObject: values } },
      ]);
      expect(app.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true', 'ServerSideApply=true']);
      expect(app.spec.ignoreDifferences).toBeUndefined();
    }
    // Sidecar mode's objects are unchanged by the option's existence: no cni, ztunnel or Gateway API there.
    expect(render().objects.filter((o) => o.owner === 'istio').map((o) => o.file)).toEqual(['manifests/istio/application-argocd-istiod.yaml']);
  });

  it('installs the Gateway API standard channel from upstream at the version Istio is built against, never deleting the CRDs', () => {
    const app = find(render(ambient), 'manifests/istio/application-argocd-gateway-api-crds.yaml')!;
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(app.spec.sources).toEqual([
      {
        repoURL: 'https://github.com/kubernetes-sigs/gateway-api',
        targetRevision: 'v1.5.1',
        path: 'config/crd',
        kustomize: { commonAnnotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } },
      },
    ]);
    expect(app.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true']);
    // The AppProject lets the tree read that repository.
    expect(find(render(ambient), 'apps/appproject-plinth.yaml')!.spec.sourceRepos).toContain('https://github.com/kubernetes-sigs/gateway-api');
    expect(find(render({ ...ambient, gatewayApiCrds: false }), 'manifests/istio/application-argocd-gateway-api-crds.yaml')).toBeUndefined();
  });

  it('labels the ambient namespaces for ztunnel after it runs, and checks the DaemonSets by their chart names', () => {
    const tree = render({ ...ambient, ambientNamespaces: ['production', 'staging'], platform: 'k3s' });
    const namespace = find(tree, 'manifests/istio/namespace-production.yaml')!;
    expect(namespace.metadata).toEqual({
      name: 'production',
      labels: { 'istio.io/dataplane-mode': 'ambient', 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'istio' },
      annotations: { 'argocd.argoproj.io/sync-wave': '3', 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' },
    });
    expect(namespace.metadata.labels['istio-injection']).toBeUndefined();
    // The platform profile goes to every chart.
    expect(find(tree, 'apps/istio.yaml')!.spec.sources[0].helm.valuesObject.global.platform).toBe('k3s');
    expect(find(tree, 'manifests/istio/application-argocd-istio-cni.yaml')!.spec.sources[0].helm.valuesObject).toEqual({ profile: 'ambient', global: { platform: 'k3s' } });
    expect(find(tree, 'manifests/istio/application-argocd-ztunnel.yaml')!.spec.sources[0].helm.valuesObject.global).toEqual({ platform: 'k3s' });
    const component = tree.components.find((c) => c.id === 'istio')!;
    expect(component.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}`)).toEqual([
      'Application/argocd/istiod',
      'Deployment/istio-system/istiod',
      'Application/argocd/istio-cni',
      'DaemonSet/istio-system/istio-cni-node',
      'Application/argocd/ztunnel',
      'DaemonSet/istio-system/ztunnel',
      'Application/argocd/gateway-api-crds',
      'Namespace//production',
      'Namespace//staging',
    ]);
  });

  it('merges cniValues and ztunnelValues into their charts only', () => {
    const tree = render({ ...ambient, cniValues: { cni: { logLevel: 'debug' } }, ztunnelValues: { logLevel: 'debug', profile: 'ambient' } });
    expect(find(tree, 'manifests/istio/application-argocd-istio-cni.yaml')!.spec.sources[0].helm.valuesObject).toEqual({ profile: 'ambient', cni: { logLevel: 'debug' } });
    expect(find(tree, 'manifests/istio/application-argocd-ztunnel.yaml')!.spec.sources[0].helm.valuesObject).toEqual({
      profile: 'ambient',
      istioNamespace: 'istio-system',
      logLevel: 'debug',
    });
    expect(find(tree, 'manifests/istio/application-argocd-istiod.yaml')!.spec.sources[0].helm.valuesObject.cni).toBeUndefined();
  });

  it('refuses the options of the other mode, saying which to use', () => {
    expect(issuesOf({ mode: 'ambient', injectNamespaces: ['production'] })).toEqual([
      {
        path: 'components.istio.injectNamespaces',
        message: 'lists sidecar namespaces, but mode is "ambient": no sidecar would be injected',
        hint: 'move them to ambientNamespaces, or set mode "sidecar"',
      },
    ]);
    expect(issuesOf({ ambientNamespaces: ['production'], ztunnelValues: { logLevel: 'debug' }, gatewayApiCrds: false })).toEqual([
      {
        path: 'components.istio.ambientNamespaces',
        message: 'lists ambient namespaces, but mode is "sidecar": ztunnel is not installed',
        hint: 'set mode "ambient", or move them to injectNamespaces',
      },
      {
        path: 'components.istio.ztunnelValues',
        message: 'is set, but mode is "sidecar": that chart is installed only in ambient mode',
        hint: 'set mode "ambient", or remove ztunnelValues',
      },
      {
        path: 'components.istio.gatewayApiCrds',
        message: 'is off, but mode is "sidecar": the Gateway API CRDs are installed only in ambient mode',
        hint: 'remove gatewayApiCrds',
      },
    ]);
    expect(issuesOf({ mode: 'ambient', ambientNamespaces: ['istio-system'] })[0]!.path).toBe('components.istio.ambientNamespaces[0]');
    expect(issuesOf({ mode: 'sidecar', cniValues: { cni: {} } })[0]!.path).toBe('components.istio.cniValues');
    expect(issuesOf({ mode: 'ambient', platform: 'eks' })[0]!.path).toBe('components.istio.platform');
  });

  it('renders objects the upstream CRDs accept, in both modes', async () => {
    for (const options of [{ ...ambient, mtls: 'strict' }, { injectNamespaces: ['production'], mtls: 'strict' }]) {
      const tree = renderMesh(options, (c) => (c.apps[0].calls = ['api']));
      const objects = tree.objects.filter((o) => o.owner === 'istio');
      expect(objects.some((o) => o.object.kind === 'PeerAuthentication')).toBe(true);
      expect(await customResourceProblems(objects)).toEqual([]);
    }
    const tree = renderMesh({ ...ambient, mtls: 'strict' }, (c) => (c.apps[0].calls = ['api']));
    const policy = structuredClone(find(tree, 'manifests/istio/peerauthentication-production-api.yaml')!);
    policy.spec.mtls.mode = 'STRICTER';
    expect(await customResourceProblems([{ file: 'x.yaml', object: policy as never }])).not.toEqual([]);
  });
});

describe('istio mtls', () => {
  it('makes the apps other apps call take only mTLS, by selector, in the stages where they are called', () => {
    const tree = renderMesh({ ...ambient, mtls: 'strict' }, (c) => {
      c.apps[0].calls = ['api'];
      c.apps[2].calls = ['api'];
    });
    const policies = tree.objects.filter((o) => o.object.kind === 'PeerAuthentication');
    expect(policies.map((o) => o.file)).toEqual(['manifests/istio/peerauthentication-production-api.yaml']);
    expect(policies[0]!.object).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: {
        name: 'api',
        namespace: 'production',
        labels: { 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'istio' },
        annotations: { 'argocd.argoproj.io/sync-wave': '3', 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' },
      },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, mtls: { mode: 'STRICT' } },
    });
    // Permissive (Istio's default) renders none.
    expect(renderMesh(ambient, (c) => (c.apps[0].calls = ['api'])).objects.some((o) => o.object.kind === 'PeerAuthentication')).toBe(false);
  });

  it('refuses STRICT where it would break a call, naming the fix', () => {
    const issues = (options: Record<string, unknown>, change: (c: Record<string, any>) => void) => configIssues(meshCluster(options, change), registry);
    expect(issues({ ...ambient, mtls: 'strict' }, () => {})).toEqual([
      {
        path: 'components.istio.mtls',
        message: 'is "strict" but no app calls another: there is no app-to-app traffic to make strict',
        hint: 'list the apps each app sends requests to in apps[].calls, or leave mtls "permissive"',
      },
    ]);
    expect(issues({ mode: 'ambient', ambientNamespaces: ['staging'], mtls: 'strict' }, (c) => (c.apps[0].calls = ['api']))).toEqual([
      {
        path: 'components.istio.mtls',
        message: '"web" calls "api" in namespace "production", which is not in the mesh: the call would be plain text and STRICT would refuse it',
        hint: 'add "production" to components.istio.ambientNamespaces',
      },
    ]);
    // web has a public host: Traefik, outside the mesh, reaches it.
    expect(issues({ ...ambient, mtls: 'strict' }, (c) => (c.apps[1].calls = ['web']))).toEqual([
      {
        path: 'components.istio.mtls',
        message: '"web" is called by "api" and also serves web.example.org through Traefik, which is outside the mesh: STRICT would refuse Traefik\'s requests',
        hint: 'serve the public host from an app that calls "web", or add Traefik\'s namespace "traefik" to components.istio.ambientNamespaces',
      },
    ]);
    expect(issues({ mode: 'ambient', ambientNamespaces: ['production', 'traefik'], mtls: 'strict' }, (c) => (c.apps[1].calls = ['web']))).toEqual([]);
  });

  it('opens HBONE (15008) and the SNATed kubelet probes beside each ambient app\'s own NetworkPolicy, for exactly its peers', () => {
    const tree = renderMesh({ mode: 'ambient', ambientNamespaces: ['production', 'traefik'] }, (c) => (c.apps[0].calls = ['api']));
    const policy = (name: string) => find(tree, `manifests/istio/networkpolicy-production-${name}-ambient.yaml`)!.spec;
    expect(policy('web')).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } }], ports: [{ protocol: 'TCP', port: 15008 }] },
      ],
      egress: [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } } }], ports: [{ protocol: 'TCP', port: 15008 }] }],
    });
    expect(policy('api')).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] },
        { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }], ports: [{ protocol: 'TCP', port: 15008 }] },
      ],
    });
    expect(policy('worker')).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'worker' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }],
    });
    // Sidecar mode needs none: the sidecar sends to the app's own port.
    expect(renderMesh({ injectNamespaces: ['production'] }, (c) => (c.apps[0].calls = ['api'])).objects.some((o) => o.file.includes('-ambient'))).toBe(false);
  });
});
