/**
 * The process that runs a code description (.ts, .mjs, .js) for the loader (load.ts), so that
 * whatever the file does stays here: its output goes to pipes the loader forwards to stderr, a
 * `process.exit` or a crash ends this process only, an endless loop is killed at the time limit.
 *
 * Protocol: argv[2] is the file; argv[3] `--compiled` when the loader compiled it (compile.ts) and
 * writes its CommonJS code to fd 4, else it is imported (through tsx for TypeScript); argv[2]
 * `--wait`: fd 4 brings the file, then its compiled code (see `waited`). On fd 3,
 * `{ kind: 'ready' }` once start-up is done, then one JSON line, the first message wins:
 *   { kind: 'value', json }            the default export, as JSON text
 *   { kind: 'threw', message, line?, column? }   loading failed (syntax errors with a position)
 *   { kind: 'unreadable', message }    the value could not be read (a getter threw, a BigInt)
 *   { kind: 'no-default' }
 *   { kind: 'exit', code }             the description called process.exit
 *   { kind: 'unsettled' }              a top-level await or exported Promise never settled
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeSync } from 'node:fs';
import Module, { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { firstLine } from '../errors.js';
import { esbuildError } from './compile.js';

const RESULT_FD = 3;
/** Where the loader writes a description it compiled (`--compiled`). */
const CODE_FD = 4;
/** defineConfig for a description compiled to CommonJS (src/description and dist/description both sit two levels below the package root). */
const COMMONJS_SELF = fileURLToPath(new URL('../../src/description/define-config.cjs', import.meta.url));
/**
 * This process ends with the CLI that started it, however that one ended (a SIGKILL, a signal
 * sent to its pid only): a description in an endless loop would otherwise run on, orphaned, with
 * nobody left to enforce its time limit. A worker thread watches the parent, beside whatever the
 * main thread is stuck in, and kills this process once the parent is gone (its pid changes when
 * the kernel hands this process to another). The worker does not keep this process alive.
 */
const watchdog = new Worker(
  `const { ppid } = process;
  setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, 'SIGKILL'); }, 250);`,
  { eval: true, stdout: false, stderr: false },
);
watchdog.unref();

/**
 * `--wait` (argv[2]): started by bin/circle-fargate before it knew the file, so that Node.js's
 * start-up here overlaps the CLI's own; fd 4 then brings one line `{"file"}` and the compiled
 * code, or nothing at all when the loader did not need this process (it just ends).
 */
const waited = process.argv[2] === '--wait' ? readWaited() : undefined;

function readWaited(): { file: string; code: string } {
  const all = readFileSync(CODE_FD, 'utf8');
  const newline = all.indexOf('\n');
  if (newline < 0) process.exit(0);
  const header = JSON.parse(all.slice(0, newline)) as { file?: unknown };
  const file = typeof header.file === 'string' ? header.file : '';
  // As the loader starts its processes: in the description's directory.
  process.chdir(path.dirname(file));
  return { file, code: all.slice(newline + 1) };
}

const exit: (code?: number) => never = process.exit.bind(process);
let sent = false;

function send(message: Record<string, unknown>): void {
  if (sent) return;
  sent = true;
  writeSync(RESULT_FD, `${JSON.stringify(message)}\n`);
}

process.exit = ((code?: number | string | null) => {
  send({ kind: 'exit', code: code ?? process.exitCode ?? 0 });
  exit(0);
});
// The event loop ran dry while the description was still loading: a top-level await or an
// exported Promise that nothing will ever settle (Node would end with code 13).
let loading = true;
process.on('exit', (code) => {
  send(loading ? { kind: 'unsettled' } : { kind: 'exit', code });
});
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    send({ kind: 'threw', ...describeError(error, file) });
    exit(0);
  });
}

const file = waited?.file ?? process.argv[2] ?? '';
// Not a top-level await: the build also makes this file a CommonJS one (scripts/bundle.mjs),
// which Node.js starts faster. A description that never settles leaves the event loop empty:
// the process then exits and says so ('unsettled').
void (async () => {
  try {
    const value = await importDefault(file);
    loading = false;
    if (value === undefined) send({ kind: 'no-default' });
    else {
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (error) {
        send({ kind: 'unreadable', message: firstLine(error) });
      }
      if (json !== undefined) send({ kind: 'value', json });
    }
  } catch (error) {
    send({ kind: 'threw', ...describeError(error, file) });
  }
  exit(0);
})();

async function importDefault(file: string): Promise<unknown> {
  const extension = path.extname(file);
  const typescript = extension === '.ts' || extension === '.mts' || extension === '.cts';
  let module: { default?: unknown };
  if (waited !== undefined || process.argv[3] === '--compiled') {
    module = compiledModule(file);
  } else {
    resolvePackageToSelf();
    // Loaded only for .ts descriptions that need it: tsx costs start-up time the others do not.
    const tsx = typescript ? await import('tsx/esm/api') : undefined;
    ready();
    module = (tsx ? await tsx.tsImport(pathToFileURL(file).href, import.meta.url) : await import(pathToFileURL(file).href)) as { default?: unknown };
  }
  // A file compiled to CommonJS arrives as its `exports` object, the default export inside.
  const exported = module.default;
  const value =
    typeof exported === 'object' && exported !== null && (exported as { __esModule?: unknown }).__esModule === true
      ? (exported as { default?: unknown }).default
      : exported;
  // An exported Promise is the description once it settles.
  return value instanceof Promise ? ((await value) as unknown) : value;
}

/**
 * Ready: the loader's time limit counts from here, the description's own time, not our start-up
 * (which a busy CI machine can stretch).
 */
function ready(): void {
  writeSync(RESULT_FD, `${JSON.stringify({ kind: 'ready' })}\n`);
}

/**
 * A .ts description the loader compiled (compile.ts: it imports nothing but `circle-fargate` and
 * Node.js's own modules), its CommonJS code read whole from fd 4, run as a module of `file`.
 */
function compiledModule(file: string): { default?: unknown } {
  const code = waited?.code ?? readFileSync(CODE_FD, 'utf8');
  const module = new Module(file) as Module & { _compile: (code: string, filename: string) => void; paths: string[] };
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths: (dir: string) => string[] })._nodeModulePaths(path.dirname(file));
  const load = module.require.bind(module);
  module.require = ((request: string): unknown => load(request === 'circle-fargate' ? COMMONJS_SELF : request)) as typeof module.require;
  ready();
  module._compile(code, file);
  // As tsx hands a CommonJS module over: its exports as the default (unwrapped below when the
  // file had an `export default`), so `module.exports = ...` and `export = ...` work too.
  return { default: module.exports };
}

/**
 * Makes `import { defineConfig } from 'circle-fargate'` work in a description even where the
 * package is not installed in the project (a PHP repository has no node_modules): the import
 * resolves to this running copy of circle-fargate. tsx compiles a `.ts` file to an ES module or
 * to CommonJS depending on the nearest package.json, so both resolutions are redirected.
 */
function resolvePackageToSelf(): void {
  // Only defineConfig (types are erased): not the whole library, whose loading would cost every
  // run of a .ts description about 300 ms of start-up.
  const self = new URL(`./define${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === 'circle-fargate') return { url: ${JSON.stringify(self)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);

  const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'circle-fargate' ? COMMONJS_SELF : original.call(this, request, ...rest);
  };
}

/** A failure's message, and for a syntax error its line and column in `file`. */
function describeError(error: unknown, file: string): { message: string; line?: number; column?: number } {
  const message = error instanceof Error ? error.message : String(error);
  // esbuild (tsx): "Transform failed with 1 error:\n/abs/file.ts:3:14: ERROR: Expected ..."
  const esbuild = esbuildError(message);
  if (esbuild.line !== undefined) return esbuild;
  if (error instanceof SyntaxError && /\.[cm]?js$/.test(file)) {
    // A failed import() tells no position; Node's own check of the file does: "FILE:LINE", the
    // line's text, a caret under the column, then "SyntaxError: message".
    const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
    const lines = (check.stderr || '').split('\n');
    const at = lines.findIndex((line) => line.startsWith(`${file}:`));
    const position = at >= 0 ? /:(\d+)$/.exec(lines[at] ?? '') : null;
    if (position) {
      const column = (lines[at + 2] ?? '').indexOf('^');
      return { message: firstLine(error), line: Number(position[1]), ...(column >= 0 ? { column: column + 1 } : {}) };
    }
  }
  return { message: firstLine(error) };
}
