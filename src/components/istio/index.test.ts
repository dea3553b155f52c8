import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../errors.ts';
import { stageNamespace } from '../../core/conventions.ts';
import { renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
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
          '"kube-system" is a system namespace; sidecars there would put the control plane behind its own mesh (refused: kube-system, kube-public, kube-node-lease, istio-system)',
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
