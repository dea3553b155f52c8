import { z } from 'zod';
import { hostname, type ClusterConfig } from '../../config/schema.ts';
import { externalSecret } from '../../core/conventions.ts';
import { defineComponent, type SecretInput } from '../../core/types.ts';
import { awsRegion, CLOUDFLARE_TOKEN, DNS_PROVIDERS, providerInput, providerSecret, ROUTE53_CREDENTIALS, type DnsProvider } from './providers.ts';

/**
 * One OpenStack application credential for the cluster's Designate zone, shared by external-dns (records)
 * and the cert-manager Designate webhook (DNS01 challenges).
 */
export const DESIGNATE_CREDENTIALS = 'designate-credentials';
export const DESIGNATE_CREDENTIAL_KEYS = [
  'OS_AUTH_URL',
  'OS_REGION_NAME',
  'OS_APPLICATION_CREDENTIAL_ID',
  'OS_APPLICATION_CREDENTIAL_SECRET',
] as const;

export function designateCredentialsInput(cluster: ClusterConfig): SecretInput {
  return {
    name: DESIGNATE_CREDENTIALS,
    keys: [
      { key: 'OS_AUTH_URL', description: 'Keystone v3 URL, e.g. https://js2.jetstream-cloud.org:5000/v3/' },
      { key: 'OS_REGION_NAME', description: 'OpenStack region of the Designate endpoint, e.g. IU' },
      { key: 'OS_APPLICATION_CREDENTIAL_ID', description: 'application credential ID' },
      { key: 'OS_APPLICATION_CREDENTIAL_SECRET', description: 'application credential secret' },
    ],
    purpose: `lets external-dns and cert-manager's Designate webhook write records in the ${cluster.domain} zone`,
    howToGet:
      'Horizon > Identity > Application Credentials > Create (in the project that owns the zone; role member, not unrestricted), ' +
      'or `openstack application credential create plinth-dns`; OS_AUTH_URL and OS_REGION_NAME come from the project\'s openrc file',
  };
}

/** The Secret the webhook sidecar reads: a clouds.yaml, the only configuration it accepts besides OS_CLOUD. */
export const CLOUDS_YAML_SECRET = 'external-dns-clouds-yaml';
export const OPENSTACK_CLOUD = 'openstack';
const CLOUDS_YAML_DIR = '/etc/openstack';

/** Go template (External Secrets) rendering the credential as the clouds.yaml gophercloud parses. */
export const CLOUDS_YAML_TEMPLATE = `clouds:
  ${OPENSTACK_CLOUD}:
    auth_type: v3applicationcredential
    auth:
      auth_url: {{ .OS_AUTH_URL | quote }}
      application_credential_id: {{ .OS_APPLICATION_CREDENTIAL_ID | quote }}
      application_credential_secret: {{ .OS_APPLICATION_CREDENTIAL_SECRET | quote }}
    region_name: {{ .OS_REGION_NAME | quote }}
    interface: public
`;

const options = z.strictObject({
  /** The DNS API holding the zone: OpenStack Designate (the seed's), Cloudflare or AWS Route 53. */
  provider: z.enum(DNS_PROVIDERS).default('designate'),
  awsRegion,
  /**
   * `sync` also deletes the records of removed Ingresses and Services (only records this cluster's TXT
   * ownership records claim); `upsert-only` never deletes anything.
   */
  policy: z.enum(['sync', 'upsert-only']).default('sync'),
  /** Zones besides the cluster domain that external-dns may write to. */
  extraDomains: z.array(hostname).default([]),
  /** Full resync period; changes to Ingresses and Services also trigger a run at once. */
  interval: z
    .string()
    .regex(/^[0-9]+(s|m|h)$/, { error: 'must be a duration such as "1m" or "30s"' })
    .default('1m'),
  /** Tag of ghcr.io/inovex/external-dns-openstack-webhook, the Designate provider since external-dns dropped its in-tree one. */
  webhookVersion: z
    .string()
    .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, { error: 'must be a release version such as "2.1.0"' })
    .default('2.1.0'),
});

type Options = z.output<typeof options>;

/** The Secret a provider reads its credential from, copied from the store into external-dns's namespace. */
function credentialsSecret(provider: DnsProvider, namespace: string) {
  if (provider !== 'designate') return providerSecret(provider, namespace);
  return externalSecret({
    name: CLOUDS_YAML_SECRET,
    namespace,
    keys: DESIGNATE_CREDENTIAL_KEYS.map((key) => ({ secretKey: key, input: DESIGNATE_CREDENTIALS, key })),
    template: { data: { 'clouds.yaml': CLOUDS_YAML_TEMPLATE } },
  });
}

/**
 * The chart's provider values (external-dns chart 1.21.1: `provider.name`, `env`). Cloudflare's provider reads its token
 * from CF_API_TOKEN (external-dns docs/tutorials/cloudflare.md); the AWS provider takes the AWS SDK's standard
 * variables (docs/tutorials/aws.md).
 */
function providerValues(provider: DnsProvider, options: Options): Record<string, unknown> {
  const fromSecret = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  if (provider === 'cloudflare') return { provider: { name: 'cloudflare' }, env: [fromSecret('CF_API_TOKEN', CLOUDFLARE_TOKEN, 'token')] };
  if (provider === 'route53')
    return {
      provider: { name: 'aws' },
      env: [
        fromSecret('AWS_ACCESS_KEY_ID', ROUTE53_CREDENTIALS, 'accessKeyId'),
        fromSecret('AWS_SECRET_ACCESS_KEY', ROUTE53_CREDENTIALS, 'secretAccessKey'),
        { name: 'AWS_REGION', value: options.awsRegion },
      ],
    };
  return {
    provider: {
      name: 'webhook',
      webhook: {
        image: { repository: 'ghcr.io/inovex/external-dns-openstack-webhook', tag: options.webhookVersion },
        env: [{ name: 'OS_CLOUD', value: OPENSTACK_CLOUD }],
        extraVolumeMounts: [{ name: 'clouds-yaml', mountPath: CLOUDS_YAML_DIR, readOnly: true }],
      },
    },
    extraVolumes: [{ name: 'clouds-yaml', secret: { secretName: CLOUDS_YAML_SECRET } }],
  };
}

export const externalDns = defineComponent({
  id: 'external-dns',
  description: "external-dns: publishes Ingress and Service hosts as records in the cluster's zone (OpenStack Designate, Cloudflare or Route 53)",
  namespace: 'external-dns',
  needs: ['external-secrets'],
  options,
  chart: ({ cluster, options }) => ({
    repoURL: 'https://kubernetes-sigs.github.io/external-dns/',
    chart: 'external-dns',
    version: '1.21.1',
    releaseName: 'external-dns',
    values: {
      ...providerValues(options.provider, options),
      sources: ['ingress', 'service'],
      domainFilters: [cluster.domain, ...options.extraDomains],
      registry: 'txt',
      txtOwnerId: cluster.name,
      policy: options.policy,
      interval: options.interval,
      triggerLoopOnEvent: true,
    },
  }),
  resources: ({ namespace, options }) => [credentialsSecret(options.provider, namespace)],
  secrets: ({ cluster, options }) => [options.provider === 'designate' ? designateCredentialsInput(cluster) : providerInput(options.provider, cluster)],
  health: ({ namespace, options }) => [
    {
      description: options.provider === 'designate' ? 'controller with the Designate webhook sidecar' : 'controller',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'external-dns',
      namespace,
    },
    {
      description: options.provider === 'designate' ? 'OpenStack credentials delivered as clouds.yaml' : `${options.provider} credentials delivered`,
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: credentialsSecret(options.provider, namespace).metadata.name,
      namespace,
      blame: 'external-secrets',
    },
  ],
});
