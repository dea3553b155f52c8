import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { apply, BlockedError, diff, type ApplyResult } from '../../src/commands/live.ts';
import { INVENTORY } from '../../src/kube/apply.ts';
import { minimalCluster, REPO, runCli, tempDir, UPSTREAM } from '../helpers.ts';
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
  it('on an empty cluster without --crds, stops before writing anything, naming the missing kinds and both ways out', async () => {
    const cli = await runCli(['apply', '--kubeconfig', cluster.control.kubeconfig]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    const lines = cli.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^checking that https:\/\/127\.0\.0\.1:\d+ serves the \d+ kinds to apply$/);
    // One line says what is missing, one what to do.
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^error: the cluster has no CRD for \d+ kinds that \d+ rendered objects use: Application \(argoproj\.io\/v1alpha1\), \w+ \([\w.-]+\/\w+\), \w+ \([\w.-]+\/\w+\) and \d+ more; nothing was applied$/,
    );
    expect(lines[2]).toBe(
      '  hint: start with `plinth bootstrap`: it installs Argo CD, which installs each component with its CRDs. To apply without Argo CD, give the CRDs: `plinth apply --crds DIR` (a directory of CRD manifests)',
    );
    const json = await runCli(['apply', '--kubeconfig', cluster.control.kubeconfig, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({ type: 'MissingCrdsError', hint: expect.stringContaining('plinth bootstrap') });
    // Nothing was written: no namespace or inventory of Plinth's, and not one custom resource definition.
    expect(await cluster.live.list('v1', 'Namespace', { labelSelector: 'app.kubernetes.io/managed-by=plinth' })).toEqual([]);
    expect(await cluster.live.get(INVENTORY)).toBeUndefined();
    expect(await cluster.live.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toEqual([]);
  });

  it('dry-runs every object of the default render cleanly, then applies it with a line per phase, then finds nothing to change', { timeout: 400_000 }, async () => {
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    const before = await diff(options, context(REPO));
    expect(before.changes.filter((c) => c.action === 'error')).toEqual([]);
    expect(before.changes.filter((c) => c.action === 'skip')).toEqual([]);
    expect(before.differences).toBeGreaterThan(0);

    // Not on a terminal: one plain line per phase on stderr, and stdout holds only the JSON.
    const cli = await runCli(['apply', '--kubeconfig', cluster.control.kubeconfig, '--crds', crds, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const first = JSON.parse(cli.stdout) as ApplyResult;
    const phases = cli.stderr.trimEnd().split('\n');
    expect(phases[0]).toMatch(/^checking that \S+ serves the \d+ kinds to apply$/);
    expect(phases[1]).toBe(`dry-running ${before.changes.length} objects against ${first.server}`);
    expect(phases.filter((l) => l.startsWith('phase ')).map((l) => l.replace(/: .*/, ''))).toEqual([
      'phase 1/6, CRDs',
      'phase 2/6, namespaces and the other CRDs',
      'phase 3/6, wave 0',
      'phase 4/6, wave 1',
      'phase 5/6, wave 2',
      'phase 6/6, root Application',
    ]);
    expect(phases).toContain('phase 6/6, root Application: 1 object');
    expect(phases.every((l) => !l.includes('\r') && !l.includes('\u001b'))).toBe(true);
    expect(first.failed).toEqual([]);
    expect(first.created).toBe(before.changes.filter((c) => c.action === 'create').length);

    // Again, on a terminal: the phases as lines, and each phase's count redrawn in place on one line.
    const stderr: string[] = [];
    const stdout: string[] = [];
    const code = await main(['apply', '--kubeconfig', cluster.control.kubeconfig, '--crds', crds], {
      stdout: { write: (t: string) => stdout.push(t), isTTY: true },
      stderr: { write: (t: string) => stderr.push(t), isTTY: true },
      env: { NO_COLOR: '1' },
      cwd: REPO,
    });
    expect(code).toBe(0);
    const terminal = stderr.join('');
    expect(terminal).toMatch(/phase 4\/6, wave 1: (\d+) objects, 0 to write\nwave 1: 1\/\1 objects(\r\u001b\[2Kwave 1: \d+\/\1 objects)*\r\u001b\[2Kphase 5\/6, wave 2/);
    // The redrawn line is erased before the summary goes out.
    expect(terminal.endsWith('\r\u001b[2K')).toBe(true);
    expect(stdout.join('')).toBe(`✓ ${first.server}: 0 created, 0 configured, ${first.created + first.unchanged} unchanged, 0 pruned, 0 skipped, 0 failed\n`);
    const after = await diff(options, context(REPO));
    expect(after.differences).toBe(0);

    const issuer = await cluster.live.get({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt-prod' } });
    expect(issuer?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('plinth');
    const fields = (issuer?.metadata.managedFields as { manager: string; operation: string }[]).map((f) => `${f.manager}/${f.operation}`);
    expect(fields).toContain('plinth/Apply');
  });

  it('with Argo CD on the cluster, skips an object whose CRD is missing (its chart brings it) and applies the rest', async () => {
    const config = testCluster('skips');
    const widget = { apiVersion: 'widgets.example.org/v1', kind: 'Widget', metadata: { name: 'skipped', namespace: 'argocd' }, spec: {} };
    const marker = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'skips-applied', namespace: 'argocd' }, data: { a: '1' } };
    config.components['argo-cd'] = { extraObjects: [widget, marker] };
    const result = await apply({ kubeconfig: cluster.control.kubeconfig }, context(await configDir(config)));
    expect(result.failed).toEqual([]);
    expect(result.skipped).toBe(1);
    expect(await cluster.live.get(marker)).toBeDefined();
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
