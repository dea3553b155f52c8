import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { UsageError } from '../errors.ts';
import { minimalCluster, tempDir } from '../../test/helpers.ts';
import { dbRestore } from './db.ts';
import type { LiveContext } from './live.ts';

/** A config directory, and a context whose cluster must never be reached: without --apply the command is offline. */
async function setup(change: (c: Record<string, any>) => void = () => {}) {
  const dir = await tempDir('plinth-db-');
  const config = minimalCluster();
  config.components['cloudnative-pg'] = { backup: { destinationPath: 's3://clinic-backups/postgres/', endpointURL: 'https://s3.example.org' } };
  config.components['barman-cloud'] = {};
  change(config);
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  let connected = false;
  const ctx: LiveContext = {
    cwd: dir,
    registry,
    progress: () => {},
    connect: async () => {
      connected = true;
      throw new Error('must not connect');
    },
  };
  return { ctx, connected: () => connected };
}

describe('plinth db restore, offline', () => {
  it('renders the recovery Cluster without connecting, and says how to apply it and keep archiving', async () => {
    const { ctx, connected } = await setup();
    const result = await dbRestore('main', { as: 'main-restored', toTime: '2026-12-06T04:10:00+01:00' }, ctx);
    expect(connected()).toBe(false);
    expect(result).toMatchObject({
      server: 'main',
      cluster: { name: 'main-restored', namespace: 'databases' },
      source: { objectStore: 'databases/main', destinationPath: 's3://clinic-backups/postgres/', serverName: 'main' },
      archivesTo: 'main-restored',
      targetTime: '2026-12-06 04:10:00.000000+01:00',
    });
    expect((result.object.spec as any).bootstrap.recovery).toEqual({ source: 'main-backup', recoveryTarget: { targetTime: '2026-12-06 04:10:00.000000+01:00' } });
    expect(result.next[0]).toBe('plinth db restore main --as main-restored --to-time 2026-12-06T04:10:00+01:00 --apply creates it (or kubectl apply -f the manifest printed)');
    expect(result.next[1]).toContain('s3://clinic-backups/postgres/main-restored');
  });

  it('recovers from the folder the config says the server archives to', async () => {
    const { ctx } = await setup((c) => (c.components['cloudnative-pg'].backup.serverNames = { main: 'main-2' }));
    const result = await dbRestore('main', { archiveAs: 'main-3' }, ctx);
    expect(result.source.serverName).toBe('main-2');
    expect((result.object.spec as any).plugins[0].parameters).toEqual({ barmanObjectName: 'main', serverName: 'main-3' });
    expect(result.next[1]).toContain('serverNames = { main: "main-3" }');
  });

  it('refuses, before connecting, what cannot work', async () => {
    const { ctx, connected } = await setup();
    const refusal = async (server: string, options: Parameters<typeof dbRestore>[1]) => {
      const error = await dbRestore(server, { ...options, apply: true }, ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      return `${(error as UsageError).message} | ${(error as UsageError).hint}`;
    };
    expect(await refusal('mian', {})).toBe('no PostgreSQL server "mian" in the config | the servers are: main');
    expect(await refusal('main', {})).toContain('would archive into s3://clinic-backups/postgres/main, the folder it recovers from');
    expect(await refusal('main', { archiveAs: 'main' })).toContain('--archive-as main-2');
    expect(await refusal('main', { as: 'x', toTime: '2026-12-06 03:10' })).toContain('is not a time with a zone');
    expect(await refusal('main', { as: 'Main' })).toContain('is not a Cluster name');
    expect(await refusal('main', { as: 'x', archiveAs: 'A/B' })).toContain('is not a folder name');
    expect(connected()).toBe(false);
  });

  it('refuses a server without backups, naming what to set', async () => {
    const { ctx } = await setup((c) => {
      c.components['cloudnative-pg'] = {};
      delete c.components['barman-cloud'];
    });
    await expect(dbRestore('main', { as: 'x' }, ctx)).rejects.toThrow('server "main" has no backups to restore from');
  });
});
