import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { clusterWith } from '../../test/components.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { backupChecks, describeAge } from './backups.ts';
import { diagnose } from './doctor.ts';
import { snapshotOf } from './snapshot.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const fixture = (name: string) => loadAll(readFileSync(join(import.meta.dirname, 'fixtures', 'backups', `${name}.yaml`), 'utf8')) as K8sObject[];

const config = clusterWith({
  'cloudnative-pg': { backup: { destinationPath: 's3://pg-backups/mswa', endpointURL: 'https://js2.jetstream-cloud.org:8001' } },
  'barman-cloud': {},
  'cert-manager': { acmeEmail: 'ops@example.org' },
  'external-secrets': {},
  'secret-generator': {},
});
config.postgres = { servers: [{ name: 'main' }], databases: [{ name: 'mswa', server: 'main' }] };
const tree = renderTree(resolveCluster(config, registry), registry);
const rendered = tree.objects.filter((o) => o.owner === 'cloudnative-pg').map((o) => o.object);
const checksOf = (objects: K8sObject[]) =>
  Object.fromEntries(backupChecks(rendered, snapshotOf(objects, { now: NOW })).map((c) => [c.name, c]));

describe('doctor backup checks, from fixtures of the status CloudNativePG and the plugin write', () => {
  it('the fixtures are valid objects of the pinned CNPG and barman-cloud CRDs', { timeout: 120_000 }, async () => {
    for (const name of ['healthy', 'stale', 'archiving-failing'])
      for (const object of fixture(name)) expect(await checkCustomResource(object), `${name} ${object.kind}/${object.metadata.name}`).toEqual([]);
  });

  it('healthy: archiving works, the last base backup is 5 h old, a later backup succeeded after the last failure', () => {
    const checks = checksOf(fixture('healthy'));
    expect(checks['main: WAL archiving']).toMatchObject({ status: 'pass', message: 'Continuous archiving is working' });
    expect(checks['main: last base backup']).toMatchObject({
      status: 'pass',
      message: 'the last successful base backup finished 5 h ago (2026-05-31T19:04:00.000Z); base backups are due every 24 h',
    });
    expect(checks['main: backup failures']!.status).toBe('pass');
    expect(checks['main: backup failures']!.message).toContain('a later backup succeeded after the last failure (2026-05-29T19:01:00.000Z: rpc error');
  });

  it('stale: the last successful base backup is 3 days old on a daily schedule', () => {
    const checks = checksOf(fixture('stale'));
    expect(checks['main: WAL archiving']!.status).toBe('pass');
    expect(checks['main: last base backup']).toMatchObject({
      status: 'fail',
      message: 'the last successful base backup finished 3 days ago (2026-05-28T19:04:00.000Z); base backups are due every 24 h',
    });
    expect(checks['main: last base backup']!.hint).toContain('kubectl cnpg backup main -n databases --method plugin --plugin-name barman-cloud.cloudnative-pg.io');
  });

  it('warns one missed backup before it fails two', () => {
    const objects = fixture('stale');
    const store = objects.find((o) => o.kind === 'ObjectStore')!;
    (store.status as any).serverRecoveryWindow.main.lastSuccessfulBackupTime = '2026-05-30T20:00:00Z';
    objects.splice(objects.findIndex((o) => o.kind === 'Backup'), 1);
    expect(checksOf(objects)['main: last base backup']!.status).toBe('warn');
  });

  it('archiving failing: fails with CloudNativePG\'s message, and the last failed backup with its error', () => {
    const checks = checksOf(fixture('archiving-failing'));
    expect(checks['main: WAL archiving']).toMatchObject({
      status: 'fail',
      message: 'WAL archiving fails since 2026-05-31T21:17:00Z: unexpected failure invoking barman-cloud-wal-archive: exit status 4',
    });
    expect(checks['main: WAL archiving']!.hint).toContain('plinth secrets check postgres-backup-s3');
    expect(checks['main: backup failures']).toMatchObject({
      status: 'fail',
      ref: 'Backup/databases/main-manual-2201',
      message: expect.stringContaining('the last backup failed at 2026-05-31T22:01:00.000Z: rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4 (An error occurred (AccessDenied)'),
    });
  });

  it('says nothing has been archived or backed up yet on a new server, and skips a server that does not exist', () => {
    const fresh = fixture('healthy').filter((o) => o.kind === 'Cluster');
    (fresh[0]!.status as any).conditions = [{ type: 'Ready', status: 'True' }];
    const checks = checksOf(fresh);
    expect(checks['main: WAL archiving']!.status).toBe('warn');
    expect(checks['main: last base backup']).toMatchObject({ status: 'warn', message: 'no base backup has completed yet' });
    expect(checksOf([])['backups of main']).toMatchObject({ status: 'skip' });
  });

  it('runs inside doctor, under cloudnative-pg, reading Backup objects from the snapshot', () => {
    const features = diagnose(tree, snapshotOf(fixture('archiving-failing'), { now: NOW }));
    const names = features.find((f) => f.id === 'cloudnative-pg')!.checks.map((c) => `${c.name}: ${c.status}`);
    expect(names).toEqual(expect.arrayContaining(['main: WAL archiving: fail', 'main: last base backup: pass', 'main: backup failures: fail']));
  });

  it('blames the barman-cloud chart when the cluster serves no ObjectStore', () => {
    const snapshot = snapshotOf(fixture('healthy'), { now: NOW, notServed: [{ apiVersion: 'barmancloud.cnpg.io/v1', kind: 'ObjectStore' }] });
    const crds = diagnose(tree, snapshot).find((f) => f.id === 'cloudnative-pg')!.checks.find((c) => c.name === 'CRDs installed')!;
    expect(crds).toMatchObject({ status: 'fail', message: 'the cluster serves no ObjectStore (barmancloud.cnpg.io/v1)' });
    expect(crds.hint).toContain('the barman-cloud chart installs these CRDs');
  });

  it('words ages in minutes, hours or days', () => {
    expect([describeAge(90_000), describeAge(5 * 3_600_000), describeAge(77 * 3_600_000)]).toEqual(['2 min', '5 h', '3 days']);
  });
});
