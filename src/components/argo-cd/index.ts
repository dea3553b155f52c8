import { z } from 'zod';
import { dnsLabel, hostname } from '../../config/schema.ts';
import {
  DEFAULT_INGRESS_CLASS,
  defaultClusterIssuer,
  externalSecret,
  publicIngressAnnotations,
  usesLocalCa,
} from '../../core/conventions.ts';
import { IGNORE_HEALTHCHECK } from '../../core/argo.ts';
import { spokeRootApplication } from '../../core/hub.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { argoCdAlerts, argoCdTargets } from './alerts.ts';

/**
 * The health of a child Application as the root sees it: what decides whether a sync wave may go on.
 * Argo CD stopped assessing the health of Applications in 1.8; without a health check for them, app-of-apps
 * sync waves do not wait for a component at all.
 *
 * gitops-engine (argo-cd v3.4.4 gitops-engine/pkg/sync/sync_context.go, Sync) moves to the next wave once every
 * object of the current one is Healthy, fails the whole sync on a Degraded one, and waits on anything else. So:
 * - Healthy is Healthy; a child still installing (Progressing, Missing, no status yet) holds the later waves.
 * - A Degraded child, or one whose manifests cannot be generated (ComparisonError), does not hold them: the
 *   components that do not need it go on. It shows as Healthy to the root, with its real health first in the
 *   message; the child itself, and `plinth doctor`, show it Degraded.
 *   Components that need it are applied too and fail or retry on their own until it recovers.
 * - A stage Application (authorized for a Kargo stage) that has never synced and cannot resolve its branch waits
 *   for the first promotion: Progressing, never Healthy. It is in the last wave, so it holds nothing back.
 * Only the table, base and a safe os library are loaded (argo-cd v3.4.4 util/lua/lua.go runLua): no string functions.
 */
export const APPLICATION_HEALTH_LUA = `hs = { status = "Progressing", message = "" }
if obj.status == nil then
  return hs
end
local annotations = obj.metadata.annotations or {}
local stage = annotations["kargo.akuity.io/authorized-stage"] ~= nil
local problem = nil
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "ComparisonError" then
      if stage and obj.status.history == nil then
        hs.message = "waiting for the first promotion of " .. obj.metadata.name .. ": " .. (condition.message or "")
        return hs
      end
      problem = "ComparisonError: " .. (condition.message or "")
    end
  end
end
if obj.status.health ~= nil then
  hs.status = obj.status.health.status
  hs.message = obj.status.health.message or ""
end
if problem ~= nil or hs.status == "Degraded" then
  hs.message = "Degraded (does not hold later waves): " .. (problem or hs.message)
  hs.status = "Healthy"
end
return hs
`;

export const REPO_CREDENTIALS_SECRET = 'argocd-repo-credentials';

/** The secret input holding how this Argo CD logs in to another cluster it manages (hub mode). */
export const clusterCredentialsInput = (cluster: string): string => `argocd-cluster-${cluster}`;
/** The cluster Secret Argo CD reads for it, made by an ExternalSecret from that input. */
export const clusterSecretName = (cluster: string): string => `cluster-${cluster}`;

/**
 * The `config` key of a cluster Secret, as Argo CD's declarative setup documents it (argo-cd v3.4.4
 * docs/operator-manual/declarative-setup.md, "Clusters": bearerToken, tlsClientConfig.caData base64 PEM), written by
 * the External Secrets template from the input's keys. Neither value can hold a quote: a token is base64url with dots,
 * caData base64.
 */
export const CLUSTER_CONFIG_TEMPLATE = '{"bearerToken":"{{ .bearerToken }}","tlsClientConfig":{"insecure":false,"caData":"{{ .caData }}"}}';

const managedCluster = z.strictObject({
  /** Names the cluster in Argo CD (and its secret input `argocd-cluster-<name>`). */
  name: dnsLabel,
  /** The cluster's API server as this Argo CD reaches it; Applications name it as their destination.server. */
  server: z.url({ protocol: /^https$/, error: 'must be the https URL of the cluster\'s API server, e.g. "https://10.0.0.10:6443"' }),
  /**
   * The tree of the environment on that cluster, when the config declares it (set by the environments' resolution,
   * src/config/hub.ts): this Argo CD then runs its root Application too.
   */
  tree: z.strictObject({ repoURL: z.string().min(1), revision: z.string().min(1), path: z.string().min(1) }).optional(),
});
export type ManagedCluster = z.output<typeof managedCluster>;

/** The cluster Secret of a managed cluster (label argocd.argoproj.io/secret-type: cluster; keys name, server, config). */
function clusterSecret(managed: ManagedCluster, namespace: string): K8sObject {
  return externalSecret({
    name: clusterSecretName(managed.name),
    namespace,
    keys: [
      { secretKey: 'bearerToken', input: clusterCredentialsInput(managed.name), key: 'bearerToken' },
      { secretKey: 'caData', input: clusterCredentialsInput(managed.name), key: 'caData' },
    ],
    template: {
      labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
      data: { name: managed.name, server: managed.server, config: CLUSTER_CONFIG_TEMPLATE },
    },
  });
}

const options = z.strictObject({
  /** Public host of the UI; defaults to argocd.<domain>. */
  host: hostname.optional(),
  ingress: z.boolean().default(true),
  ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
  /** Default: the issuer components["cert-manager"].issuer renders (letsencrypt-prod, or plinth-local-ca). */
  clusterIssuer: z.string().optional(),
  /**
   * Other clusters this Argo CD deploys to (hub mode): a cluster Secret each, its credentials the secret input
   * `argocd-cluster-<name>`. An environment with `managedBy` is added to its hub's list by itself.
   */
  clusters: z.array(managedCluster).default([]),
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
  // Argo CD comes first (it syncs everything else), so its Ingress only requires these, not an order. With the local
  // CA no public DNS publishes the host, so external-dns is not one of them.
  uses: (options, cluster) => [
    ...(options.ingress ? ['traefik', 'cert-manager', ...(cluster && usesLocalCa(cluster) ? [] : ['external-dns'])] : []),
    // The credentials of each managed cluster come from the store.
    ...(options.clusters.length > 0 ? ['external-secrets'] : []),
  ],
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
          // Diff by a server-side dry run, as `plinth diff` does: operators' defaulting webhooks (CloudNativePG's)
          // add fields no rendered manifest states, which a client-side diff sees as drift forever (docs/adr/0006).
          // Key: argo-cd v3.4.4 docs/operator-manual/argocd-cmd-params-cm.yaml.
          params: { 'server.insecure': true, 'controller.diff.server.side': true },
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
                // Served only once traefik (same wave) has a load balancer: not a part of Argo CD's own health,
                // which gates every later wave. doctor checks the route with traefik and external-dns.
                annotations: { ...publicIngressAnnotations(host, options.clusterIssuer ?? defaultClusterIssuer(cluster)), [IGNORE_HEALTHCHECK]: 'true' },
                extraTls: [{ hosts: [host], secretName: 'argocd-tls' }],
              }
            : { enabled: false },
        },
      },
    };
  },
  resources: ({ cluster, namespace, enabled, options }) => {
    const objects: K8sObject[] = options.clusters.flatMap((managed) => [
      clusterSecret(managed, namespace),
      ...(managed.tree ? [spokeRootApplication({ cluster: cluster.name, env: managed.name, argoNamespace: namespace, ...managed.tree })] : []),
    ]);
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
  secrets: ({ cluster, options }) => [
    {
      name: REPO_CREDENTIALS_SECRET,
      keys: [{ key: 'token', description: 'read-only access token for the infra repository' }],
      purpose: `lets Argo CD pull ${cluster.git.repoURL} without being rate limited`,
      howToGet: 'GitHub: Settings > Developer settings > Fine-grained tokens; only the infra repository, Contents: read-only',
    },
    ...options.clusters.map((managed) => ({
      name: clusterCredentialsInput(managed.name),
      keys: [
        { key: 'bearerToken', description: `token of a ServiceAccount on ${managed.name} that Argo CD deploys as (cluster-admin there)` },
        { key: 'caData', description: `the CA certificate of ${managed.server}, PEM, base64-encoded in one line` },
      ],
      purpose: `lets this Argo CD deploy ${managed.tree ? `environment ${managed.name}'s tree` : 'Applications'} to ${managed.server}`,
      howToGet:
        `with kubectl's context for ${managed.name} (--context CTX): kubectl -n kube-system create serviceaccount argocd-manager; kubectl create clusterrolebinding argocd-manager ` +
        '--clusterrole cluster-admin --serviceaccount kube-system:argocd-manager; then bearerToken: kubectl -n kube-system create token argocd-manager --duration 8760h, ' +
        "caData: kubectl config view --raw --minify --context CTX -o jsonpath='{.clusters[0].cluster.certificate-authority-data}'",
    })),
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
  alerts: argoCdAlerts,
  scrapeTargets: argoCdTargets,
});
