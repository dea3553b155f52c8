/** Names every component agrees on, so cross-references line up without configuration. */

/** The ClusterSecretStore that serves the secret inputs `plinth secrets` puts in the store namespace. */
export const SECRET_STORE = 'plinth-secrets';
export const SECRETS_NAMESPACE = 'plinth-secrets';

export const DEFAULT_INGRESS_CLASS = 'traefik';
export const DEFAULT_CLUSTER_ISSUER = 'letsencrypt-prod';

/** The annotations of the seed's example Ingress: DNS record, HTTPS entrypoint and certificate. */
export function publicIngressAnnotations(host: string, clusterIssuer = DEFAULT_CLUSTER_ISSUER): Record<string, string> {
  return {
    'external-dns.alpha.kubernetes.io/hostname': host,
    'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
    'cert-manager.io/cluster-issuer': clusterIssuer,
  };
}
