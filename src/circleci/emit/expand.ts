/**
 * An inline orb's job as a job of the config itself, expanded the way CircleCI expands it when
 * it compiles a config: the workflow's values put in place of the job's `<< parameters.NAME >>`
 * ("A parameter's value is substituted wherever `<< parameters.NAME >>` appears", and a value
 * that is the whole reference keeps its type:
 * https://circleci.com/docs/reference/reusing-config/#using-the-parameters-declaration), its orb
 * executor written out as `docker`, its `when`/`unless` steps decided, and its steps calling the
 * orb's commands by their full name (`circle-fargate/deploy`) with only the arguments that differ
 * from the command's defaults.
 *
 * Why: a continuation config runs each job once, with values known at generation. Passing them
 * through a job's parameter list only lengthens the config (the inline orb's jobs and executors
 * declare every parameter again, and each workflow entry repeats them); a job of the config says
 * the same in a third of the lines. The commands, which hold the scripts, stay in the orb and
 * still get every value as a parameter, so no value of the description ever becomes shell code.
 * A published orb is another version's text: workflows call its jobs as they are.
 */
import { isRecord, type OrbObject } from '../../orb/pack.js';
import { hasReference, substituteParameters, typeProblem } from '../check/templating.js';
import { decideCondition, stepParts, WHOLE_PARAMETER } from './orbSubset.js';

/**
 * The config job that runs orb job `job` with `given` (the workflow's values, every one declared
 * by the job). `configExecutors` are the executors of the config itself, which an executor-typed
 * value may name (a test suite's image with its service containers).
 */
export function expandOrbJob(orb: OrbObject, alias: string, job: string, given: Readonly<Record<string, unknown>>, configExecutors: ReadonlySet<string>): Record<string, unknown> {
  const jobs = isRecord(orb.jobs) ? orb.jobs : {};
  const definition = jobs[job];
  if (!isRecord(definition)) throw new Error(`the orb has no job ${job}`);
  // What this does not expand, it refuses (the orb's jobs use none of it): a steps parameter
  // (spliced into the step list by CircleCI) and `<<# p >>`/`<<^ p >>` sections.
  const declared = definition.parameters;
  if (isRecord(declared) && Object.values(declared).some((spec) => isRecord(spec) && spec.type === 'steps')) throw new Error(`orb job ${job}: a steps parameter is not expanded`);
  if (/<<[#^]/.test(JSON.stringify(definition))) throw new Error(`orb job ${job}: a <<# or <<^ section is not expanded`);
  const values = parameterValues(declared, given, `orb job ${job}`);
  const { parameters: _parameters, description: _description, executor, steps, ...body } = substituteParameters(definition, values) as Record<string, unknown>;
  // An executor of the config only when the caller named it: a name written in the orb's job
  // (a literal or a default) is the orb's own, as CircleCI reads it.
  const named = typeof definition.executor === 'string' ? WHOLE_PARAMETER.exec(definition.executor)?.[1] : undefined;
  const callerNamed = named !== undefined && named in given;
  const runsOn = expandExecutor(orb, executor, callerNamed ? configExecutors : new Set(), job);
  // The job's own keys win over its executor's, and their environments merge (as CircleCI does
  // for a job that sets what its executor sets).
  const environment = isRecord(runsOn.environment) && isRecord(body.environment) ? { environment: { ...runsOn.environment, ...body.environment } } : {};
  return {
    ...runsOn,
    ...body,
    ...environment,
    steps: expandSteps(orb, alias, steps, job),
  };
}

/**
 * Each declared parameter's value: the one given, else its default. An undeclared, missing or
 * mistyped one (which CircleCI would refuse when it compiles the config) is a bug of the generator:
 * the description's schema lets no such value through.
 */
function parameterValues(declared: unknown, given: Readonly<Record<string, unknown>>, where: string): Record<string, unknown> {
  const specs = isRecord(declared) ? declared : {};
  for (const [name, value] of Object.entries(given)) {
    if (!(name in specs)) throw new Error(`${where} declares no parameter ${name}`);
    const problem = hasReference(value) ? undefined : typeProblem(specs[name], value);
    if (problem !== undefined) throw new Error(`${where}: parameter ${name} ${problem}`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (name in given) values[name] = given[name];
    else if (isRecord(spec) && 'default' in spec) values[name] = spec.default;
    else throw new Error(`${where}: parameter ${name} has no value and no default`);
  }
  return values;
}

/** `executor: NAME` for an executor of the config; an orb executor's definition, its parameters put in. */
function expandExecutor(orb: OrbObject, reference: unknown, configExecutors: ReadonlySet<string>, job: string): Record<string, unknown> {
  if (reference === undefined) return {};
  const { name, ...given } = typeof reference === 'string' ? { name: reference } : isRecord(reference) ? reference : { name: undefined };
  if (typeof name !== 'string') throw new Error(`orb job ${job}: its executor is not a name`);
  if (configExecutors.has(name) && Object.keys(given).length === 0) return { executor: name };
  const executors = isRecord(orb.executors) ? orb.executors : {};
  const definition = executors[name];
  if (!isRecord(definition)) throw new Error(`orb job ${job} runs on executor ${name}, which neither the orb nor the config has`);
  const { parameters: _parameters, description: _description, ...rest } = substituteParameters(definition, parameterValues(definition.parameters, given, `orb executor ${name}`)) as Record<string, unknown>;
  return rest;
}

function expandSteps(orb: OrbObject, alias: string, steps: unknown, job: string): unknown[] {
  if (!Array.isArray(steps)) throw new Error(`orb job ${job} has no steps`);
  const commands = isRecord(orb.commands) ? orb.commands : {};
  return steps.flatMap((step): unknown[] => {
    const [name, body] = stepParts(step);
    if ((name === 'when' || name === 'unless') && isRecord(body)) {
      const holds = decideCondition(body.condition);
      if (holds === undefined) return [{ [name]: { ...body, steps: expandSteps(orb, alias, body.steps, job) } }];
      return holds === (name === 'when') ? expandSteps(orb, alias, body.steps, job) : [];
    }
    if (name === undefined || !(name in commands)) return [step];
    const command = commands[name];
    const declared = isRecord(command) && isRecord(command.parameters) ? command.parameters : {};
    const args = Object.entries(isRecord(body) ? body : {}).filter(([parameter, value]) => {
      const spec = declared[parameter];
      return !(isRecord(spec) && 'default' in spec && spec.default === value);
    });
    return [args.length === 0 ? `${alias}/${name}` : { [`${alias}/${name}`]: Object.fromEntries(args) }];
  });
}
