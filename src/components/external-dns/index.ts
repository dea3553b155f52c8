import { z } from 'zod';
import { hostname, type ClusterConfig } from '../../config/schema.ts';
import { externalSecret } from '../../core/conventions.ts';
import { defineComponent, type SecretInput } from '../../core/types.ts';

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

export const externalDns = defineComponent({
  id: 'external-dns',
  description: 'external-dns: publishes Ingress and Service hosts as records in the OpenStack Designate zone',
  namespace: 'external-dns',
  needs: ['external-secrets'],
  options,
  chart: ({ cluster, options }) => ({
    repoURL: 'https://kubernetes-sigs.github.io/external-dns/',
    chart: 'external-dns',
    version: '1.21.1',
    releaseName: 'external-dns',
    values: {
      provider: {
        name: 'webhook',
        webhook: {
          image: { repository: 'ghcr.io/inovex/external-dns-openstack-webhook', tag: options.webhookVersion },
          env: [{ name: 'OS_CLOUD', value: OPENSTACK_CLOUD }],
          extraVolumeMounts: [{ name: 'clouds-yaml', mountPath: CLOUDS_YAML_DIR, readOnly: true }],
        },
      },
      extraVolumes: [{ name: 'clouds-yaml', secret: { secretName: CLOUDS_YAML_SECRET } }],
      sources: ['ingress', 'service'],
      domainFilters: [cluster.domain, ...options.extraDomains],
      registry: 'txt',
      txtOwnerId: cluster.name,
      policy: options.policy,
      interval: options.interval,
      triggerLoopOnEvent: true,
    },
  }),
  resources: ({ namespace }) => [
    externalSecret({
      name: CLOUDS_YAML_SECRET,
      namespace,
      keys: DESIGNATE_CREDENTIAL_KEYS.map((key) => ({ secretKey: key, input: DESIGNATE_CREDENTIALS, key })),
      template: { data: { 'clouds.yaml': CLOUDS_YAML_TEMPLATE } },
    }),
  ],
  secrets: ({ cluster }) => [designateCredentialsInput(cluster)],
  health: ({ namespace }) => [
    { description: 'controller with the Designate webhook sidecar', apiVersion: 'apps/v1', kind: 'Deployment', name: 'external-dns', namespace },
    {
      description: 'OpenStack credentials delivered as clouds.yaml',
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: CLOUDS_YAML_SECRET,
      namespace,
      blame: 'external-secrets',
    },
  ],
});
