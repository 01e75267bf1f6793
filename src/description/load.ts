/**
 * Finding and loading the project description file. The one place that reads it from disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { firstLine, InputError } from '../errors.js';
import { cacheEntry } from '../codeCache.js';
import { compileDescription, esbuildVersion, type Compiled } from './compile.js';
import { resolveDescription, type ProjectDescription } from './resolve.js';
import { projectDescriptionSchema } from './schema.js';
import { formatProblem, INVALID, type Problem } from './schemaKit.js';

/** The file names looked for, in this order. */
export const DESCRIPTION_FILE_NAMES = [
  'circle-fargate.config.ts',
  'circle-fargate.config.mjs',
  'circle-fargate.config.js',
  'circle-fargate.config.json',
  'circle-fargate.config.yaml',
  'circle-fargate.config.yml',
] as const;

export interface LoadedDescription {
  readonly description: ProjectDescription;
  /** Absolute path of the file it came from. */
  readonly file: string;
}

/** Finds the description in `dir`: exactly one of DESCRIPTION_FILE_NAMES. */
export function findDescriptionFile(dir: string): string {
  const found = DESCRIPTION_FILE_NAMES.filter((name) => existsSync(path.join(dir, name)));
  if (found.length === 0) {
    throw new InputError(
      `no project description in ${dir}: create circle-fargate.config.ts (see README "Project description") or pass --config PATH`,
    );
  }
  if (found.length > 1) {
    throw new InputError(`several project descriptions in ${dir} (${found.join(', ')}): keep one, or pass --config PATH`);
  }
  return path.join(dir, found[0] as string);
}

/** Loads, validates and resolves the description at `file` (or the one found in `cwd`). */
export interface LoadOptions {
  /** The description file (default: the one found in `cwd`). */
  readonly file?: string;
  readonly cwd: string;
  /** How long a code description may take to load (default 10 s). */
  readonly timeoutMs?: number;
  /** Where a code description's own output goes (default: stderr); never our stdout. */
  readonly log?: (text: string) => void;
  /**
   * Work for this thread while a code description runs in its own process: called once that
   * process has everything it needs (its code), so that the work does not delay it. Not called
   * for JSON or YAML (read here).
   */
  readonly whileLoading?: () => void;
}

/** The description file `options` name: `file`, else the one found in `cwd`. */
export function descriptionPath(options: LoadOptions): string {
  return options.file ? path.resolve(options.cwd, options.file) : findDescriptionFile(options.cwd);
}

export async function loadDescription(options: LoadOptions): Promise<LoadedDescription> {
  const file = descriptionPath(options);
  const raw = await readDescriptionValue(file, options);
  return { file, description: parseDescription(raw, path.basename(file)) };
}

/**
 * Validates a description value. Throws an InputError whose details are every problem, one a
 * line, as `dotted.path: what is wrong (got X; expected Y)`.
 */
export function parseDescription(value: unknown, source = 'project description'): ProjectDescription {
  const problems: Problem[] = [];
  const parsed = projectDescriptionSchema.parse(value, { path: [], problems });
  if (parsed !== INVALID) {
    const resolved = resolveDescription(parsed);
    if (resolved.description) return resolved.description;
    problems.push(...resolved.problems);
  } else problems.push(...crossReferenceProblems(value, problems));
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new InputError(`${source}: ${count} in the project description`, problems.map(formatProblem));
}

/**
 * The cross-reference problems (an unknown image, an unknown environment...) of a description
 * that has problems of shape already: found on what could be parsed, so that every problem is
 * reported at once, not one run after another. None under a path that has a problem already.
 */
function crossReferenceProblems(value: unknown, known: readonly Problem[]): Problem[] {
  const partial = projectDescriptionSchema.parse(value, { path: [], problems: [], partial: true });
  if (partial === INVALID) return [];
  let resolved: ReturnType<typeof resolveDescription>;
  try {
    resolved = resolveDescription(partial);
  } catch {
    return []; // a value kept as written that resolve cannot read: its problem is reported already
  }
  const within = (outer: readonly (string | number)[], inner: readonly (string | number)[]) => outer.every((key, index) => inner[index] === key);
  return resolved.problems.filter((problem) => !known.some((other) => within(other.path, problem.path) || within(problem.path, other.path)));
}

/**
 * The value a description file holds, before it is validated: a JSON or YAML file's value, or a
 * code description's default export as its process sends it back (JSON).
 */
export async function readDescriptionValue(file: string, options: LoadOptions): Promise<unknown> {
  const name = path.basename(file);
  const extension = path.extname(file);
  if (!existsSync(file)) throw new InputError(`${file}: no such file; check --config`);
  switch (extension) {
    case '.json': {
      const text = await readFile(file, 'utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        // "... in JSON at position 64" (Node 20): where that is, as FILE:LINE:COLUMN.
        const message = firstLine(error);
        const position = /\s+in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(message);
        if (!position) throw new InputError(`${name}: not valid JSON: ${message}`);
        const before = text.slice(0, Number(position[1])).split('\n');
        throw new InputError(`${name}:${before.length}:${(before.at(-1) ?? '').length + 1}: not valid JSON: ${message.slice(0, position.index)}`);
      }
    }
    case '.yaml':
    case '.yml': {
      // Loaded here only: the yaml package is many modules, and a code description's process
      // should start without waiting for them.
      const [text, { parse: parseYaml }] = await Promise.all([readFile(file, 'utf8'), import('yaml')]);
      try {
        return parseYaml(text, { prettyErrors: true, uniqueKeys: true }) as unknown;
      } catch (error) {
        // The yaml package's errors carry the position; its message repeats it before a code frame.
        const at = error instanceof Error && 'linePos' in error ? (error as { linePos?: readonly { line: number; col: number }[] }).linePos?.[0] : undefined;
        const message = firstLine(error).replace(/ at line \d+, column \d+:?$/, '');
        throw new InputError(at ? `${name}:${at.line}:${at.col}: not valid YAML: ${message}` : `${name}: not valid YAML: ${message}`);
      }
    }
    case '.ts':
    case '.mts':
    case '.mjs':
    case '.js':
      return importDefault(file, options);
    default:
      throw new InputError(`${name}: unsupported file type "${extension}"; use .ts, .mjs, .js, .json, .yaml or .yml`);
  }
}

/** Default of the loader's time limit (`--load-timeout`). */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;
/** How long the loading process may take to start before the description's own time counts. */
const STARTUP_LIMIT_MS = 60_000;

interface ChildMessage {
  readonly kind: 'value' | 'threw' | 'unreadable' | 'no-default' | 'exit' | 'unsettled';
  readonly json?: string;
  readonly message?: string;
  readonly line?: number;
  readonly column?: number;
  readonly code?: number | string;
}

/**
 * Runs a code description in its own process (loadChild.ts) with a time limit: its stdout and
 * stderr reach `log` (our stderr), never our stdout; `process.exit`, a throw, a rejection, a
 * Promise that never settles, an endless loop and a syntax error each end in one InputError
 * naming the file (exit 2).
 */
async function importDefault(file: string, options: LoadOptions): Promise<unknown> {
  const name = path.basename(file);
  if (!/\.[cm]?ts$/.test(file)) {
    const loading = runLoader(file, undefined, options).result;
    options.whileLoading?.();
    return loading;
  }
  // A TypeScript file is compiled here when it can be (compile.ts). The process that runs it
  // starts first, told to wait for the code: Node.js's own start-up there (most of its time)
  // overlaps the compiling here. When the file turns out not to be compilable it is stopped
  // unheard, and tsx loads the file in a process of its own; a syntax error stops here.
  let deliver: (code: string | undefined) => void = () => undefined;
  const early = runLoader(file, new Promise((resolve) => (deliver = resolve)), options);
  const result = await compiledDescription(file).catch((error: unknown) => {
    early.cancel();
    throw error;
  });
  deliver(result.kind === 'compiled' ? result.code : undefined);
  if (result.kind === 'compiled') {
    options.whileLoading?.();
    return early.result;
  }
  early.cancel();
  if (result.kind === 'syntax') {
    const { kind: _syntax, ...position } = result;
    throw new InputError(threwMessage(name, position));
  }
  return runLoader(file, undefined, options).result;
}

/**
 * compile.ts's answer for `file`, from our cache (codeCache.ts) when this file's content was
 * compiled before by this esbuild: a CLI run then starts no esbuild process, and the code reaches
 * the description's process at once. Only compiled code is kept; the file itself is read here.
 */
async function compiledDescription(file: string): Promise<Compiled> {
  const source = await readFile(file);
  const entry = cacheEntry('description', `${esbuildVersion()}\0${file}\0${source.toString('utf8')}`);
  const cached = entry?.read();
  if (cached !== undefined) return { kind: 'compiled', code: cached.toString('utf8') };
  const result = await compileDescription(file, source.toString('utf8'));
  if (result.kind === 'compiled') entry?.write(Buffer.from(result.code));
  return result;
}

/**
 * One loading process (loadChild.ts) for `file`. With `code`, it runs the CommonJS code that
 * arrives on fd 4 once `code` resolves (undefined: nothing arrives; `cancel` stops it); without,
 * it imports the file itself (through tsx for TypeScript). `cancel` ends a process whose answer
 * is no longer wanted: its `result` then never settles.
 */
function runLoader(file: string, code: Promise<string | undefined> | undefined, options: LoadOptions): { result: Promise<unknown>; cancel: () => void } {
  const name = path.basename(file);
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  const log = options.log ?? ((text: string) => void process.stderr.write(text));
  const here = new URL(import.meta.url);
  const fromSource = here.pathname.endsWith('.ts');
  // Built, the CommonJS copy of loadChild.js (scripts/bundle.mjs), which Node.js starts faster.
  const child = fromSource ? fileURLToPath(new URL('./loadChild.ts', here)) : builtChild(here);
  const args = [...(fromSource ? ['--import', import.meta.resolve('tsx')] : []), child, file, ...(code !== undefined ? ['--compiled'] : [])];
  let cancelled = false;
  let running: ReturnType<typeof spawn> | undefined;
  const cancel = () => {
    cancelled = true;
    running?.kill('SIGKILL');
  };
  // The process bin/circle-fargate started ahead, waiting for a file and its code (built only).
  const ahead = code !== undefined && !fromSource ? takeStartedAhead() : undefined;
  const result = new Promise<unknown>((resolve, reject) => {
    const proc = ahead ?? spawn(process.execPath, args, { cwd: path.dirname(file), stdio: ['ignore', 'pipe', 'pipe', 'pipe', code !== undefined ? 'pipe' : 'ignore'] });
    running = proc;
    if (code !== undefined) {
      const input = proc.stdio[4] as Writable;
      // The child may end before reading it all (process.exit at the top, a crash): not our error.
      input.on('error', () => undefined);
      void code.then(
        (text) => {
          if (text !== undefined) input.end(ahead ? `${JSON.stringify({ file })}\n${text}` : text);
        },
        () => undefined,
      );
    }
    let answer = '';
    let timedOut = false;
    const kill = () => {
      timedOut = true;
      proc.kill('SIGKILL');
    };
    // The limit counts from the child's `ready` (its start-up done); start-up itself gets a
    // generous limit of its own, for a machine so busy that starting Node takes that long.
    let timer = setTimeout(kill, timeoutMs + STARTUP_LIMIT_MS);
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      log(chunk);
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log(chunk);
    });
    const channel = proc.stdio[3] as Readable;
    channel.setEncoding('utf8').on('data', (chunk: string) => {
      const before = answer;
      answer += chunk;
      if (!before.includes('"ready"') && answer.includes('{"kind":"ready"}\n')) {
        clearTimeout(timer);
        timer = setTimeout(kill, timeoutMs);
      }
    });
    proc.on('error', (error) => {
      clearTimeout(timer);
      if (cancelled) return;
      reject(new InputError(`${name}: could not start a process to load it (${error.message})`));
    });
    proc.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (cancelled) return;
      if (timedOut) {
        reject(new InputError(`${name}: did not finish loading within ${timeoutMs / 1000} s (an endless loop, or a wait that never ends?); pass --load-timeout SECONDS if it needs longer`));
        return;
      }
      let message: ChildMessage | undefined;
      try {
        message = JSON.parse(answer.split('\n').find((line) => line !== '' && line !== '{"kind":"ready"}') ?? '') as ChildMessage;
      } catch {
        message = undefined;
      }
      if (message === undefined) {
        reject(new InputError(`${name}: the process loading it ended without an answer (${signal !== null ? `signal ${signal}` : `exit code ${String(exitCode)}`})`));
        return;
      }
      const failure = describeFailure(name, message);
      if (failure !== undefined) reject(new InputError(failure));
      else resolve(JSON.parse(message.json ?? 'null') as unknown);
    });
  });
  return { result, cancel };
}

/** Where bin/circle-fargate leaves the loading process it started ahead (`loadChild --wait`). */
const STARTED_AHEAD = Symbol.for('circle-fargate.loader-started-ahead');

/**
 * The loading process started ahead, once: taken from where bin/circle-fargate left it, and held
 * by this process again (it was not, so that a run that never needs it is not kept waiting).
 */
function takeStartedAhead(): ChildProcess | undefined {
  const holder = globalThis as { [STARTED_AHEAD]?: ChildProcess | undefined };
  const child = holder[STARTED_AHEAD];
  holder[STARTED_AHEAD] = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null || child.stdio[3] === null || child.stdio[4] === null) return undefined;
  child.ref();
  for (const stream of child.stdio) (stream as { ref?: () => void } | null)?.ref?.();
  return child;
}

let loadChildFile: string | undefined;

function builtChild(here: URL): string {
  if (loadChildFile !== undefined) return loadChildFile;
  const commonJs = fileURLToPath(new URL('../bundle/loadChild.cjs', here));
  loadChildFile = existsSync(commonJs) ? commonJs : fileURLToPath(new URL('./loadChild.js', here));
  return loadChildFile;
}

function describeFailure(name: string, message: ChildMessage): string | undefined {
  switch (message.kind) {
    case 'value':
      return undefined;
    case 'no-default':
      return `${name}: no default export; write \`export default defineConfig({ ... })\``;
    case 'exit':
      return `${name}: called process.exit(${String(message.code ?? '')}) while loading; a description only exports its value (export default defineConfig({ ... }))`;
    case 'unsettled':
      return `${name}: never finished loading: a top-level await or an exported Promise never settles`;
    case 'unreadable':
      return `${name}: its default export cannot be read as data (${message.message ?? 'no message'}); export plain values`;
    case 'threw':
      return threwMessage(name, message);
  }
}

/** A description that threw while loading: with a position, a syntax error at FILE:LINE[:COLUMN]. */
function threwMessage(name: string, failure: { readonly message?: string; readonly line?: number; readonly column?: number }): string {
  return failure.line !== undefined
    ? `${name}:${failure.line}${failure.column !== undefined ? `:${failure.column}` : ''}: syntax error: ${failure.message ?? ''}`
    : `${name}: failed to load: ${failure.message ?? 'no message'}`;
}
