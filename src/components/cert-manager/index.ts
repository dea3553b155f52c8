import { z } from 'zod';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { certManagerAlerts, certManagerTargets } from './alerts.ts';
import { awsRegion, CLOUDFLARE_TOKEN, providerInput, providerSecret, ROUTE53_CREDENTIALS } from '../external-dns/providers.ts';
import { LOCAL_CA_ISSUER } from '../../core/conventions.ts';

export const ACME_SERVERS = {
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  'letsencrypt-prod': 'https://acme-v02.api.letsencrypt.org/directory',
} as const;

/** Group and solver names the OpenStack Designate webhook registers with cert-manager. */
export const DESIGNATE_SOLVER = { groupName: 'acme.syseleven.de', solverName: 'designatedns' } as const;

const options = z.strictObject({
  /**
   * Where certificates come from: Let's Encrypt (ACME, through `solver`), or a CA cert-manager makes inside the cluster
   * (a laptop or lab cluster no public CA can reach; browsers trust it only once its certificate is imported).
   */
  issuer: z.enum(['letsencrypt', 'local-ca']).default('letsencrypt'),
  /** Let's Encrypt account email: expiry notices and account recovery. Required with `issuer: 'letsencrypt'` (src/config/validate.ts). */
  acmeEmail: z.email({ error: 'must be an email address for the Let\'s Encrypt account' }).optional(),
  /**
   * DNS01 through OpenStack Designate (the seed's setup, works for wildcards and private clusters), Cloudflare or
   * Route 53, or HTTP01 through the ingress.
   */
  solver: z.enum(['designate', 'cloudflare', 'route53', 'http01']).default('designate'),
  awsRegion,
  ingressClassName: z.string().default('traefik'),
  /** Resolvers cert-manager asks when checking DNS01 propagation; the cluster's own DNS may not see the public zone. */
  recursiveNameservers: z.array(z.string().regex(/^[0-9a-f.:[\]]+:[0-9]+$/, { error: 'must be host:port, e.g. "1.1.1.1:53"' })).default([]),
  /** Alert when a certificate has fewer days left: cert-manager renews 30 days ahead, so this means renewal is failing. */
  expiryAlertDays: z.int().min(1).max(29).default(14),
});

type Options = z.output<typeof options>;

/**
 * The ACME solver (the ClusterIssuer CRD's acme.solvers[].dns01 / http01). A ClusterIssuer reads its Secrets from
 * cert-manager's own namespace (its --cluster-resource-namespace), where the credential is copied.
 */
function acmeSolver(options: Options): Record<string, unknown> {
  switch (options.solver) {
    case 'designate':
      return { dns01: { webhook: { ...DESIGNATE_SOLVER } } };
    case 'cloudflare':
      return { dns01: { cloudflare: { apiTokenSecretRef: { name: CLOUDFLARE_TOKEN, key: 'token' } } } };
    case 'route53':
      return {
        dns01: {
          route53: {
            region: options.awsRegion,
            accessKeyIDSecretRef: { name: ROUTE53_CREDENTIALS, key: 'accessKeyId' },
            secretAccessKeySecretRef: { name: ROUTE53_CREDENTIALS, key: 'secretAccessKey' },
          },
        },
      };
    case 'http01':
      return { http01: { ingress: { ingressClassName: options.ingressClassName } } };
  }
}

/** The DNS provider whose credential the solver reads from the store, if any. */
const storeProvider = (options: Options) =>
  options.issuer === 'letsencrypt' && (options.solver === 'cloudflare' || options.solver === 'route53') ? options.solver : undefined;

const SELF_SIGNED_ISSUER = 'plinth-selfsigned';

/**
 * A CA of the cluster's own, as cert-manager documents bootstrapping one (cert-manager website
 * content/docs/configuration/selfsigned.md, "Bootstrapping CA Issuers"): a self-signed ClusterIssuer signs the CA
 * Certificate, whose Secret the CA ClusterIssuer signs every Ingress certificate with. A ClusterIssuer reads that Secret
 * from cert-manager's own namespace (its --cluster-resource-namespace), where the Certificate puts it. Fields: the pinned
 * CRDs cert-manager.io_clusterissuers.yaml (spec.selfSigned, spec.ca.secretName) and cert-manager.io_certificates.yaml.
 */
function localCa(namespace: string): K8sObject[] {
  return [
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: SELF_SIGNED_ISSUER }, spec: { selfSigned: {} } },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: LOCAL_CA_ISSUER, namespace },
      spec: {
        isCA: true,
        commonName: LOCAL_CA_ISSUER,
        secretName: LOCAL_CA_ISSUER,
        duration: '87600h',
        privateKey: { algorithm: 'ECDSA', size: 256 },
        issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    },
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: LOCAL_CA_ISSUER }, spec: { ca: { secretName: LOCAL_CA_ISSUER } } },
  ];
}

function clusterIssuer(name: keyof typeof ACME_SERVERS, options: Options): K8sObject {
  const solver = acmeSolver(options);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name },
    spec: {
      acme: {
        email: options.acmeEmail,
        server: ACME_SERVERS[name],
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [solver],
      },
    },
  };
}

export const certManager = defineComponent({
  id: 'cert-manager',
  description: "cert-manager: Let's Encrypt certificates for public ingresses",
  namespace: 'cert-manager',
  needs: (options) => (storeProvider(options) ? ['external-secrets'] : []),
  uses: (options) => (options.issuer === 'letsencrypt' && options.solver === 'designate' ? ['designate-webhook'] : []),
  options,
  chart: ({ options }) => ({
    repoURL: 'https://charts.jetstack.io',
    chart: 'cert-manager',
    version: 'v1.21.1',
    releaseName: 'cert-manager',
    values: {
      crds: { enabled: true, keep: true },
      ...(options.recursiveNameservers.length > 0 && {
        dns01RecursiveNameservers: options.recursiveNameservers.join(','),
        dns01RecursiveNameserversOnly: true,
      }),
    },
  }),
  resources: ({ namespace, options }) => {
    if (options.issuer === 'local-ca') return localCa(namespace);
    const provider = storeProvider(options);
    return [clusterIssuer('letsencrypt-staging', options), clusterIssuer('letsencrypt-prod', options), ...(provider ? [providerSecret(provider, namespace)] : [])];
  },
  secrets: ({ cluster, options }) => {
    const provider = storeProvider(options);
    return provider ? [providerInput(provider, cluster)] : [];
  },
  health: ({ namespace, options }) => [
    { description: 'controller', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cert-manager', namespace },
    { description: 'admission webhook', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cert-manager-webhook', namespace },
    { description: 'CA injector', apiVersion: 'apps/v1', kind: 'Deployment', name: 'cert-manager-cainjector', namespace },
    ...(options.issuer === 'local-ca'
      ? [
          { description: 'self-signed issuer of the local CA', apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name: SELF_SIGNED_ISSUER },
          { description: 'local CA certificate', apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: LOCAL_CA_ISSUER, namespace },
          { description: 'local CA issuer', apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name: LOCAL_CA_ISSUER },
        ]
      : [
          { description: "Let's Encrypt staging issuer", apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name: 'letsencrypt-staging' },
          { description: "Let's Encrypt production issuer", apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name: 'letsencrypt-prod' },
        ]),
  ],
  alerts: ({ options }) => certManagerAlerts(options.expiryAlertDays),
  scrapeTargets: certManagerTargets,
});
