import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../config/validate.ts';
import type { RenderedTree } from '../../core/render.ts';
import type { ConfigIssue } from '../../errors.ts';
import { clusterWith, renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { chartFacts, customResourceProblems, valuesValidator } from '../../../test/upstream.ts';
import { traefik } from './index.ts';

/** Loading every upstream CRD takes a while when all test files run at once. */
const CRD_TIMEOUT = 120_000;
const registry = testRegistry(traefik);
const base = { 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org' } };
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { ...base, traefik: options });

const application = (tree: RenderedTree) => {
  const found = tree.objects.find((o) => o.file === 'apps/traefik.yaml');
  if (!found) throw new Error('apps/traefik.yaml not rendered');
  return found.object as Record<string, any>;
};
const valuesOf = (tree: RenderedTree) => application(tree).spec.sources[0].helm.valuesObject;

function issuesOf(options: Record<string, unknown>): ConfigIssue[] {
  const config = clusterWith({ ...base, traefik: options });
  return rejectionOf(config, registry);
}

describe('traefik', () => {
  it('installs the pinned chart as the only source, in wave 0 and its own namespace', async () => {
    const app = application(render());
    const fact = (await chartFacts()).find((f) => f.component === 'traefik')!;
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'traefik' });
    expect(app.spec.sources).toHaveLength(1);
    expect(app.spec.sources[0]).toMatchObject({
      repoURL: fact.chartRepo,
      chart: fact.chart,
      targetRevision: fact.version,
      helm: { releaseName: 'traefik' },
    });
  });

  it('is the default IngressClass "traefik" and publishes its address on Ingresses for external-dns', () => {
    const values = valuesOf(render());
    expect(values.ingressClass).toEqual({ enabled: true, isDefaultClass: true, name: 'traefik' });
    expect(values.providers).toEqual({ kubernetesIngress: { enabled: true, publishedService: { enabled: true } } });
  });

  it('redirects web permanently to websecure and terminates TLS on websecure', () => {
    expect(valuesOf(render()).ports).toEqual({
      web: { http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
      websecure: { http: { tls: { enabled: true } } },
    });
  });

  it('runs two replicas with a disruption budget behind a LoadBalancer Service by default', () => {
    const values = valuesOf(render());
    expect(values.deployment).toEqual({ replicas: 2 });
    expect(values.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(values.service).toEqual({ enabled: true, spec: { type: 'LoadBalancer' } });
  });

  it('follows the replicas, service type and load balancer annotations options', () => {
    const values = valuesOf(
      render({
        replicas: 1,
        serviceType: 'NodePort',
        serviceAnnotations: { 'loadbalancer.openstack.org/keep-floatingip': 'true' },
      }),
    );
    expect(values.deployment).toEqual({ replicas: 1 });
    expect(values.podDisruptionBudget).toBeUndefined();
    expect(values.service).toEqual({
      enabled: true,
      spec: { type: 'NodePort' },
      annotations: { 'loadbalancer.openstack.org/keep-floatingip': 'true' },
    });
  });

  it('owns no extra objects and declares no secret inputs', () => {
    const tree = render();
    expect(tree.objects.filter((o) => o.owner === 'traefik')).toEqual([]);
    expect([...tree.files.keys()].filter((f) => f.startsWith('manifests/traefik/'))).toEqual([]);
    expect(application(tree).spec.sources.some((s: any) => s.path)).toBe(false);
    expect(tree.components.find((c) => c.id === 'traefik')!.secrets).toEqual([]);
  });

  it('rejects bad options with their path', () => {
    expect(issuesOf({ serviceType: 'External' })).toEqual([
      { path: 'components.traefik.serviceType', message: 'must be one of "LoadBalancer", "NodePort", "ClusterIP"' },
    ]);
    expect(issuesOf({ replicas: 0 })).toEqual([
      { path: 'components.traefik.replicas', message: 'must be at least 1, got number 0' },
    ]);
    expect(issuesOf({ serviceAnnotations: { 'loadbalancer.openstack.org/proxy-protocol': true } })).toEqual([
      {
        path: 'components.traefik.serviceAnnotations["loadbalancer.openstack.org/proxy-protocol"]',
        message: 'must be a string, got boolean true',
      },
    ]);
  });

  it('needs no other component', () => {
    const config = clusterWith({ traefik: {} });
    const { graph } = resolveCluster(config, registry);
    expect(graph.order).toEqual(['traefik']);
  });

  it('renders Helm values the chart schema accepts, and the schema catches the pre-41 redirect syntax', async () => {
    const validate = await valuesValidator('traefik-values.schema.json');
    for (const options of [{}, { replicas: 1, serviceType: 'ClusterIP', serviceAnnotations: { a: 'b' } }]) {
      const values = valuesOf(render(options));
      expect(validate(values) ? [] : validate.errors).toEqual([]);
    }
    const values = valuesOf(render());
    const oldSyntax = { ...values, ports: { web: { redirections: { entryPoint: { to: 'websecure' } } } } };
    expect(validate(oldSyntax)).toBe(false);
    expect(validate({ ...values, ingressClass: { ...values.ingressClass, default: true } })).toBe(false);
  });

  it('renders no custom resource the upstream CRDs reject', async () => {
    expect(await customResourceProblems(render().objects)).toEqual([]);
  }, CRD_TIMEOUT);

  it('declares health checks for the proxy, its Service and the IngressClass', () => {
    const component = render().components.find((c) => c.id === 'traefik')!;
    expect(component.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}`)).toEqual([
      'Deployment/traefik/traefik',
      'Service/traefik/traefik',
      'IngressClass//traefik',
    ]);
  });
});
