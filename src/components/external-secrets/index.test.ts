import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../config/validate.ts';
import { SECRET_STORE, SECRETS_NAMESPACE } from '../../core/conventions.ts';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems, valuesValidator } from '../../../test/upstream.ts';
import { externalSecrets } from './index.ts';

const registry = testRegistry(externalSecrets);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' } };
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { ...base, 'external-secrets': options });

const find = (tree: RenderedTree, kind: string, name: string) => {
  const found = tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found.object as Record<string, any>;
};
const owned = (tree: RenderedTree) => tree.objects.filter((o) => o.owner === 'external-secrets').map((o) => o.object as Record<string, any>);

function issuesOf(options: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith({ ...base, 'external-secrets': options });
  return rejectionOf(config, registry);
}

describe('external-secrets', () => {
  it('installs the pinned chart with its CRDs and without cluster-wide token minting', async () => {
    const tree = render();
    const app = find(tree, 'Application', 'external-secrets');
    const fact = (await chartFacts()).find((f) => f.component === 'external-secrets')!;
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'external-secrets' });
    expect(app.spec.sources).toEqual([
      {
        repoURL: fact.chartRepo,
        chart: fact.chart,
        targetRevision: fact.version,
        helm: { releaseName: 'external-secrets', valuesObject: { installCRDs: true, rbac: { serviceAccountTokenCreate: false } } },
      },
      { repoURL: 'https://git.example.org/infra.git', targetRevision: 'main', path: 'rendered/manifests/external-secrets' },
    ]);
  });

  it('renders the store namespace, locked down and kept when the Application goes', () => {
    const namespace = find(render(), 'Namespace', SECRETS_NAMESPACE);
    expect(namespace.metadata.namespace).toBeUndefined();
    expect(namespace.metadata.labels).toEqual({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'app.kubernetes.io/managed-by': 'plinth',
      'plinth.dev/component': 'external-secrets',
    });
    expect(namespace.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
  });

  it('renders a ClusterSecretStore on the Kubernetes provider, reading only the store namespace as its own ServiceAccount', () => {
    const store = find(render(), 'ClusterSecretStore', SECRET_STORE);
    expect(store.apiVersion).toBe('external-secrets.io/v1');
    expect(store.metadata.namespace).toBeUndefined();
    expect(store.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' });
    expect(store.spec).toEqual({
      provider: {
        kubernetes: {
          remoteNamespace: 'plinth-secrets',
          server: {
            url: 'https://kubernetes.default.svc',
            caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt', namespace: 'plinth-secrets' },
          },
          auth: { serviceAccount: { name: 'secret-store-reader', namespace: 'plinth-secrets' } },
        },
      },
    });
  });

  it('grants read on secrets in the store namespace to the store ServiceAccount and nothing cluster-wide', () => {
    const tree = render();
    const objects = owned(tree);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual([
      'ClusterSecretStore//plinth-secrets',
      'Namespace//plinth-secrets',
      'Role/plinth-secrets/secret-store-reader',
      'Role/plinth-secrets/secret-store-token-issuer',
      'RoleBinding/plinth-secrets/secret-store-reader',
      'RoleBinding/plinth-secrets/secret-store-token-issuer',
      'ServiceAccount/plinth-secrets/secret-store-reader',
    ]);
    for (const o of tree.objects) expect(o.object.kind).not.toMatch(/^ClusterRole/);

    expect(find(tree, 'ServiceAccount', 'secret-store-reader').automountServiceAccountToken).toBe(false);
    expect(find(tree, 'Role', 'secret-store-reader').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
    ]);
    const readerBinding = find(tree, 'RoleBinding', 'secret-store-reader');
    expect(readerBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-store-reader' });
    expect(readerBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'secret-store-reader', namespace: 'plinth-secrets' }]);
  });

  it('lets only the controller mint a token, and only for the store ServiceAccount', () => {
    const tree = render();
    expect(find(tree, 'Role', 'secret-store-token-issuer').rules).toEqual([
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['secret-store-reader'], verbs: ['create'] },
    ]);
    const binding = find(tree, 'RoleBinding', 'secret-store-token-issuer');
    expect(binding.roleRef.name).toBe('secret-store-token-issuer');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'external-secrets', namespace: 'external-secrets' }]);
  });

  it('binds the controller in the namespace the component is moved to', () => {
    const tree = render({ namespace: 'eso' });
    expect(find(tree, 'RoleBinding', 'secret-store-token-issuer').subjects[0].namespace).toBe('eso');
    expect(find(tree, 'Application', 'external-secrets').spec.destination.namespace).toBe('eso');
  });

  it('limits the store to the listed namespaces', () => {
    expect(find(render(), 'ClusterSecretStore', SECRET_STORE).spec.conditions).toBeUndefined();
    const store = find(render({ namespaces: ['argocd', 'production'] }), 'ClusterSecretStore', SECRET_STORE);
    expect(store.spec.conditions).toEqual([{ namespaces: ['argocd', 'production'] }]);
  });

  it('serves the ExternalSecrets other components render', () => {
    const tree = render();
    const consumers = tree.objects.filter((o) => o.object.kind === 'ExternalSecret').map((o) => o.object as Record<string, any>);
    expect(consumers.map((o) => o.metadata.name)).toEqual(['infra-repository']);
    for (const consumer of consumers) {
      expect(consumer.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: SECRET_STORE });
    }
  });

  it('rejects a namespace that is not a DNS label, naming the path', () => {
    expect(issuesOf({ namespaces: ['production', 'Bad_NS'] })).toEqual([
      {
        path: 'components["external-secrets"].namespaces[1]',
        message: '"Bad_NS" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric',
      },
    ]);
    expect(issuesOf({ namespace: ['x'] })).toEqual([
      { path: 'components["external-secrets"].namespace', message: 'must be a string, got an array' },
    ]);
  });

  it('needs no other component', () => {
    const config = clusterWith({ 'external-secrets': {} });
    const { graph } = resolveCluster(config, registry);
    expect(graph.order).toEqual(['external-secrets']);
    expect(graph.needs.get('external-secrets')).toEqual([]);
  });

  it('renders custom resources the upstream CRDs accept', async () => {
    for (const options of [{}, { namespaces: ['production'] }]) {
      const tree = render(options);
      expect(tree.objects.filter((o) => o.object.kind === 'ClusterSecretStore')).toHaveLength(1);
      expect(await customResourceProblems(tree.objects)).toEqual([]);
    }
  });

  it('renders Helm values the chart schema accepts, and the schema catches a wrong type', async () => {
    const validate = await valuesValidator('external-secrets-values.schema.json');
    const values = find(render(), 'Application', 'external-secrets').spec.sources[0].helm.valuesObject;
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...values, rbac: { serviceAccountTokenCreate: 'no' } })).toBe(false);
    expect(validate({ ...values, installCRDs: 'yes' })).toBe(false);
  });

  it('declares health checks for the operator and the store', () => {
    const component = render().components.find((c) => c.id === 'external-secrets')!;
    expect(component.secrets).toEqual([]);
    expect(component.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}`)).toEqual([
      'Deployment/external-secrets/external-secrets',
      'Deployment/external-secrets/external-secrets-webhook',
      'Deployment/external-secrets/external-secrets-cert-controller',
      'ClusterSecretStore//plinth-secrets',
    ]);
  });
});
