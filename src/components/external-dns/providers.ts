import { z } from 'zod';
import type { ClusterConfig } from '../../config/schema.ts';
import { externalSecret } from '../../core/conventions.ts';
import type { K8sObject, SecretInput } from '../../core/types.ts';

// The DNS APIs beyond the seed's OpenStack Designate that both external-dns (records) and cert-manager (DNS01
// challenges) write to, each with one declared credential shared by the two.

export const DNS_PROVIDERS = ['designate', 'cloudflare', 'route53'] as const;
export type DnsProvider = (typeof DNS_PROVIDERS)[number];

export const CLOUDFLARE_TOKEN = 'cloudflare-api-token';
export const ROUTE53_CREDENTIALS = 'route53-credentials';

/** Route 53 only: the region the AWS SDK signs requests for (Route 53 itself is global). */
export const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]$/, { error: 'must be an AWS region such as "us-east-1"' }).default('us-east-1');

/** The ExternalSecret copying a provider's credential from the store into a namespace, under the input's own keys. */
export function providerSecret(provider: Exclude<DnsProvider, 'designate'>, namespace: string): K8sObject {
  const [name, keys] = provider === 'cloudflare' ? [CLOUDFLARE_TOKEN, ['token']] : [ROUTE53_CREDENTIALS, ['accessKeyId', 'secretAccessKey']];
  return externalSecret({ name, namespace, keys: keys.map((key) => ({ secretKey: key, input: name, key })) });
}

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
export function providerInput(provider: Exclude<DnsProvider, 'designate'>, cluster: ClusterConfig): SecretInput {
  return provider === 'cloudflare' ? cloudflareTokenInput(cluster) : route53CredentialsInput(cluster);
}
