import { z } from 'zod';
import { DEFAULT_INGRESS_CLASS } from '../../core/conventions.ts';
import { defineComponent } from '../../core/types.ts';

/** The chart's fullname for release `traefik` of chart `traefik`: Deployment and Service share it. */
export const TRAEFIK_NAME = 'traefik';

const options = z.strictObject({
  /** Proxy pods; every public request passes through them, so more than one survives a node drain. */
  replicas: z.int().min(1).max(20).default(2),
  /** LoadBalancer asks the cloud (OpenStack Octavia on Magnum) for a public IP; NodePort or ClusterIP sit behind something else. */
  serviceType: z.enum(['LoadBalancer', 'NodePort', 'ClusterIP']).default('LoadBalancer'),
  /** Annotations on the Service, read by the cloud controller (e.g. `loadbalancer.openstack.org/...`). */
  serviceAnnotations: z.record(z.string(), z.string()).default({}),
});

export const traefik = defineComponent({
  id: 'traefik',
  description: 'Traefik: the default IngressClass, HTTP redirected to HTTPS, TLS terminated on websecure behind a cloud load balancer',
  namespace: 'traefik',
  needs: [],
  options,
  chart: ({ options }) => ({
    repoURL: 'https://traefik.github.io/charts',
    chart: 'traefik',
    version: '41.3.0',
    releaseName: TRAEFIK_NAME,
    values: {
      deployment: { replicas: options.replicas },
      ...(options.replicas > 1 && { podDisruptionBudget: { enabled: true, maxUnavailable: 1 } }),
      ingressClass: { enabled: true, isDefaultClass: true, name: DEFAULT_INGRESS_CLASS },
      providers: {
        // external-dns reads the load balancer address from the Ingress status Traefik publishes.
        kubernetesIngress: { enabled: true, publishedService: { enabled: true } },
      },
      ports: {
        web: { http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
        websecure: { http: { tls: { enabled: true } } },
      },
      service: {
        enabled: true,
        spec: { type: options.serviceType },
        ...(Object.keys(options.serviceAnnotations).length > 0 && { annotations: options.serviceAnnotations }),
      },
    },
  }),
  health: ({ namespace }) => [
    { description: 'proxy', apiVersion: 'apps/v1', kind: 'Deployment', name: TRAEFIK_NAME, namespace },
    { description: 'entry point (load balancer address assigned)', apiVersion: 'v1', kind: 'Service', name: TRAEFIK_NAME, namespace },
    { description: 'default IngressClass', apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', name: DEFAULT_INGRESS_CLASS },
  ],
});
