import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { externalDns } from '../external-dns/index.ts';
import { designateWebhook } from './index.ts';

/** Loading every upstream CRD takes a while when all test files run at once. */
const CRD_TIMEOUT = 120_000;
const registry = testRegistry(designateWebhook, externalDns);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' }, 'external-secrets': {} };
const render = (options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  renderWith(registry, { ...base, ...extra, 'designate-webhook': options });

const find = (tree: RenderedTree, kind: string, name: string, namespace?: string) => {
  const found = tree.objects.find(
    (o) => o.object.kind === kind && o.object.metadata.name === name && (namespace === undefined || o.object.metadata.namespace === namespace),
  );
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found.object as Record<string, any>;
};
const valuesOf = (tree: RenderedTree) => find(tree, 'Application', 'designate-webhook').spec.sources[0].helm.valuesObject;

function issuesOf(components: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith(components);
  return rejectionOf(config, registry);
}

describe('designate-webhook', () => {
  it("installs the pinned chart into cert-manager's namespace, after cert-manager and external-secrets", async () => {
    const app = find(render(), 'Application', 'designate-webhook');
    const fact = (await chartFacts()).find((f) => f.component === 'designate-certmanager-webhook')!;
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'cert-manager' });
    expect(app.spec.sources[0]).toEqual({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: {
        releaseName: 'designate-certmanager-webhook',
        valuesObject: {
          replicaCount: 1,
          certManager: { namespace: 'cert-manager', serviceAccountName: 'cert-manager' },
          credentialsSecret: 'designate-credentials',
        },
      },
    });
    expect(app.spec.sources[1].path).toBe('rendered/manifests/designate-webhook');
  });

  it('serves the solver the ClusterIssuers name', () => {
    const tree = render();
    const issuer = find(tree, 'ClusterIssuer', 'letsencrypt-prod');
    const solver = issuer.spec.acme.solvers[0].dns01.webhook;
    const apiService = tree.components.find((c) => c.id === 'designate-webhook')!.health.find((h) => h.kind === 'APIService')!;
    expect(apiService.name).toBe(`v1alpha1.${solver.groupName}`);
    expect(apiService.name).toBe('v1alpha1.acme.syseleven.de');
  });

  it('delivers the shared designate-credentials input as the OS_* variables the webhook reads from its environment', () => {
    const tree = render();
    const externalSecret = find(tree, 'ExternalSecret', 'designate-credentials');
    expect(externalSecret.metadata.namespace).toBe('cert-manager');
    expect(externalSecret.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'plinth-secrets' });
    expect(externalSecret.spec.target).toEqual({ name: valuesOf(tree).credentialsSecret, creationPolicy: 'Owner' });
    expect(externalSecret.spec.data).toEqual(
      ['OS_AUTH_URL', 'OS_REGION_NAME', 'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_SECRET'].map((key) => ({
        secretKey: key,
        remoteRef: { key: 'designate-credentials', property: key },
      })),
    );
    expect(tree.objects.filter((o) => o.owner === 'designate-webhook').map((o) => o.object.kind)).toEqual(['ExternalSecret']);
  });

  it('asks for the same secret input as external-dns, so one application credential serves both', () => {
    const tree = render({}, { 'external-dns': {} });
    const inputs = tree.components.filter((c) => c.id === 'designate-webhook' || c.id === 'external-dns').map((c) => c.secrets);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toEqual(inputs[1]);
    expect(inputs[0]!.map((s) => s.name)).toEqual(['designate-credentials']);
  });

  it("follows cert-manager's namespace and the replicas option", () => {
    const tree = renderWith(registry, {
      ...base,
      'cert-manager': { acmeEmail: 'ops@example.org', namespace: 'certs' },
      'designate-webhook': { replicas: 2, namespace: 'certs' },
    });
    const values = valuesOf(tree);
    expect(values.replicaCount).toBe(2);
    expect(values.certManager).toEqual({ namespace: 'certs', serviceAccountName: 'cert-manager' });
    expect(find(tree, 'ExternalSecret', 'designate-credentials').metadata.namespace).toBe('certs');
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ ...base, 'designate-webhook': { replicas: 0 } })).toEqual([
      { path: 'components["designate-webhook"].replicas', message: 'must be at least 1, got number 0' },
    ]);
    expect(issuesOf({ ...base, 'designate-webhook': { replicas: 1.5 } })).toEqual([
      { path: 'components["designate-webhook"].replicas', message: 'must be an integer, got number 1.5' },
    ]);
  });

  it('refuses to run without cert-manager or external-secrets', () => {
    const { 'cert-manager': _cm, ...withoutCertManager } = base;
    expect(issuesOf({ ...withoutCertManager, 'designate-webhook': {} }).map((i) => i.message)).toEqual([
      '"designate-webhook" needs "cert-manager", which is not enabled',
    ]);
    const { 'external-secrets': _es, ...withoutStore } = base;
    expect(issuesOf({ ...withoutStore, 'designate-webhook': {} }).map((i) => i.message)).toEqual([
      '"designate-webhook" needs "external-secrets", which is not enabled',
    ]);
  });

  it('renders custom resources the upstream CRDs accept', async () => {
    const tree = render();
    expect(tree.objects.some((o) => o.owner === 'designate-webhook' && o.object.kind === 'ExternalSecret')).toBe(true);
    expect(await customResourceProblems(tree.objects)).toEqual([]);
  }, CRD_TIMEOUT);

  it('declares health checks for the solver, its API registration and its credentials', () => {
    const component = render().components.find((c) => c.id === 'designate-webhook')!;
    expect(component.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}:${h.blame ?? ''}`)).toEqual([
      'Deployment/cert-manager/designate-certmanager-webhook:',
      'APIService//v1alpha1.acme.syseleven.de:cert-manager',
      'ExternalSecret/cert-manager/designate-credentials:external-secrets',
    ]);
  });
});
