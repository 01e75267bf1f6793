/**
 * The CLI: dispatch to a command, and the one place that turns errors into exit codes.
 * The library never exits the process; this function returns the code.
 */
import { closest } from '../description/schemaKit.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, InputError, isCircleFargateError } from '../errors.js';
import { printable } from '../printable.js';
import { VERSION } from '../version.js';
import { parseCommandArgs } from './command.js';
import { COMMAND_LIST, type CommandEntry } from './commandList.js';
import { maskingIO, type CliIO } from './io.js';

export { processIO } from './io.js';

export function mainHelp(): string {
  const width = Math.max(...COMMAND_LIST.map((command) => command.name.length));
  const list = COMMAND_LIST.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
  return `Usage: circle-fargate <command> [options]

Runs the delivery pipeline of a containerised app on CircleCI and AWS ECS/Fargate.

Commands:
${list}

Options (every command takes them too):
  -h, --help     show help (also: circle-fargate <command> --help)
  -v, --version  print the version
  --debug        show a stack trace on unexpected errors

Exit codes: 0 success; 1 the operation failed; 2 bad input (flags, project description, git state);
3 a deploy or rollback could not restore the before state; 130 interrupted (SIGINT, Ctrl-C; 143
for SIGTERM) before it finished (deploy, run and rollback first restore or stop what they
started, then exit with their own code).
Errors are one line on stderr: circle-fargate: COMMAND: what is wrong; what to do.
`;
}

export async function main(argv: readonly string[], unmasked: CliIO): Promise<number> {
  const debug = argv.includes('--debug');
  // Every word a command or an error report writes passes the masking edge.
  const io = maskingIO(unmasked);
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return report(error, io, debug, commandLabel(argv));
  }
}

/** Subcommands, named in error prefixes with their command (`orb review:`). */
const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = { orb: ['pack', 'review'], config: ['process'] };

/** What errors are prefixed with: the command (and subcommand) that ran, or nothing before one. */
function commandLabel(argv: readonly string[]): string | undefined {
  const [first, second] = argv;
  if (first === undefined || !COMMAND_LIST.some((command) => command.name === first)) return undefined;
  return second !== undefined && SUBCOMMANDS[first]?.includes(second) === true ? `${first} ${second}` : first;
}

/**
 * One prefix form for every error: `COMMAND: message` (`orb review: ...`). A message that
 * names its command already keeps its own words (`deploy failed: ...`, `generate --continue:
 * ...`, `orb: unknown subcommand`).
 */
function prefixed(message: string, label: string | undefined): string {
  if (label === undefined) return message;
  const command = label.split(' ')[0] ?? label;
  return message.startsWith(`${label}:`) || message.startsWith(`${command}:`) || message.startsWith(`${command} `) ? message : `${label}: ${message}`;
}

async function dispatch(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout(mainHelp());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if (first === 'help') {
    const target = rest[0];
    if (target === undefined) {
      io.stdout(mainHelp());
      return 0;
    }
    io.stdout(`${(await findCommand(target).load()).help}\n`);
    return 0;
  }
  const command = await findCommand(first).load();
  const args = parseCommandArgs(command, rest);
  if (args.values.help === true) {
    io.stdout(`${command.help}\n`);
    return 0;
  }
  if (args.values.version === true) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  return command.run(args, io);
}

function findCommand(name: string): CommandEntry {
  const command = COMMAND_LIST.find((candidate) => candidate.name === name);
  if (command) return command;
  const names = COMMAND_LIST.map((candidate) => candidate.name);
  const hint = closest(name, names);
  const what = name.startsWith('-') ? `unknown option ${JSON.stringify(name)}` : `unknown command ${JSON.stringify(name)}`;
  throw new InputError(`${what}${hint ? ` (did you mean ${hint}?)` : ''}; expected one of ${names.join(', ')}; see circle-fargate --help`);
}

function report(error: unknown, io: CliIO, debug: boolean, label: string | undefined): number {
  if (isCircleFargateError(error)) {
    // One line each, whatever a value inside them holds (a branch name with a newline).
    io.stderr(`circle-fargate: ${printable(prefixed(error.message, label))}\n`);
    for (const line of error.details) io.stderr(`${printable(line)}\n`);
    if (debug && error.stack) io.stderr(`${error.stack}\n`);
    return error.exitCode;
  }
  const missing = missingPackage(error);
  if (missing !== undefined) {
    // The AWS SDK is a peer dependency: the orb's setup job installs without it.
    const hint = missing.startsWith('@aws-sdk/')
      ? 'deploy, rollback, run and doctor need the AWS SDK, a peer dependency: install circle-fargate without --omit=peer (the orb: install with deploy: true)'
      : 'run `npm ci` (in a checkout) or reinstall circle-fargate';
    io.stderr(`circle-fargate: ${prefixed(`${missing} is not installed: ${hint}`, label)}\n`);
    // Nothing was done: the setup is at fault, as with a bad flag (exit codes: README).
    return EXIT_BAD_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`circle-fargate: ${prefixed(`unexpected error: ${printable(message.split('\n')[0] ?? '')}${debug ? '' : ' (rerun with --debug for details)'}`, label)}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return error instanceof InputError ? EXIT_BAD_INPUT : EXIT_FAILED;
}

/** The package a failed import or require names, when the error is a module that is not installed. */
export function missingPackage(error: unknown): string | undefined {
  // ERR_MODULE_NOT_FOUND from an import; MODULE_NOT_FOUND from a require (esbuild is required).
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  return /Cannot find (?:package|module) '([^']+)'/.exec(error.message)?.[1];
}
