/**
 * The part of the packed orb a config uses: the jobs it runs, and the commands and executors
 * those reach (transitively), without `examples`, `display`, descriptions and the comment lines
 * of scripts. An inline orb is written into every emitted config; the rest of it would only be
 * read (and grepped) by people, who find it in the orb's source and in `circle-fargate orb pack`.
 *
 * `when`/`unless` steps whose condition this config decides are decided here, as CircleCI would
 * decide them when it compiles the config: every value a job or command parameter takes is known
 * from the workflow's invocations (given, or the default) and the call sites of each command. A
 * condition that holds for every one of those values keeps its steps in place of the `when`; one
 * that holds for none drops them (a source of packages the config does not use, say). Anything
 * else (a pipeline value, a logic statement this does not evaluate) stays as it is.
 */
import { isRecord, type OrbObject } from '../../orb/pack.js';
import { truthy } from '../check/templating.js';

/** A job of the orb as the workflow runs it, with the parameters it passes. */
export interface OrbInvocation {
  readonly job: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** The values a parameter takes in this config, or `unknown` (a pipeline value, say). */
type Values = readonly unknown[] | 'unknown';
type Scope = ReadonlyMap<string, Values>;

const NO_PARAMETERS: Scope = new Map();
/** A value that is one whole `<< parameters.NAME >>`: it takes the parameter's value, type and all. */
export const WHOLE_PARAMETER = /^<<\s*parameters\.([\w-]+)\s*>>$/;

/**
 * `jobs: false` for a config that runs the jobs expanded into its own (expand.ts): the orb then
 * holds the commands they call and the executors those name, no jobs.
 */
export function orbSubset(orb: OrbObject, invocations: readonly OrbInvocation[], options: { readonly jobs?: boolean } = {}): OrbObject {
  const keepJobs = options.jobs ?? true;
  const decided = decideConditions(orb, invocations);
  const jobs = decided.jobs;
  const commands = decided.commands;
  const executors = isRecord(orb.executors) ? orb.executors : {};
  const jobNames = invocations.map((invocation) => invocation.job);
  const usedJobs = new Set<string>();
  const usedCommands = new Set<string>();
  const usedExecutors = new Set<string>();

  const useExecutor = (value: unknown, byJob: boolean) => {
    const name = typeof value === 'string' ? value : isRecord(value) && typeof value.name === 'string' ? value.name : undefined;
    if (name !== undefined && name in executors && (keepJobs || !byJob)) usedExecutors.add(name);
  };
  const useParameters = (parameters: unknown, byJob: boolean) => {
    if (!isRecord(parameters)) return;
    for (const spec of Object.values(parameters)) if (isRecord(spec) && spec.type === 'executor') useExecutor(spec.default, byJob);
  };
  const useSteps = (steps: unknown) => {
    if (!Array.isArray(steps)) return;
    for (const step of steps) {
      const [name, body] = stepParts(step);
      if (name === undefined) continue;
      if ((name === 'when' || name === 'unless') && isRecord(body)) {
        useSteps(body.steps);
      } else if (name in commands && !usedCommands.has(name)) {
        usedCommands.add(name);
        const command = commands[name];
        if (isRecord(command)) {
          useParameters(command.parameters, false);
          useSteps(command.steps);
        }
      }
    }
  };

  for (const name of jobNames) {
    const job = jobs[name];
    if (!isRecord(job) || usedJobs.has(name)) continue;
    usedJobs.add(name);
    useExecutor(job.executor, true);
    useParameters(job.parameters, true);
    useSteps(job.steps);
  }

  const pick = (all: Record<string, unknown>, used: Set<string>) =>
    Object.fromEntries(Object.keys(all).filter((key) => used.has(key)).map((key) => [key, slim(all[key])]));
  const { examples: _examples, display: _display, jobs: _jobs, commands: _commands, executors: _executors, ...rest } = orb;
  return {
    ...rest,
    ...(typeof rest.description === 'string' ? { description: rest.description.trim() } : {}),
    ...(usedCommands.size > 0 ? { commands: pick(commands, usedCommands) } : {}),
    ...(usedExecutors.size > 0 ? { executors: pick(executors, usedExecutors) } : {}),
    ...(keepJobs && usedJobs.size > 0 ? { jobs: pick(jobs, usedJobs) } : {}),
  };
}

/** A component (`key` undefined) without its parameters' descriptions, its scripts without comment lines. */
function slim(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key === 'command' ? withoutComments(value) : value;
  if (Array.isArray(value)) return value.map((item) => slim(item));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    if (name === 'description' && typeof item === 'string' && key === undefined) {
      // A component's description is the orb source's (and `orb pack`'s) to tell.
      continue;
    } else if (name === 'parameters' && isRecord(item)) {
      out[name] = Object.fromEntries(
        Object.entries(item).map(([parameter, spec]) => {
          if (!isRecord(spec)) return [parameter, spec];
          const { description: _description, ...rest } = spec;
          return [parameter, rest];
        }),
      );
    } else {
      out[name] = slim(item, name);
    }
  }
  return out;
}

/**
 * A shell script (one that starts with `#!`) without its comment-only and blank lines. The orb's
 * scripts hold no multi-line strings or here-documents with lines starting with `#`.
 */
export function withoutComments(script: string): string {
  if (!script.startsWith('#!')) return script;
  const [shebang, ...lines] = script.split('\n');
  const kept = lines.filter((line) => line.trim() !== '' && !/^\s*#/.test(line));
  return `${[shebang, ...kept].join('\n')}\n`;
}

/** The orb's jobs and commands with the `when`/`unless` steps this config decides, decided. */
function decideConditions(orb: OrbObject, invocations: readonly OrbInvocation[]): { jobs: Record<string, unknown>; commands: Record<string, unknown> } {
  const allJobs = isRecord(orb.jobs) ? orb.jobs : {};
  const allCommands = isRecord(orb.commands) ? orb.commands : {};
  const jobs: Record<string, unknown> = { ...allJobs };
  const calls = new Map<string, Map<string, Values>>();
  const called = (command: string, args: Record<string, unknown>, scope: Scope) => {
    const definition = allCommands[command];
    if (!isRecord(definition)) return;
    const declared = isRecord(definition.parameters) ? definition.parameters : {};
    const seen = calls.get(command) ?? new Map<string, Values>();
    for (const [name, spec] of Object.entries(declared)) {
      const given = name in args ? valuesOf(args[name], scope) : isRecord(spec) && 'default' in spec ? [spec.default] : 'unknown';
      seen.set(name, union(seen.get(name), given));
    }
    calls.set(command, seen);
  };

  const byJob = new Map<string, OrbInvocation[]>();
  for (const invocation of invocations) byJob.set(invocation.job, [...(byJob.get(invocation.job) ?? []), invocation]);
  for (const [name, uses] of byJob) {
    const job = allJobs[name];
    if (!isRecord(job)) continue;
    const declared = isRecord(job.parameters) ? job.parameters : {};
    const scope = new Map<string, Values>();
    for (const [parameter, spec] of Object.entries(declared)) {
      let values: Values | undefined;
      for (const use of uses) {
        const value = parameter in use.parameters ? use.parameters[parameter] : isRecord(spec) && 'default' in spec ? spec.default : undefined;
        // A workflow passes literals or pipeline values (unknown here); no job parameters.
        values = union(values, value === undefined ? 'unknown' : valuesOf(value, NO_PARAMETERS));
      }
      scope.set(parameter, values ?? 'unknown');
    }
    jobs[name] = { ...job, steps: decideSteps(job.steps, scope, called) };
  }

  // Each command once every call of it is known: after the jobs, and after the commands that
  // call it (CircleCI allows no cycles). A command nothing calls stays as it is (and unused).
  const commands: Record<string, unknown> = { ...allCommands };
  const callers = new Map<string, Set<string>>(Object.keys(allCommands).map((name) => [name, new Set<string>()]));
  for (const [name, command] of Object.entries(allCommands)) {
    for (const callee of stepNames(isRecord(command) ? command.steps : undefined)) if (callee !== name) callers.get(callee)?.add(name);
  }
  const done = new Set<string>();
  while (done.size < callers.size) {
    const next = [...callers].find(([name, by]) => !done.has(name) && [...by].every((caller) => done.has(caller)));
    if (next === undefined) break;
    const [name] = next;
    done.add(name);
    const seen = calls.get(name);
    const command = allCommands[name];
    if (seen !== undefined && isRecord(command)) commands[name] = { ...command, steps: decideSteps(command.steps, seen, called) };
  }
  return { jobs, commands };
}

function decideSteps(steps: unknown, scope: Scope, called: (command: string, args: Record<string, unknown>, scope: Scope) => void): unknown {
  if (!Array.isArray(steps)) return steps;
  const out: unknown[] = [];
  for (const step of steps) {
    const [name, body] = stepParts(step);
    if ((name === 'when' || name === 'unless') && isRecord(body)) {
      const holds = decide(body.condition, scope);
      // Steps that go are not looked into: their calls pass no values on.
      if (holds !== undefined && holds !== (name === 'when')) continue;
      const inner = decideSteps(body.steps, scope, called);
      if (holds === undefined) out.push({ [name]: { ...body, steps: inner } });
      else if (Array.isArray(inner)) out.push(...(inner as unknown[]));
      continue;
    }
    if (name !== undefined) called(name, isRecord(body) ? body : {}, scope);
    out.push(step);
  }
  return out;
}

/** A step's name and body: `- run: {...}` or a bare `- checkout`. */
export function stepParts(step: unknown): [string | undefined, unknown] {
  const name = typeof step === 'string' ? step : isRecord(step) ? Object.keys(step)[0] : undefined;
  return [name, isRecord(step) && name !== undefined ? step[name] : undefined];
}

/** The names of the steps of a step list, those inside `when`/`unless` included. */
function stepNames(steps: unknown): string[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step) => {
    const [name, body] = stepParts(step);
    if ((name === 'when' || name === 'unless') && isRecord(body)) return stepNames(body.steps);
    return name !== undefined ? [name] : [];
  });
}

/** The values an argument takes: a literal, or a whole `<< parameters.NAME >>` of the scope. */
function valuesOf(value: unknown, scope: Scope): Values {
  if (typeof value !== 'string') return [value];
  const whole = WHOLE_PARAMETER.exec(value);
  if (whole?.[1] !== undefined) return scope.get(whole[1]) ?? 'unknown';
  return value.includes('<<') ? 'unknown' : [value];
}

function union(a: Values | undefined, b: Values): Values {
  if (a === undefined) return b;
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return [...new Set([...a, ...b])];
}

/**
 * Whether a condition holds for every value of the scope (true), for none (false), or it depends
 * or is not evaluated here (undefined). CircleCI's logic statements
 * (https://circleci.com/docs/reference/configuration-reference/#logic-statements): "Falsy values:
 * false, null, 0, NaN, empty strings (""), statements with no arguments"; `equal` holds when all
 * its arguments are equal; `not`, `and`, `or`. Others (`matches`) are left to CircleCI.
 */
export function decideCondition(condition: unknown): boolean | undefined {
  return decide(condition, NO_PARAMETERS);
}

function decide(condition: unknown, scope: Scope): boolean | undefined {
  const results = outcomes(condition, scope);
  if (results === undefined || results.size !== 1) return undefined;
  return [...results][0];
}

const MAX_COMBINATIONS = 64;

function outcomes(condition: unknown, scope: Scope): Set<boolean> | undefined {
  if (isRecord(condition)) {
    const [operator, ...extra] = Object.keys(condition);
    if (operator === undefined || extra.length > 0) return undefined;
    const argument = condition[operator];
    if (operator === 'not') {
      const inner = outcomes(argument, scope);
      return inner && new Set([...inner].map((value) => !value));
    }
    if (!Array.isArray(argument) || argument.length === 0) return undefined;
    if (operator === 'and' || operator === 'or') {
      const parts = argument.map((part) => outcomes(part, scope));
      if (parts.some((part) => part === undefined)) return undefined;
      return combine(parts as Set<boolean>[], (values) => (operator === 'and' ? values.every(Boolean) : values.some(Boolean)));
    }
    if (operator === 'equal') {
      const parts = argument.map((part) => valuesOf(part, scope));
      if (parts.some((part) => part === 'unknown')) return undefined;
      return combine(parts.map((part) => new Set(part as readonly unknown[])), (values) => values.every((value) => value === values[0]));
    }
    return undefined;
  }
  const values = valuesOf(condition, scope);
  if (values === 'unknown') return undefined;
  return new Set(values.map(truthy));
}

/** `test` over every combination of one value from each set, or undefined beyond a few dozen. */
function combine<T>(sets: readonly Set<T>[], test: (values: T[]) => boolean): Set<boolean> | undefined {
  let combinations: T[][] = [[]];
  for (const set of sets) {
    combinations = combinations.flatMap((prefix) => [...set].map((value) => [...prefix, value]));
    if (combinations.length > MAX_COMBINATIONS) return undefined;
  }
  return new Set(combinations.map(test));
}
