import { z } from 'zod';
import { hostname } from '../../config/schema.ts';
import {
  DEFAULT_INGRESS_CLASS,
  defaultClusterIssuer,
  externalSecret,
  generatedSecret,
  publicIngressAnnotations,
} from '../../core/conventions.ts';
import { defineComponent, type HealthCheck } from '../../core/types.ts';
import { receiverKind } from '../../apps/delivery.ts';

/** Where Kargo publishes its chart: only as an OCI artifact (`helm install oci://ghcr.io/akuity/kargo-charts/kargo`). */
export const KARGO_CHART_OCI = 'oci://ghcr.io/akuity/kargo-charts';

export const ADMIN_INPUT = 'kargo-admin';
/** Credentials Kargo pushes each app's rendered stage branches with. */
export const GIT_CREDENTIALS_INPUT = 'kargo-git';
/** The shared secret of the push receivers, and the Secret it becomes in each app's project namespace. */
export const WEBHOOK_INPUT = 'kargo-webhook';
export const WEBHOOK_SECRET = 'kargo-webhook';
export const ADMIN_SECRET = 'kargo-admin';
export const SIGNING_KEY_SECRET = 'kargo-token-signing-key';
export const INGRESS_TLS_SECRET = 'kargo-api-ingress-cert';
/** Where the chart serves the external webhooks on the API's host: `<api.basePath>/webhooks` (values.yaml externalWebhooksServer.basePath). */
const WEBHOOKS_PATH = '/webhooks';
const behindSignIn = (cluster: { components: Record<string, { common: { sso?: unknown } }> }) => cluster.components.kargo?.common.sso !== undefined;

const options = z.strictObject({
  /** Public host of the Kargo UI and API; defaults to kargo.<domain>. */
  host: hostname.optional(),
  /** Expose the UI and API through Traefik with a Let's Encrypt certificate; off means `kubectl port-forward` only. */
  ingress: z.boolean().default(true),
  ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
  /** Default: the issuer components["cert-manager"].issuer renders (letsencrypt-prod, or plinth-local-ca). */
  clusterIssuer: z.string().optional(),
});

type Options = z.output<typeof options>;

const hostOf = (options: Options, domain: string) => options.host ?? `kargo.${domain}`;

export const kargo = defineComponent({
  id: 'kargo',
  description: 'Kargo: promotes new image versions through each app\'s stages by updating what Argo CD syncs',
  namespace: 'kargo',
  needs: (options) => [
    'argo-cd',
    'cert-manager',
    'secret-generator',
    'external-secrets',
    ...(options.ingress ? ['traefik'] : []),
  ],
  options,
  chart: ({ argoNamespace, cluster, options }) => {
    const host = hostOf(options, cluster.domain);
    const argo = cluster.components['argo-cd'];
    const argoOptions = (argo?.options ?? {}) as { host?: string; ingress?: boolean };
    const argoUrl = argo && argoOptions.ingress !== false ? `https://${argoOptions.host ?? `argocd.${cluster.domain}`}` : undefined;
    // Traefik terminates TLS, so the API and the external webhooks behind it speak plain HTTP but publish https URLs.
    const upstreamTls = { enabled: false, terminatedUpstream: true };
    return {
      repoURL: KARGO_CHART_OCI,
      chart: 'kargo',
      version: '1.11.2',
      releaseName: 'kargo',
      values: {
        api: {
          host,
          // The chart's own Secret would need the hash and key in values; these two Secrets replace it.
          secret: { name: ADMIN_SECRET },
          envFrom: [{ secretRef: { name: SIGNING_KEY_SECRET } }],
          ...(argoUrl && { argocd: { urls: { '': argoUrl } } }),
          ...(options.ingress
            ? {
                tls: upstreamTls,
                ingress: {
                  enabled: true,
                  ingressClassName: options.ingressClassName,
                  annotations: publicIngressAnnotations(host, options.clusterIssuer ?? defaultClusterIssuer(cluster)),
                  pathType: 'Prefix',
                  tls: { enabled: true, selfSignedCert: false, secretName: INGRESS_TLS_SECRET },
                },
              }
            : { ingress: { enabled: false } }),
        },
        ...(options.ingress && {
          externalWebhooksServer: {
            host,
            tls: upstreamTls,
            // Registries and CI cannot sign in: behind the UI's sign-in, the receivers get an Ingress of their own on
            // the same host and path (/webhooks, so the published URLs do not change) that the sso pass leaves open,
            // because it publishes no host of its own. Chart: templates/external-webhooks-server/ingress.yaml.
            ...(behindSignIn(cluster) && {
              basePath: WEBHOOKS_PATH,
              ingress: {
                enabled: true,
                ingressClassName: options.ingressClassName,
                annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' },
                pathType: 'Prefix',
                tls: { enabled: true, selfSignedCert: false, secretName: INGRESS_TLS_SECRET },
              },
            }),
          },
        }),
        controller: { argocd: { namespace: argoNamespace } },
      },
    };
  },
  resources: ({ namespace }) => [
    externalSecret({
      name: ADMIN_SECRET,
      namespace,
      keys: [{ secretKey: 'ADMIN_ACCOUNT_PASSWORD_HASH', input: ADMIN_INPUT, key: 'passwordHash' }],
    }),
    generatedSecret({ name: SIGNING_KEY_SECRET, namespace, generate: { ADMIN_ACCOUNT_TOKEN_SIGNING_KEY: 32 } }),
  ],
  secrets: ({ cluster, options }) => [
    {
      name: ADMIN_INPUT,
      keys: [{ key: 'passwordHash', description: 'bcrypt hash of the password of Kargo\'s `admin` account' }],
      purpose: `lets the team sign in to Kargo at https://${hostOf(options, cluster.domain)} as admin; only the hash is stored`,
      howToGet: 'pick a password and hash it: htpasswd -bnBC 10 "" PASSWORD | tr -d \':\\n\' (htpasswd is in apache2-utils / httpd-tools)',
    },
    ...(cluster.apps.length > 0
      ? [
          {
            name: GIT_CREDENTIALS_INPUT,
            keys: [
              { key: 'username', description: 'user (or bot) that pushes to the repository' },
              { key: 'password', description: 'its access token, allowed to push branches' },
            ],
            purpose: `lets Kargo push each app's rendered stage branches (plinth/<app>/<stage>) to ${cluster.git.repoURL}`,
            howToGet: 'create a fine-grained access token with "Contents: read and write" on the repository (GitHub: Settings > Developer settings)',
          },
        ]
      : []),
    ...(cluster.apps.some((app) => receiverKind(cluster, app) !== undefined)
      ? [
          {
            name: WEBHOOK_INPUT,
            keys: [{ key: 'secret', description: 'shared secret of the registry (or CI) webhooks that tell Kargo an image was pushed' }],
            purpose: `lets a push reach each app's pipeline in seconds instead of at the next poll (every ${cluster.delivery.pollInterval}); the receiver URLs derive from it`,
            howToGet: 'generate one: openssl rand -hex 32; then paste it where `plinth webhooks` says, with each URL',
          },
        ]
      : []),
  ],
  health: ({ namespace, options }) => {
    const deployment = (name: string, description: string): HealthCheck => ({ description, apiVersion: 'apps/v1', kind: 'Deployment', name, namespace });
    return [
      deployment('kargo-api', 'API server and UI'),
      deployment('kargo-controller', 'controller: Warehouses, Stages, Promotions'),
      deployment('kargo-management-controller', 'management controller: Project namespaces and permissions'),
      deployment('kargo-webhooks-server', 'admission webhooks'),
      deployment('kargo-external-webhooks-server', 'receiver of registry and git webhooks'),
      {
        description: 'admin password hash, copied from the secret store',
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: ADMIN_SECRET,
        namespace,
        blame: 'external-secrets',
      },
      {
        description: 'admin token signing key, generated in the cluster',
        apiVersion: 'secretgenerator.mittwald.de/v1alpha1',
        kind: 'StringSecret',
        name: SIGNING_KEY_SECRET,
        namespace,
        blame: 'secret-generator',
      },
      ...(options.ingress
        ? [
            {
              description: 'Let\'s Encrypt certificate of the UI',
              apiVersion: 'cert-manager.io/v1',
              kind: 'Certificate',
              name: INGRESS_TLS_SECRET,
              namespace,
              blame: 'cert-manager',
            },
          ]
        : []),
    ];
  },
});
