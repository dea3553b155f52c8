import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { renderTree } from '../core/render.ts';
import { environmentsRejectionOf } from '../../test/components.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { resolveEnvironments } from './environments.ts';
import { LOCAL_DOMAIN, localPreset } from './presets.ts';

/** The seed's cluster at larger sizes, with a production environment and a laptop one on the local preset. */
function withLocal(local: Record<string, unknown> = {}): Record<string, any> {
  const config = minimalCluster();
  config.postgres.servers[0] = { name: 'main', instances: 3, dataSize: '100Gi' };
  config.topics[0] = { name: 'videos', replicas: 3, partitions: 6 };
  config.caches[0] = { name: 'sessions', replicas: 2 };
  config.apps[0].replicas = 4;
  config.components.redpanda = { brokers: 3 };
  config.components.traefik = { replicas: 3 };
  config.components.kargo = { host: 'deploy.example.org' };
  config.environments = { production: { context: 'prod' }, local: { context: 'k3d-plinth', preset: 'local', ...local } };
  return config;
}

const clusterOf = (config: unknown, env: string) => resolveEnvironments(config, registry).find((c) => c.config.environment?.name === env)!;

describe('the local preset', () => {
  it('turns public DNS off and certificates to the local CA, moves hosts under localtest.me, one of everything', () => {
    const { config } = clusterOf(withLocal(), 'local');
    expect(config.domain).toBe(LOCAL_DOMAIN);
    expect(Object.keys(config.components)).not.toContain('external-dns');
    expect(Object.keys(config.components)).not.toContain('designate-webhook');
    expect(config.components['cert-manager']!.options).toMatchObject({ issuer: 'local-ca', acmeEmail: 'ops@example.org' });
    expect(config.components.kargo!.options.host).toBe('deploy.localtest.me');
    expect(config.components.redpanda!.options).toMatchObject({ brokers: 1, storage: '2Gi' });
    expect(config.components.traefik!.options.replicas).toBe(1);
    expect(config.postgres.servers[0]).toMatchObject({ name: 'main', instances: 1, dataSize: '1Gi', walSize: '512Mi' });
    expect(config.topics[0]).toMatchObject({ name: 'videos', replicas: 1, partitions: 6 });
    expect(config.caches[0]).toMatchObject({ name: 'sessions', replicas: 0 });
    expect(config.apps.map((a) => [a.name, a.replicas, a.host])).toEqual([
      ['web', 1, 'web.localtest.me'],
      ['api', 1, undefined],
      ['worker', 1, undefined],
    ]);
  });

  it('leaves the other environments as the base declares them', () => {
    const { config } = clusterOf(withLocal(), 'production');
    expect(config.domain).toBe('example.org');
    expect(config.components['external-dns']).toBeDefined();
    expect(config.components['cert-manager']!.options.issuer).toBe('letsencrypt');
    expect(config.apps[0]!.replicas).toBe(4);
  });

  it('renders a tree with no Let\'s Encrypt issuer, no external-dns, and every Ingress on the local CA', () => {
    const tree = renderTree(clusterOf(withLocal(), 'local'), registry);
    const files = [...tree.files.keys()];
    expect(files.some((f) => f.includes('external-dns') || f.includes('designate-webhook'))).toBe(false);
    expect(files).toContain('manifests/cert-manager/clusterissuer-plinth-local-ca.yaml');
    expect([...tree.files.values()].some((c) => c.includes('letsencrypt'))).toBe(false);
    const ingresses = tree.objects.filter((o) => o.object.kind === 'Ingress');
    expect(ingresses.length).toBeGreaterThan(0);
    for (const { object } of ingresses) expect(object.metadata.annotations?.['cert-manager.io/cluster-issuer'], object.metadata.name).toBe('plinth-local-ca');
    // No DNS provider credential to set up for a laptop.
    const inputs = tree.components.flatMap((c) => c.secrets.map((s) => s.name));
    expect(inputs).toContain('argocd-repo-credentials');
    expect(inputs).not.toContain('designate-credentials');
  });

  it("gives way to the environment's own overrides", () => {
    const { config } = clusterOf(withLocal({ components: { traefik: { replicas: 2 } }, apps: [{ name: 'web', replicas: 2 }] }), 'local');
    expect(config.components.traefik!.options.replicas).toBe(2);
    expect(config.apps[0]).toMatchObject({ replicas: 2, host: 'web.localtest.me' });
  });

  it("names an environment override the preset's cluster refuses at the environment's path", () => {
    const issues = environmentsRejectionOf(withLocal({ apps: [{ name: 'web', host: 'web.example.org' }] }));
    expect(issues).toEqual([
      expect.objectContaining({ path: 'environments.local.apps[0].host', message: expect.stringContaining('outside the cluster domain "localtest.me"') }),
    ]);
  });

  it('keeps a Prometheus volume the base sized for its retentionSize', () => {
    const config = withLocal();
    config.components.monitoring = { prometheus: { retentionSize: '40GB' } };
    expect(localPreset(config).components).toMatchObject({ monitoring: { prometheus: { retention: '2d' } } });
    expect((localPreset(config).components as any).monitoring.prometheus.storage).toBeUndefined();
    delete config.components.monitoring.prometheus.retentionSize;
    expect((localPreset(config).components as any).monitoring.prometheus.storage).toEqual({ size: '5Gi' });
  });

  it('is byte-identical run to run', () => {
    const a = renderTree(clusterOf(withLocal(), 'local'), registry).files;
    const b = renderTree(clusterOf(withLocal(), 'local'), registry).files;
    expect([...a]).toEqual([...b]);
  });
});
