import type { ClusterConfig } from '../../config/schema.ts';
import type { SecretInput } from '../../core/types.ts';

// The DNS APIs beyond the seed's OpenStack Designate that both external-dns (records) and cert-manager (DNS01
// challenges) write to, each with one declared credential shared by the two.

export const DNS_PROVIDERS = ['designate', 'cloudflare', 'route53'] as const;
export type DnsProvider = (typeof DNS_PROVIDERS)[number];

export const CLOUDFLARE_TOKEN = 'cloudflare-api-token';
export const ROUTE53_CREDENTIALS = 'route53-credentials';

export function cloudflareTokenInput(cluster: ClusterConfig): SecretInput {
  return {
    name: CLOUDFLARE_TOKEN,
    keys: [{ key: 'token', description: 'Cloudflare API token with Zone:Read and DNS:Edit on the zone' }],
    purpose: `lets external-dns and cert-manager write records in the ${cluster.domain} zone on Cloudflare`,
    howToGet: 'Cloudflare dashboard > My Profile > API Tokens > Create Token > "Edit zone DNS", limited to the zone',
  };
}

export function route53CredentialsInput(cluster: ClusterConfig): SecretInput {
  return {
    name: ROUTE53_CREDENTIALS,
    keys: [
      { key: 'accessKeyId', description: 'access key id of an IAM user allowed route53:ChangeResourceRecordSets and route53:List* on the zone' },
      { key: 'secretAccessKey', description: 'its secret access key' },
    ],
    purpose: `lets external-dns and cert-manager write records in the ${cluster.domain} hosted zone on Route 53`,
    howToGet: 'AWS console > IAM > Users > Create user (a policy with route53:ChangeResourceRecordSets on the hosted zone, route53:ListHostedZones, route53:ListResourceRecordSets, route53:GetChange) > Security credentials > Create access key',
  };
}

/** The credential input of a provider other than Designate (whose input external-dns declares itself). */
export function providerInput(provider: DnsProvider, cluster: ClusterConfig): SecretInput | undefined {
  if (provider === 'cloudflare') return cloudflareTokenInput(cluster);
  if (provider === 'route53') return route53CredentialsInput(cluster);
  return undefined;
}
