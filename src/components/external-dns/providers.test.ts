import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import { registry } from '../index.ts';
import { declarations, renderProblems } from '../../secrets/declarations.ts';
import { renderWith, rejectionOf, clusterWith } from '../../../test/components.ts';
import { customResourceProblems, valuesValidator } from '../../../test/upstream.ts';

const base = { 'argo-cd': {}, 'external-secrets': {}, traefik: {} };
const render = (provider: string, extra: Record<string, unknown> = {}) =>
  renderWith(registry, { ...base, 'external-dns': { provider, ...extra }, 'cert-manager': { acmeEmail: 'ops@example.org', solver: provider, ...extra } });
const find = (tree: RenderedTree, kind: string, name: string, namespace?: string) => {
  const found = tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name && (!namespace || o.object.metadata.namespace === namespace));
  if (!found) throw new Error(`${kind}/${namespace ?? ''}/${name} not rendered`);
  return found.object as Record<string, any>;
};
const values = (tree: RenderedTree) => find(tree, 'Application', 'external-dns').spec.sources[0].helm.valuesObject;

describe('DNS beyond OpenStack', () => {
  it('Cloudflare: external-dns reads CF_API_TOKEN and the issuers solve DNS01 with the same token, one declared input', async () => {
    const tree = render('cloudflare');
    expect(values(tree).provider).toEqual({ name: 'cloudflare' });
    expect(values(tree).env).toEqual([{ name: 'CF_API_TOKEN', valueFrom: { secretKeyRef: { name: 'cloudflare-api-token', key: 'token' } } }]);
    expect(values(tree).extraVolumes).toBeUndefined();
    const validate = await valuesValidator('external-dns-values.schema.json');
    expect(validate(values(tree)) ? [] : validate.errors).toEqual([]);
    expect(find(tree, 'ClusterIssuer', 'letsencrypt-prod').spec.acme.solvers).toEqual([
      { dns01: { cloudflare: { apiTokenSecretRef: { name: 'cloudflare-api-token', key: 'token' } } } },
    ]);
    for (const namespace of ['external-dns', 'cert-manager'])
      expect(find(tree, 'ExternalSecret', 'cloudflare-api-token', namespace).spec.data).toEqual([{ secretKey: 'token', remoteRef: { key: 'cloudflare-api-token', property: 'token' } }]);
    const inputs = declarations(tree);
    expect(inputs.map((i) => i.name)).toContain('cloudflare-api-token');
    expect(inputs.map((i) => i.name)).not.toContain('designate-credentials');
    expect(inputs.find((i) => i.name === 'cloudflare-api-token')!.components).toEqual(['cert-manager', 'external-dns']);
    expect(renderProblems(tree)).toEqual([]);
    expect(await customResourceProblems(tree.objects.filter((o) => ['ClusterIssuer', 'ExternalSecret'].includes(o.object.kind)))).toEqual([]);
  }, 60_000);

  it('Route 53: the AWS SDK variables from one declared input, and the route53 solver with the same keys', async () => {
    const tree = render('route53', { awsRegion: 'eu-west-1' });
    expect(values(tree).provider).toEqual({ name: 'aws' });
    expect(values(tree).env).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'route53-credentials', key: 'accessKeyId' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'route53-credentials', key: 'secretAccessKey' } } },
      { name: 'AWS_REGION', value: 'eu-west-1' },
    ]);
    expect(find(tree, 'ClusterIssuer', 'letsencrypt-staging').spec.acme.solvers[0].dns01.route53).toEqual({
      region: 'eu-west-1',
      accessKeyIDSecretRef: { name: 'route53-credentials', key: 'accessKeyId' },
      secretAccessKeySecretRef: { name: 'route53-credentials', key: 'secretAccessKey' },
    });
    expect(renderProblems(tree)).toEqual([]);
    expect(await customResourceProblems(tree.objects.filter((o) => o.object.kind === 'ClusterIssuer'))).toEqual([]);
    const component = tree.components.find((c) => c.id === 'external-dns')!;
    expect(component.health.map((h) => `${h.kind}/${h.name}`)).toEqual(['Deployment/external-dns', 'ExternalSecret/route53-credentials']);
  }, 60_000);

  it('a provider other than Designate needs no designate-webhook; cert-manager then needs external-secrets for its token', () => {
    expect(() => render('cloudflare')).not.toThrow();
    const { 'external-secrets': _es, ...withoutStore } = base;
    const issues = rejectionOf(clusterWith({ ...withoutStore, 'cert-manager': { acmeEmail: 'ops@example.org', solver: 'cloudflare' } }), registry);
    expect(issues.map((i) => i.message)).toContain('"cert-manager" needs "external-secrets", which is not enabled');
  });

  it('refuses an unknown provider or region, with the path', () => {
    const issues = rejectionOf(clusterWith({ ...base, 'external-dns': { provider: 'godaddy' }, 'cert-manager': { acmeEmail: 'ops@example.org' } }), registry);
    expect(issues[0]!.path).toBe('components["external-dns"].provider');
    const region = rejectionOf(clusterWith({ ...base, 'external-dns': { provider: 'route53', awsRegion: 'Frankfurt' }, 'cert-manager': { acmeEmail: 'ops@example.org' } }), registry);
    expect(region).toEqual([{ path: 'components["external-dns"].awsRegion', message: '"Frankfurt" must be an AWS region such as "us-east-1"' }]);
  });
});
