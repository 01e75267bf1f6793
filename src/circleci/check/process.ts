/**
 * Config processing, offline: what CircleCI does to a 2.1 config before it runs it, and what
 * `circleci config process` shows. Pipeline values and parameters are filled in; inline orbs,
 * packed orbs given by the caller, commands, executors and typed job parameters are expanded;
 * matrices become one job each (with `alias`, and `<< matrix.x >>` in names); `when`/`unless`
 * steps are decided. The result is a plain config with only jobs and workflows, in which every
 * map and list keeps the source line it came from (./yamlRead.ts), so that a check on the result
 * points at the line to fix.
 *
 * The stages, each in its own file: `<<` read as CircleCI reads it (./tags.ts), keys checked on
 * the source (./sourceKeys.ts), compile-time templating (./templating.ts), logic statements
 * (./logic.ts), requires as a graph (./requiresGraph.ts); this file sequences them and expands
 * orbs, workflows, matrices, jobs, executors and steps, which share one scope and problem list.
 *
 * Rules come from CircleCI's reusable config reference (circleci.com/docs/reusing-config) and
 * configuration reference (circleci.com/docs/configuration-reference); each is quoted where it
 * is applied. Published orbs (`ns/orb@version`) cannot be read offline unless the caller supplies
 * them packed: what they define is noted, never counted as an error.
 */
import { isRecord } from '../../orb/pack.js';
import { BUILT_IN_STEPS, closestOf } from './references.js';
import { checkSourceKeys } from './sourceKeys.js';
import { requiresCycles, type RequiringJob } from './requiresGraph.js';
import { findStrayTags, unescapeTags } from './tags.js';
import { checkLogic as checkLogicAt } from './logic.js';
import { BOOLEAN_WORDS, expanded, hasReference, PARAMETER_TYPES, PIPELINE_VALUES, substitute, substituteParameters, typeProblem, walkStrings } from './templating.js';
import { copyLocation, locationOf, type Path } from './yamlRead.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly severity: Severity;
}

export interface ProcessOptions {
  /** The file the config was read from, for messages. */
  readonly file: string;
  /** Pipeline parameters given for this run (`--param k=v`), already read as YAML scalars. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Returns a published orb (`ns/orb@version`) packed and read, or undefined if not at hand. */
  readonly loadOrb?: (reference: string) => unknown;
}

export interface Processed {
  /** The processed config; undefined when the file is not a config at all. */
  readonly config: Record<string, unknown> | undefined;
  readonly problems: Problem[];
}

/** Keys of a workflow job entry that are not job parameters. */
const WORKFLOW_ENTRY_KEYS = new Set(['name', 'requires', 'context', 'type', 'filters', 'matrix', 'pre-steps', 'post-steps', 'serial-group', 'override-with']);
/** The keys an approval entry can have: it runs nothing. */
const APPROVAL_KEYS = new Set(['name', 'requires', 'type', 'filters', 'context', 'serial-group']);
/**
 * The keys that each give a job its execution environment; a job has one. (`executor` beside
 * one of them is accepted: the job's keys win over the executor's, and the go orb's test
 * config runs `executor: go/default` with `docker:` on CircleCI.)
 */
export const EXECUTOR_KINDS = ['docker', 'machine', 'macos'] as const;
/** Job keys an executor supplies. https://circleci.com/docs/reusing-config#executors */
const EXECUTOR_KEYS = ['docker', 'machine', 'macos', 'windows', 'resource_class', 'shell', 'working_directory', 'environment'];


type Rec = Record<string, unknown>;
type Kind = 'jobs' | 'commands' | 'executors';

interface Scope {
  /** How its components are named from the config: '' for the config, `alias/` for an orb. */
  readonly prefix: string;
  readonly jobs: Rec;
  readonly commands: Rec;
  readonly executors: Rec;
  readonly orbs: Map<string, Scope | string>;
}

export function processConfig(source: unknown, options: ProcessOptions): Processed {
  const problems: Problem[] = [];
  const file = options.file;
  const where = (container: unknown, key?: string | number) => {
    const location = locationOf(container);
    const line = key !== undefined ? (location?.entries.get(key) ?? location?.line) : location?.line;
    return { file: location?.file ?? file, line: line ?? 1 };
  };
  const report = (severity: Severity, container: unknown, key: string | number | undefined, message: string) => {
    problems.push({ ...where(container, key), message, severity });
  };
  const error = (container: unknown, key: string | number | undefined, message: string) => { report('error', container, key, message); };
  const checkLogic = (statement: unknown, container: unknown, key: string | number) => checkLogicAt(statement, container, key, error);

  if (!isRecord(source)) {
    problems.push({ file, line: 1, message: 'not a CircleCI config: expected a mapping with version, jobs and workflows', severity: 'error' });
    return { config: undefined, problems };
  }
  if (source.version === undefined) {
    // "version: required" (configuration reference); a misspelled one is where to point.
    const misspelled = Object.keys(source).find((key) => closestOf(key, ['version']) !== '');
    error(source, misspelled, misspelled === undefined ? 'the config has no version: add version: 2.1 at the top' : `unknown key "${misspelled}" (did you mean "version"?): the config has no version, so CircleCI refuses it`);
    return { config: source, problems };
  }
  // Version 2.0 configs have no parameters, orbs or commands: nothing to process.
  if (source.version !== 2.1 && source.version !== '2.1') return { config: source, problems };
  for (const stray of findStrayTags(source, file)) problems.push({ ...stray, severity: 'error' });
  problems.push(...checkSourceKeys(source, file));

  // Pipeline parameters: declared with a type and default; given at trigger time.
  const declared = isRecord(source.parameters) ? source.parameters : {};
  const pipeline: Rec = { ...PIPELINE_VALUES };
  for (const [name, spec] of Object.entries(declared)) {
    checkDeclaration(spec, declared, name, 'pipeline parameter');
    if (isRecord(spec) && 'default' in spec) pipeline[`pipeline.parameters.${name}`] = spec.default;
  }
  for (const [name, value] of Object.entries(options.parameters ?? {})) {
    if (!(name in declared)) {
      problems.push({ file, line: 1, message: `--param ${name}: the config declares no pipeline parameter "${name}"${closestOf(name, Object.keys(declared))}`, severity: 'error' });
      continue;
    }
    const spec = declared[name];
    const bad = typeProblem(spec, value);
    if (bad !== undefined) problems.push({ file, line: 1, message: `--param ${name}: ${bad}`, severity: 'error' });
    pipeline[`pipeline.parameters.${name}`] = value;
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (isRecord(spec) && !('default' in spec) && !(name in (options.parameters ?? {}))) {
      error(declared, name, `pipeline parameter "${name}" has no default and was not given: give it with --param ${name}=VALUE`);
    }
  }

  // Pipeline values and parameters are filled in everywhere first, orbs included:
  // "pipeline parameters are resolved at compile time" (circleci.com/docs/pipeline-variables).
  const config = substitute(source, (reference, container, key) => {
    if (reference.startsWith('pipeline.parameters.')) {
      if (reference in pipeline) return { value: pipeline[reference] };
      error(container, key, `<< ${reference} >> is not declared under the config's parameters${closestOf(reference.slice(20), Object.keys(declared))}`);
      return undefined;
    }
    if (reference.startsWith('pipeline.')) return reference in pipeline ? { value: pipeline[reference] } : undefined;
    return undefined;
  }) as Rec;

  const root = scopeOf(config, '', 0);
  const jobs: Rec = {};
  const workflows: Rec = {};
  // `circleci config process` prints a 2.0 config: nothing left to process.
  const out: Rec = { version: 2 };
  if (config.setup !== undefined) out.setup = config.setup;

  // Components are checked where they are written, each once, with their defaults.
  checkDefinitions(root, true);

  const usedJobs = new Set<string>();
  const workflowMap = isRecord(config.workflows) ? config.workflows : {};
  for (const [workflowName, workflow] of Object.entries(workflowMap)) {
    if (workflowName === 'version') continue;
    if (!isRecord(workflow)) {
      out.workflows = workflows;
      workflows[workflowName] = workflow;
      continue;
    }
    for (const key of ['when', 'unless'] as const) if (workflow[key] !== undefined) checkLogic(workflow[key], workflow, key);
    workflows[workflowName] = processWorkflow(workflowName, workflow);
  }
  // Jobs no workflow runs are still compiled; check those whose parameters all have defaults.
  for (const [name, job] of Object.entries(root.jobs)) {
    if (usedJobs.has(name) || name in jobs || !isRecord(job)) continue;
    const parameters = isRecord(job.parameters) ? job.parameters : {};
    if (Object.values(parameters).some((spec) => isRecord(spec) && !('default' in spec))) continue;
    const result = expandJob(root, name, job, {}, job, root);
    if (result) jobs[name] = result;
  }
  // Orbs that could not be read stay named, so that what refers to them still reads.
  const unread = [...root.orbs].filter(([, orb]) => typeof orb === 'string' && !orb.startsWith('"'));
  if (unread.length > 0) out.orbs = Object.fromEntries(unread);
  out.jobs = jobs;
  out.workflows = workflows;
  unescapeTags(out);
  copyLocation(out, config);
  return { config: out, problems };

  // ---------------------------------------------------------------- scopes and orbs

  function scopeOf(value: Rec, prefix: string, depth: number): Scope {
    const orbs = new Map<string, Scope | string>();
    const imported = isRecord(value.orbs) ? value.orbs : {};
    for (const [alias, orb] of Object.entries(imported)) {
      // orb-tools' test configs declare `alias: {}` and its continue job injects the packed orb.
      if (isRecord(orb) && Object.keys(orb).length === 0) orbs.set(alias, `"${alias}: {}" (an empty inline orb, filled in by orb-tools when it tests the orb)`);
      else if (isRecord(orb)) orbs.set(alias, scopeOf(orb, `${alias}/`, depth + 1));
      else if (typeof orb === 'string') {
        const loaded = depth < 8 ? options.loadOrb?.(orb) : undefined;
        orbs.set(alias, isRecord(loaded) ? scopeOf(loaded, `${alias}/`, depth + 1) : orb);
      } else error(imported, alias, `orb "${alias}" must be a reference such as circleci/node@5.2.0, or an inline orb`);
    }
    return {
      prefix,
      jobs: isRecord(value.jobs) ? value.jobs : {},
      commands: isRecord(value.commands) ? value.commands : {},
      executors: isRecord(value.executors) ? value.executors : {},
      orbs,
    };
  }

  type Resolved = { found: true; definition: unknown; scope: Scope; name: string } | { found: false; published?: string };

  function resolve(scope: Scope, kind: Kind, name: string): Resolved {
    const slash = name.indexOf('/');
    if (slash < 0) return name in scope[kind] ? { found: true, definition: scope[kind][name], scope, name } : { found: false };
    const orb = scope.orbs.get(name.slice(0, slash));
    if (orb === undefined) return { found: false };
    if (typeof orb === 'string') return { found: false, published: orb };
    const inner = name.slice(slash + 1);
    return inner in orb[kind] ? { found: true, definition: orb[kind][inner], scope: orb, name: inner } : { found: false };
  }

  function notFound(scope: Scope, kind: Kind, name: string, found: { published?: string }, container: unknown, key: string | number | undefined, what: string): void {
    if (found.published !== undefined) {
      const hint = found.published.startsWith('"') ? '' : ' (give packed orbs with --orb-dir)';
      report('note', container, key, `${name} is from the orb ${found.published}, which cannot be read offline; not checked${hint}`);
      return;
    }
    const local = Object.keys(scope[kind]);
    const qualified = [...scope.orbs].flatMap(([alias, orb]) => (typeof orb === 'string' ? [] : Object.keys(orb[kind]).map((inner) => `${alias}/${inner}`)));
    const alias = name.includes('/') ? name.slice(0, name.indexOf('/')) : undefined;
    const hint = alias !== undefined && !scope.orbs.has(alias) ? ` (no orb is imported as "${alias}")` : closestOf(name, [...local, ...qualified]);
    error(container, key, `${what} "${name}" is not defined${hint}`);
  }

  // ---------------------------------------------------------------- definitions

  function checkDefinitions(scope: Scope, isRoot: boolean): void {
    for (const kind of ['jobs', 'commands', 'executors'] as const) {
      for (const [name, definition] of Object.entries(scope[kind])) {
        if (!isRecord(definition)) continue;
        const parameters = isRecord(definition.parameters) ? definition.parameters : {};
        for (const [parameter, spec] of Object.entries(parameters)) checkDeclaration(spec, parameters, parameter, 'parameter');
        checkReferences(definition, parameters, `${kind.slice(0, -1)} ${scope.prefix}${name}`);
      }
    }
    for (const orb of scope.orbs.values()) if (typeof orb !== 'string' && isRoot) checkDefinitions(orb, false);
  }

  function checkDeclaration(spec: unknown, container: Rec, name: string, what: string): void {
    if (!isRecord(spec)) {
      error(container, name, `${what} "${name}" must be a map with type (and default, description)`);
      return;
    }
    const type = spec.type;
    if (typeof type !== 'string' || !PARAMETER_TYPES.includes(type)) {
      error(spec, 'type', `${what} "${name}" has type ${JSON.stringify(type)}; expected one of ${PARAMETER_TYPES.join(', ')}`);
      return;
    }
    if (type === 'enum' && (!Array.isArray(spec.enum) || spec.enum.length === 0)) error(spec, 'type', `${what} "${name}" is an enum without an enum: list of its values`);
    if ('default' in spec && spec.default !== null && !hasReference(spec.default)) {
      const bad = typeProblem(spec, spec.default);
      if (bad !== undefined) error(spec, 'default', `${what} "${name}": default ${bad}`);
    }
  }

  /** `<< parameters.x >>` must name a declared parameter. */
  function checkReferences(definition: Rec, parameters: Rec, what: string): void {
    walkStrings(definition, (text, container, key) => {
      for (const match of text.matchAll(/(?<!\\)<<\s*parameters\.([\w-]+)\s*>>/g)) {
        const name = match[1] ?? '';
        if (!(name in parameters)) error(container, key, `<< parameters.${name} >> is not a parameter of ${what}${closestOf(name, Object.keys(parameters))}`);
      }
    }, (key) => key === 'parameters' || key === 'description');
  }

  // ---------------------------------------------------------------- workflows

  function processWorkflow(workflowName: string, workflow: Rec): Rec {
    const entries: { name: string; job: string; options: Rec; entry: unknown; list: unknown[]; index: number; matrixValues?: Rec }[] = [];
    const aliases = new Map<string, string[]>();
    const list = Array.isArray(workflow.jobs) ? workflow.jobs : [];
    if (!Array.isArray(workflow.jobs)) error(workflow, 'jobs', `workflow ${workflowName} needs a list of jobs`);
    list.forEach((entry, index) => {
      let job: string;
      let options: Rec = {};
      if (typeof entry === 'string') job = entry;
      else if (isRecord(entry) && Object.keys(entry).length === 1) {
        const [name, value] = Object.entries(entry)[0] as [string, unknown];
        job = name;
        if (isRecord(value)) options = value;
        else if (value !== null && value !== undefined) {
          error(list, index, `workflow ${workflowName}: the options of job ${name} must be a map (requires, context, filters, parameters...)`);
        }
      } else {
        error(list, index, `workflow ${workflowName}: each job is a name, or one name with its options as a map`);
        return;
      }
      const matrix = options.matrix;
      if (isRecord(matrix)) {
        const combos = matrixCombinations(matrix);
        // "alias: ... defaults to the name of the job being executed".
        const alias = typeof matrix.alias === 'string' ? matrix.alias : typeof options.name === 'string' && !options.name.includes('<<') ? options.name : job;
        const names: string[] = [];
        for (const values of combos) {
          // "the name of each job... is the job name followed by the parameter values joined
          // with a dash" unless `name` interpolates << matrix.x >>.
          const instanceOptions = substitute(options, (reference) => (reference.startsWith('matrix.') && reference.slice(7) in values ? { value: values[reference.slice(7)] } : undefined)) as Rec;
          copyLocation(instanceOptions, options);
          // A name without << matrix.x >> is a prefix, as the job's name is.
          const named = typeof options.name === 'string' && options.name.includes('<<') && typeof instanceOptions.name === 'string';
          const name = named ? String(instanceOptions.name) : [typeof options.name === 'string' ? options.name : job, ...Object.values(values).map(String)].join('-');
          names.push(name);
          entries.push({ name, job, options: instanceOptions, entry, list, index, matrixValues: values });
        }
        aliases.set(alias, [...(aliases.get(alias) ?? []), ...names]);
        if (alias !== job && typeof matrix.alias !== 'string') aliases.set(job, [...(aliases.get(job) ?? []), ...names]);
      } else {
        entries.push({ name: typeof options.name === 'string' ? options.name : job, job, options, entry, list, index });
      }
    });

    // The same job twice without name: runs twice; CircleCI names the second itself. Only a
    // requires naming both is ambiguous (the second set of issue 25: two configs that run so).
    const names = new Map<string, Set<number>>();
    for (const { name, index } of entries) names.set(name, (names.get(name) ?? new Set()).add(index));

    const outJobs: unknown[] = [];
    const graph: RequiringJob<[unknown, number]>[] = [];
    for (const { name, job, options, list: l, index, matrixValues } of entries) {
      let outName = name;
      const isApproval = options.type === 'approval';
      const args: Rec = {};
      for (const [key, value] of Object.entries(options)) if (!WORKFLOW_ENTRY_KEYS.has(key)) args[key] = value;
      if (matrixValues) for (const [key, value] of Object.entries(matrixValues)) args[key] = value;
      const outOptions: Rec = {};
      for (const key of ['requires', 'context', 'filters', 'type', 'serial-group', 'override-with']) if (options[key] !== undefined) outOptions[key] = options[key];
      copyLocation(outOptions, options);

      if (isApproval) {
        for (const key of Object.keys(options)) {
          if (!APPROVAL_KEYS.has(key)) error(options, key, `${name} is an approval job: it runs nothing, so "${key}" has no meaning; remove it`);
        }
      } else {
        const found = resolve(root, 'jobs', job);
        if (!found.found) notFound(root, 'jobs', job, found, l, index, 'job');
        else {
          usedJobs.add(job);
          // A matrix value is reported at its line under matrix.parameters, not at the entry.
          const matrixLines = matrixValues && isRecord(options.matrix) ? locationOf(options.matrix.parameters)?.entries : undefined;
          const at = matrixLines ? copyLocation({ ...options }, options, matrixLines) : options;
          const result = expandJob(found.scope, job, found.definition, args, at, root, options['pre-steps'], options['post-steps'], [l, index]);
          if (result) {
            outName = name in jobs ? uniqueName(name) : name;
            jobs[outName] = result;
          }
        }
      }
      const requires = Array.isArray(options.requires) ? options.requires : options.requires === undefined ? [] : undefined;
      if (requires === undefined) error(options, 'requires', `${name}: requires must be a list of job names`);
      (requires ?? []).forEach((required, position) => {
        const requiredName = typeof required === 'string' ? required : isRecord(required) ? Object.keys(required)[0] : undefined;
        if (requiredName !== undefined && (names.get(requiredName)?.size ?? 0) > 1) {
          error(options.requires, position, `${name} requires "${requiredName}", which ${names.get(requiredName)?.size ?? 0} jobs of workflow ${workflowName} are named: give each its own name: and require that`);
          return;
        }
        if (requiredName === undefined || names.has(requiredName) || aliases.has(requiredName)) return;
        if (hasReference(requiredName)) return;
        error(options.requires, position, `${name} requires "${requiredName}", which no job of workflow ${workflowName} is named${closestOf(requiredName, [...names.keys(), ...aliases.keys()])}`);
      });
      // Requiring a matrix alias means requiring every job of the matrix.
      if (Array.isArray(outOptions.requires)) {
        const expandedRequires = (outOptions.requires as unknown[]).flatMap((required) => (typeof required === 'string' && !names.has(required) && aliases.has(required) ? (aliases.get(required) ?? []) : [required]));
        outOptions.requires = copyLocation(expandedRequires, outOptions.requires);
      }
      graph.push({
        name,
        requires: (requires ?? []).flatMap((required, position) => {
          const requiredName = typeof required === 'string' ? required : isRecord(required) ? (Object.keys(required)[0] ?? '') : '';
          const targets = !names.has(requiredName) && aliases.has(requiredName) ? (aliases.get(requiredName) ?? []) : [requiredName];
          return targets.map((target) => ({ name: target, at: [options.requires, position] as [unknown, number] }));
        }),
      });
      const outEntry = copyLocation({ [outName]: outOptions }, l[index]);
      outJobs.push(outEntry);
    }
    for (const cycle of requiresCycles(graph)) {
      error(cycle.at[0], cycle.at[1], `workflow ${workflowName}: ${cycle.path.join(' requires ')}: a requires cycle, so none of them can start; remove one of these requires`);
    }
    const result: Rec = {};
    for (const [key, value] of Object.entries(workflow)) if (key !== 'jobs') result[key] = value;
    const jobList = copyLocation(outJobs, list);
    result.jobs = jobList;
    return copyLocation(result, workflow);
  }

  function uniqueName(name: string): string {
    let n = 2;
    while (`${name}-${n}` in jobs) n++;
    return `${name}-${n}`;
  }

  function matrixCombinations(matrix: Rec): Rec[] {
    const parameters = isRecord(matrix.parameters) ? matrix.parameters : undefined;
    if (!parameters) {
      error(matrix, 'parameters', 'a matrix needs parameters: a map of parameter names to lists of values');
      return [];
    }
    let combos: Rec[] = [{}];
    for (const [name, values] of Object.entries(parameters)) {
      if (!Array.isArray(values)) {
        error(parameters, name, `matrix parameter "${name}" must be a list of values`);
        return [];
      }
      const list: unknown[] = values;
      combos = combos.flatMap((combo) => list.map((value): Rec => ({ ...combo, [name]: value })));
    }
    const excluded = Array.isArray(matrix.exclude) ? matrix.exclude.filter(isRecord) : [];
    return combos.filter((combo) => !excluded.some((exclusion) => Object.entries(exclusion).every(([key, value]) => String(combo[key]) === String(value))));
  }

  // ---------------------------------------------------------------- jobs, executors, steps

  function expandJob(scope: Scope, name: string, definition: unknown, args: Rec, at: unknown, callerScope: Scope, preSteps?: unknown, postSteps?: unknown, call?: [unknown, number]): Rec | undefined {
    if (!isRecord(definition)) {
      error(at, undefined, `job ${name} must be a map (docker or machine, steps...)`);
      return undefined;
    }
    const type = definition.type;
    if (type === 'approval' || type === 'no-op') {
      for (const key of ['steps', 'docker', 'machine', 'macos', 'executor']) {
        if (definition[key] !== undefined) error(definition, key, `job ${name} has type ${type}: it runs nothing, so it takes no ${key}`);
      }
    }
    const kinds = EXECUTOR_KINDS.filter((key) => definition[key] !== undefined);
    if (kinds.length > 1) {
      error(definition, kinds[1], `job ${name} has ${kinds.join(' and ')}: a job runs in one executor; keep one of them`);
    }
    const problemsBefore = problems.length;
    const values = bindArguments(definition, args, at, `job ${name}`, callerScope, scope, call);
    if (!values) return undefined;
    const body = substituteParameters(definition, values) as Rec;
    const job: Rec = {};
    const executor = body.executor;
    if (executor !== undefined) {
      const resolved = expandExecutor(scope, executor, body, 'executor');
      if (resolved) {
        for (const key of EXECUTOR_KEYS) {
          if (resolved[key] === undefined) continue;
          if (key === 'environment' && isRecord(resolved.environment) && isRecord(body.environment)) continue;
          job[key] = resolved[key];
        }
        if (isRecord(resolved.environment) && isRecord(body.environment)) job.environment = copyLocation({ ...resolved.environment, ...body.environment }, body.environment);
      } else job.executor = executor; // not known offline: left as written

    }
    for (const [key, value] of Object.entries(body)) {
      if (key === 'parameters' || key === 'executor' || key === 'description') continue;
      if (key === 'environment' && job.environment !== undefined && isRecord(value)) continue;
      job[key] = value;
    }
    const steps = Array.isArray(body.steps) ? expandSteps(scope, body.steps, 0) : undefined;
    const pre = Array.isArray(preSteps) ? expandSteps(callerScope, preSteps, 0) : [];
    const post = Array.isArray(postSteps) ? expandSteps(callerScope, postSteps, 0) : [];
    // Steps lost to a reported mistake leave the job as written, rather than a second
    // complaint that it has no steps.
    const written: unknown[] = Array.isArray(body.steps) ? body.steps : [];
    const kept: unknown[] | undefined = Array.isArray(steps) && steps.length === 0 && written.length > 0 && problems.length > problemsBefore ? written : steps;
    if (kept !== undefined || pre.length + post.length > 0) job.steps = copyLocation([...pre, ...(kept ?? []), ...post], body.steps);
    return copyLocation(job, definition);
  }

  /** An executor reference (`name` or `{name, ...args}`) or inline executor, expanded. */
  function expandExecutor(scope: Scope, executor: unknown, container: unknown, key: string | number): Rec | undefined {
    if (isRecord(executor) && expanded.has(executor)) return executor;
    const name = typeof executor === 'string' ? executor : isRecord(executor) && typeof executor.name === 'string' ? executor.name : undefined;
    if (name === undefined) {
      if (!hasReference(executor)) error(container, key, 'executor must be the name of an executor, or {name: NAME, ...parameters}');
      return undefined;
    }
    if (hasReference(name)) return undefined;
    const found = resolve(scope, 'executors', name);
    if (!found.found) {
      notFound(scope, 'executors', name, found, container, key, 'executor');
      return undefined;
    }
    if (!isRecord(found.definition)) return undefined;
    const args: Rec = {};
    if (isRecord(executor)) for (const [k, v] of Object.entries(executor)) if (k !== 'name') args[k] = v;
    const values = bindArguments(found.definition, args, isRecord(executor) ? executor : container, `executor ${name}`, scope, found.scope, [container, key]);
    if (!values) return undefined;
    const body = substituteParameters(found.definition, values) as Rec;
    const result: Rec = {};
    for (const [k, v] of Object.entries(body)) if (k !== 'parameters' && k !== 'description') result[k] = v;
    expanded.add(result);
    return copyLocation(result, found.definition);
  }

  function expandSteps(scope: Scope, steps: readonly unknown[], depth: number): unknown[] {
    const out: unknown[] = [];
    steps.forEach((step, index) => {
      if (Array.isArray(step)) {
        out.push(...expandSteps(scope, step, depth));
        return;
      }
      if (isRecord(step) && expanded.has(step)) {
        out.push(step);
        return;
      }
      let name: string;
      let args: unknown;
      if (typeof step === 'string') [name, args] = [step, undefined];
      else if (isRecord(step)) {
        const keys = Object.keys(step);
        if (keys.length !== 1) {
          error(steps, index, `a step is one key (run, checkout, a command...) with its options below it; found ${keys.length === 0 ? 'none' : keys.join(', ')}`);
          return;
        }
        [name, args] = Object.entries(step)[0] as [string, unknown];
      } else {
        if (step !== null && step !== undefined) error(steps, index, 'a step must be a name such as checkout, or a map such as {run: ...}');
        return;
      }
      if (hasReference(name)) {
        out.push(step);
        return;
      }
      if (name === 'steps') {
        if (Array.isArray(args)) out.push(...expandSteps(scope, args, depth));
        return;
      }
      if (name === 'when' || name === 'unless') {
        if (!isRecord(args)) {
          error(steps, index, `${name} takes a map: {condition: ..., steps: [...]}`);
          return;
        }
        for (const key of Object.keys(args)) if (key !== 'condition' && key !== 'steps') error(args, key, `${name} takes only condition and steps, not "${key}"${closestOf(key, ['condition', 'steps'])}`);
        if (!('condition' in args)) error(steps, index, `${name} needs a condition`);
        const decided = 'condition' in args ? checkLogic(args.condition, args, 'condition') : undefined;
        // Steps of a condition that cannot be decided offline are checked as if it held.
        const include = decided === undefined ? true : name === 'when' ? decided : !decided;
        if (!Array.isArray(args.steps)) error(args, 'steps', `${name} needs steps: a list of steps to run when its condition ${name === 'when' ? 'holds' : 'does not hold'}`);
        else if (include) out.push(...expandSteps(scope, args.steps, depth));
        return;
      }
      // A built-in step, unless the config defines a command of that name (`deploy`, a
      // deprecated built-in, is a common command name).
      if (BUILT_IN_STEPS.has(name) && !(name in scope.commands)) {
        out.push(normaliseBuiltIn(name, step, args));
        return;
      }
      const found = resolve(scope, 'commands', name);
      if (!found.found) {
        notFound(scope, 'commands', name, found, steps, index, 'step');
        // Left as written: reported once here, not again as an empty job.
        if (isRecord(step)) expanded.add(step);
        out.push(step);
        return;
      }
      if (depth > 50) {
        error(steps, index, `command ${name} calls itself (directly or through others)`);
        return;
      }
      const definition = found.definition;
      if (!isRecord(definition)) return;
      const given = isRecord(args) ? args : {};
      if (args !== undefined && args !== null && !isRecord(args)) error(steps, index, `command ${name} takes its parameters as a map`);
      const values = bindArguments(definition, given, isRecord(args) ? args : steps, `command ${name}`, scope, found.scope, [steps, index]);
      if (!values) return;
      const body = substituteParameters(definition, values) as Rec;
      if (Array.isArray(body.steps)) out.push(...expandSteps(found.scope, body.steps, depth + 1));
      else error(definition, 'steps', `command ${name} needs steps`);
    });
    return copyLocation(out, steps);
  }

  /**
   * Binds a call's arguments to a definition's parameters: unknown and missing ones, and values
   * of the wrong type, are errors at the call. Steps and executors given as arguments are
   * expanded in the caller's scope, defaults in the definer's.
   */
  function bindArguments(definition: Rec, args: Rec, at: unknown, what: string, callerScope: Scope, definerScope: Scope, call?: [unknown, string | number]): Rec | undefined {
    const parameters = isRecord(definition.parameters) ? definition.parameters : {};
    const values: Rec = {};
    let ok = true;
    for (const [key, value] of Object.entries(args)) {
      if (key === 'name' && what.startsWith('command')) continue;
      if (!(key in parameters)) {
        // A workflow entry's own keys (context, requires...) misspelled read as parameters.
        const candidates = what.startsWith('job') ? [...Object.keys(parameters), ...WORKFLOW_ENTRY_KEYS] : Object.keys(parameters);
        error(at, key, `${what} has no parameter "${key}"${closestOf(key, candidates)}`);
        continue;
      }
      const spec = parameters[key];
      // An executor already expanded (a job's executor parameter handed on to a command's,
      // `setup_environment: {platform: << parameters.platform >>}`) is an executor, not a map.
      if (!hasReference(value) && !(isRecord(value) && expanded.has(value))) {
        const bad = typeProblem(spec, value);
        if (bad !== undefined) {
          error(at, key, `${what}: parameter "${key}" ${bad}`);
          ok = false;
          continue;
        }
      }
      values[key] = prepare(spec, value, callerScope, args, key);
    }
    for (const [key, spec] of Object.entries(parameters)) {
      if (key in values || key in args) continue;
      if (isRecord(spec) && 'default' in spec) values[key] = prepare(spec, spec.default, definerScope, spec, 'default');
      else {
        error(call ? call[0] : at, call ? call[1] : undefined, `${what} needs parameter "${key}" (it has no default)`);
        ok = false;
      }
    }
    return ok ? values : undefined;
  }

  function prepare(spec: unknown, value: unknown, scope: Scope, container: unknown, key: string): unknown {
    const type = isRecord(spec) ? spec.type : undefined;
    if (type === 'steps' && Array.isArray(value)) {
      const steps = expandSteps(scope, value, 1);
      for (const step of steps) if (isRecord(step)) expanded.add(step);
      return steps;
    }
    if (type === 'executor' && value !== undefined && value !== null && !hasReference(value)) {
      return expandExecutor(scope, value, container, key) ?? value;
    }
    if (type === 'boolean' && typeof value === 'string' && BOOLEAN_WORDS.test(value)) return /^(?:y|yes|true|on)$/i.test(value);
    return value;
  }


}

/**
 * Built-in step options the schema wants as a list that CircleCI also takes as one string:
 * `persist_to_workspace: {paths: .}` (scikit-learn and sphinx-gallery deploy their docs with it
 * every day), `save_cache: {paths: /tmp/cache}` and `add_ssh_keys: {fingerprints: "bf:aa:..."}`
 * (both in configs and a published orb that run on CircleCI, found in issue 25's second corpus).
 * The processed config has the list CircleCI makes of it.
 */
const ONE_OR_MORE: Readonly<Record<string, string>> = { persist_to_workspace: 'paths', save_cache: 'paths', add_ssh_keys: 'fingerprints' };

function normaliseBuiltIn(name: string, step: unknown, args: unknown): unknown {
  const key = ONE_OR_MORE[name];
  if (key !== undefined && isRecord(args) && typeof args[key] === 'string') {
    const list = copyLocation([args[key]], args);
    return copyLocation({ [name]: copyLocation({ ...args, [key]: list }, args) }, step);
  }
  return step;
}

export type { Path };
