import { extraApplication } from '../../core/argo.ts';
import type { K8sObject } from '../../core/types.ts';

export const ISTIO_CHARTS = 'https://istio-release.storage.googleapis.com/charts';
export const ISTIO_VERSION = '1.30.3';

/** `istio.io/dataplane-mode: ambient` puts a namespace's pods in the mesh through ztunnel (istio/istio cni/README.md at 1.30.3: the node agent captures pods whose namespace has it). */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';

/**
 * Gateway API at the version Istio 1.30.3 is built against (istio/istio go.mod at 1.30.3: sigs.k8s.io/gateway-api
 * v1.5.1). config/crd/kustomization.yaml at that tag lists the standard channel (config/crd/standard/*.yaml),
 * including the ValidatingAdmissionPolicy safe-upgrades.gateway.networking.k8s.io, which refuses experimental-channel
 * CRDs over standard ones and Gateway API CRDs older than v1.5.0.
 */
export const GATEWAY_API_REPO = 'https://github.com/kubernetes-sigs/gateway-api';
export const GATEWAY_API_VERSION = 'v1.5.1';
export const GATEWAY_API_PATH = 'config/crd';

/**
 * The DaemonSets ambient runs on every node: `istio-cni-node` (manifests/charts/istio-cni/templates/daemonset.yaml,
 * `{{ template "name" . }}-node` with name "istio-cni") and `ztunnel` (manifests/charts/ztunnel/templates/daemonset.yaml,
 * ztunnel.release-name: resourceName, default "ztunnel"), both at istio 1.30.3.
 */
export const CNI_DAEMONSET = 'istio-cni-node';
export const ZTUNNEL_DAEMONSET = 'ztunnel';

/** An Istio chart installed by an Application among the istio component's objects (the base chart is the component's own). */
export function chartApplication(input: {
  name: string;
  chart: string;
  wave: string;
  namespace: string;
  argoNamespace: string;
  values: Record<string, unknown>;
  /** What the chart's objects get at runtime that the chart cannot know. */
  ignoreDifferences?: unknown[];
}): K8sObject {
  return extraApplication({
    name: input.name,
    component: 'istio',
    argoNamespace: input.argoNamespace,
    namespace: input.namespace,
    wave: input.wave,
    sources: [{ repoURL: ISTIO_CHARTS, chart: input.chart, targetRevision: ISTIO_VERSION, helm: { releaseName: input.name, valuesObject: input.values } }],
    ...(input.ignoreDifferences && { ignoreDifferences: input.ignoreDifferences }),
    syncOptions: ['CreateNamespace=true', 'ServerSideApply=true', ...(input.ignoreDifferences ? ['RespectIgnoreDifferences=true'] : [])],
  });
}

/**
 * The Gateway API CRDs as an Application reading the upstream repository at its tag, not as rendered objects: they
 * are about 1 MB of upstream YAML that every tree would carry a copy of, and Plinth's render would have to embed.
 * Every object is annotated Prune=false,Delete=false: deleting a CRD deletes every Gateway and HTTPRoute in the
 * cluster, so switching ambient off, or another tool owning them later, never takes them away. Server-side apply,
 * because the HTTPRoute CRD is larger than the 256 KiB a client-side last-applied annotation may hold.
 */
export function gatewayApiApplication(input: { wave: string; namespace: string; argoNamespace: string }): K8sObject {
  return extraApplication({
    name: 'gateway-api-crds',
    component: 'istio',
    argoNamespace: input.argoNamespace,
    namespace: input.namespace,
    wave: input.wave,
    sources: [
      {
        repoURL: GATEWAY_API_REPO,
        targetRevision: GATEWAY_API_VERSION,
        path: GATEWAY_API_PATH,
        kustomize: { commonAnnotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } },
      },
    ],
    syncOptions: ['ServerSideApply=true'],
    prune: false,
  });
}
