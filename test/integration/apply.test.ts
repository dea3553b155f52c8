import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, BlockedError, diff } from '../../src/commands/live.ts';
import { minimalCluster, REPO, tempDir, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const crds = join(UPSTREAM, 'crds');
const context = (cwd: string) => cluster.context(cwd);

/** The minimal test cluster under its own name, with its own database server, so tests sharing a control plane do not collide. */
function testCluster(name: string): Record<string, any> {
  const config = minimalCluster();
  config.name = name;
  config.postgres.servers[0].name = name;
  config.postgres.databases[0] = { name, server: name };
  for (const app of config.apps) if (app.database) app.database = name;
  return config;
}

async function configDir(config: unknown): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}


describe('plinth apply on a real API server', () => {
  it('dry-runs every object of the default render cleanly, then applies it, then finds nothing to change', async () => {
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    const before = await diff(options, context(REPO));
    expect(before.changes.filter((c) => c.action === 'error')).toEqual([]);
    expect(before.changes.filter((c) => c.action === 'skip')).toEqual([]);
    expect(before.differences).toBeGreaterThan(0);

    const first = await apply(options, context(REPO));
    expect(first.failed).toEqual([]);
    expect(first.created).toBe(before.changes.filter((c) => c.action === 'create').length);

    const second = await apply(options, context(REPO));
    expect(second).toMatchObject({ created: 0, configured: 0, pruned: 0, failed: [] });
    expect(second.unchanged).toBe(first.created + first.unchanged);
    const after = await diff(options, context(REPO));
    expect(after.differences).toBe(0);

    const issuer = await cluster.live.get({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' } });
    expect(issuer?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('plinth');
    const fields = (issuer?.metadata.managedFields as { manager: string; operation: string }[]).map((f) => `${f.manager}/${f.operation}`);
    expect(fields).toContain('plinth/Apply');
  });

  it('shows exactly the change a config edit makes', async () => {
    const config = testCluster('diffs');
    const dir = await configDir(config);
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    await apply(options, context(dir));
    config.components['cert-manager'].acmeEmail = 'new-owner@example.org';
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));

    const result = await diff(options, context(dir));
    const changed = result.changes.filter((c) => c.action !== 'unchanged');
    expect(changed.map((c) => `${c.action} ${c.ref}`)).toEqual([
      'update ClusterIssuer/letsencrypt-prod',
      'update ClusterIssuer/letsencrypt-staging',
    ]);
    const lines = changed[0]!.diff!.split('\n').filter((l) => /^[-+] /.test(l));
    expect(lines).toEqual(['-    email: ops@example.org', '+    email: new-owner@example.org']);
  });

  it('refuses an immutable change before applying anything, with the manual step', async () => {
    const deployment = (app: string, marker: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'selector-test', namespace: 'argocd' },
      spec: {
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'registry.example.org/c:1' }] } },
      },
      marker,
    });
    const config = testCluster('immutable');
    const { marker: _m, ...first } = deployment('one', '');
    config.components['argo-cd'] = { extraObjects: [first] };
    const dir = await configDir(config);
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    expect((await apply(options, context(dir))).failed).toEqual([]);

    const { marker: _n, ...second } = deployment('two', '');
    config.components['argo-cd'] = { extraObjects: [second] };
    config.components['cert-manager'].acmeEmail = 'changed@example.org';
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const error = await apply(options, context(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlockedError);
    const [blocked] = (error as BlockedError).changes;
    expect(blocked?.ref).toBe('Deployment/argocd/selector-test');
    expect(blocked?.immutable?.[0]).toMatchObject({
      field: 'spec.selector',
      manualStep: 'kubectl delete deployment selector-test -n argocd --cascade=orphan, then apply again (the pods keep running and are adopted)',
    });
    const issuer = await cluster.live.get({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' } });
    expect((issuer?.spec as { acme: { email: string } }).acme.email).not.toBe('changed@example.org');
  });

  it('prunes only what Plinth applied and no longer renders, and keeps data without --allow-data-loss', async () => {
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    const config = testCluster('prune');
    const extra = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data: { a: '1' } });
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'prune-data', namespace: 'argocd' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    config.components['argo-cd'] = { extraObjects: [extra('prune-kept'), extra('prune-dropped'), claim] };
    const dir = await configDir(config);
    await apply(options, context(dir));
    await cluster.live.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'foreign', namespace: 'argocd' }, data: { b: '2' } } as never);

    config.components['argo-cd'] = { extraObjects: [extra('prune-kept')] };
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const result = await apply({ ...options, prune: true }, context(dir));
    expect(result.failed).toEqual([]);
    const names = (await cluster.live.list('v1', 'ConfigMap', { namespace: 'argocd' })).map((c) => c.metadata.name);
    expect(names).toContain('foreign');
    expect(names).toContain('prune-kept');
    expect(names).not.toContain('prune-dropped');
    expect(await cluster.live.get(claim)).toBeDefined();
    expect(result.kept).toBeGreaterThanOrEqual(1);

    const dataLoss = await apply({ ...options, prune: true, allowDataLoss: true }, context(dir));
    expect(dataLoss.failed).toEqual([]);
    const gone = await cluster.live.get(claim);
    expect(gone === undefined || (gone.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined).toBe(true);
  });

  it('converges after the API server is killed in the middle of an apply: nothing lost, nothing duplicated', { timeout: 400_000 }, async (ctx) => {
    if (process.env.PLINTH_TEST_KUBECONFIG) ctx.skip();
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    const config = testCluster('crash');
    const count = 120;
    config.components['argo-cd'] = {
      extraObjects: Array.from({ length: count }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `crash-${i}`, namespace: 'crash-test' },
        data: { index: String(i) },
      })),
    };
    const dir = await configDir(config);
    const ours = async () =>
      (await cluster.live.list('v1', 'ConfigMap', { namespace: 'crash-test', labelSelector: 'app.kubernetes.io/managed-by=plinth' })).length;

    const applying = apply(options, context(dir)).then(
      (summary) => ({ summary, error: undefined }),
      (error: unknown) => ({ summary: undefined, error }),
    );
    // Crash once the apply has started writing the ConfigMaps.
    for (let i = 0; i < 600 && (await ours().catch(() => 0)) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    cluster.control.crashApiServer();
    const interrupted = await applying;
    expect(interrupted.error ?? interrupted.summary).toBeDefined();

    // The API server comes back on its own; a rerun completes what is missing.
    let rerun;
    for (let attempt = 0; attempt < 30; attempt++) {
      rerun = await apply(options, context(dir)).catch(() => undefined);
      if (rerun && rerun.failed.length === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(rerun?.failed).toEqual([]);
    const settled = await apply(options, context(dir));
    expect(settled).toMatchObject({ created: 0, configured: 0, failed: [] });
    const configMaps = await cluster.live.list('v1', 'ConfigMap', { namespace: 'crash-test', labelSelector: 'app.kubernetes.io/managed-by=plinth' });
    expect(configMaps.map((c) => c.metadata.name).sort()).toEqual(Array.from({ length: count }, (_, i) => `crash-${i}`).sort());
    expect(configMaps.every((c) => (c.data as { index: string }).index === c.metadata.name.slice('crash-'.length))).toBe(true);
  });
});
