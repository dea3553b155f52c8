import { z } from 'zod';
import { dnsLabel } from '../../config/schema.ts';
import { deepMerge } from '../../core/merge.ts';
import { COMPONENT_LABEL, IN_CLUSTER, MANAGED_BY, SYNC_WAVE } from '../../core/render.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';

export const ISTIO_CHARTS = 'https://istio-release.storage.googleapis.com/charts';
export const ISTIO_VERSION = '1.30.3';
export const INJECTION_LABEL = 'istio-injection';

/** Within the istio Application's sync: base (CRDs, wave 0), then istiod, then the labelled namespaces. */
export const ISTIOD_WAVE = '1';
export const NAMESPACES_WAVE = '2';

/** Namespaces whose pods must never get a sidecar: the control planes themselves. */
const RESERVED = ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system'];

const options = z.strictObject({
  /**
   * Namespaces whose pods get an Envoy sidecar (`istio-injection: enabled`), e.g. the apps' stage
   * namespaces: stageNamespace('production') is "production".
   */
  injectNamespaces: z
    .array(
      dnsLabel.refine((name) => !RESERVED.includes(name), {
        error: `is a system namespace; sidecars there would put the control plane behind its own mesh (refused: ${RESERVED.join(', ')})`,
      }),
    )
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `"${name}" is listed twice` });
      });
    })
    .default([]),
  /** Raw Helm values for the istiod chart, merged last (the component's own `values` go to the base chart). */
  istiodValues: z.record(z.string(), z.unknown()).default({}),
});

/**
 * istiod flips its validating webhooks from Ignore to Fail once it serves them. Rendering Fail from the
 * start (supported by both charts since the Helm 4 server-side apply fix) leaves Argo CD nothing to undo.
 */
const sharedValues = (namespace: string) => ({
  global: { istioNamespace: namespace },
  base: { validationFailurePolicy: 'Fail' },
});

function istiodApplication(input: { namespace: string; argoNamespace: string; values: Record<string, unknown> }): K8sObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: 'istiod',
      namespace: input.argoNamespace,
      labels: { ...MANAGED_BY, [COMPONENT_LABEL]: 'istio' },
      annotations: { [SYNC_WAVE]: ISTIOD_WAVE },
    },
    spec: {
      project: 'default',
      destination: { server: IN_CLUSTER, namespace: input.namespace },
      sources: [
        {
          repoURL: ISTIO_CHARTS,
          chart: 'istiod',
          targetRevision: ISTIO_VERSION,
          helm: { releaseName: 'istiod', valuesObject: input.values },
        },
      ],
      // istiod writes its CA into its webhooks at runtime; the chart cannot know it.
      ignoreDifferences: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => ({
        group: 'admissionregistration.k8s.io',
        kind,
        jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
      })),
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true', 'ServerSideApply=true', 'RespectIgnoreDifferences=true'],
        retry: { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
      },
    },
  };
}

/**
 * Labels a namespace for injection. Apps may render the same namespace; server-side apply merges the
 * label into it, and Prune/Delete=false keep this component from ever deleting a namespace it only labels.
 */
export const injectedNamespace = (name: string): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name,
    labels: { [INJECTION_LABEL]: 'enabled' },
    annotations: {
      [SYNC_WAVE]: NAMESPACES_WAVE,
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
    },
  },
});

export const istio = defineComponent({
  id: 'istio',
  description: 'Istio: service mesh (base chart with the CRDs, then istiod); sidecars only in the namespaces listed',
  namespace: 'istio-system',
  needs: [],
  options,
  chart: ({ namespace }) => ({
    repoURL: ISTIO_CHARTS,
    chart: 'base',
    version: ISTIO_VERSION,
    releaseName: 'istio-base',
    values: sharedValues(namespace),
  }),
  resources: ({ argoNamespace, namespace, options }) => [
    istiodApplication({
      namespace,
      argoNamespace,
      values: deepMerge(sharedValues(namespace), options.istiodValues),
    }),
    ...options.injectNamespaces.map(injectedNamespace),
  ],
  health: ({ argoNamespace, namespace, options }) => [
    {
      description: 'istiod Application (synced after the base chart)',
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      name: 'istiod',
      namespace: argoNamespace,
      blame: 'argo-cd',
    },
    { description: 'control plane: config, certificates, sidecar injection', apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace },
    {
      description: 'sidecar injection webhook',
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      name: 'istio-sidecar-injector',
    },
    ...options.injectNamespaces.map((name) => ({
      description: `sidecar injection enabled in ${name}`,
      apiVersion: 'v1',
      kind: 'Namespace',
      name,
    })),
  ],
});
