// Prepares, once and before any test file starts, what the tests need from the machine: the upstream data,
// the test control plane (built from Go modules, minutes the first time) and Chromium. A test file's own
// hooks then never wait on a build, and a missing piece fails the run in seconds, saying how to get it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..', '..');

const log = (message: string) => process.stderr.write(`[test setup] ${message}\n`);

class SetupError extends Error {
  constructor(what: string, fix: string) {
    super(`${what}\n  fix: ${fix}`);
  }
}

function onPath(command: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

export function upstreamData(): string {
  const dir = resolve(process.env.PLINTH_SCHEMAS_DIR ?? join(REPO, '..', 'shared', 'upstream'));
  const missing = ['charts.json', 'crds', 'values', 'schemas'].filter((entry) => !existsSync(join(dir, entry)));
  if (missing.length > 0)
    throw new SetupError(
      `the tests read the upstream data set (CRDs, chart values and schemas, charts.json) and ${dir} lacks ${missing.join(', ')}`,
      'put the project\'s shared/ folder beside this clone (../shared/upstream), or set PLINTH_SCHEMAS_DIR to a copy of it. ' +
        '`plinth schemas pull` fetches only the CRDs: enough for `plinth validate`, not for the tests.',
    );
  return dir;
}

async function buildControlPlane(): Promise<string> {
  if (!onPath('go'))
    throw new SetupError(
      'the integration tests run a real Kubernetes control plane built from Go modules, and Go is not installed',
      'install Go >= 1.26 (e.g. into /usr/local/go), or set PLINTH_CONTROL_PLANE_BIN to a built plinth-cp, or PLINTH_TEST_KUBECONFIG to a test cluster',
    );
  const started = Date.now();
  log('building the test control plane (test/control-plane/build.sh; minutes the first time, cached after that)');
  const child = spawn('bash', [join(REPO, 'test', 'control-plane', 'build.sh')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.toString().split('\n').filter(Boolean)) log(line);
  });
  // `go build` prints nothing for minutes: say it is still working.
  const ticker = setInterval(() => log(`still building the control plane (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearInterval(ticker);
  if (code !== 0) throw new SetupError(`test/control-plane/build.sh failed with exit code ${code}:\n${stderrTail}`, 'see the Go error above; a rerun resumes from Go\'s module and build caches');
  const binary = stdout.trim().split('\n').pop()!;
  log(`control plane ready in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  return binary;
}

function chromiumPath(): string | undefined {
  if (process.env.PLINTH_CHROMIUM) return existsSync(process.env.PLINTH_CHROMIUM) ? process.env.PLINTH_CHROMIUM : undefined;
  return onPath('chromium') ?? onPath('chromium-browser');
}

/** Debian's Chromium, installed with apt where this user may; otherwise the browser test explains what is missing. */
function ensureChromium(): string | undefined {
  const found = chromiumPath();
  if (found) return found;
  const canInstall = process.platform === 'linux' && process.getuid?.() === 0 && onPath('apt-get') !== undefined;
  if (!canInstall) {
    log('Chromium is missing and this user cannot install it: the doctor report test will fail and say how to get it');
    return undefined;
  }
  log("installing Debian's chromium with apt-get (the doctor report test opens the HTML report in it)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) {
      log(`apt-get ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop()}`);
      return undefined;
    }
  }
  return chromiumPath();
}

/**
 * Debian's PostgreSQL and barman-cloud tools for the backup/restore test (test/integration/backup-restore.test.ts),
 * installed with apt where this user may; otherwise that test says what is missing.
 */
function ensureBackupTools(): void {
  const hasPostgres = ['15', '16', '17'].some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
  if (hasPostgres && onPath('barman-cloud-backup')) return;
  if (!(process.platform === 'linux' && process.getuid?.() === 0 && onPath('apt-get') !== undefined)) {
    log('PostgreSQL or barman-cli-cloud is missing and this user cannot install them: the backup/restore test will fail and say how to get them');
    return;
  }
  log("installing Debian's postgresql and barman-cli-cloud with apt-get (the backup/restore test runs them)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'postgresql', 'barman-cli-cloud']]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) {
      log(`apt-get ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop()}`);
      return;
    }
  }
}

/**
 * A Go program the tests run, `go install`ed from the Go module proxy at a pinned version into the cache (promtool for
 * the alert rules, amtool for the notification routes): minutes the first time, then found at once.
 */
async function goTool(name: string, module: string, version: string): Promise<string> {
  const dir = join(process.env.PLINTH_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'plinth'), name, version);
  const binary = join(dir, name);
  if (existsSync(binary)) return binary;
  if (!onPath('go')) throw new SetupError(`the alert tests run ${name}, built from Go modules, and Go is not installed`, 'install Go >= 1.26 (e.g. into /usr/local/go)');
  const started = Date.now();
  log(`building ${name} ${version} (go install ${module}@${version}; minutes the first time, cached after that)`);
  mkdirSync(dir, { recursive: true });
  // One build at a time (test runs started together): the others wait on the lock, then find the binary.
  const script = `exec 9>"$1/.lock"; flock 9; [ -x "$1/${name}" ] || go install "$2"`;
  const child = spawn('bash', ['-c', script, 'go-tool', dir, `${module}@${version}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOBIN: dir, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
  });
  let stderrTail = '';
  child.stderr.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk).slice(-4000)));
  const ticker = setInterval(() => log(`still building ${name} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearInterval(ticker);
  if (code !== 0 || !existsSync(binary)) throw new SetupError(`go install ${module}@${version} failed with exit code ${code}:\n${stderrTail}`, 'see the Go error above; a rerun resumes from Go\'s module and build caches');
  log(`${name} ready in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  return binary;
}

/** Go where the README installs it, also when that folder is not on the PATH: the build and some tests run it. */
function findGo(): void {
  const go = onPath('go', ['/usr/local/go/bin']);
  if (go && !onPath('go')) process.env.PATH = `${process.env.PATH}${delimiter}${dirname(go)}`;
}

export default async function setup(): Promise<void> {
  findGo();
  process.env.PLINTH_SCHEMAS_DIR = upstreamData();
  if (!process.env.PLINTH_TEST_KUBECONFIG && !process.env.PLINTH_CONTROL_PLANE_BIN)
    process.env.PLINTH_CONTROL_PLANE_BIN = await buildControlPlane();
  process.env.PLINTH_PROMTOOL ??= await goTool('promtool', 'github.com/prometheus/prometheus/cmd/promtool', 'v0.316.0');
  process.env.PLINTH_AMTOOL ??= await goTool('amtool', 'github.com/prometheus/alertmanager/cmd/amtool', 'v0.35.0');
  ensureBackupTools();
  const chromium = ensureChromium();
  if (chromium) process.env.PLINTH_CHROMIUM = chromium;
}
