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

/**
 * Before every command: no `git maintenance run --auto` after a fetch. git-config(1):
 * "maintenance.auto: This boolean config option controls whether some commands run `git
 * maintenance run --auto` after doing their normal work. Defaults to true." The setup job's clone
 * is thrown away with the job, so maintenance of it is a process (and, past gc.auto's 6700 loose
 * objects, a repack) for nothing. A git older than the option (2.29) ignores it.
 */
const NO_AUTO_MAINTENANCE = ['-c', 'maintenance.auto=false'] as const;

export function gitIn(cwd: string): Git {
  return (args) =>
    new Promise((resolve) => {
      execFile(
        'git',
        [...NO_AUTO_MAINTENANCE, ...args],
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
