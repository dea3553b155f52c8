// Adopting the seed's running database in place: default/pgcluster (400Gi data, 100Gi WAL, created with an initdb
// owner and postInitSQL) exists before Plinth; a config naming it diffs with no destructive change, applies, and
// leaves its volumes and bootstrap as they were. Shrinking, and growing on a StorageClass that cannot expand, are refused.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, diff, type DiffResult } from '../../src/commands/live.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { runCli, tempDir, UPSTREAM } from '../helpers.ts';
import { controlPlaneBinary } from './control-plane.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const run = promisify(execFile);
const kubectl = async (args: string[]) => (await run(controlPlaneBinary(), ['kubectl', '--kubeconfig', cluster.control.kubeconfig, ...args])).stdout;
const POST_INIT = ['CREATE EXTENSION IF NOT EXISTS pg_stat_statements', "ALTER SYSTEM SET log_statement = 'ddl'"];
const PGCLUSTER = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pgcluster', namespace: 'default' } };

/** The seed's Cluster, as its team created it with kubectl before Plinth. */
const seedCluster = {
  ...PGCLUSTER,
  spec: {
    instances: 3,
    storage: { size: '400Gi' },
    walStorage: { size: '100Gi' },
    bootstrap: { initdb: { database: 'app', owner: 'app', postInitSQL: POST_INIT } },
  },
};

/** A config that adopts it, with `dataSize` to try other sizes. */
const adopting = (dataSize = '400Gi') => ({
  name: 'seed',
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components: { 'secret-generator': {}, 'cloudnative-pg': {} },
  postgres: {
    servers: [{ name: 'pgcluster', namespace: 'default', instances: 3, dataSize, walSize: '100Gi', initdb: { database: 'app', owner: 'app', postInitSQL: POST_INIT } }],
    databases: [{ name: 'app', server: 'pgcluster' }],
  },
});

async function configDir(config: unknown): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

/** The CRDs the adopting render uses: CloudNativePG's and Argo CD's Application. */
async function crdDir(): Promise<string> {
  const dir = join(await tempDir(), 'crds');
  await mkdir(dir);
  for (const file of ['cloudnative-pg/postgresql.cnpg.io_clusters.yaml', 'cloudnative-pg/postgresql.cnpg.io_databases.yaml', 'argo-cd/application-crd.yaml'])
    await writeFile(join(dir, file.replace('/', '-')), await readFile(join(UPSTREAM, 'crds', file), 'utf8'));
  return dir;
}

const changeOf = (result: DiffResult, ref: string) => result.changes.find((c) => c.ref === ref);
/** The lines of a unified diff that remove or add something about the volumes or the bootstrap. */
const destructiveLines = (text: string | undefined) =>
  (text ?? '').split('\n').filter((l) => /^[-+](?![-+])/.test(l) && /size:|storageClass|bootstrap|initdb|postInitSQL|owner:|database:|walStorage|storage:/.test(l));

describe('adopting an existing CloudNativePG Cluster on a control plane', () => {
  it('diffs default/pgcluster with no destructive change, applies, and keeps its volumes and bootstrap', { timeout: 300_000 }, async () => {
    const crds = await crdDir();
    // The seed's cluster exists first, made by its team with kubectl (another field manager than Plinth's).
    await kubectl(['apply', '--server-side', '-f', crds]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd']);
    await cluster.live.create(seedCluster as K8sObject);
    await cluster.live.create({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'cinder.csi.openstack.org' } as K8sObject);

    const dir = await configDir(adopting());
    const options = { kubeconfig: cluster.control.kubeconfig, crds };
    const before = await diff(options, cluster.context(dir));
    expect(before.changes.filter((c) => c.action === 'error')).toEqual([]);
    const adopted = changeOf(before, 'Cluster/default/pgcluster')!;
    expect(adopted.action).toBe('update');
    expect(adopted.immutable).toBeUndefined();
    expect(destructiveLines(adopted.diff)).toEqual([]);
    expect(adopted.diff).toContain('app.kubernetes.io/managed-by: plinth');
    // Nothing of Plinth's claims the namespace it found the Cluster in.
    expect(before.changes.map((c) => c.ref)).not.toContain('Namespace/default');
    expect(changeOf(before, 'Database/default/app')!.action).toBe('create');

    // The CLI says the same: differences (exit 1), none of them blocked.
    const shown = await runCli(['diff', '--kubeconfig', cluster.control.kubeconfig, '--crds', crds, '--json'], { cwd: dir });
    expect(shown.code, shown.stderr).toBe(1);
    expect((JSON.parse(shown.stdout) as DiffResult).changes.filter((c) => c.action === 'error')).toEqual([]);

    const applied = await apply(options, cluster.context(dir));
    expect(applied.failed).toEqual([]);
    const live = (await cluster.live.get(PGCLUSTER)) as K8sObject & { spec: typeof seedCluster.spec };
    // The CRD defaults resizeInUseVolumes beside the size; the sizes are the seed's.
    expect(live.spec.storage).toMatchObject({ size: '400Gi' });
    expect(live.spec.walStorage).toMatchObject({ size: '100Gi' });
    expect(live.spec.bootstrap).toEqual(seedCluster.spec.bootstrap);
    expect(live.spec.instances).toBe(3);
    const after = await diff(options, cluster.context(dir));
    expect(after.changes.filter((c) => c.ref.startsWith('Cluster/') || c.ref.startsWith('Database/')).map((c) => [c.ref, c.action])).toEqual([
      ['Cluster/default/pgcluster', 'unchanged'],
      ['Database/default/app', 'unchanged'],
    ]);

    // Shrinking is refused, and so is growing on a StorageClass without allowVolumeExpansion: true, until it has it.
    const shrunk = changeOf(await diff(options, cluster.context(await configDir(adopting('300Gi')))), 'Cluster/default/pgcluster')!;
    expect(shrunk).toMatchObject({ action: 'error', immutable: [{ field: 'spec.storage.size', explanation: 'volumes cannot shrink (400Gi -> 300Gi)' }] });
    const growDir = await configDir(adopting('500Gi'));
    const grown = changeOf(await diff(options, cluster.context(growDir)), 'Cluster/default/pgcluster')!;
    expect(grown.action).toBe('error');
    expect(grown.immutable).toEqual([
      {
        field: 'spec.storage.size',
        explanation: "growing pgcluster's volumes (400Gi -> 500Gi) needs expansion, which StorageClass standard does not allow (no allowVolumeExpansion: true)",
        manualStep: expect.stringContaining('kubectl patch storageclass standard'),
      },
    ]);
    const refused = await runCli(['apply', '--kubeconfig', cluster.control.kubeconfig, '--crds', crds], { cwd: growDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr + refused.stdout).toContain('Horizon on Jetstream2');
    expect(((await cluster.live.get(PGCLUSTER)) as K8sObject & { spec: typeof seedCluster.spec }).spec.storage.size).toBe('400Gi');
    await cluster.live.mergePatch({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard' } }, { allowVolumeExpansion: true });
    const expandable = changeOf(await diff(options, cluster.context(growDir)), 'Cluster/default/pgcluster')!;
    expect(expandable.action).toBe('update');
    expect(expandable.immutable).toBeUndefined();
  });
});
