import type { Registry } from '../config/schema.ts';

export interface ProgressOptions {
  /** A count redrawn in place on a terminal (`wave 2: 14/59 objects`); never written anywhere else. */
  transient?: boolean;
  /** A phase of long work: also written, a plain line each, when stderr is not a terminal (CI logs). */
  phase?: boolean;
}

/** What a command may touch besides its options: injected so tests run commands without a process. */
export interface Context {
  cwd: string;
  registry: Registry;
  /** Progress of long work, for humans, on stderr; silent unless the CLI shows it. */
  progress: (message: string, options?: ProgressOptions) => void;
}
