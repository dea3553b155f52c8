import type { Registry } from '../config/schema.ts';

/** What a command may touch besides its options: injected so tests run commands without a process. */
export interface Context {
  cwd: string;
  registry: Registry;
  /** Progress of long work, for humans; silent unless the CLI shows it. */
  progress: (message: string) => void;
}
