import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../errors.ts';
import { resolveCluster } from '../../config/validate.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { argoHelmRepoURL } from '../../core/render.ts';
import { kargo } from './index.ts';

const registry = testRegistry(kargo);
const platform = () => ({
  'argo-cd': {},
  'cert-manager': { acmeEmail: 'ops@example.org', solver: 'http01' },
  'secret-generator': {},
  'external-secrets': {},
  traefik: {},
});
const render = (options: Record<string, unknown> = {}, change: (components: Record<string, any>) => void = () => {}) => {
  // external-dns too: with traefik and cert-manager, what Argo CD's Ingress uses, so that Kargo links to Argo CD's UI.
  const components: Record<string, any> = { ...platform(), 'external-dns': {}, kargo: options };
  change(components);
  return renderWith(registry, components);
};
const find = (tree: ReturnType<typeof render>, file: string) => {
  const found = tree.objects.find((o) => o.file === file);
  expect(found, file).toBeDefined();
  return found!.object as Record<string, any>;
};
const values = (tree: ReturnType<typeof render>) => find(tree, 'apps/kargo.yaml').spec.sources[0].helm.valuesObject;

function issuesOf(components: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith(components);
  return rejectionOf(config, registry);
}

describe('kargo', () => {
  it('names the OCI chart the way Argo CD pulls Helm charts from a registry: no scheme, chart beside it', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'kargo')!;
    expect(fact.chartRepo).toBe('oci://ghcr.io/akuity/kargo-charts');
    const app = find(render(), 'apps/kargo.yaml');
    const [chart, manifests] = app.spec.sources;
    expect(chart.repoURL).toBe('ghcr.io/akuity/kargo-charts');
    expect(`oci://${chart.repoURL}`).toBe(fact.chartRepo);
    expect(chart).toMatchObject({ chart: fact.chart, targetRevision: fact.version });
    expect(chart.path).toBeUndefined();
    expect(chart.helm.releaseName).toBe('kargo');
    expect(manifests.path).toBe('rendered/manifests/kargo');
    expect(app.spec.destination.namespace).toBe('kargo');
    expect(argoHelmRepoURL('oci://registry-1.docker.io/bitnamicharts')).toBe('registry-1.docker.io/bitnamicharts');
    expect(argoHelmRepoURL('ghcr.io/org/charts')).toBe('ghcr.io/org/charts');
  });

  it('exposes the UI at kargo.<domain> through Traefik, with admin credentials from two Secrets and none in values', () => {
    const host = 'kargo.example.org';
    expect(values(render())).toEqual({
      api: {
        host,
        secret: { name: 'kargo-admin' },
        envFrom: [{ secretRef: { name: 'kargo-token-signing-key' } }],
        argocd: { urls: { '': 'https://argocd.example.org' } },
        tls: { enabled: false, terminatedUpstream: true },
        ingress: {
          enabled: true,
          ingressClassName: 'traefik',
          annotations: {
            'external-dns.alpha.kubernetes.io/hostname': host,
            'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
            'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
          },
          pathType: 'Prefix',
          tls: { enabled: true, selfSignedCert: false, secretName: 'kargo-api-ingress-cert' },
        },
      },
      externalWebhooksServer: { host, tls: { enabled: false, terminatedUpstream: true } },
      controller: { argocd: { namespace: 'argocd' } },
    });
    expect(JSON.stringify(values(render()))).not.toMatch(/passwordHash|tokenSigningKey/);
  });

  it('delivers the password hash with External Secrets and generates the signing key in the cluster', async () => {
    const tree = render();
    const externalSecret = find(tree, 'manifests/kargo/externalsecret-kargo-admin.yaml');
    expect(externalSecret.metadata.namespace).toBe('kargo');
    expect(externalSecret.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'plinth-secrets' });
    expect(externalSecret.spec.target).toEqual({ name: 'kargo-admin', creationPolicy: 'Owner' });
    expect(externalSecret.spec.data).toEqual([
      { secretKey: 'ADMIN_ACCOUNT_PASSWORD_HASH', remoteRef: { key: 'kargo-admin', property: 'passwordHash' } },
    ]);
    const signingKey = find(tree, 'manifests/kargo/stringsecret-kargo-token-signing-key.yaml');
    expect(signingKey.metadata.namespace).toBe('kargo');
    expect(signingKey.spec).toEqual({
      forceRegenerate: false,
      fields: [{ fieldName: 'ADMIN_ACCOUNT_TOKEN_SIGNING_KEY', encoding: 'base64url', length: '32' }],
    });
    expect(tree.objects.filter((o) => o.owner === 'kargo').map((o) => o.object.kind).sort()).toEqual(['ExternalSecret', 'StringSecret']);
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'kargo' || o.file === 'apps/kargo.yaml'))).toEqual([]);
  });

  it('asks for git push credentials only when there are apps to promote', () => {
    const withoutApps = renderWith(registry, { ...platform(), 'external-dns': {}, kargo: {} }, (config) => (config.apps = []));
    expect(withoutApps.components.find((c) => c.id === 'kargo')?.secrets.map((s) => s.name)).toEqual(['kargo-admin']);
  });

  it('declares the admin password hash and the git push credentials as secret inputs, with how to make them', () => {
    const component = render().components.find((c) => c.id === 'kargo')!;
    expect(component.secrets).toEqual([
      {
        name: 'kargo-admin',
        keys: [{ key: 'passwordHash', description: 'bcrypt hash of the password of Kargo\'s `admin` account' }],
        purpose: 'lets the team sign in to Kargo at https://kargo.example.org as admin; only the hash is stored',
        howToGet: 'pick a password and hash it: htpasswd -bnBC 10 "" PASSWORD | tr -d \':\\n\' (htpasswd is in apache2-utils / httpd-tools)',
      },
      {
        name: 'kargo-git',
        keys: [
          { key: 'username', description: 'user (or bot) that pushes to the repository' },
          { key: 'password', description: 'its access token, allowed to push branches' },
        ],
        purpose: "lets Kargo push each app's rendered stage branches (plinth/<app>/<stage>) to https://git.example.org/infra.git",
        howToGet: 'create a fine-grained access token with "Contents: read and write" on the repository (GitHub: Settings > Developer settings)',
      },
      {
        name: 'kargo-webhook',
        keys: [{ key: 'secret', description: 'shared secret of the registry (or CI) webhooks that tell Kargo an image was pushed' }],
        purpose: "lets a push reach each app's pipeline in seconds instead of at the next poll (every 5m0s); the receiver URLs derive from it",
        howToGet: 'generate one: openssl rand -hex 32; then paste it where `plinth webhooks` says, with each URL',
      },
    ]);
    expect(component.needs).toEqual(['argo-cd', 'cert-manager', 'external-secrets', 'secret-generator', 'traefik']);
    expect(component.health.map((h) => `${h.kind}/${h.name}${h.blame ? ` <- ${h.blame}` : ''}`)).toEqual([
      'Deployment/kargo-api',
      'Deployment/kargo-controller',
      'Deployment/kargo-management-controller',
      'Deployment/kargo-webhooks-server',
      'Deployment/kargo-external-webhooks-server',
      'ExternalSecret/kargo-admin <- external-secrets',
      'StringSecret/kargo-token-signing-key <- secret-generator',
      'Certificate/kargo-api-ingress-cert <- cert-manager',
    ]);
  });

  it('behind sign-in, keeps the webhook receivers open on an Ingress of their own at the same URLs', () => {
    const open = values(render());
    expect(open.externalWebhooksServer).toEqual({ host: 'kargo.example.org', tls: { enabled: false, terminatedUpstream: true } });
    const gated = values(render({ sso: true }, (components) => (components.sso = { github: { org: 'acme' } })));
    expect(gated.api.ingress.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('sso-sso@kubernetescrd');
    // The chart's own Ingress for the receivers: no external-dns host, so no sign-in; the API's certificate.
    expect(gated.externalWebhooksServer).toEqual({
      host: 'kargo.example.org',
      tls: { enabled: false, terminatedUpstream: true },
      basePath: '/webhooks',
      ingress: {
        enabled: true,
        ingressClassName: 'traefik',
        annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' },
        pathType: 'Prefix',
        tls: { enabled: true, selfSignedCert: false, secretName: 'kargo-api-ingress-cert' },
      },
    });
  });

  it('follows the options: host, issuer, class', () => {
    const v = values(render({ host: 'deploy.example.org', clusterIssuer: 'letsencrypt-staging', ingressClassName: 'public' }));
    expect(v.api.host).toBe('deploy.example.org');
    expect(v.externalWebhooksServer.host).toBe('deploy.example.org');
    expect(v.api.ingress.ingressClassName).toBe('public');
    expect(v.api.ingress.annotations).toEqual({
      'external-dns.alpha.kubernetes.io/hostname': 'deploy.example.org',
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'cert-manager.io/cluster-issuer': 'letsencrypt-staging',
    });
  });

  it('without ingress, needs no Traefik and keeps the chart\'s own TLS', () => {
    const tree = render({ ingress: false }, (c) => delete c.traefik);
    const v = values(tree);
    expect(v.api.ingress).toEqual({ enabled: false });
    expect(v.api.tls).toBeUndefined();
    expect(v.externalWebhooksServer).toBeUndefined();
    const component = tree.components.find((c) => c.id === 'kargo')!;
    expect(component.needs).not.toContain('traefik');
    expect(component.health.map((h) => h.kind)).not.toContain('Certificate');
  });

  it('finds Argo CD where the config puts it', () => {
    const moved = values(render({}, (c) => (c['argo-cd'] = { namespace: 'gitops', host: 'cd.example.org' })));
    expect(moved.controller.argocd.namespace).toBe('gitops');
    expect(moved.api.argocd.urls).toEqual({ '': 'https://cd.example.org' });
    const hidden = values(render({}, (c) => (c['argo-cd'] = { ingress: false })));
    expect(hidden.api.argocd).toBeUndefined();
  });

  it('is refused when a dependency is missing, naming it', () => {
    const without = (id: string, kargoOptions: Record<string, unknown> = {}) => {
      const components: Record<string, unknown> = { ...platform(), kargo: kargoOptions };
      delete components[id];
      return issuesOf(components);
    };
    for (const id of ['external-secrets', 'secret-generator', 'traefik']) {
      expect(without(id)).toEqual([
        {
          path: 'components.kargo',
          message: `"kargo" needs "${id}", which is not enabled`,
          hint: `enable it with components: { "${id}": {} } or remove "kargo"`,
        },
      ]);
    }
    const { traefik: _, ...withoutTraefik } = platform();
    expect(() => resolveCluster(clusterWith({ ...withoutTraefik, kargo: { ingress: false } }), registry)).not.toThrow();
  });

  it('reports bad options with their path', () => {
    expect(issuesOf({ ...platform(), kargo: { host: 'https://kargo.example.org' } })).toEqual([
      {
        path: 'components.kargo.host',
        message: '"https://kargo.example.org" must be a lowercase DNS hostname such as "app.example.org" (no scheme, port or path)',
      },
    ]);
    expect(issuesOf({ ...platform(), kargo: { ingress: 'yes' } })).toEqual([
      { path: 'components.kargo.ingress', message: 'must be a boolean, got string "yes"' },
    ]);
  });

  it('writes no Secret objects', () => {
    expect(render().objects.some((o) => o.object.kind === 'Secret')).toBe(false);
  });
});
