/**
 * Running git. Separate from parsing its output (parsers are pure and tested on literal
 * strings) and injected where it is used, so tests drive real repositories through it.
 */
import { execFile } from 'node:child_process';

export interface GitResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs git with arguments as data (never through a shell). */
export type Git = (args: readonly string[]) => Promise<GitResult>;

export function gitIn(cwd: string): Git {
  return (args) =>
    new Promise((resolve) => {
      execFile(
        'git',
        [...args],
        { cwd, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
        (error, stdout, stderr) => {
          resolve({ ok: error === null, stdout, stderr });
        },
      );
    });
}

/** Splits `-z` output into paths; every byte of a path survives (spaces, quotes, newlines). */
export function parseNulSeparated(output: string): string[] {
  return output.split('\0').filter((path) => path !== '');
}

/** The first line of git's complaint, for a message. */
export function gitComplaint(result: GitResult): string {
  const line = result.stderr.split('\n').find((l) => l.trim() !== '');
  return line ? line.trim().replace(/^fatal: /, '') : 'git failed without a message';
}
