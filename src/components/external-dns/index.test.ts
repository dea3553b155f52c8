import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems, valuesValidator } from '../../../test/upstream.ts';
import { CLOUDS_YAML_TEMPLATE, externalDns } from './index.ts';

/** Loading every upstream CRD takes a while when all test files run at once. */
const CRD_TIMEOUT = 120_000;
const registry = testRegistry(externalDns);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' }, 'external-secrets': {} };
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { ...base, 'external-dns': options });

const find = (tree: RenderedTree, kind: string, name: string) => {
  const found = tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found.object as Record<string, any>;
};
const valuesOf = (tree: RenderedTree) => find(tree, 'Application', 'external-dns').spec.sources[0].helm.valuesObject;

function issuesOf(components: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith(components);
  return rejectionOf(config, registry);
}

/** What External Secrets' template engine makes of `{{ .KEY | quote }}`: a double-quoted, escaped string. */
function renderTemplate(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{ \.([A-Z_]+) \| quote \}\}/g, (_, key: string) => JSON.stringify(data[key]));
}

describe('external-dns', () => {
  it('installs the pinned chart after external-secrets, with its manifests beside it', async () => {
    const app = find(render(), 'Application', 'external-dns');
    const fact = (await chartFacts()).find((f) => f.component === 'external-dns')!;
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'external-dns' });
    expect(app.spec.sources[0]).toMatchObject({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'external-dns' },
    });
    expect(app.spec.sources[1]).toEqual({
      repoURL: 'https://git.example.org/infra.git',
      targetRevision: 'main',
      path: 'rendered/manifests/external-dns',
    });
  });

  it('publishes ingress and service hosts under the cluster domain, owned by the cluster name, in sync mode', () => {
    const values = valuesOf(render());
    expect(values.sources).toEqual(['ingress', 'service']);
    expect(values.domainFilters).toEqual(['example.org']);
    expect(values.registry).toBe('txt');
    expect(values.txtOwnerId).toBe('test');
    expect(values.policy).toBe('sync');
    expect(values.interval).toBe('1m');
    expect(values.triggerLoopOnEvent).toBe(true);
  });

  it('talks to Designate through the OpenStack webhook sidecar, which reads clouds.yaml from the delivered Secret', () => {
    const values = valuesOf(render());
    expect(values.provider).toEqual({
      name: 'webhook',
      webhook: {
        image: { repository: 'ghcr.io/inovex/external-dns-openstack-webhook', tag: '2.1.0' },
        env: [{ name: 'OS_CLOUD', value: 'openstack' }],
        extraVolumeMounts: [{ name: 'clouds-yaml', mountPath: '/etc/openstack', readOnly: true }],
      },
    });
    expect(values.extraVolumes).toEqual([{ name: 'clouds-yaml', secret: { secretName: 'external-dns-clouds-yaml' } }]);
  });

  it('delivers the designate-credentials input as a clouds.yaml through an ExternalSecret', () => {
    const tree = render();
    const externalSecret = find(tree, 'ExternalSecret', 'external-dns-clouds-yaml');
    expect(externalSecret.metadata.namespace).toBe('external-dns');
    expect(externalSecret.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'plinth-secrets' });
    expect(externalSecret.spec.data).toEqual(
      ['OS_AUTH_URL', 'OS_REGION_NAME', 'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_SECRET'].map((key) => ({
        secretKey: key,
        remoteRef: { key: 'designate-credentials', property: key },
      })),
    );
    expect(externalSecret.spec.target).toEqual({
      name: 'external-dns-clouds-yaml',
      creationPolicy: 'Owner',
      template: { data: { 'clouds.yaml': CLOUDS_YAML_TEMPLATE } },
    });
    expect(tree.objects.filter((o) => o.owner === 'external-dns').map((o) => o.object.kind)).toEqual(['ExternalSecret']);
  });

  it('templates a clouds.yaml that gophercloud reads as an application credential, even with YAML-hostile characters', () => {
    const secret = 'a"b: #c\\d';
    const cloudsYaml = parse(
      renderTemplate(CLOUDS_YAML_TEMPLATE, {
        OS_AUTH_URL: 'https://js2.jetstream-cloud.org:5000/v3/',
        OS_REGION_NAME: 'IU',
        OS_APPLICATION_CREDENTIAL_ID: 'abc123',
        OS_APPLICATION_CREDENTIAL_SECRET: secret,
      }),
    );
    expect(cloudsYaml).toEqual({
      clouds: {
        openstack: {
          auth_type: 'v3applicationcredential',
          auth: {
            auth_url: 'https://js2.jetstream-cloud.org:5000/v3/',
            application_credential_id: 'abc123',
            application_credential_secret: secret,
          },
          region_name: 'IU',
          interface: 'public',
        },
      },
    });
  });

  it('declares the designate-credentials secret input with the four OS_* keys', () => {
    const component = render().components.find((c) => c.id === 'external-dns')!;
    expect(component.secrets).toHaveLength(1);
    expect(component.secrets[0]!.name).toBe('designate-credentials');
    expect(component.secrets[0]!.keys.map((k) => k.key)).toEqual([
      'OS_AUTH_URL',
      'OS_REGION_NAME',
      'OS_APPLICATION_CREDENTIAL_ID',
      'OS_APPLICATION_CREDENTIAL_SECRET',
    ]);
    expect(component.secrets[0]!.purpose).toContain('example.org');
  });

  it('follows the policy, extra domains, interval and webhook version options', () => {
    const values = valuesOf(
      render({ policy: 'upsert-only', extraDomains: ['other.example.net'], interval: '5m', webhookVersion: '2.2.0' }),
    );
    expect(values.policy).toBe('upsert-only');
    expect(values.domainFilters).toEqual(['example.org', 'other.example.net']);
    expect(values.interval).toBe('5m');
    expect(values.provider.webhook.image.tag).toBe('2.2.0');
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ ...base, 'external-dns': { policy: 'create-everything' } })).toEqual([
      { path: 'components["external-dns"].policy', message: 'must be one of "sync", "upsert-only"' },
    ]);
    expect(issuesOf({ ...base, 'external-dns': { extraDomains: ['https://example.net'] } })).toEqual([
      {
        path: 'components["external-dns"].extraDomains[0]',
        message: '"https://example.net" must be a lowercase DNS hostname such as "app.example.org" (no scheme, port or path)',
      },
    ]);
    expect(issuesOf({ ...base, 'external-dns': { webhookVersion: 'latest' } })).toEqual([
      { path: 'components["external-dns"].webhookVersion', message: '"latest" must be a release version such as "2.1.0"' },
    ]);
  });

  it('refuses to run without external-secrets, which delivers its credentials', () => {
    const { 'external-secrets': _, ...withoutStore } = base;
    const issues = issuesOf({ ...withoutStore, 'external-dns': {} });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('components["external-dns"]');
    expect(issues[0]!.message).toBe('"external-dns" needs "external-secrets", which is not enabled');
  });

  it('renders custom resources the upstream CRDs accept', async () => {
    const tree = render();
    expect(tree.objects.some((o) => o.object.kind === 'ExternalSecret' && o.owner === 'external-dns')).toBe(true);
    expect(await customResourceProblems(tree.objects)).toEqual([]);
  }, CRD_TIMEOUT);

  it('renders Helm values the chart schema accepts, and the schema catches a wrong value', async () => {
    const validate = await valuesValidator('external-dns-values.schema.json');
    for (const options of [{}, { policy: 'upsert-only', extraDomains: ['example.net'] }]) {
      const values = valuesOf(render(options));
      expect(validate(values) ? [] : validate.errors).toEqual([]);
    }
    const values = valuesOf(render());
    expect(validate({ ...values, policy: 'delete-all' })).toBe(false);
    expect(validate({ ...values, sources: 'ingress' })).toBe(false);
  });

  it('declares health checks for the controller and its credentials, blaming external-secrets for the latter', () => {
    const component = render().components.find((c) => c.id === 'external-dns')!;
    expect(component.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}:${h.blame ?? ''}`)).toEqual([
      'Deployment/external-dns/external-dns:',
      'ExternalSecret/external-dns/external-dns-clouds-yaml:external-secrets',
    ]);
  });
});
