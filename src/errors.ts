/**
 * The few error classes of circle-fargate. The library throws them; only the CLI maps them to
 * exit codes (see README "Exit codes"). Messages are written for people: one line that names
 * what was wrong and what to do.
 */

/** Exit code of a successful run. */
export const EXIT_OK = 0;
/** Exit code when the operation itself failed: a deploy, an API call, validation of emitted config. */
export const EXIT_FAILED = 1;
/** Exit code for bad input: flags, the project description, git state. */
export const EXIT_BAD_INPUT = 2;
/** Exit code when a deploy or rollback failed and the before state could not be fully restored. */
export const EXIT_NOT_RESTORED = 3;

/** Bad input from the person or the pipeline that ran us (flags, description, git state). Exit 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = EXIT_BAD_INPUT;
  /** Further lines, each a complete problem on its own (used for "every problem at once"). */
  readonly details: readonly string[];

  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.details = details;
  }
}

/** The operation failed although the input was acceptable. Exit 1. */
export class OperationError extends Error {
  override readonly name = 'OperationError';
  readonly exitCode: number = EXIT_FAILED;
  readonly details: readonly string[];

  constructor(message: string, details: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.details = details;
  }
}

/** A deploy or rollback that could not put everything back as it was. Exit 3. */
export class NotRestoredError extends OperationError {
  override readonly exitCode: number = EXIT_NOT_RESTORED;
}

/** Any error of ours that carries an exit code. */
export type CircleFargateError = InputError | OperationError;

export function isCircleFargateError(error: unknown): error is CircleFargateError {
  return error instanceof InputError || error instanceof OperationError;
}

/** Why a file could not be read, in words (`no such file`), for a one-line error. */
export function unreadable(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  const words: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'a directory, not a file', EACCES: 'permission denied', ENOTDIR: 'a path through something that is not a directory' };
  return words[code] ?? (code !== '' ? code : error instanceof Error ? error.message : String(error));
}

/** An error's first non-blank line: the part of a multi-line message that says what is wrong. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n').find((line) => line.trim() !== '') ?? message).trim();
}
