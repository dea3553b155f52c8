import { describe, expect, it } from 'vitest';
import { registry } from '../index.ts';
import { renderTree } from '../../core/render.ts';
import { resolveCluster } from '../../config/validate.ts';
import { configIssues } from '../../../test/components.ts';
import { customResourceProblems } from '../../../test/upstream.ts';
import { minimalCluster } from '../../../test/helpers.ts';

/** The minimal cluster on the local CA, without the public-DNS components. */
function localCluster(): Record<string, any> {
  const config = minimalCluster();
  config.domain = 'localtest.me';
  config.apps[0].host = 'web.localtest.me';
  config.components['cert-manager'] = { acmeEmail: 'ops@example.org', issuer: 'local-ca' };
  delete config.components['external-dns'];
  delete config.components['designate-webhook'];
  return config;
}

const annotationsOf = (object: Record<string, any>): Record<string, string> => object.metadata.annotations;

describe('cert-manager issuer', () => {
  it("is Let's Encrypt by default: both ACME issuers, and every Ingress names letsencrypt-prod", () => {
    const tree = renderTree(resolveCluster(minimalCluster(), registry), registry);
    const manifests = tree.objects.filter((o) => o.file.startsWith('manifests/cert-manager/')).map((o) => o.file);
    expect(manifests).toEqual(['manifests/cert-manager/clusterissuer-letsencrypt-prod.yaml', 'manifests/cert-manager/clusterissuer-letsencrypt-staging.yaml']);
    const web = tree.objects.find((o) => o.object.kind === 'Ingress' && o.object.metadata.name === 'web')!.object;
    expect(annotationsOf(web)['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
  });

  it('local-ca renders a CA of the cluster (self-signed issuer, CA Certificate, CA issuer) valid against the pinned CRDs, and no ACME issuer', async () => {
    const tree = renderTree(resolveCluster(localCluster(), registry), registry);
    const own = tree.objects.filter((o) => o.file.startsWith('manifests/cert-manager/'));
    expect(own.map((o) => o.file)).toEqual([
      'manifests/cert-manager/certificate-plinth-local-ca.yaml',
      'manifests/cert-manager/clusterissuer-plinth-local-ca.yaml',
      'manifests/cert-manager/clusterissuer-plinth-selfsigned.yaml',
    ]);
    expect(await customResourceProblems(own)).toEqual([]);
    const certificate = own[0]!.object as Record<string, any>;
    expect(certificate.metadata.namespace).toBe('cert-manager');
    expect(certificate.spec).toMatchObject({ isCA: true, secretName: 'plinth-local-ca', issuerRef: { name: 'plinth-selfsigned', kind: 'ClusterIssuer' } });
    // The CA issuer reads the Secret the Certificate writes, in cert-manager's namespace (its cluster resource namespace).
    expect((own[1]!.object as Record<string, any>).spec).toEqual({ ca: { secretName: certificate.spec.secretName } });
    expect([...tree.files.values()].some((content) => content.includes('acme-v02.api.letsencrypt.org'))).toBe(false);
    const checks = tree.components.find((c) => c.id === 'cert-manager')!.health.map((h) => `${h.kind}/${h.name}`);
    expect(checks).toContain('Certificate/plinth-local-ca');
    expect(checks).not.toContain('ClusterIssuer/letsencrypt-prod');
  });

  it("local-ca: every public Ingress (components' and apps') names the local CA issuer", () => {
    const config = localCluster();
    config.components.kargo = {};
    const tree = renderTree(resolveCluster(config, registry), registry);
    const web = tree.objects.find((o) => o.object.kind === 'Ingress' && o.object.metadata.name === 'web')!.object;
    expect(annotationsOf(web)['cert-manager.io/cluster-issuer']).toBe('plinth-local-ca');
    for (const id of ['argo-cd', 'kargo']) {
      const values = JSON.stringify((tree.objects.find((o) => o.file === `apps/${id}.yaml`)!.object.spec as any).sources[0].helm.valuesObject);
      expect(values, id).toContain('"cert-manager.io/cluster-issuer":"plinth-local-ca"');
    }
  });

  it("local-ca: a component's own clusterIssuer still wins", () => {
    const config = localCluster();
    config.components['argo-cd'] = { clusterIssuer: 'corporate-ca' };
    const tree = renderTree(resolveCluster(config, registry), registry);
    const values = (tree.objects.find((o) => o.file === 'apps/argo-cd.yaml')!.object.spec as any).sources[0].helm.valuesObject;
    expect(values.server.ingress.annotations['cert-manager.io/cluster-issuer']).toBe('corporate-ca');
  });

  it('local-ca: hosts validate without external-dns and without the Designate webhook the default solver would use', () => {
    expect(configIssues(localCluster())).toEqual([]);
  });

  it("Let's Encrypt still needs external-dns for an app's host and for Argo CD's Ingress", () => {
    const config = localCluster();
    config.components['cert-manager'] = { acmeEmail: 'ops@example.org', solver: 'http01' };
    const issues = configIssues(config);
    expect(issues).toContainEqual(expect.objectContaining({ path: 'apps[0].host', message: expect.stringContaining('"external-dns"') }));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'components["argo-cd"]', message: expect.stringContaining('external-dns') }));
  });

  it('local-ca: with every component of the registry on, no Ingress anywhere (objects or chart values) names another issuer', () => {
    const config = localCluster();
    for (const id of Object.keys(registry)) if (id !== 'external-dns' && id !== 'designate-webhook') config.components[id] ??= {};
    // The components whose options have no default (as test/integration/secrets.test.ts enables them).
    config.components['cloudnative-pg'] = { backup: { destinationPath: 's3://pg-backups/test', endpointURL: 'https://s3.example.org' } };
    config.components.devpod = { members: ['alice'] };
    config.components.logging = { bucket: 'cluster-logs' };
    config.components.runners = { sets: [{ name: 'linux', githubConfigUrl: 'https://github.com/acme' }] };
    config.components.sso = { github: { org: 'acme' } };
    const tree = renderTree(resolveCluster(config, registry), registry);
    const issuers = [...tree.files.values()].flatMap((content) => [...content.matchAll(/cert-manager\.io\/cluster-issuer: (\S+)/g)].map((m) => m[1]));
    expect(issuers.length).toBeGreaterThan(3);
    expect(new Set(issuers)).toEqual(new Set(['plinth-local-ca']));
    expect([...tree.files.keys()].filter((file) => tree.files.get(file)!.includes('letsencrypt'))).toEqual([]);
  });

  it("needs acmeEmail only for Let's Encrypt", () => {
    const config = localCluster();
    delete config.components['cert-manager'].acmeEmail;
    expect(configIssues(config)).toEqual([]);
    config.components['cert-manager'] = { solver: 'http01' };
    config.components['external-dns'] = {};
    expect(configIssues(config)).toEqual([
      {
        path: 'components["cert-manager"].acmeEmail',
        message: "is required: Let's Encrypt sends expiry notices to it and recovers the account with it",
        hint: 'add components["cert-manager"].acmeEmail, e.g. "ops@example.org" (or issuer: "local-ca" on a cluster no public CA can reach)',
      },
    ]);
  });

  it('refuses an unknown issuer, naming the choices', () => {
    const config = localCluster();
    config.components['cert-manager'].issuer = 'vault';
    expect(configIssues(config)).toEqual([{ path: 'components["cert-manager"].issuer', message: 'must be one of "letsencrypt", "local-ca"' }]);
  });
});
