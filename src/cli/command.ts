import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';
import { closest } from '../description/schemaKit.js';
import type { CliIO } from './io.js';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  readonly options: OptionsConfig;
  readonly positionals: { readonly min: number; readonly max: number; readonly name: string };
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/** Options every command takes: --help, --version (as before the command) and --debug. */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  debug: { type: 'boolean' },
} as const satisfies OptionsConfig;

export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...command.options, ...GLOBAL_OPTIONS },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // Node's messages run on over several sentences and lines: the first says what is wrong.
    const message = error instanceof Error ? (error.message.split(/\n|\. /)[0] ?? error.message) : String(error);
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const hint = unknown !== undefined ? closest(unknown, Object.keys({ ...command.options, ...GLOBAL_OPTIONS })) : undefined;
    throw new InputError(`${command.name}: ${message.replace(/\.$/, '')}${hint !== undefined ? ` (did you mean --${hint}?)` : ''}; see circle-fargate ${command.name} --help`);
  }
  if (parsed.values.help !== true && parsed.values.version !== true) {
    const count = parsed.positionals.length;
    if (count < command.positionals.min) {
      throw new InputError(`${command.name}: missing ${command.positionals.name}; see circle-fargate ${command.name} --help`);
    }
    if (count > command.positionals.max) {
      const extra = parsed.positionals[command.positionals.max] ?? '';
      throw new InputError(`${command.name}: unexpected argument ${JSON.stringify(extra)}; see circle-fargate ${command.name} --help`);
    }
  }
  return parsed;
}

/** A string flag's value, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A flag holding a positive number of seconds, or `fallback` when absent; in milliseconds. */
/** The longest wait a seconds flag may ask for. */
const MAX_SECONDS = 2_000_000;

export function secondsFlag(args: ParsedArgs, command: string, name: string, fallback: number): number {
  const value = stringFlag(args, name);
  if (value === undefined) return fallback * 1000;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw new InputError(`${command}: --${name}: not a number of seconds (got ${JSON.stringify(value)})`);
  }
  // Node.js's timers hold at most 2^31 - 1 ms (about 24.8 days); a longer one fires at once.
  if (Number(value) > MAX_SECONDS) throw new InputError(`${command}: --${name}: at most ${MAX_SECONDS} seconds, about 23 days (got ${value})`);
  return Number(value) * 1000;
}

/** The flags that say where the project description is and how long it may take to load. */
export const DESCRIPTION_OPTIONS = {
  config: { type: 'string' },
  'load-timeout': { type: 'string' },
} as const satisfies OptionsConfig;

/** loadDescription's options from --config and --load-timeout; a description's own output goes to our stderr. */
export function descriptionLoadOptions(args: ParsedArgs, io: CliIO, command: string): { cwd: string; file?: string; timeoutMs?: number; log: (text: string) => void } {
  const config = stringFlag(args, 'config');
  return {
    cwd: io.cwd,
    ...(config !== undefined ? { file: config } : {}),
    // Without the flag, the loader's own default (DEFAULT_LOAD_TIMEOUT_MS) applies.
    ...(stringFlag(args, 'load-timeout') !== undefined ? { timeoutMs: secondsFlag(args, command, 'load-timeout', 0) } : {}),
    log: (text) => {
      io.stderr(text);
    },
  };
}
