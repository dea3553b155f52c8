// The backup configuration Plinth renders, run for real: Debian's PostgreSQL archives WAL and takes a base backup
// with Debian's barman-cloud tools (the tools the Barman Cloud plugin drives) into an S3 server on loopback
// (gofakes3 behind an AWS Signature V4 check: test/s3server), and restores it into new data directories, to the
// end of the archive and to a point in time. Every argument and credential comes from the rendered objects: the
// ObjectStore (endpoint, bucket path, compression, Secret key names), the ExternalSecret that fills that Secret
// from the secret input, and the Cluster's plugin entry (the archive folder). Breaking a rendered key name fails.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { resolveCluster } from '../../src/config/validate.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import {
  barmanCloudCommands,
  barmanCloudEnvironment,
  postgresTargetTime,
  recoveryCluster,
  type StoreConfiguration,
} from '../../src/components/cloudnative-pg/backup.ts';
import { clusterWith } from '../components.ts';
import { REPO, tempDir } from '../helpers.ts';

const run = (file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(file, args, { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

const isRoot = process.getuid?.() === 0;
/** initdb refuses to run as root: as root, PostgreSQL and the tools it starts run as Debian's `postgres` user. */
const asPostgres = (file: string, args: string[], env: NodeJS.ProcessEnv) =>
  isRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args], { env }) : run(file, args, { env });

const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
/** A command line for archive_command / restore_command: PostgreSQL substitutes %p and %f, the shell splits the rest. */
const commandLine = (argv: string[]) => argv.map(shellQuote).join(' ');
const confString = (value: string) => `'${value.replace(/'/g, "''")}'`;

const timings: [string, number][] = [];
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings.push([step, Math.round(performance.now() - started)]);
  }
}

// What the test renders: one server, backups to a bucket path on the loopback S3 server.
const BUCKET = 'plinth-backups';
const ACCESS_KEY = `AK${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET_KEY = randomBytes(20).toString('base64url');
/** The secret input as `plinth secrets set postgres-backup-s3` stores it: input name -> key -> value. */
const secretInputs = { 'postgres-backup-s3': { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } };

function render(endpoint: string) {
  const config = clusterWith({
    'cloudnative-pg': { backup: { destinationPath: `s3://${BUCKET}/clinic`, endpointURL: endpoint } },
    'barman-cloud': {},
    'cert-manager': { acmeEmail: 'ops@example.org' },
    'external-secrets': {},
    'secret-generator': {},
  });
  config.postgres = { servers: [{ name: 'main' }], databases: [{ name: 'clinic', server: 'main' }] };
  const tree = renderTree(resolveCluster(config, registry), registry);
  const find = (kind: string, name: string) => structuredClone(tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)!.object);
  return { cluster: find('Cluster', 'main'), store: find('ObjectStore', 'main'), credentials: find('ExternalSecret', 'postgres-backup-s3') };
}
type Rendered = ReturnType<typeof render>;

/** The Secret External Secrets makes from the ExternalSecret: each `secretKey` filled from the input's `property`. */
function secretsFrom(externalSecret: K8sObject, inputs: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  const spec = externalSecret.spec as { target: { name: string }; data: { secretKey: string; remoteRef: { key: string; property: string } }[] };
  const data: Record<string, string> = {};
  for (const entry of spec.data) {
    const value = inputs[entry.remoteRef.key]?.[entry.remoteRef.property];
    if (value !== undefined) data[entry.secretKey] = value;
  }
  return { [spec.target.name]: data };
}

/** The command lines and environment the plugin would use for the rendered objects. */
function barmanFor(rendered: Rendered, inputs: Record<string, Record<string, string>> = secretInputs) {
  const store = (rendered.store.spec as { configuration: StoreConfiguration }).configuration;
  const plugin = ((rendered.cluster.spec as { plugins: { parameters: { serverName: string } }[] }).plugins)[0]!;
  const env = barmanCloudEnvironment(store, secretsFrom(rendered.credentials, inputs));
  return { store, serverName: plugin.parameters.serverName, commands: barmanCloudCommands(store, plugin.parameters.serverName), env };
}

let pgBin: string;
let work: string;
let s3: ChildProcessWithoutNullStreams | undefined;
let endpoint: string;
const running: string[] = [];
const missing: string[] = [];

async function buildS3Server(out: string): Promise<string> {
  const binary = join(out, 's3server');
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -buildvcs=false' };
  const result = await run('go', ['build', '-o', binary, '.'], { cwd: join(REPO, 'test', 's3server'), env });
  if (result.code !== 0)
    throw new Error(`go build test/s3server failed (the S3 server is built from Go modules: Go >= 1.26 on the PATH, and the Go module proxy):\n${result.stderr}`);
  return binary;
}

async function startS3Server(binary: string): Promise<string> {
  s3 = spawn(binary, ['-access-key', ACCESS_KEY, '-secret-key', SECRET_KEY, '-bucket', BUCKET], { stdio: ['pipe', 'pipe', 'pipe'] });
  s3.stderr.on('data', (chunk) => (s3Log += chunk));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: s3!.stdout }).once('line', resolve);
    s3!.once('exit', (code) => reject(new Error(`s3server exited with ${code}: ${s3Log}`)));
  });
  return line.replace(/^listening /, '');
}
let s3Log = '';

interface Instance {
  data: string;
  socket: string;
  port: number;
}
let nextPort = 54000 + Math.floor(Math.random() * 1000);

async function psql(instance: Instance, sql: string): Promise<string> {
  const result = await asPostgres(join(pgBin, 'psql'), ['-X', '-h', instance.socket, '-p', String(instance.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], process.env);
  if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function pgCtl(instance: Instance, action: 'start' | 'stop', env: NodeJS.ProcessEnv = process.env) {
  const args = action === 'start' ? ['-D', instance.data, '-l', `${instance.data}.log`, '-w', '-t', '120', 'start'] : ['-D', instance.data, '-m', 'fast', '-w', 'stop'];
  const result = await asPostgres(join(pgBin, 'pg_ctl'), args, env);
  if (result.code !== 0) {
    const log = await readFile(`${instance.data}.log`, 'utf8').catch(() => '');
    throw new Error(`pg_ctl ${action} failed: ${result.stderr}${result.stdout}\n${log.split('\n').slice(-15).join('\n')}`);
  }
  if (action === 'start') running.push(instance.data);
  else running.splice(running.indexOf(instance.data), 1);
}

async function newDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (isRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  return dir;
}

/** Settings every instance here gets: a private socket, no TCP. */
const localSettings = (instance: Instance) =>
  [`port = ${instance.port}`, `unix_socket_directories = ${confString(instance.socket)}`, "listen_addresses = ''"].join('\n') + '\n';

/** The environment PostgreSQL runs its archive and restore commands in: the plugin's, plus where the tools are. */
const toolEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true', TZ: 'UTC' });

async function backupList(rendered: Rendered): Promise<{ backup_id: string; status: string; end_time: string }[]> {
  const barman = barmanFor(rendered);
  const [file, ...args] = barman.commands.backupList();
  const result = await run(file!, args, { env: toolEnv(barman.env) });
  if (result.code !== 0) throw new Error(`barman-cloud-backup-list failed: ${result.stderr}`);
  return JSON.parse(result.stdout).backups_list;
}

/**
 * Restores the newest base backup into a new data directory and starts it, replaying WAL from the archive (to the
 * end, or to `targetTime`), the way the plugin's restore job does: barman-cloud-restore, then `restore_command`
 * with barman-cloud-wal-restore and `recovery_target_action = promote` (plugin restore.go getRestoreWalConfig).
 */
async function restore(rendered: Rendered, name: string, targetTime?: string): Promise<Instance> {
  const toTime = targetTime && postgresTargetTime(targetTime);
  const recovered = recoveryCluster({ cluster: rendered.cluster, as: name, archivedAs: 'main', archiveAs: name, ...(toTime && { toTime }) });
  const spec = recovered.spec as { externalClusters: { plugin: { parameters: { serverName: string } } }[]; bootstrap: { recovery: { recoveryTarget?: { targetTime: string } } } };
  const from = spec.externalClusters[0]!.plugin.parameters.serverName;
  const store = (rendered.store.spec as { configuration: StoreConfiguration }).configuration;
  const commands = barmanCloudCommands(store, from);
  const env = toolEnv(barmanCloudEnvironment(store, secretsFrom(rendered.credentials, secretInputs)));
  const backups = (await backupList(rendered)).filter((b) => b.status === 'DONE');
  expect(backups.length).toBeGreaterThan(0);
  const instance: Instance = { data: join(await newDir(name), 'data'), socket: await newDir(`${name}-socket`), port: nextPort++ };
  const [file, ...args] = commands.restore(backups[backups.length - 1]!.backup_id, instance.data);
  const restored = await asPostgres(file!, args, env);
  if (restored.code !== 0) throw new Error(`barman-cloud-restore failed: ${restored.stderr}`);
  const target = spec.bootstrap.recovery.recoveryTarget?.targetTime;
  await appendFile(
    join(instance.data, 'postgresql.auto.conf'),
    localSettings(instance) +
      // The recovered copy must not archive into the folder it recovers from.
      'archive_mode = off\n' +
      `restore_command = ${confString(commandLine(commands.walRestore('%f', '%p')))}\n` +
      'recovery_target_action = promote\n' +
      (target ? `recovery_target_time = ${confString(target)}\n` : ''),
  );
  await writeFile(join(instance.data, 'recovery.signal'), '');
  if (isRoot) await run('chown', ['-R', 'postgres:postgres', instance.data]);
  await pgCtl(instance, 'start', env);
  const deadline = Date.now() + 120_000;
  while ((await psql(instance, 'SELECT pg_is_in_recovery()')) !== 'f') {
    if (Date.now() > deadline) throw new Error(`${name} still in recovery after 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return instance;
}

const rowsOf = (instance: Instance) => psql(instance, "SELECT count(*) || ' ' || md5(string_agg(id || ':' || note, ',' ORDER BY id)) FROM visits");

let source: Instance;
let rendered: Rendered;
/** Contents of the table after the base backup plus one batch (the point in time) and at the end. */
let atPointInTime: string;
let atEnd: string;
let pointInTime: string;

beforeAll(async () => {
  const bins = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].filter((d) => existsSync(join(d, 'initdb')));
  pgBin = bins[bins.length - 1] ?? '';
  if (!pgBin) missing.push("PostgreSQL (Debian's postgresql package)");
  for (const tool of ['barman-cloud-wal-archive', 'barman-cloud-backup', 'barman-cloud-restore', 'barman-cloud-wal-restore', 'barman-cloud-backup-list'])
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) missing.push(tool);
  if (missing.length > 0)
    throw new Error(`the backup/restore test needs ${missing.join(', ')}; install them with: apt-get install postgresql barman-cli-cloud (test/setup/global.ts does this as root)`);
  work = await tempDir('plinth-backup-');
  if (isRoot) await run('chmod', ['755', work]);
  endpoint = await timed('build and start the S3 server', async () => startS3Server(await buildS3Server(work)));
  rendered = render(endpoint);
}, 300_000);

afterAll(async () => {
  for (const data of [...running].reverse()) await pgCtl({ data, socket: '', port: 0 }, 'stop').catch(() => {});
  s3?.stdin.end();
  s3?.kill();
  if (timings.length > 0) process.stderr.write(`[backup-restore] ${timings.map(([step, ms]) => `${step}: ${(ms / 1000).toFixed(1)} s`).join('; ')}\n`);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup and restore with the rendered configuration, for real', () => {
  it('archives WAL and takes a base backup into <bucket>/<path>/<server> with the rendered compression and keys', { timeout: 300_000 }, async () => {
    const barman = barmanFor(rendered);
    expect(barman.serverName).toBe('main');
    source = { data: join(await newDir('source'), 'data'), socket: await newDir('source-socket'), port: nextPort++ };
    const env = toolEnv(barman.env);
    await timed('initdb and start PostgreSQL', async () => {
      const init = await asPostgres(join(pgBin, 'initdb'), ['-D', source.data, '-A', 'trust', '-U', 'postgres'], env);
      if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
      await appendFile(
        join(source.data, 'postgresql.conf'),
        localSettings(source) + `wal_level = replica\narchive_mode = on\narchive_command = ${confString(commandLine(barman.commands.walArchive('%p')))}\n`,
      );
      await pgCtl(source, 'start', env);
    });
    await psql(source, "CREATE TABLE visits (id int PRIMARY KEY, note text); INSERT INTO visits SELECT g, 'before the backup ' || g FROM generate_series(1, 1000) g");

    await timed('base backup (barman-cloud-backup)', async () => {
      const [file, ...args] = barman.commands.backup('plinth-test');
      const result = await asPostgres(file!, args, { ...env, PGHOST: source.socket, PGPORT: String(source.port) });
      if (result.code !== 0) throw new Error(`barman-cloud-backup failed: ${result.stderr}`);
    });
    const backups = await backupList(rendered);
    expect(backups.map((b) => b.status)).toEqual(['DONE']);

    await psql(source, "INSERT INTO visits SELECT g, 'after the backup ' || g FROM generate_series(1001, 1500) g");
    atPointInTime = await rowsOf(source);
    pointInTime = await psql(source, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    await new Promise((r) => setTimeout(r, 1100));
    await psql(source, "INSERT INTO visits SELECT g, 'later ' || g FROM generate_series(1501, 2000) g; UPDATE visits SET note = 'changed' WHERE id <= 10");
    atEnd = await rowsOf(source);
    await timed('archive the last WAL segment', async () => {
      const segment = await psql(source, 'SELECT pg_walfile_name(pg_switch_wal())');
      const deadline = Date.now() + 60_000;
      while ((await psql(source, 'SELECT coalesce(last_archived_wal, \'\') FROM pg_stat_archiver')) < segment) {
        const failed = await psql(source, "SELECT failed_count || ' ' || coalesce(last_failed_wal, '') FROM pg_stat_archiver");
        if (Date.now() > deadline) throw new Error(`WAL ${segment} not archived after 60 s (failures: ${failed})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    expect(await psql(source, 'SELECT failed_count FROM pg_stat_archiver')).toBe('0');
    expect(atEnd.split(' ')[0]).toBe('2000');
  });

  it('restores the newest backup and the archived WAL into a new data directory: every row, to the last change', { timeout: 300_000 }, async () => {
    const restored = await timed('restore to the end of the archive', () => restore(rendered, 'restored-latest'));
    expect(await rowsOf(restored)).toBe(atEnd);
    await pgCtl(restored, 'stop');
  });

  it('restores to a point in time: the rows as they were then, none written after', { timeout: 300_000 }, async () => {
    const restored = await timed('restore to a point in time', () => restore(rendered, 'restored-pitr', pointInTime));
    expect(await rowsOf(restored)).toBe(atPointInTime);
    expect(atPointInTime.split(' ')[0]).toBe('1500');
    await pgCtl(restored, 'stop');
  });

  it('fails when a rendered credential key name is wrong: the Secret and the ObjectStore must agree', () => {
    const renamedInSecret = structuredClone(rendered);
    (renamedInSecret.credentials.spec as { data: { secretKey: string }[] }).data[0]!.secretKey = 'AWS_ACCESS_KEY_ID';
    expect(() => barmanFor(renamedInSecret)).toThrow('missing key accessKeyId, inside secret postgres-backup-s3');
    const renamedInStore = structuredClone(rendered);
    (renamedInStore.store.spec as { configuration: StoreConfiguration }).configuration.s3Credentials!.secretAccessKey!.key = 'secretKey';
    expect(() => barmanFor(renamedInStore)).toThrow('missing key secretKey, inside secret postgres-backup-s3');
  });

  it('fails against the S3 server when the keys are swapped: the server checks every signature', async () => {
    const swapped = structuredClone(rendered);
    const credentials = (swapped.store.spec as { configuration: StoreConfiguration }).configuration.s3Credentials!;
    [credentials.accessKeyId, credentials.secretAccessKey] = [credentials.secretAccessKey, credentials.accessKeyId];
    const barman = barmanFor(swapped);
    const [file, ...args] = barman.commands.backupList();
    const result = await run(file!, args, { env: toolEnv(barman.env) });
    expect(result.code).not.toBe(0);
    expect(s3Log).toContain('is not the configured one');
    // The same command with the rendered keys lists the backup.
    expect((await backupList(rendered)).length).toBe(1);
  });
});
