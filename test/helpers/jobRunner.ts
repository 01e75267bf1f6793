/**
 * Runs the jobs of an emitted config the way a CircleCI container would, offline: the job is
 * expanded (its orb job, commands, parameters and executor, `when`/`unless` decided), and each
 * step runs in order in a temporary home and project directory, `run` steps under `sh` with the
 * environment CircleCI sets. `circleci`, `aws`, `docker`, `npm` (and what they install) are stand-ins that record how
 * they were called (one argument a line, each call ending in a marker line, in STUBS/NAME.args); git and
 * terraform are the real ones. Caches and the workspace are directories shared by the jobs of one
 * pipeline, so a job's steps and the jobs of a workflow must fit together for a test to pass.
 * Each container has its own `/tmp`: the orb's `/tmp/circle-fargate` and `/tmp/workspace` in a step
 * (command, environment, cache key or path) are in the container's `tmp` directory beside its home. A cache holds each path as the
 * config writes it (`~/...`, relative, or `/tmp/...`) and restores it into the restoring
 * container's home, project or tmp, as on CircleCI where every job starts on a fresh container.
 * Only what our own emitted configs use is supported; anything else throws.
 *
 * CircleCI's rules followed here, from https://circleci.com/docs/reference/configuration-reference/:
 * - save_cache: "Generates and stores a cache of a file or directory ... in object storage"
 *   under `key`; "If key is already present in the cache, it will not be recreated." Template
 *   `{{ checksum "filename" }}` is "A base64 encoded SHA256 hash of the given filename's
 *   contents"; `{{ arch }}` the OS and CPU architecture.
 * - restore_cache keys: "CircleCI restores the first matching key": an exact key, else "the most
 *   recently generated cache" whose key starts with it.
 * - persist_to_workspace / attach_workspace: paths under `root`, attached under `at`.
 * - `\<<` escapes parameter interpolation.
 * - run `when`: "Specify when to enable or disable the step. Takes the following values: always,
 *   on_success, on_fail (default: on_success)". A failing step ends the job's success; the steps
 *   after it run only when they say `always` or `on_fail`, and the job fails.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';

export interface Pipeline {
  /** Shared by the pipeline's jobs. */
  readonly cacheDir: string;
  readonly workspaceStore: string;
  /** Values of `<< pipeline.* >>`. */
  readonly values: Readonly<Record<string, string>>;
}

export interface ExpandedStep {
  readonly kind: string;
  readonly body: Config;
}

export interface ExpandedJob {
  readonly name: string;
  readonly images: readonly { image: string; environment?: Record<string, string> }[];
  readonly parallelism: number;
  /** The job's own `environment`, beneath each step's. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly steps: readonly ExpandedStep[];
}

const INTERPOLATION = /(\\?)<<\s*([\w.-]+)\s*>>/g;

function substitute(value: unknown, parameters: Record<string, unknown>, pipeline: Pipeline['values']): unknown {
  if (typeof value === 'string') {
    // A whole-value reference keeps the parameter's type (booleans decide `when`).
    const whole = /^<<\s*parameters\.([\w-]+)\s*>>$/.exec(value);
    if (whole?.[1] !== undefined && whole[1] in parameters) return parameters[whole[1]];
    return value.replace(INTERPOLATION, (match, escaped: string, name: string) => {
      if (escaped !== '') return match.slice(1);
      if (name.startsWith('parameters.')) {
        const key = name.slice('parameters.'.length);
        if (!(key in parameters)) throw new Error(`<< ${name} >> is not a declared parameter`);
        return String(parameters[key]);
      }
      if (name.startsWith('pipeline.')) {
        if (!(name in pipeline)) throw new Error(`<< ${name} >> has no value in this pipeline`);
        return pipeline[name] as string;
      }
      throw new Error(`unknown interpolation ${match}`);
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, parameters, pipeline));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, parameters, pipeline)]));
  }
  return value;
}

function withDefaults(declared: Config | undefined, given: Config, where: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries<Config>(declared ?? {})) {
    if (name in given) values[name] = given[name];
    else if ('default' in spec) values[name] = spec.default;
    else throw new Error(`${where}: required parameter ${name} not given`);
  }
  for (const name of Object.keys(given)) if (!(name in values)) throw new Error(`${where}: parameter ${name} is not declared`);
  return values;
}

const BUILT_IN = new Set(['run', 'restore_cache', 'save_cache', 'persist_to_workspace', 'attach_workspace', 'store_test_results', 'store_artifacts', 'setup_remote_docker']);

/** Expands workflow entry `name` of `config` into the steps a container runs. */
export function expandJob(config: Config, name: string, pipeline: Pipeline, overrides: Record<string, unknown> = {}): ExpandedJob {
  // The entry of that name in any workflow (a rollback config has one workflow per environment).
  const entry = Object.values<Config>(config.workflows).flatMap((workflow) => workflow.jobs as (string | Config)[]).find((item) => {
    if (typeof item === 'string') return item === name;
    const [job, options] = Object.entries(item)[0] as [string, Config | null];
    return (options?.name ?? job) === name;
  });
  if (!entry) throw new Error(`no workflow job ${name}`);
  const [reference, options] = typeof entry === 'string' ? [entry, null] : (Object.entries(entry)[0] as [string, Config | null]);
  const { name: _n, requires: _r, context: _c, filters: _f, 'serial-group': _s, type: _t, ...given } = options ?? {};
  const local = config.jobs?.[reference] as Config | undefined;
  if (local) {
    // A job of the config (an inline orb's job, expanded by the generator): no parameters; its
    // steps call the orb's commands as ALIAS/COMMAND.
    if (Object.keys(given).length > 0) throw new Error(`${reference}: a job of the config takes no parameters`);
    const images = local.docker
      ? (substitute(local.docker, {}, pipeline.values) as Config[]).map((image) => ({ ...image }) as { image: string })
      : expandExecutor(config, {}, local.executor, pipeline);
    // Its pipeline values filled in (a `<< parameters.x >>` here would throw: it declares none).
    const steps = expandSteps(config, undefined, substitute(local.steps, {}, pipeline.values) as unknown[], pipeline, overrides, reference);
    return { name, images, parallelism: Number(local.parallelism ?? 1), ...jobEnvironment(substitute(local, {}, pipeline.values) as Config), steps };
  }
  const [alias, jobName] = reference.split('/') as [string, string];
  const orb = config.orbs?.[alias] as Config | undefined;
  if (!orb || typeof orb !== 'object') throw new Error(`${reference}: not a job of an inline orb`);
  const definition = orb.jobs[jobName] as Config;
  const declared = definition.parameters as Config | undefined;
  // CircleCI fills in pipeline values (<< pipeline.parameters.x >>, << pipeline.deploy.target_version >>)
  // across the whole config first, a workflow entry's values included.
  const values = withDefaults(declared, substitute(given, {}, pipeline.values) as Config, reference);
  for (const [key, value] of Object.entries(overrides)) if (key in values && !(key in given)) values[key] = value;
  const job = substitute({ ...definition, parameters: undefined }, values, pipeline.values) as Config;

  const images = expandExecutor(config, orb, job.executor, pipeline);
  const steps = expandSteps(config, orb, job.steps as unknown[], pipeline, overrides, reference);
  return { name, images, parallelism: Number(job.parallelism ?? 1), ...jobEnvironment(job), steps };
}

/** A job's own `environment`, as strings (none: no key). */
function jobEnvironment(job: Config): { environment?: Record<string, string> } {
  const entries = Object.entries<unknown>(job.environment ?? {});
  return entries.length > 0 ? { environment: Object.fromEntries(entries.map(([key, value]) => [key, String(value)])) } : {};
}

function expandExecutor(config: Config, orb: Config, executor: unknown, pipeline: Pipeline): ExpandedJob['images'] {
  const ref = typeof executor === 'string' ? { name: executor } : (executor as Config);
  const fromConfig = config.executors?.[ref.name] as Config | undefined;
  const fromOrb = orb.executors?.[ref.name] as Config | undefined;
  const definition = fromConfig ?? fromOrb;
  if (!definition) throw new Error(`executor ${ref.name} is not defined`);
  const { name: _name, ...given } = ref;
  const values = withDefaults(definition.parameters as Config | undefined, given, `executor ${ref.name}`);
  return (substitute(definition.docker, values, pipeline.values) as Config[]).map((image) => ({ ...image }) as { image: string });
}

/**
 * CircleCI's logic statements (https://circleci.com/docs/reference/configuration-reference/#logic-statements):
 * "Falsy values: false, null, 0, NaN, empty strings (""), statements with no arguments"; `and`,
 * `or`, `not`; `equal` "True if all arguments evaluate to equal values"; `matches` "True if value
 * matches the pattern" (the whole value).
 */
function holds(condition: unknown, where: string): boolean {
  if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
    const [operator, ...extra] = Object.keys(condition);
    const argument = (condition as Config)[operator ?? ''];
    if (operator === undefined || extra.length > 0) throw new Error(`${where}: a logic statement has one operator`);
    if (operator === 'not') return !holds(argument, where);
    if (operator === 'matches') return new RegExp(`^(?:${String(argument.pattern)})$`).test(String(argument.value));
    if (!Array.isArray(argument) || argument.length === 0) return false;
    if (operator === 'and') return argument.every((part) => holds(part, where));
    if (operator === 'or') return argument.some((part) => holds(part, where));
    if (operator === 'equal') return argument.every((part) => JSON.stringify(part) === JSON.stringify(argument[0]));
    throw new Error(`${where}: logic statement ${operator} is not supported by the test runner`);
  }
  return !(condition === false || condition === null || condition === undefined || condition === 0 || condition === '' || Number.isNaN(condition));
}

/** Steps of a job of `orb`, or of the config's own (`orb` undefined: commands are ALIAS/COMMAND). */
function expandSteps(config: Config, orb: Config | undefined, steps: unknown[], pipeline: Pipeline, overrides: Record<string, unknown>, where: string): ExpandedStep[] {
  const out: ExpandedStep[] = [];
  for (const step of steps) {
    const [kind, body] = typeof step === 'string' ? [step, null] : (Object.entries(step as Config)[0] as [string, Config | null]);
    if (kind === 'when' || kind === 'unless') {
      const truthy = holds(body?.condition, where);
      if (truthy === (kind === 'when')) out.push(...expandSteps(config, orb, body?.steps as unknown[], pipeline, overrides, where));
      continue;
    }
    if (BUILT_IN.has(kind)) {
      out.push({ kind, body: typeof body === 'string' ? { command: body } : (body ?? {}) });
      continue;
    }
    const [alias, commandName] = orb === undefined ? (kind.split('/') as [string, string | undefined]) : ['', kind];
    const owner = orb ?? (config.orbs?.[alias] as Config | undefined);
    const command = commandName === undefined ? undefined : (owner?.commands?.[commandName] as Config | undefined);
    if (!command) throw new Error(`${where}: step ${kind} is neither built in nor a command of an inline orb`);
    const values = withDefaults(command.parameters as Config | undefined, body ?? {}, `command ${kind}`);
    for (const [key, value] of Object.entries(overrides)) if (key in values && !(body && key in body)) values[key] = value;
    const inner = substitute(command.steps, values, pipeline.values) as unknown[];
    out.push(...expandSteps(config, owner, inner, pipeline, overrides, `${where} > ${kind}`));
  }
  return out;
}

export interface StepTime {
  readonly name: string;
  readonly kind: string;
  /** Milliseconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly status: number;
}

export interface JobRun {
  readonly status: number;
  readonly output: string;
  /** The run steps that ran, by name. */
  readonly ran: readonly string[];
  /** Every step that ran (built-in ones too), with its start, end and exit status. */
  readonly steps: readonly StepTime[];
  readonly storedTestResults: readonly string[];
  readonly savedCaches: readonly string[];
  readonly restoredCaches: readonly (string | null)[];
}

export interface RunOptions {
  readonly home: string;
  readonly project: string;
  /** The environment CircleCI sets (CIRCLE_SHA1, CIRCLE_BRANCH, ...), without PATH or HOME. */
  readonly env: Readonly<Record<string, string>>;
  /** Directory of stand-in commands, put first on PATH. */
  readonly stubs: string;
  /** Which of the job's parallel containers this is. */
  readonly nodeIndex?: number;
  /** Also appends each run step's output here as it comes (a job's log). */
  readonly log?: string;
  /** Where `store_artifacts` keeps what it stores (under its destination), as CircleCI's Artifacts tab would show it. */
  readonly artifacts?: string;
}

const runningSteps = new Set<number>();

/** Ends the process group of every run step still running (a caller interrupted), each by its id. */
export function killRunningSteps(): void {
  for (const pid of runningSteps) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ended already
    }
  }
}

/** Runs `script` under `sh` in a process group of its own; resolves to its exit status and output (also appended to `log`). */
function runScript(script: string, cwd: string, env: Record<string, string>, log: string | undefined): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) runningSteps.add(pid);
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (log !== undefined) appendFileSync(log, chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (pid !== undefined) runningSteps.delete(pid);
      resolve({ status: code ?? (signal !== null ? 128 : 1), output });
    });
  });
}

/** `{{ checksum "file" }}` and `{{ arch }}` in a cache key, relative to the project. */
function renderKey(template: string, project: string, tmp: string): string {
  return template
    .replace(/\{\{\s*arch\s*\}\}/g, 'arch1-linux-amd64-6_85')
    .replace(/\{\{\s*checksum\s+"([^"]+)"\s*\}\}/g, (_, file: string) => {
      const full = path.resolve(project, inTmp(file, tmp));
      if (!existsSync(full)) throw new Error(`cache key: checksum of ${file}, which does not exist`);
      return createHash('sha256').update(readFileSync(full)).digest('base64');
    });
}

/**
 * The container's own /tmp: the orb's `/tmp/circle-fargate` and `/tmp/workspace` become
 * `TMP/circle-fargate` and `TMP/workspace` (in commands and values alike). Other /tmp paths, such
 * as the test's own scratch directories, are left alone; rewriting twice changes nothing.
 */
function inTmp(text: string, tmp: string): string {
  return text.replace(/(^|[^\w./])\/tmp\/(?=(?:circle-fargate|workspace)(?:[/"'\s}]|$))/g, `$1${tmp}/`);
}

function inTmpDeep(value: unknown, tmp: string): unknown {
  if (typeof value === 'string') return inTmp(value, tmp);
  if (Array.isArray(value)) return value.map((item) => inTmpDeep(item, tmp));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inTmpDeep(item, tmp)]));
  return value;
}

function expandHome(file: string, home: string, project: string, tmp: string): string {
  if (file === '~' || file.startsWith('~/')) return path.join(home, file.slice(2));
  return path.resolve(project, inTmp(file, tmp));
}

/** Runs the steps of one container. After a failing step only `when: always`/`on_fail` steps run, as on CircleCI. */
export async function runJob(job: ExpandedJob, pipeline: Pipeline, options: RunOptions): Promise<JobRun> {
  const tmp = path.join(path.dirname(options.home), 'tmp');
  mkdirSync(tmp, { recursive: true });
  const at = (file: string): string => expandHome(file, options.home, options.project, tmp);
  const env: Record<string, string> = {
    PATH: `${options.stubs}:${process.env.PATH ?? ''}`,
    HOME: options.home,
    CIRCLECI: 'true',
    CI: 'true',
    CIRCLE_JOB: job.name,
    CIRCLE_NODE_TOTAL: String(job.parallelism),
    CIRCLE_NODE_INDEX: String(options.nodeIndex ?? 0),
    CIRCLE_WORKING_DIRECTORY: options.project,
    ...options.env,
    ...inTmpDeep(job.environment ?? {}, tmp) as Record<string, string>,
  };
  let output = '';
  const ran: string[] = [];
  const storedTestResults: string[] = [];
  const savedCaches: string[] = [];
  const restoredCaches: (string | null)[] = [];
  const steps: StepTime[] = [];
  const background: ReturnType<typeof spawn>[] = [];
  let status = 0;
  try {
    for (const step of job.steps) {
      const when = String(step.body.when ?? 'on_success');
      if (status !== 0 ? when === 'on_success' : when === 'on_fail') continue;
      const start = Date.now();
      const before = status;
      const raw = step.body;
      const body = (step.kind === 'save_cache' ? { ...(inTmpDeep(raw, tmp) as Config), paths: raw.paths } : inTmpDeep(raw, tmp)) as Config;
      switch (step.kind) {
        case 'run': {
          const environment = Object.fromEntries(Object.entries<unknown>(body.environment ?? {}).map(([key, value]) => [key, String(value)]));
          const script = path.join(options.home, `.step-${ran.length}.sh`);
          writeFileSync(script, String(body.command));
          ran.push(String(body.name ?? body.command));
          if (body.background === true) {
            background.push(spawn('sh', [script], { cwd: options.project, env: { ...env, ...environment }, stdio: 'ignore', detached: true }));
            continue;
          }
          if (options.log !== undefined) appendFileSync(options.log, `==> ${String(body.name ?? body.command)}\n`);
          const result = await runScript(script, options.project, { ...env, ...environment }, options.log);
          output += result.output;
          if (result.status !== 0 && status === 0) status = result.status;
          steps.push({ name: String(body.name ?? body.command), kind: step.kind, start, end: Date.now(), status: result.status });
          continue;
        }
        case 'restore_cache': {
          const keys = ((body.keys ?? [body.key]) as string[]).map((key) => renderKey(key, options.project, tmp));
          const existing = existsSync(pipeline.cacheDir) ? readdirSync(pipeline.cacheDir).map(decodeURIComponent) : [];
          // A prefix restores "the most recently generated cache" it starts.
          const newest = (names: string[]) => names.sort((a, b) => statSync(path.join(pipeline.cacheDir, encodeURIComponent(a))).mtimeMs - statSync(path.join(pipeline.cacheDir, encodeURIComponent(b))).mtimeMs).pop();
          const hit = keys.map((key) => (existing.includes(key) ? key : newest(existing.filter((name) => name.startsWith(key))))).find((key) => key !== undefined);
          restoredCaches.push(hit ?? null);
          if (hit !== undefined) {
            const stored = path.join(pipeline.cacheDir, encodeURIComponent(hit));
            for (const entry of readdirSync(stored)) {
              const written = JSON.parse(decodeURIComponent(entry)) as string;
              cpSync(path.join(stored, entry), at(written), { recursive: true });
            }
          }
          break;
        }
        case 'save_cache': {
          const key = renderKey(String(body.key), options.project, tmp);
          const stored = path.join(pipeline.cacheDir, encodeURIComponent(key));
          if (existsSync(stored)) break;
          mkdirSync(stored, { recursive: true });
          for (const file of body.paths as string[]) {
            const source = at(file);
            if (existsSync(source)) cpSync(source, path.join(stored, encodeURIComponent(JSON.stringify(file))), { recursive: true });
          }
          savedCaches.push(key);
          break;
        }
        case 'persist_to_workspace': {
          const root = at(String(body.root));
          for (const file of body.paths as string[]) {
            const source = path.join(root, file);
            if (!existsSync(source)) throw new Error(`persist_to_workspace: ${source} does not exist`);
            cpSync(source, path.join(pipeline.workspaceStore, file), { recursive: true });
          }
          break;
        }
        case 'attach_workspace':
          mkdirSync(pipeline.workspaceStore, { recursive: true });
          cpSync(pipeline.workspaceStore, at(String(body.at)), { recursive: true });
          break;
        case 'store_test_results':
        case 'store_artifacts': {
          const file = at(String(body.path));
          if (step.kind === 'store_test_results') storedTestResults.push(existsSync(file) ? readFileSync(file, 'utf8') : '');
          else if (options.artifacts !== undefined && existsSync(file)) cpSync(file, path.join(options.artifacts, String(body.destination ?? path.basename(file))), { recursive: true });
          break;
        }
        case 'setup_remote_docker':
          ran.push(`setup_remote_docker${body.docker_layer_caching === true ? ' (layer caching)' : ''}`);
          break;
        default:
          throw new Error(`step ${step.kind} is not supported by the test runner`);
      }
      steps.push({ name: String(raw.name ?? step.kind), kind: step.kind, start, end: Date.now(), status: before === status ? 0 : status });
    }
  } finally {
    for (const child of background) if (child.pid !== undefined) try { process.kill(-child.pid, 'SIGTERM'); } catch { /* ended already */ }
  }
  return { status, output, ran, steps, storedTestResults, savedCaches, restoredCaches };
}

/**
 * The body of a `circleci` stand-in for the test splitting the orb's run_tests step asks of it:
 * `tests glob` lists the PHPUnit test files; `tests run --command=C` gives this container
 * every CIRCLE_NODE_TOTAL-th file of its input (by position, not by timings) on C's input.
 */
export const CIRCLECI_TESTS = `case "$2" in
  glob) find tests -name '*Test.php' | sort ;;
  run) for arg in "$@"; do case "$arg" in --command=*) command="\${arg#--command=}" ;; esac; done
       awk -v n="$CIRCLE_NODE_TOTAL" -v i="$CIRCLE_NODE_INDEX" '(NR - 1) % n == i' | sh -c "$command" ;;
esac`;

/** Ends each recorded call in STUBS/NAME.args (not `--`, which is an argument of its own). */
const END_OF_CALL = '-- end of call --';

/** A stand-in command in `dir`: records its arguments, then runs `body` (sh). */
export function stub(dir: string, name: string, body = ':'): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(
    file,
    // One write per call (commands piped into each other record at the same time), ending with END_OF_CALL.
    `#!/bin/sh\ncf_record=$(for arg in "$@"; do printf '%s\\n' "$arg"; done; echo '${END_OF_CALL}')\nprintf '%s\\n' "$cf_record" >> "${dir}/${name}.args"\n${body}\n`,
    { mode: 0o755 },
  );
}

/** The recorded calls of a stand-in: one list of arguments a call. */
export function calls(dir: string, name: string): string[][] {
  const file = path.join(dir, `${name}.args`);
  if (!existsSync(file)) return [];
  const out: string[][] = [[]];
  for (const line of readFileSync(file, 'utf8').split('\n').slice(0, -1)) {
    if (line === END_OF_CALL) out.push([]);
    else (out[out.length - 1] as string[]).push(line);
  }
  return out.slice(0, -1);
}

export function clean(...dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
