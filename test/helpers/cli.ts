/**
 * Runs the real CLI (bin/circle-fargate, the compiled code) as a child process, as users and
 * CircleCI jobs do: real exit codes, real stdout and stderr (`runCli`); or, where the process
 * boundary is not what a test is about, the same compiled `main()` in the test's process
 * (`runCommand`), which saves starting Node.js and loading the CLI on each call.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/circle-fargate');
export const EXAMPLE = path.join(ROOT, 'examples/php-monolith');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  /** Added to a clean environment (no CIRCLE_* variables leak in from the machine). */
  readonly env?: Record<string, string>;
  readonly input?: string;
}

/** The machine's environment without the variables whose names start with `dropped`, then `extra`. */
export function cleanEnv(extra: Record<string, string> = {}, dropped: readonly string[] = ['CIRCLE', 'AWS_']): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !dropped.some((prefix) => key.startsWith(prefix))) env[key] = value;
  }
  return { ...env, ...extra };
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return collect(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), ...(options.input !== undefined ? { input: options.input } : {}) });
}

/** Runs `command` with exactly `env` (in `cwd`, else ours), feeding it `input`; its exit code and output. */
export function collect(command: string, args: readonly string[], options: { cwd?: string; env: Record<string, string>; input?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Commands `runCommand` runs in-process: they touch the world only through the CliIO they are
 * given (cwd, env, stdin, stdout, stderr; trigger and `generate --continue` reach the CircleCI API
 * named in it), except that the AWS SDK of deploy, rollback and run reads its configuration
 * (endpoint, credentials, region) from the process's environment: for those, the call's AWS_*
 * variables are the process's for its duration, one such call at a time. Tests of signals, of a
 * process killed half-way and of what reaches a real terminal spawn the CLI (`runCli`).
 */
const IN_PROCESS = new Set(['help', 'generate', 'explain', 'validate', 'init', 'orb', 'schema', 'config', 'trigger', 'deploy', 'rollback', 'run', 'doctor']);
/** Whether `runCommand` can run `args` (its command is one of IN_PROCESS). */
export function runsInProcess(args: readonly string[]): boolean {
  return IN_PROCESS.has(args[0] ?? '');
}
const READS_PROCESS_ENV = new Set(['deploy', 'rollback', 'run', 'doctor']);
let processEnvInUse: Promise<unknown> = Promise.resolve();

/** Runs `call` with exactly `env`'s AWS_* variables in process.env, then puts the previous ones back. */
function withAwsEnvironment<T>(env: Record<string, string>, call: () => Promise<T>): Promise<T> {
  const run = processEnvInUse.then(async () => {
    const saved = Object.entries(process.env).filter(([key]) => key.startsWith('AWS_'));
    for (const [key] of saved) Reflect.deleteProperty(process.env, key);
    for (const [key, value] of Object.entries(env)) if (key.startsWith('AWS_')) process.env[key] = value;
    try {
      return await call();
    } finally {
      for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) Reflect.deleteProperty(process.env, key);
      for (const [key, value] of saved) process.env[key] = value;
    }
  });
  processEnvInUse = run.catch(() => undefined);
  return run;
}

interface Compiled {
  readonly main: (argv: readonly string[], io: unknown) => Promise<number>;
  readonly SecretRegistry: { fromEnvironment(env: Record<string, string>, read: (file: string) => string | undefined): unknown };
}
let compiled: Promise<Compiled> | undefined;

/**
 * `main()` of the compiled CLI (dist/, as bin/circle-fargate runs it) in this process, with the
 * same clean environment, stdin, working directory and result as `runCli`. A code description
 * is still loaded in its own process, as always.
 */
export async function runCommand(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (!runsInProcess(args)) throw new Error(`runCommand runs ${[...IN_PROCESS].join(', ')} in-process; use runCli for ${args[0] ?? 'no command'}`);
  compiled ??= (async () => {
    const dist = (file: string) => pathToFileURL(path.join(ROOT, 'dist', file)).href;
    const [{ main }, { SecretRegistry }] = await Promise.all([import(dist('cli/main.js')), import(dist('secrets/redact.js'))]);
    return { main, SecretRegistry };
  })();
  const { main, SecretRegistry } = await compiled;
  const env = cleanEnv(options.env);
  let stdout = '';
  let stderr = '';
  const io = {
    cwd: options.cwd ?? ROOT,
    env,
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
    readStdin: () => Promise.resolve(options.input ?? ''),
    secrets: SecretRegistry.fromEnvironment(env, (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    }),
  };
  const code = READS_PROCESS_ENV.has(args[0] ?? '') ? await withAwsEnvironment(env, () => main(args, io)) : await main(args, io);
  return { code, stdout, stderr };
}
