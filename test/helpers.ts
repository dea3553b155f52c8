import { spawn, type ChildProcessByStdio, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll } from 'vitest';

export const REPO = resolve(import.meta.dirname, '..');
export const BIN = join(REPO, 'bin', 'plinth.js');
/** Upstream CRDs, values schemas and chart coordinates: read-only, never copied into the repo. */
export const UPSTREAM = resolve(process.env.PLINTH_SCHEMAS_DIR ?? join(REPO, '..', 'shared', 'upstream'));

const created: string[] = [];
afterAll(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'plinth-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.FORCE_COLOR;
  if (extra.FORCE_COLOR) env.FORCE_COLOR = extra.FORCE_COLOR;
  if (extra.NO_COLOR === '') delete env.NO_COLOR;
  return env;
}

/** Runs bin/plinth.js with `input` (default: nothing) on its stdin. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: testEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => {}); // EPIPE when the command exits without reading its input
    child.stdin.end(options.input ?? '');
    collectOutput(child).then(resolvePromise, reject);
  });
}

/** A child process's exit code and everything it wrote, once it has closed. */
export function collectOutput(child: ChildProcessByStdio<Writable | null, Readable, Readable> | ChildProcessWithoutNullStreams): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** Every file under a directory with its content, keyed by relative path. */
export async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return files;
  }
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path, 'utf8'));
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A config in a new directory, as `plinth` reads it there. */
export async function configDir(config: unknown, prefix?: string): Promise<string> {
  const dir = await tempDir(prefix);
  await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
  return dir;
}

/** The seed's path to a public host: Traefik, cert-manager and external-dns with Designate, its credentials from the store. */
export function publicHostComponents(): Record<string, any> {
  return {
    'argo-cd': {},
    'cert-manager': { acmeEmail: 'ops@example.org' },
    'designate-webhook': {},
    traefik: {},
    'external-dns': {},
    'external-secrets': {},
  };
}

/** A small valid cluster definition as plain data, for tests to break one field at a time. */
export function minimalCluster(): Record<string, any> {
  return {
    name: 'test',
    domain: 'example.org',
    git: { repoURL: 'https://git.example.org/infra.git' },
    components: {
      ...publicHostComponents(),
      'secret-generator': {},
      clustersecret: {},
      'cloudnative-pg': {},
      redpanda: {},
      valkey: {},
      kargo: {},
      keda: {},
    },
    postgres: { servers: [{ name: 'main' }], databases: [{ name: 'app', server: 'main' }] },
    topics: [{ name: 'videos' }],
    caches: [{ name: 'sessions' }],
    apps: [
      { name: 'web', image: 'ghcr.io/example/web', host: 'web.example.org', cache: 'sessions' },
      { name: 'api', image: 'ghcr.io/example/api', database: 'app', topics: { produce: ['videos'] } },
      {
        name: 'worker',
        image: 'ghcr.io/example/worker',
        topics: { consume: ['videos'] },
        scale: { topic: 'videos', maxReplicas: 3 },
      },
    ],
  };
}

/** A team's own operator chart, not one of the pinned ones, as `charts` declares it. */
export const greeterChart = () => ({
  name: 'greeter',
  repo: 'oci://ghcr.io/example/charts',
  chart: 'greeter-operator',
  version: '1.4.0',
  namespace: 'greetings',
  needs: ['argo-cd'],
});

/** The minimal cluster with its apps promoted through staging to production. */
export function stagedCluster(): Record<string, any> {
  const config = minimalCluster();
  for (const app of config.apps) app.stages = ['staging', 'production'];
  return config;
}

/**
 * Headless Chromium for a test that looks at a page (test/setup/global.ts installs Debian's where it can). The flags
 * keep it off the network this machine does not have. Fails saying how to get Chromium when there is none.
 */
export async function launchChromium() {
  const executablePath = process.env.PLINTH_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath}: this test opens a page in it. Install it (apt-get install chromium) or set PLINTH_CHROMIUM=path`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
