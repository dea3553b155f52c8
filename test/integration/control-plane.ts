import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
const REPO = resolve(import.meta.dirname, '..', '..');

export interface TestCluster {
  kubeconfig: string;
  server: string;
  /** Seconds from `up` to ready, as the control plane measured it. */
  startupSeconds?: number;
  /** PIDs of the control-plane processes, by component (own control plane only). */
  pids: Record<string, number>;
  /** Kills kube-apiserver with SIGKILL and starts it again on the same port and etcd (own control plane only). */
  crashApiServer(): void;
  stop(): Promise<void>;
}

/**
 * The control-plane binary: $PLINTH_CONTROL_PLANE_BIN, else built (or found in the build cache) by
 * test/control-plane/build.sh, which .ci/run runs before the tests.
 */
export function controlPlaneBinary(): string {
  if (process.env.PLINTH_CONTROL_PLANE_BIN) return process.env.PLINTH_CONTROL_PLANE_BIN;
  const build = spawnSync('bash', [join(REPO, 'test', 'control-plane', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (build.status !== 0) throw new Error(`test/control-plane/build.sh failed with ${build.status}`);
  return build.stdout.trim().split('\n').pop()!;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A real Kubernetes control plane for a test file: kube-apiserver with etcd, controller-manager, scheduler
 * and kwok nodes, on free loopback ports. Or the cluster named by $PLINTH_TEST_KUBECONFIG, left running.
 */
export async function startControlPlane(): Promise<TestCluster> {
  if (process.env.PLINTH_TEST_KUBECONFIG) {
    return {
      kubeconfig: process.env.PLINTH_TEST_KUBECONFIG,
      server: '(external)',
      pids: {},
      crashApiServer: () => {
        throw new Error('cannot crash the API server of an external cluster');
      },
      stop: async () => {},
    };
  }
  const binary = controlPlaneBinary();
  const dir = await mkdtemp(join(process.env.PLINTH_TEST_TMP ?? tmpdir(), 'plinth-cp-'));
  const child = spawn(binary, ['up', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const info = await new Promise<{ server: string; kubeconfig: string; startupSeconds: number; pids: Record<string, number> }>(
    (resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error(`control plane not ready after 240 s:\n${stderr}`)), 240_000);
      child.stdout!.on('data', (chunk) => {
        buffer += chunk;
        const line = buffer.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`control plane exited with ${code} before it was ready:\n${stderr}`));
      });
    },
  );
  return {
    kubeconfig: info.kubeconfig,
    server: info.server,
    startupSeconds: info.startupSeconds,
    pids: info.pids,
    crashApiServer: () => void child.kill('SIGUSR1'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timeout);
      }
      running.delete(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
