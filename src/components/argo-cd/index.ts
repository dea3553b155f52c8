import { z } from 'zod';
import { hostname } from '../../config/schema.ts';
import {
  DEFAULT_INGRESS_CLASS,
  defaultClusterIssuer,
  externalSecret,
  publicIngressAnnotations,
  usesLocalCa,
} from '../../core/conventions.ts';
import { IGNORE_HEALTHCHECK } from '../../core/argo.ts';
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

const options = z.strictObject({
  /** Public host of the UI; defaults to argocd.<domain>. */
  host: hostname.optional(),
  ingress: z.boolean().default(true),
  ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
  /** Default: the issuer components["cert-manager"].issuer renders (letsencrypt-prod, or plinth-local-ca). */
  clusterIssuer: z.string().optional(),
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
  uses: (options, cluster) =>
    options.ingress ? ['traefik', 'cert-manager', ...(cluster && usesLocalCa(cluster) ? [] : ['external-dns'])] : [],
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
  alerts: argoCdAlerts,
  scrapeTargets: argoCdTargets,
});
