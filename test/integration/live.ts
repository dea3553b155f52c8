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
