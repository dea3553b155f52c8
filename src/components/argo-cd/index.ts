import { z } from 'zod';
import { hostname } from '../../config/schema.ts';
import {
  DEFAULT_CLUSTER_ISSUER,
  DEFAULT_INGRESS_CLASS,
  externalSecret,
  publicIngressAnnotations,
} from '../../core/conventions.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';

/**
 * Argo CD stopped assessing the health of Applications in 1.8; without this, app-of-apps sync waves
 * do not wait for a component to be healthy before the next wave starts.
 */
export const APPLICATION_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`;

export const REPO_CREDENTIALS_SECRET = 'argocd-repo-credentials';

const options = z.strictObject({
  /** Public host of the UI; defaults to argocd.<domain>. */
  host: hostname.optional(),
  ingress: z.boolean().default(true),
  ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
  clusterIssuer: z.string().default(DEFAULT_CLUSTER_ISSUER),
  /** How often Argo CD polls git; the seed's team was rate-limited by GitHub. */
  reconciliation: z
    .string()
    .regex(/^[0-9]+[smh]$/, { error: 'must be a duration such as "180s" or "5m"' })
    .default('180s'),
});

export const argoCd = defineComponent({
  id: 'argo-cd',
  description: 'Argo CD: syncs the rendered tree (app of apps) into the cluster',
  namespace: 'argocd',
  needs: [],
  // Argo CD comes first (it syncs everything else), so its Ingress only requires these, not an order.
  uses: (options) => (options.ingress ? ['traefik', 'cert-manager', 'external-dns'] : []),
  options,
  chart: ({ cluster, options }) => {
    const host = options.host ?? `argocd.${cluster.domain}`;
    return {
      repoURL: 'https://argoproj.github.io/argo-helm',
      chart: 'argo-cd',
      version: '10.1.1',
      releaseName: 'argocd',
      values: {
        global: { domain: host },
        configs: {
          // Traefik terminates TLS; the server behind it speaks plain HTTP, as in the seed's example Ingress.
          params: { 'server.insecure': true },
          cm: {
            'timeout.reconciliation': options.reconciliation,
            'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA,
          },
        },
        server: {
          ingress: options.ingress
            ? {
                enabled: true,
                ingressClassName: options.ingressClassName,
                hostname: host,
                annotations: publicIngressAnnotations(host, options.clusterIssuer),
                extraTls: [{ hosts: [host], secretName: 'argocd-tls' }],
              }
            : { enabled: false },
        },
      },
    };
  },
  resources: ({ cluster, namespace, enabled }) => {
    const objects: K8sObject[] = [];
    if (enabled('external-secrets')) {
      objects.push(
        externalSecret({
          name: 'infra-repository',
          namespace,
          keys: [{ secretKey: 'token', input: REPO_CREDENTIALS_SECRET, key: 'token' }],
          template: {
            labels: { 'argocd.argoproj.io/secret-type': 'repository' },
            data: { type: 'git', url: cluster.git.repoURL, username: 'plinth', password: '{{ .token }}' },
          },
        }),
      );
    }
    return objects;
  },
  secrets: ({ cluster }) => [
    {
      name: REPO_CREDENTIALS_SECRET,
      keys: [{ key: 'token', description: 'read-only access token for the infra repository' }],
      purpose: `lets Argo CD pull ${cluster.git.repoURL} without being rate limited`,
      howToGet: 'GitHub: Settings > Developer settings > Fine-grained tokens; only the infra repository, Contents: read-only',
    },
  ],
  health: ({ namespace }) => [
    { description: 'API server and UI', apiVersion: 'apps/v1', kind: 'Deployment', name: 'argocd-server', namespace },
    { description: 'repository server', apiVersion: 'apps/v1', kind: 'Deployment', name: 'argocd-repo-server', namespace },
    {
      description: 'application controller',
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'argocd-application-controller',
      namespace,
    },
  ],
});
