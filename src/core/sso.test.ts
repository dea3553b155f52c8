import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { componentHosts } from '../config/hosts.ts';
import { resolveCluster } from '../config/validate.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { protectHosts } from './sso.ts';
import { renderTree } from './render.ts';

const HOSTNAME = 'external-dns.alpha.kubernetes.io/hostname';
const MIDDLEWARES = 'traefik.ingress.kubernetes.io/router.middlewares';

/** Every record in a value that names a public host, with the path to it. */
function published(value: unknown, path = ''): { path: string; record: Record<string, unknown> }[] {
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const children = Object.entries(record).flatMap(([key, child]) => published(child, `${path}.${key}`));
  return typeof record[HOSTNAME] === 'string' ? [{ path, record }, ...children] : children;
}

/** Every registered component on, with the options the ones that need them are given in their own tests. */
function everything(): Record<string, any> {
  const config = minimalCluster();
  for (const id of Object.keys(registry)) config.components[id] ??= {};
  Object.assign(config.components, {
    'cloudnative-pg': { backup: { destinationPath: 's3://pg-backups/test', endpointURL: 'https://s3.example.org' } },
    devpod: { members: ['alice'] },
    logging: { bucket: 'cluster-logs' },
    runners: { sets: [{ name: 'linux', githubConfigUrl: 'https://github.com/acme' }] },
    sso: { github: { org: 'acme-corp' } },
  });
  return config;
}

describe('sso on any host', () => {
  it('protects every host of every registry component that publishes one, where it is published, with no list of components', () => {
    const config = everything();
    const publishers = [...new Set(componentHosts(resolveCluster(config, registry).config, registry).map((c) => /"(.+)"/.exec(c.owner)![1]!))].filter((id) => id !== 'sso');
    // The admin UIs the issue names, found by the walk, not listed in the code.
    expect(publishers).toEqual(expect.arrayContaining(['argo-cd', 'kargo', 'monitoring', 'kiali']));
    for (const id of publishers) config.components[id] = { ...config.components[id], sso: ['platform'] };
    const tree = renderTree(resolveCluster(config, registry), registry);
    for (const id of publishers) {
      const application = tree.objects.find((o) => o.owner === 'apps' && o.object.metadata.name === id)!.object as Record<string, any>;
      const values = application.spec.sources.find((s: { helm?: unknown }) => s.helm)?.helm.valuesObject;
      const hosts = [...published(values), ...tree.objects.filter((o) => o.owner === id).flatMap((o) => published(o.object))];
      expect(hosts.length, id).toBeGreaterThan(0);
      for (const { path, record } of hosts) expect(record[MIDDLEWARES], `${id}${path}`).toBe('sso-sso-team-platform@kubernetescrd');
    }
    // What sets no sso is left alone: the sign-in host itself.
    const own = (tree.objects.find((o) => o.owner === 'apps' && o.object.metadata.name === 'sso')!.object as Record<string, any>).spec.sources[0].helm.valuesObject;
    expect(published(own).map(({ record }) => record[MIDDLEWARES])).toEqual([undefined]);
  });

  it('adds the Middleware once, before those already named, and leaves values without a host as they were', () => {
    const value = { a: { annotations: { [HOSTNAME]: 'x.example.org', [MIDDLEWARES]: 'ns-auth@kubernetescrd, sso-sso@kubernetescrd' } }, b: [{ c: 1 }] };
    const hosts = new Set<string>();
    const protectedValue = protectHosts(value, 'sso-sso@kubernetescrd', hosts);
    expect(protectedValue.a.annotations[MIDDLEWARES]).toBe('sso-sso@kubernetescrd,ns-auth@kubernetescrd');
    expect([...hosts]).toEqual(['x.example.org']);
    // The input is not changed: component values can be shared constants.
    expect(value.a.annotations[MIDDLEWARES]).toBe('ns-auth@kubernetescrd, sso-sso@kubernetescrd');
    expect(protectHosts({ b: [{ c: 1 }] }, 'sso-sso@kubernetescrd')).toEqual({ b: [{ c: 1 }] });
  });

  it('refuses an IngressRoute among the extraObjects of a component with sso: its host would stay open', () => {
    const config = everything();
    const route = { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'dashboard', namespace: 'traefik' }, spec: { routes: [] } };
    config.components.traefik = { sso: true, extraObjects: [route] };
    let issues: unknown;
    try {
      resolveCluster(config, registry);
    } catch (error) {
      issues = (error as { issues: unknown }).issues;
    }
    expect(issues).toEqual([
      {
        path: 'components.traefik.extraObjects[0]',
        message: 'IngressRoute "dashboard" would not be behind sign-in: sso adds Traefik\'s router.middlewares annotation, which only Ingresses read',
        hint: "publish the host with an Ingress instead, or add the sso Middleware to the IngressRoute's routes yourself and keep it out of this component",
      },
      // And with nothing else it publishes, the component has no host to protect.
      expect.objectContaining({ path: 'components.traefik.sso' }),
    ]);
  });
});
