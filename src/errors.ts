import type { ReportedChange } from './commands/live.ts';

/** A problem in the user's cluster definition, located by its path in the config. */
export interface ConfigIssue {
  path: string;
  message: string;
  hint?: string;
}

/** Base of every error a user can cause or fix; the CLI maps each class to an exit code. */
export class PlinthError extends Error {
  readonly exitCode: number = 1;
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

export class UsageError extends PlinthError {
  override readonly exitCode = 2;
}

export class ConfigError extends PlinthError {
  override readonly exitCode = 2;
  readonly issues: ConfigIssue[];
  readonly file: string | undefined;
  constructor(issues: ConfigIssue[], file?: string) {
    const where = file ? ` in ${file}` : '';
    super(`${issues.length} problem${issues.length === 1 ? '' : 's'}${where}`);
    this.issues = issues;
    this.file = file;
  }
}

/** Changes the live cluster cannot take as rendered (an immutable field, data loss); nothing was applied. */
export class BlockedError extends PlinthError {
  readonly changes: ReportedChange[];
  constructor(changes: ReportedChange[]) {
    super(
      `${changes.length} change${changes.length === 1 ? '' : 's'} cannot be applied as rendered; nothing was applied`,
      'do the manual step each one names, or revert the config change',
    );
    this.changes = changes;
  }
}
