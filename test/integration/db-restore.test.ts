// plinth db restore against a real API server serving the pinned CloudNativePG and barman-cloud CRDs: the recovery
// Cluster it creates is one the API server accepts (schema, CEL rules), and it refuses what would lose data. No
// operator runs here, so nothing recovers: backup-restore.test.ts runs the recovery itself with the real tools.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { minimalCluster, runCli, tempDir, UPSTREAM } from '../helpers.ts';
import { controlPlaneBinary } from './control-plane.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const run = promisify(execFile);
const CNPG = 'postgresql.cnpg.io/v1';
const NS = 'databases';

let dir: string;
let config: string;
let rendered: K8sObject[];

async function kubectl(args: string[]): Promise<string> {
  return (await run(controlPlaneBinary(), ['kubectl', '--kubeconfig', cluster.control.kubeconfig, ...args], { maxBuffer: 64 * 2 ** 20 })).stdout;
}
const plinth = (...args: string[]) => runCli([...args, '-c', config, '--kubeconfig', cluster.control.kubeconfig], { cwd: dir, env: { NO_COLOR: '1' } });
const renderedObject = (kind: string, name: string) => structuredClone(rendered.find((o) => o.kind === kind && o.metadata.name === name)!);
const liveCluster = (name: string) => cluster.live.get({ apiVersion: CNPG, kind: 'Cluster', metadata: { name, namespace: NS } });

beforeAll(async () => {
  dir = await tempDir('plinth-db-restore-');
  const c = minimalCluster();
  c.components['cloudnative-pg'] = { backup: { destinationPath: 's3://clinic-backups/postgres', endpointURL: 'https://s3.example.org' } };
  c.components['barman-cloud'] = {};
  config = join(dir, 'plinth.config.json');
  await writeFile(config, JSON.stringify(c, null, 2));
  rendered = renderTree(await loadCluster(dir, 'plinth.config.json', registry), registry).objects.map((o) => o.object);
  await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', 'cloudnative-pg')]);
  await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', 'barman-cloud')]);
  await kubectl(['create', 'namespace', NS]);
}, 300_000);

describe('plinth db restore on a live API server', () => {
  it('refuses while the ObjectStore the restore reads through does not exist, creating nothing', async () => {
    const result = await plinth('db', 'restore', 'main', '--as', 'main-restored', '--apply');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('ObjectStore databases/main does not exist');
    expect(result.stderr).toContain('plinth apply creates it');
    expect(await liveCluster('main-restored')).toBeUndefined();
  });

  it('creates a Cluster recovering from the ObjectStore to a point in time, as printed without --apply', async () => {
    await cluster.live.apply(renderedObject('ObjectStore', 'main'));
    const printed = await plinth('db', 'restore', 'main', '--as', 'main-restored', '--to-time', '2026-12-06T03:10:00+01:00', '--json');
    expect(printed.code, printed.stderr).toBe(0);
    const started = performance.now();
    const applied = await plinth('db', 'restore', 'main', '--as', 'main-restored', '--to-time', '2026-12-06T03:10:00+01:00', '--apply');
    const seconds = (performance.now() - started) / 1000;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('created Cluster databases/main-restored recovering from s3://clinic-backups/postgres/main to 2026-12-06 03:10:00.000000+01:00');
    process.stderr.write(`[db-restore] plinth db restore --apply: ${seconds.toFixed(1)} s\n`);

    const live = (await liveCluster('main-restored'))!;
    const spec = live.spec as Record<string, any>;
    expect(spec.bootstrap).toEqual({ recovery: { source: 'main-backup', recoveryTarget: { targetTime: '2026-12-06 03:10:00.000000+01:00' } } });
    expect(spec.externalClusters).toEqual([
      { name: 'main-backup', plugin: { name: 'barman-cloud.cloudnative-pg.io', enabled: true, isWALArchiver: false, parameters: { barmanObjectName: 'main', serverName: 'main' } } },
    ]);
    expect(spec.plugins).toEqual([
      { name: 'barman-cloud.cloudnative-pg.io', enabled: true, isWALArchiver: true, parameters: { barmanObjectName: 'main', serverName: 'main-restored' } },
    ]);
    expect(live.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'cloudnative-pg' });
    // What --apply created is what the command prints: every field it set is there, unchanged.
    expect(spec).toMatchObject(JSON.parse(printed.stdout).object.spec);
  });

  it('never replaces a Cluster: the same restore again is refused', async () => {
    const again = await plinth('db', 'restore', 'main', '--as', 'main-restored', '--apply');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('Cluster databases/main-restored already exists');
  });

  it('rebuilds in place only once the broken Cluster is gone, into a new archive folder', async () => {
    await cluster.live.apply(renderedObject('Cluster', 'main'));
    const refused = await plinth('db', 'restore', 'main', '--archive-as', 'main-2', '--apply');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Cluster databases/main already exists');
    expect(refused.stderr).toContain('--as main-restored');
    expect(((await liveCluster('main'))!.spec as Record<string, any>).bootstrap).toBeUndefined();

    const sameFolder = await plinth('db', 'restore', 'main', '--apply');
    expect(sameFolder.code).toBe(2);
    expect(sameFolder.stderr).toContain('--archive-as main-2');

    await cluster.live.delete({ apiVersion: CNPG, kind: 'Cluster', metadata: { name: 'main', namespace: NS } });
    const rebuilt = await plinth('db', 'restore', 'main', '--archive-as', 'main-2', '--apply');
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('serverNames = { main: "main-2" }');
    const spec = (await liveCluster('main'))!.spec as Record<string, any>;
    expect(spec.bootstrap.recovery).toEqual({ source: 'main-backup' });
    expect(spec.plugins[0].parameters).toEqual({ barmanObjectName: 'main', serverName: 'main-2' });
  });

  it('refuses bad input before connecting: unknown server, a time without a zone, a bad name', async () => {
    const unknown = await plinth('db', 'restore', 'mian', '--apply');
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('the servers are: main')]);
    const noZone = await plinth('db', 'restore', 'main', '--as', 'x', '--to-time', '2026-12-06 03:10:00');
    expect([noZone.code, noZone.stderr]).toEqual([2, expect.stringContaining('is not a time with a zone')]);
    const badName = await plinth('db', 'restore', 'main', '--as', 'Main_Restored');
    expect([badName.code, badName.stderr]).toEqual([2, expect.stringContaining('is not a Cluster name')]);
  });
});
