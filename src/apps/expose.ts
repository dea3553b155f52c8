import { DEFAULT_CLUSTER_ISSUER, DEFAULT_INGRESS_CLASS, publicIngressAnnotations } from '../core/conventions.ts';
import type { K8sObject } from '../core/types.ts';

export interface ExposeInput {
  service: string;
  /** Name of the Ingress; default `<service>-ingress`. */
  name?: string;
  labels?: Record<string, string>;
  host: string;
  namespace: string;
  port: number;
  clusterIssuer?: string;
  ingressClassName?: string;
  /** Path prefixes routed to the Service; default `/`. */
  paths?: readonly string[];
  /** Traefik router middlewares, as the annotation takes them: `<namespace>-<name>@kubernetescrd`. */
  middlewares?: readonly string[];
}

/** Traefik's Ingress annotation for the middlewares of a router, applied in order (Traefik docs, "Kubernetes Ingress" routing, annotations). */
export const MIDDLEWARES_ANNOTATION = 'traefik.ingress.kubernetes.io/router.middlewares';

/** The seed's example Ingress for any Service (a golden-path app's too): external-dns record, Traefik's websecure entrypoint, a Let's Encrypt certificate. */
export function exposeIngress(input: ExposeInput): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: input.name ?? `${input.service}-ingress`,
      namespace: input.namespace,
      ...(input.labels && { labels: input.labels }),
      annotations: {
        ...publicIngressAnnotations(input.host, input.clusterIssuer ?? DEFAULT_CLUSTER_ISSUER),
        ...(input.middlewares?.length && { [MIDDLEWARES_ANNOTATION]: input.middlewares.join(',') }),
      },
    },
    spec: {
      ingressClassName: input.ingressClassName ?? DEFAULT_INGRESS_CLASS,
      tls: [{ hosts: [input.host], secretName: `${input.service}-tls` }],
      rules: [
        {
          host: input.host,
          http: {
            paths: (input.paths ?? ['/']).map((path) => ({ path, pathType: 'Prefix', backend: { service: { name: input.service, port: { number: input.port } } } })),
          },
        },
      ],
    },
  };
}
