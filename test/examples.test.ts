// Every config in examples/ renders and validates cleanly, so an example can never go stale.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/components/index.ts';
import { loadCluster } from '../src/config/load.ts';
import { renderTree } from '../src/core/render.ts';
import { declarations, renderProblems } from '../src/secrets/declarations.ts';
import { REPO, runCli, snapshotDir, tempDir } from './helpers.ts';

const EXAMPLES = join(REPO, 'examples');
const configs = (await readdir(EXAMPLES)).filter((f) => /\.config\.(ts|js|json|yaml)$/.test(f)).sort();

describe('examples/', () => {
  it('holds the real team of issue 15', () => {
    expect(configs).toContain('real-team.config.ts');
  });

  for (const config of configs) {
    it(`${config} renders and passes plinth validate --strict`, { timeout: 120_000 }, async () => {
      const out = await tempDir();
      const render = await runCli(['render', '-c', join(EXAMPLES, config), '-o', out]);
      expect(render.code, render.stderr).toBe(0);
      expect((await snapshotDir(out)).size).toBeGreaterThan(0);
      const validate = await runCli(['validate', '-c', join(EXAMPLES, config), '--strict']);
      expect(validate.code, validate.stdout + validate.stderr).toBe(0);
      expect(validate.stdout).toMatch(/: 0 errors, 0 warnings/);
    });
  }
});

describe('examples/real-team.config.ts', async () => {
  const resolved = await loadCluster(EXAMPLES, 'real-team.config.ts', registry);
  const tree = renderTree(resolved, registry);
  const object = (kind: string, name: string) =>
    tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name && o.object.metadata.namespace === 'production')!.object as any;
  const container = (app: string) => object('Deployment', app).spec.template.spec.containers[0];

  it('declares every need without a deployment patch or an extra object', () => {
    expect(resolved.config.apps.map((a) => a.name)).toEqual(['web', 'api', 'video-worker', 'transcriber', 'summarizer']);
    for (const app of resolved.config.apps) {
      expect(app.deployment, app.name).toBeUndefined();
      expect(app.extraObjects, app.name).toEqual([]);
    }
    for (const component of Object.values(resolved.config.components)) expect(component.common.extraObjects ?? []).toEqual([]);
  });

  it('runs web and api as root on port 3000, each relaxation with its reason', () => {
    for (const app of ['web', 'api']) {
      expect(container(app).ports[0]).toMatchObject({ name: 'http', containerPort: 3000 });
      expect(container(app).securityContext.runAsNonRoot).toBe(false);
      expect(object('Deployment', app).spec.template.metadata.annotations['plinth.dev/relaxed-run-as-root']).toMatch(/no USER/);
    }
  });

  it('gives the api its migration hook, its routes, its egress, its health path and its own variable names', () => {
    const job = object('Job', 'api-migrate');
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(job.spec.template.spec.containers[0].command).toEqual(['npm', 'run', 'db:migrate']);
    expect(object('Ingress', 'api').spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual(['/api/v1']);
    expect(object('Middleware', 'api-strip-0').spec.stripPrefix.prefixes).toEqual(['/api/v1']);
    expect(container('api').livenessProbe.httpGet.path).toBe('/healthcheck');
    const egress = object('NetworkPolicy', 'api').spec.egress as { to?: { ipBlock?: { cidr: string } }[]; ports?: { port: number }[] }[];
    const ports = egress.filter((rule) => rule.to?.some((peer) => peer.ipBlock)).flatMap((rule) => rule.ports!.map((p) => p.port));
    expect(ports).toEqual(expect.arrayContaining([443, 587, 8200]));
    const names = container('api').env.map((e: { name: string }) => e.name);
    expect(names).toEqual(expect.arrayContaining(['BROKER_URL', 'DATABASE_URL', 'KV_URL']));
    expect(names).not.toContain('KAFKA_BROKERS');
  });

  it('schedules the video worker on a GPU, in its fixed consumer group, with no port or Service', () => {
    expect(container('video-worker').resources.limits['nvidia.com/gpu']).toBe('1');
    expect(container('video-worker').ports ?? []).toEqual([]);
    expect(container('video-worker').env).toContainEqual({ name: 'CONSUMER_GROUP', value: 'video-transcoding' });
    expect(tree.objects.some((o) => o.object.kind === 'Service' && o.object.metadata.name === 'video-worker')).toBe(false);
  });

  it('declares the secrets of web and api, each read in production by its app only, and `plinth secrets list` finds 0 render problems', async () => {
    expect(renderProblems(tree, resolved.config)).toEqual([]);
    const inputs = declarations(tree, resolved.config).filter((d) => d.components.some((c) => c.startsWith('app:')));
    expect(inputs.map((d) => [d.name, d.keys.map((k) => k.key)])).toEqual([
      ['api-jwt', ['JWT_SECRET']],
      ['api-object-storage', ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']],
      ['api-smtp', ['SMTP_USERNAME', 'SMTP_PASSWORD']],
      ['api-vault', ['role-id', 'secret-id']],
      ['web-maps', ['MAPS_API_KEY']],
    ]);
    expect(container('api').env).toContainEqual({ name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 'api-jwt', key: 'JWT_SECRET' } } });
    expect(container('api').volumeMounts).toContainEqual({ name: 'secret-vault', mountPath: '/var/run/secrets/vault', readOnly: true });
    const list = await runCli(['secrets', 'list', '-c', join(EXAMPLES, 'real-team.config.ts'), '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { inputs: { name: string }[]; problems: unknown[] };
    expect(listed.problems).toEqual([]);
    expect(listed.inputs.map((i) => i.name)).toEqual(expect.arrayContaining(inputs.map((d) => d.name)));
  });

  it('gives the model services on port 8000 a startup probe', () => {
    for (const app of ['transcriber', 'summarizer']) {
      expect(container(app).ports[0].containerPort).toBe(8000);
      expect(container(app).startupProbe).toMatchObject({ httpGet: { path: '/health' }, failureThreshold: 60 });
    }
  });
});

describe('examples/platform-extras.config.ts', async () => {
  const resolved = await loadCluster(EXAMPLES, 'platform-extras.config.ts', registry);
  const tree = renderTree(resolved, registry);

  it('turns every extra on, and `plinth secrets list` declares each of their inputs with 0 render problems', async () => {
    for (const id of ['monitoring', 'sso', 'logging', 'runners', 'istio', 'kiali', 'podinfo']) expect(tree.components.map((c) => c.id)).toContain(id);
    expect(renderProblems(tree, resolved.config)).toEqual([]);
    const list = await runCli(['secrets', 'list', '-c', join(EXAMPLES, 'platform-extras.config.ts'), '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { inputs: { name: string; components: string[] }[]; problems: unknown[] };
    expect(listed.problems).toEqual([]);
    expect(listed.inputs.filter((i) => i.components.some((c) => ['sso', 'logging', 'runners'].includes(c))).map((i) => i.name).sort()).toEqual([
      'logging-s3',
      'runners-github-app',
      'sso-github-oauth',
    ]);
  });

  it('puts every admin UI and the admin app behind the GitHub sign-in, and nothing else', () => {
    const protectedHosts = new Set<string>();
    const walk = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      const record = value as Record<string, unknown>;
      const host = record['external-dns.alpha.kubernetes.io/hostname'];
      if (typeof host === 'string' && typeof record['traefik.ingress.kubernetes.io/router.middlewares'] === 'string') protectedHosts.add(host);
      Object.values(record).forEach(walk);
    };
    tree.objects.forEach((o) => walk(o.object));
    expect([...protectedHosts].sort()).toEqual(
      ['admin', 'argocd', 'grafana', 'kargo', 'kiali'].map((name) => `${name}.clinic.example.org`),
    );
  });
});
