// Runs a .ts or .js config in a thread of its own (see loadModuleConfig in load.ts): whatever the config does
// at the top level (waits forever, calls process.exit, prints) stays out of the CLI's process and output.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { describeModuleError, type WorkerData, type WorkerResult } from './module-errors.ts';
import { toPlainData } from './plain.ts';

const { file, exitFlag } = workerData as WorkerData;

// A worker's process.exit ends only the worker, and the parent cannot tell it from a normal end: record it,
// synchronously, where the parent reads it.
const flag = new Int32Array(exitFlag);
const exit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  Atomics.store(flag, 1, Number(code ?? process.exitCode ?? 0) | 0);
  Atomics.store(flag, 0, 1);
  return exit(code);
}) as typeof process.exit;

const post = (result: WorkerResult) => parentPort!.postMessage(result);

// No top-level await here: a config whose own await never settles then ends the worker quietly, instead of
// Node's warning pointing at this file.
import(pathToFileURL(file).href).then(
  (module: { default?: unknown; config?: unknown }) => {
    try {
      const value = module.default ?? module.config;
      if (value === undefined) return post({ type: 'no-export' });
      const plain = toPlainData(value);
      post(plain.ok ? { type: 'ok', value: plain.value } : { type: 'invalid', issues: plain.issues });
    } catch (error) {
      post({ type: 'threw', ...describeModuleError(error, file) });
    }
  },
  (error: unknown) => post({ type: 'threw', ...describeModuleError(error, file) }),
);
