import { z } from 'zod';
import { formatPath } from '../../config/paths.ts';
import { dnsLabel } from '../../config/schema.ts';
import { ConfigError, type ConfigIssue } from '../../errors.ts';
import { deepMerge } from '../../core/merge.ts';
import { SYNC_WAVE } from '../../core/render.ts';
import { defineComponent, type HealthCheck, type K8sObject } from '../../core/types.ts';
import { traefik } from '../traefik/index.ts';
import {
  chartApplication,
  CNI_DAEMONSET,
  DATAPLANE_MODE_LABEL,
  gatewayApiApplication,
  ISTIO_CHARTS,
  ISTIO_VERSION,
  ZTUNNEL_DAEMONSET,
} from './ambient.ts';
import { ambientNetworkPolicies, strictMtls } from './mesh-policy.ts';
import { meshTargets } from './monitors.ts';

export { ISTIO_CHARTS, ISTIO_VERSION } from './ambient.ts';
export const INJECTION_LABEL = 'istio-injection';

/**
 * Within the istio Application's sync: base (CRDs, wave 0), then istiod, then the labelled namespaces. Ambient adds
 * the Gateway API CRDs and istio-cni beside istiod, then ztunnel, which gets its certificates and config from istiod
 * (manifests/charts/ztunnel/templates/daemonset.yaml: CA_ADDRESS and XDS_ADDRESS istiod.<istioNamespace>.svc:15012),
 * then the namespaces, so no pod starts in an ambient namespace before the node agents run.
 */
export const ISTIOD_WAVE = '1';
export const NAMESPACES_WAVE = '2';
const ZTUNNEL_WAVE = '2';
const AMBIENT_NAMESPACES_WAVE = '3';

/** Platform profiles every Istio chart ships (files/profile-platform-<name>.yaml in base, istiod, cni and ztunnel at 1.30.3). */
const PLATFORMS = ['gke', 'k3d', 'k3s', 'microk8s', 'minikube', 'openshift'] as const;

/** Namespaces that must never be in the mesh (sidecars or ztunnel): the control planes themselves. */
const RESERVED = ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system'];

const meshNamespaces = z
  .array(
    dnsLabel.refine((name) => !RESERVED.includes(name), {
      error: `is a system namespace; putting it in the mesh would put the control plane behind its own mesh (refused: ${RESERVED.join(', ')})`,
    }),
  )
  .superRefine((names, ctx) => {
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `"${name}" is listed twice` });
    });
  })
  .default([]);

const rawValues = z.record(z.string(), z.unknown()).default({});

const options = z.strictObject({
  /**
   * `sidecar`: an Envoy beside every pod of the listed namespaces. `ambient`: no sidecars; a ztunnel on every node
   * carries the listed namespaces' traffic over mTLS (istio-cni and ztunnel charts, istiod with profile ambient).
   */
  mode: z.enum(['sidecar', 'ambient']).default('sidecar'),
  /**
   * Namespaces whose pods get an Envoy sidecar (`istio-injection: enabled`), e.g. the apps' stage
   * namespaces: stageNamespace('production') is "production".
   */
  injectNamespaces: meshNamespaces,
  /** Ambient mode: namespaces labelled `istio.io/dataplane-mode: ambient`, whose pods ztunnel puts in the mesh. */
  ambientNamespaces: meshNamespaces,
  /** `strict`: the apps other apps call take only mTLS (a PeerAuthentication per callee); Istio's default is permissive. */
  mtls: z.enum(['permissive', 'strict']).default('permissive'),
  /** The cluster's platform, for the charts' platform profile (CNI paths, quotas): k3s and k3d need it in ambient mode. */
  platform: z.enum(PLATFORMS).optional(),
  /** Ambient mode: install the Gateway API CRDs (standard channel); off when the provider or another chart installs them. */
  gatewayApiCrds: z.boolean().default(true),
  /** Raw Helm values for the istiod chart, merged last (the component's own `values` go to the base chart). */
  istiodValues: rawValues,
  /** Ambient mode: raw Helm values for the cni chart (istio-cni), merged last. */
  cniValues: rawValues,
  /** Ambient mode: raw Helm values for the ztunnel chart, merged last. */
  ztunnelValues: rawValues,
});

type Options = z.output<typeof options>;

/**
 * Options that the other mode would silently ignore. Checked when the component renders, not in the zod object:
 * the config schema rebuilds each component's object from its shape (config/schema.ts componentsSchema), which
 * drops an object-level refinement.
 */
function modeIssues(options: Options): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const wrong = (key: keyof Options, message: string, hint: string) => issues.push({ path: formatPath(['components', 'istio', key]), message, hint });
  if (options.mode === 'ambient' && options.injectNamespaces.length > 0)
    wrong('injectNamespaces', 'lists sidecar namespaces, but mode is "ambient": no sidecar would be injected', 'move them to ambientNamespaces, or set mode "sidecar"');
  if (options.mode === 'sidecar') {
    if (options.ambientNamespaces.length > 0)
      wrong('ambientNamespaces', 'lists ambient namespaces, but mode is "sidecar": ztunnel is not installed', 'set mode "ambient", or move them to injectNamespaces');
    for (const key of ['cniValues', 'ztunnelValues'] as const)
      if (Object.keys(options[key]).length > 0)
        wrong(key, 'is set, but mode is "sidecar": that chart is installed only in ambient mode', `set mode "ambient", or remove ${key}`);
    if (!options.gatewayApiCrds)
      wrong('gatewayApiCrds', 'is off, but mode is "sidecar": the Gateway API CRDs are installed only in ambient mode', 'remove gatewayApiCrds');
  }
  return issues;
}

const meshOf = (options: Options) =>
  options.mode === 'ambient'
    ? { namespaces: options.ambientNamespaces, option: 'ambientNamespaces', label: [DATAPLANE_MODE_LABEL, 'ambient'] as const }
    : { namespaces: options.injectNamespaces, option: 'injectNamespaces', label: [INJECTION_LABEL, 'enabled'] as const };

/**
 * istiod flips its validating webhooks from Ignore to Fail once it serves them. Rendering Fail from the
 * start (supported by both charts since the Helm 4 server-side apply fix) leaves Argo CD nothing to undo.
 */
const sharedValues = (namespace: string, platform?: string) => ({
  global: { istioNamespace: namespace, ...(platform && { platform }) },
  base: { validationFailurePolicy: 'Fail' },
});

/**
 * Every Istio chart merges the profile named by `profile` under the user's values (templates/zzz_profile.yaml);
 * files/profile-ambient.yaml sets PILOT_ENABLE_AMBIENT in istiod and cni.ambient.enabled in istio-cni.
 */
const AMBIENT = { profile: 'ambient' };
const platformValues = (platform?: string) => (platform ? { global: { platform } } : {});

// istiod writes its CA into its webhooks at runtime; the chart cannot know it.
const WEBHOOK_CA = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => ({
  group: 'admissionregistration.k8s.io',
  kind,
  jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
}));

/**
 * Labels a namespace for injection. Apps may render the same namespace; server-side apply merges the
 * label into it, and Prune/Delete=false keep this component from ever deleting a namespace it only labels.
 */
export const injectedNamespace = (name: string): K8sObject => meshNamespace(name, [INJECTION_LABEL, 'enabled'], NAMESPACES_WAVE);

const meshNamespace = (name: string, [key, value]: readonly [string, string], wave: string): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name,
    labels: { [key]: value },
    annotations: {
      [SYNC_WAVE]: wave,
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
    },
  },
});

/** Objects in the mesh's namespaces go with the namespaces, which exist only from their wave on. */
const inWave = (object: K8sObject, wave: string): K8sObject => ({
  ...object,
  metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [SYNC_WAVE]: wave } },
});

const traefikNamespaceOf = (cluster: { components: Record<string, { common: { namespace?: string } }> }) =>
  cluster.components['traefik']?.common.namespace ?? traefik.namespace;

export const istio = defineComponent({
  id: 'istio',
  description: 'Istio: service mesh (base chart with the CRDs, then istiod); sidecars in the namespaces listed, or ambient mode (istio-cni, ztunnel)',
  namespace: 'istio-system',
  needs: [],
  options,
  chart: ({ namespace, options }) => ({
    repoURL: ISTIO_CHARTS,
    chart: 'base',
    version: ISTIO_VERSION,
    releaseName: 'istio-base',
    values: sharedValues(namespace, options.platform),
  }),
  resources: ({ argoNamespace, cluster, namespace, options }) => {
    const issues = modeIssues(options);
    if (issues.length > 0) throw new ConfigError(issues);
    const mesh = meshOf(options);
    const ambient = options.mode === 'ambient';
    const shared = sharedValues(namespace, options.platform);
    const objects: K8sObject[] = [
      chartApplication({
        name: 'istiod',
        chart: 'istiod',
        wave: ISTIOD_WAVE,
        namespace,
        argoNamespace,
        values: deepMerge(ambient ? deepMerge(shared, AMBIENT) : shared, options.istiodValues),
        ignoreDifferences: WEBHOOK_CA,
      }),
    ];
    if (ambient) {
      if (options.gatewayApiCrds) objects.push(gatewayApiApplication({ wave: ISTIOD_WAVE, namespace, argoNamespace }));
      objects.push(
        chartApplication({
          name: 'istio-cni',
          chart: 'cni',
          wave: ISTIOD_WAVE,
          namespace,
          argoNamespace,
          values: deepMerge({ ...AMBIENT, ...platformValues(options.platform) }, options.cniValues),
        }),
        chartApplication({
          name: 'ztunnel',
          chart: 'ztunnel',
          wave: ZTUNNEL_WAVE,
          namespace,
          argoNamespace,
          // ztunnel reads istioNamespace at the top level (templates/daemonset.yaml).
          values: deepMerge({ ...AMBIENT, istioNamespace: namespace, ...platformValues(options.platform) }, options.ztunnelValues),
        }),
      );
    }
    const wave = ambient ? AMBIENT_NAMESPACES_WAVE : NAMESPACES_WAVE;
    objects.push(...mesh.namespaces.map((name) => meshNamespace(name, mesh.label, wave)));
    const traefikNamespace = traefikNamespaceOf(cluster);
    const policies = [
      ...(options.mtls === 'strict' ? strictMtls({ cluster, mesh: mesh.namespaces, meshOption: mesh.option, traefikNamespace }) : []),
      ...(ambient ? ambientNetworkPolicies({ cluster, mesh: mesh.namespaces, traefikNamespace }) : []),
    ];
    return [...objects, ...policies.map((policy) => inWave(policy, wave))];
  },
  // Kiali is what reads the mesh's metrics: without it the render stays as it was.
  scrapeTargets: ({ enabled, monitoring, namespace, options }) =>
    enabled('kiali') ? meshTargets({ namespace, mode: options.mode, meshNamespaces: meshOf(options).namespaces, labels: monitoring?.labels ?? {} }) : [],
  health: ({ argoNamespace, namespace, options }) => {
    const ambient = options.mode === 'ambient';
    const application = (name: string, description: string): HealthCheck => ({
      description,
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      name,
      namespace: argoNamespace,
      blame: 'argo-cd',
    });
    const daemonSet = (name: string, description: string): HealthCheck => ({ description, apiVersion: 'apps/v1', kind: 'DaemonSet', name, namespace });
    const mesh = meshOf(options);
    return [
      application('istiod', 'istiod Application (synced after the base chart)'),
      { description: 'control plane: config, certificates, sidecar injection', apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace },
      ...(ambient
        ? [
            application('istio-cni', 'istio-cni Application'),
            {
              ...daemonSet(CNI_DAEMONSET, 'CNI node agent on every node: moves ambient pods\' traffic to ztunnel'),
              hint: `the cni chart's Application installs it: kubectl -n ${argoNamespace} get application istio-cni`,
            },
            application('ztunnel', 'ztunnel Application (synced after istiod)'),
            {
              ...daemonSet(ZTUNNEL_DAEMONSET, 'ztunnel on every node: mTLS between ambient pods'),
              hint: `ztunnel takes its certificates from istiod and its pods from istio-cni: check those first; the ztunnel chart's Application installs it: kubectl -n ${argoNamespace} get application ztunnel`,
            },
            ...(options.gatewayApiCrds ? [application('gateway-api-crds', 'Gateway API CRDs (standard channel)')] : []),
          ]
        : [
            {
              description: 'sidecar injection webhook',
              apiVersion: 'admissionregistration.k8s.io/v1',
              kind: 'MutatingWebhookConfiguration',
              name: 'istio-sidecar-injector',
            },
          ]),
      ...mesh.namespaces.map((name) => ({
        description: ambient ? `ambient mesh enabled in ${name}` : `sidecar injection enabled in ${name}`,
        apiVersion: 'v1',
        kind: 'Namespace',
        name,
      })),
    ];
  },
});
