import { z } from 'zod';
import { formatPath } from '../../config/paths.ts';
import { hostname, type ClusterConfig } from '../../config/schema.ts';
import { DEFAULT_INGRESS_CLASS, defaultClusterIssuer, generatedSecret, publicIngressAnnotations } from '../../core/conventions.ts';
import { defineComponent, type HealthCheck } from '../../core/types.ts';
import { ConfigError } from '../../errors.ts';
import { istio } from '../istio/index.ts';
import { monitoringOf, stackNames } from '../monitoring/index.ts';

/**
 * Every object the kiali-server chart renders is named by deployment.instance_name, "kiali" by default
 * (kiali/helm-charts kiali-server/templates/_helpers.tpl "kiali-server.fullname" at v2.29.0): the Deployment,
 * Service, ConfigMap, Ingress and NetworkPolicy.
 */
export const KIALI_NAME = 'kiali';
/** kiali-server values.yaml server.port; the Service and the NetworkPolicy use it (templates/service.yaml, networkpolicy.yaml). */
export const KIALI_PORT = 20001;
export const SIGNING_KEY_SECRET = 'kiali-signing-key';
export const KIALI_TLS_SECRET = 'kiali-tls';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const options = z.strictObject({
  /** Public host of the Kiali UI; defaults to kiali.<domain>. */
  host: hostname.optional(),
  /** Expose the UI through Traefik with a certificate; off means `kubectl port-forward` only. */
  ingress: z.boolean().default(true),
  ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
  /** Default: the issuer components["cert-manager"].issuer renders (letsencrypt-prod, or plinth-local-ca). */
  clusterIssuer: z.string().optional(),
  /** Prometheus holding Istio's metrics, which Kiali's graph and health read; defaults to the monitoring component's. */
  prometheusUrl: httpUrl.optional(),
  /**
   * `token`: sign in with a Kubernetes ServiceAccount token (Kiali's default on Kubernetes). `anonymous`: no Kiali
   * login at all, allowed only behind SSO (`sso` on this component), which then decides who gets in.
   */
  auth: z.enum(['token', 'anonymous']).default('token'),
  /** Hide every action that changes the mesh (Kiali's deployment.view_only_mode). */
  viewOnly: z.boolean().default(false),
});

type Options = z.output<typeof options>;

const hostOf = (options: Options, domain: string) => options.host ?? `kiali.${domain}`;
const istioNamespaceOf = (cluster: ClusterConfig) => cluster.components['istio']?.common.namespace ?? istio.namespace;

function prometheusUrlOf(cluster: ClusterConfig, options: Options): string {
  if (options.prometheusUrl) return options.prometheusUrl;
  const stack = monitoringOf(cluster);
  if (stack) return stackNames(stack.namespace).prometheusUrl;
  throw new ConfigError([
    {
      path: formatPath(['components', 'kiali', 'prometheusUrl']),
      message: 'is not set and the monitoring component is off: Kiali draws its graph and health from Istio\'s metrics in Prometheus',
      hint: 'enable components.monitoring, or set prometheusUrl to the Prometheus that scrapes Istio',
    },
  ]);
}

export const kiali = defineComponent({
  id: 'kiali',
  description: 'Kiali: the Istio mesh\'s console (traffic graph, health, config validation), from the kiali-server chart',
  // Kiali finds istiod and the mesh's root namespace in its own namespace unless told otherwise (templates/_helpers.tpl).
  namespace: istio.namespace,
  needs: (options) => ['istio', 'secret-generator', ...(options.ingress ? ['traefik', 'cert-manager'] : [])],
  options,
  chart: ({ cluster, namespace, options }) => {
    const host = hostOf(options, cluster.domain);
    if (options.auth === 'anonymous' && !cluster.components['kiali']?.common.sso)
      throw new ConfigError([
        {
          path: formatPath(['components', 'kiali', 'auth']),
          message: 'is "anonymous" without SSO in front: anyone who reaches the host could read and change the mesh',
          hint: 'set components.kiali.sso (true, or a list of teams) with the sso component on, or keep auth "token"',
        },
      ]);
    const istioNamespace = istioNamespaceOf(cluster);
    return {
      repoURL: 'https://kiali.org/helm-charts',
      chart: 'kiali-server',
      version: '2.29.0',
      releaseName: KIALI_NAME,
      values: {
        auth: { strategy: options.auth },
        deployment: {
          view_only_mode: options.viewOnly,
          ingress: options.ingress
            ? {
                enabled: true,
                override_yaml: {
                  metadata: { annotations: publicIngressAnnotations(host, options.clusterIssuer ?? defaultClusterIssuer(cluster)) },
                  // The chart's own spec has no TLS section, so the certificate needs the whole spec (templates/ingress.yaml).
                  spec: {
                    ingressClassName: options.ingressClassName,
                    rules: [
                      {
                        host,
                        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: KIALI_NAME, port: { number: KIALI_PORT } } } }] },
                      },
                    ],
                    tls: [{ hosts: [host], secretName: KIALI_TLS_SECRET }],
                  },
                },
              }
            : { enabled: false },
        },
        external_services: {
          prometheus: { url: prometheusUrlOf(cluster, options) },
          ...(istioNamespace !== namespace && { istio: { root_namespace: istioNamespace } }),
        },
        ...(istioNamespace !== namespace && { istio_namespace: istioNamespace }),
        // Without it the chart puts a random key (randAlphaNum 32) into the ConfigMap at every render: a secret in a
        // ConfigMap, changed at each Argo CD refresh. `secret:<name>:<key>` makes it mount the generated Secret instead
        // (templates/_helpers.tpl "kiali-server.credential-secrets", login_token.signing_key).
        login_token: { signing_key: `secret:${SIGNING_KEY_SECRET}:key` },
        // The UI at the host's root rather than under /kiali (templates/_helpers.tpl "kiali-server.server.web_root").
        server: { web_root: '/' },
      },
    };
  },
  // 32 characters, as the chart generates when it is given no key (templates/_helpers.tpl randAlphaNum 32).
  resources: ({ namespace }) => [generatedSecret({ name: SIGNING_KEY_SECRET, namespace, generate: { key: 32 } })],
  health: ({ namespace, options }) => {
    const checks: HealthCheck[] = [
      { description: 'Kiali server and UI', apiVersion: 'apps/v1', kind: 'Deployment', name: KIALI_NAME, namespace },
      {
        description: 'login token signing key, generated in the cluster',
        apiVersion: 'secretgenerator.mittwald.de/v1alpha1',
        kind: 'StringSecret',
        name: SIGNING_KEY_SECRET,
        namespace,
        blame: 'secret-generator',
      },
    ];
    if (options.ingress)
      checks.push({
        description: 'certificate of the UI',
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        name: KIALI_TLS_SECRET,
        namespace,
        blame: 'cert-manager',
      });
    return checks;
  },
});
