import { afterAll, beforeAll } from 'vitest';
import { registry } from '../../src/components/index.ts';
import type { LiveContext } from '../../src/commands/live.ts';
import { connect, type LiveCluster } from '../../src/kube/client.ts';
import { startControlPlane, type TestCluster } from './control-plane.ts';

export interface LiveTest {
  control: TestCluster;
  live: LiveCluster;
  /** A command context for a config directory, connecting for real. */
  context(cwd: string): LiveContext;
}

/** One control plane for the test file: started before its tests, stopped after them. */
export function useControlPlane(): LiveTest {
  const test = { context: (cwd: string): LiveContext => ({ cwd, registry, progress: () => {}, connect }) } as LiveTest;
  beforeAll(async () => {
    test.control = await startControlPlane();
    test.live = await connect({ kubeconfig: test.control.kubeconfig });
  }, 300_000);
  afterAll(async () => {
    await test.control?.stop();
  });
  return test;
}

/** Polls `probe` until it returns a value, failing after `seconds` with what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 90, everyMs = 500): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
