/**
 * The checks CircleCI's schema cannot make, because they span the file: workflow jobs and
 * `requires` that name nothing, steps and executors that do not exist, parameters a job or
 * command does not declare (or required ones not given), and `<< parameters.x >>` or
 * `<< pipeline.parameters.x >>` that are not declared. Orb-qualified names (`alias/job`) are
 * resolved against inline orbs; published orbs cannot be read offline and are only noted.
 * Works on configs and on packed orbs alike.
 */
import { closest } from '../../description/schemaKit.js';
import { isRecord } from '../../orb/pack.js';

export type Path = readonly (string | number)[];

export interface ReferenceFinding {
  readonly path: Path;
  readonly message: string;
  /** A note is not an error: something that cannot be checked offline. */
  readonly note?: boolean;
}

/** Steps CircleCI provides (besides `when`/`unless`, handled apart). */
export const BUILT_IN_STEPS = new Set([
  'run', 'checkout', 'setup_remote_docker', 'save_cache', 'restore_cache', 'store_artifacts', 'store_test_results',
  'persist_to_workspace', 'attach_workspace', 'add_ssh_keys', 'deploy',
]);

/** Keys of a workflow entry that are not job parameters. */
const WORKFLOW_ENTRY_KEYS = new Set(['name', 'requires', 'context', 'type', 'filters', 'matrix', 'pre-steps', 'post-steps', 'serial-group', 'override-with']);
/** Keys of a job invocation in a step list that are not command parameters. */
const STEP_KEYS = new Set(['name']);

type Parameters = Record<string, unknown>;

/** What one scope (the config itself, or an inline orb) defines. */
interface Scope {
  readonly path: Path;
  readonly jobs: Record<string, unknown>;
  readonly commands: Record<string, unknown>;
  readonly executors: Record<string, unknown>;
  /** Orbs this scope imports: alias to its scope (inline) or its reference (published). */
  readonly orbs: Map<string, Scope | string>;
}

function scopeOf(value: Record<string, unknown>, path: Path): Scope {
  const orbs = new Map<string, Scope | string>();
  const imported = isRecord(value.orbs) ? value.orbs : {};
  for (const [alias, orb] of Object.entries(imported)) {
    if (isRecord(orb)) orbs.set(alias, scopeOf(orb, [...path, 'orbs', alias]));
    else if (typeof orb === 'string') orbs.set(alias, orb);
  }
  return {
    path,
    jobs: isRecord(value.jobs) ? value.jobs : {},
    commands: isRecord(value.commands) ? value.commands : {},
    executors: isRecord(value.executors) ? value.executors : {},
    orbs,
  };
}

type Kind = 'jobs' | 'commands' | 'executors';
type Resolved = { found: true; definition: unknown; path: Path } | { found: false; note?: string };

/** Resolves `name` or `alias/name` of a kind in a scope. */
function resolve(scope: Scope, kind: Kind, name: string): Resolved {
  const slash = name.indexOf('/');
  if (slash < 0) {
    return name in scope[kind] ? { found: true, definition: scope[kind][name], path: [...scope.path, kind, name] } : { found: false };
  }
  const orb = scope.orbs.get(name.slice(0, slash));
  if (orb === undefined) return { found: false };
  if (typeof orb === 'string') return { found: false, note: `${name} is from the published orb ${orb}, which cannot be read offline; not checked` };
  const inner = name.slice(slash + 1);
  return inner in orb[kind] ? { found: true, definition: orb[kind][inner], path: [...orb.path, kind, inner] } : { found: false };
}

export function checkReferences(config: unknown): ReferenceFinding[] {
  if (!isRecord(config)) return [];
  const findings: ReferenceFinding[] = [];
  const report = (path: Path, message: string) => findings.push({ path, message });
  const note = (path: Path, message: string) => findings.push({ path, message, note: true });
  const pipelineParameters = isRecord(config.parameters) ? config.parameters : {};

  const root = config;
  checkScope(scopeOf(config, []), true);
  return findings;

  function checkScope(scope: Scope, isRoot: boolean): void {
    for (const [name, job] of Object.entries(scope.jobs)) checkComponent(scope, job, [...scope.path, 'jobs', name], 'job');
    for (const [name, command] of Object.entries(scope.commands)) checkComponent(scope, command, [...scope.path, 'commands', name], 'command');
    for (const [name, executor] of Object.entries(scope.executors)) checkComponent(scope, executor, [...scope.path, 'executors', name], 'executor');
    for (const orb of scope.orbs.values()) if (typeof orb !== 'string') checkScope(orb, false);
    if (isRoot) checkWorkflows(scope);
  }

  function checkComponent(scope: Scope, component: unknown, path: Path, kind: 'job' | 'command' | 'executor'): void {
    if (!isRecord(component)) return;
    const declared = isRecord(component.parameters) ? component.parameters : {};
    checkInterpolations(component, path, declared, kind);
    if (kind === 'executor') return;
    // checkExecutor leaves `executor: << parameters.x >>` to the caller, which names the executor.
    if (kind === 'job' && component.executor !== undefined) checkExecutor(scope, component.executor, [...path, 'executor']);
    checkSteps(scope, component.steps, [...path, 'steps']);
  }

  function checkExecutor(scope: Scope, executor: unknown, path: Path): void {
    const name = typeof executor === 'string' ? executor : isRecord(executor) && typeof executor.name === 'string' ? executor.name : undefined;
    // `executor: << parameters.e >>`: decided by the caller, checked where the job is used.
    if (name === undefined || name.includes('<<')) return;
    const found = resolve(scope, 'executors', name);
    if (!found.found) {
      if (found.note !== undefined) note(path, found.note);
      else report(path, `executor "${name}" is not defined${suggest(scope, 'executors', name)}`);
      return;
    }
    const given = isRecord(executor) ? Object.keys(executor).filter((key) => key !== 'name') : [];
    checkArguments(found.definition, given, path, `executor ${name}`);
  }

  function checkSteps(scope: Scope, steps: unknown, path: Path): void {
    if (!Array.isArray(steps)) return;
    steps.forEach((step, index) => {
      const at = [...path, index];
      const [name, args] = typeof step === 'string' ? [step, undefined] : isRecord(step) ? (Object.entries(step)[0] ?? ['', undefined]) : ['', undefined];
      if (name === '' || BUILT_IN_STEPS.has(name)) return;
      if (name === 'when' || name === 'unless') {
        if (isRecord(args)) checkSteps(scope, args.steps, [...at, name, 'steps']);
        return;
      }
      if (name === 'steps' || name.startsWith('<<')) return; // steps given by a parameter: << parameters.x >>
      const found = resolve(scope, 'commands', name);
      if (!found.found) {
        if (found.note !== undefined) note(at, found.note);
        else report(at, `step "${name}" is neither a built-in step nor a defined command${suggest(scope, 'commands', name)}`);
        return;
      }
      const given = isRecord(args) ? Object.keys(args).filter((key) => !STEP_KEYS.has(key)) : [];
      checkArguments(found.definition, given, at, `command ${name}`);
    });
  }

  function checkArguments(definition: unknown, given: readonly string[], path: Path, what: string): void {
    const declared = isRecord(definition) && isRecord(definition.parameters) ? definition.parameters : {};
    for (const key of given) {
      if (!(key in declared)) report([...path, key], `${what} has no parameter "${key}"${closestOf(key, Object.keys(declared))}`);
    }
    for (const [key, spec] of Object.entries(declared)) {
      if (isRecord(spec) && !('default' in spec) && !given.includes(key)) report(path, `${what} needs parameter "${key}"`);
    }
  }

  function checkWorkflows(scope: Scope): void {
    const workflows = isRecord(root.workflows) ? root.workflows : {};
    for (const [workflowName, workflow] of Object.entries(workflows)) {
      if (!isRecord(workflow) || !Array.isArray(workflow.jobs)) continue;
      const path: Path = ['workflows', workflowName, 'jobs'];
      checkInterpolations(workflow, ['workflows', workflowName], {}, 'workflow');
      const names = new Set<string>();
      const entries = workflow.jobs.map((entry, index) => {
        const [job, options] = typeof entry === 'string' ? [entry, {}] : isRecord(entry) ? (Object.entries(entry)[0] ?? ['', {}]) : ['', {}];
        const opts = isRecord(options) ? options : {};
        const name = typeof opts.name === 'string' ? opts.name : job;
        names.add(name);
        if (job !== name) names.add(job);
        for (const expanded of matrixNames(name, opts.matrix)) names.add(expanded);
        return { job, opts, at: [...path, index] as Path };
      });
      for (const { job, opts, at } of entries) {
        if (opts.type !== 'approval') {
          const found = resolve(scope, 'jobs', job);
          if (!found.found) {
            if (found.note !== undefined) note(at, found.note);
            else report(at, `job "${job}" is not defined${suggest(scope, 'jobs', job)}`);
          } else {
            const matrix = isRecord(opts.matrix) && isRecord(opts.matrix.parameters) ? Object.keys(opts.matrix.parameters) : [];
            const given = [...Object.keys(opts).filter((key) => !WORKFLOW_ENTRY_KEYS.has(key)), ...matrix];
            checkArguments(found.definition, given, [...at, job], `job ${job}`);
          }
        }
        const requires = Array.isArray(opts.requires) ? opts.requires : [];
        requires.forEach((required, index) => {
          const requiredName = typeof required === 'string' ? required : isRecord(required) ? Object.keys(required)[0] : undefined;
          if (requiredName !== undefined && !names.has(requiredName)) {
            report([...at, job, 'requires', index], `requires "${requiredName}", which no job of workflow ${workflowName} is named`);
          }
        });
      }
    }
  }

  function checkInterpolations(value: unknown, path: Path, declared: Parameters, kind: string): void {
    walkStrings(value, path, (text, at) => {
      // `\<<` is CircleCI's escape: the text after it is no reference.
      for (const match of text.matchAll(/(?<!\\)<<\s*(pipeline\.parameters|parameters)\.([\w-]+)[^>]*>>/g)) {
        const [, scope, name = ''] = match;
        if (scope === 'parameters' && !(name in declared)) {
          report(at, `<< parameters.${name} >> is not a parameter of this ${kind}${closestOf(name, Object.keys(declared))}`);
        } else if (scope === 'pipeline.parameters' && !(name in pipelineParameters)) {
          report(at, `<< pipeline.parameters.${name} >> is not declared under the config's parameters${closestOf(name, Object.keys(pipelineParameters))}`);
        }
      }
    }, (key) => key === 'parameters' || key === 'description');
  }
}

/** Every string in a value, with its path; keys for which `skip` holds are not entered. */
function walkStrings(value: unknown, path: Path, visit: (text: string, path: Path) => void, skip: (key: string) => boolean): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, index) => { walkStrings(item, [...path, index], visit, skip); });
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) if (!skip(key)) walkStrings(item, [...path, key], visit, skip);
}

/** The names a matrix entry expands to: `name-v1-v2` for each combination. */
function matrixNames(name: string, matrix: unknown): string[] {
  if (!isRecord(matrix) || !isRecord(matrix.parameters)) return [];
  let names = [name];
  for (const values of Object.values(matrix.parameters)) {
    if (!Array.isArray(values)) return [];
    names = names.flatMap((prefix) => values.map((value) => `${prefix}-${String(value)}`));
  }
  return names;
}

function suggest(scope: Scope, kind: Kind, name: string): string {
  const local = Object.keys(scope[kind]);
  const qualified = [...scope.orbs].flatMap(([alias, orb]) => (typeof orb === 'string' ? [] : Object.keys(orb[kind]).map((inner) => `${alias}/${inner}`)));
  return closestOf(name, [...local, ...qualified]);
}

/** ` (did you mean "X"?)` for the candidate closest to `name`, or nothing. */
export function closestOf(name: string, candidates: readonly string[]): string {
  const best = closest(name, candidates);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}
