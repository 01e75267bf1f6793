/**
 * The trigger context: what started this pipeline. Built from flags, falling back to the
 * variables CircleCI sets in a job, and checked before anything else runs.
 */
import { InputError } from '../errors.js';

export const TRIGGER_SOURCES = ['webhook', 'api', 'scheduled_pipeline'] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

/** The pipeline parameter that API triggers set to an environment's name. */
export const DEPLOY_ENV_PARAMETER = 'deploy_env';

export interface TriggerContext {
  /** The branch built, absent on tag pipelines. */
  readonly branch?: string;
  readonly tag?: string;
  /** The commit built (`CIRCLE_SHA1`). */
  readonly revision?: string;
  /** The previous pipeline's revision on this branch (`pipeline.git.base_revision`). */
  readonly baseRevision?: string;
  readonly source: TriggerSource;
  /** Pipeline parameters the trigger sent, as strings. */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface TriggerInput {
  readonly branch?: string | undefined;
  readonly tag?: string | undefined;
  readonly revision?: string | undefined;
  readonly baseRevision?: string | undefined;
  readonly source?: string | undefined;
  readonly params?: readonly string[] | undefined;
}

const SHA = /^[0-9a-f]{7,40}$/;
const PARAMETER_NAME = /^[A-Za-z][\w-]*$/;

/**
 * Builds the trigger context from flags, with CircleCI's variables (`CIRCLE_BRANCH`,
 * `CIRCLE_TAG`, `CIRCLE_SHA1`) as fallbacks. Throws InputError naming the bad flag.
 */
export function triggerFromInput(flags: TriggerInput, env: Readonly<Record<string, string | undefined>>): TriggerContext {
  const flagGiven = flags.branch !== undefined || flags.tag !== undefined;
  const branch = nonEmpty(flagGiven ? flags.branch : env.CIRCLE_BRANCH);
  const tag = nonEmpty(flagGiven ? flags.tag : env.CIRCLE_TAG);
  if (branch !== undefined && tag !== undefined) {
    throw new InputError(`both a branch (${JSON.stringify(branch)}) and a tag (${JSON.stringify(tag)}) given: pass --branch or --tag, not both`);
  }
  if (branch === undefined && tag === undefined) {
    throw new InputError('no branch or tag: pass --branch B or --tag T (in a CircleCI job, CIRCLE_BRANCH or CIRCLE_TAG is set)');
  }

  const revision = nonEmpty(flags.revision ?? env.CIRCLE_SHA1);
  if (revision !== undefined && !SHA.test(revision)) {
    throw new InputError(`--revision: not a commit SHA (got ${JSON.stringify(revision)}; expected 7 to 40 lower-case hex digits)`);
  }
  // CircleCI renders an empty base revision as the text "<nil>" when it is interpolated.
  const baseRevision = nonEmpty(flags.baseRevision === '<nil>' ? undefined : flags.baseRevision);
  if (baseRevision !== undefined && !SHA.test(baseRevision)) {
    throw new InputError(`--base-revision: not a commit SHA (got ${JSON.stringify(baseRevision)}; expected 7 to 40 lower-case hex digits, or empty)`);
  }

  const source = flags.source ?? 'webhook';
  if (!(TRIGGER_SOURCES as readonly string[]).includes(source)) {
    throw new InputError(`--trigger-source: unknown value (got ${JSON.stringify(source)}; expected one of ${TRIGGER_SOURCES.join(', ')})`);
  }

  const parameters: Record<string, string> = {};
  for (const param of flags.params ?? []) {
    const eq = param.indexOf('=');
    const name = eq < 0 ? param : param.slice(0, eq);
    if (eq < 0 || !PARAMETER_NAME.test(name)) {
      throw new InputError(`--param: malformed (got ${JSON.stringify(param)}; expected NAME=VALUE with a name of letters, digits, "_" and "-")`);
    }
    if (name in parameters) throw new InputError(`--param: ${name} given twice; pass each parameter once`);
    parameters[name] = param.slice(eq + 1);
  }

  return {
    source: source as TriggerSource,
    parameters,
    ...(branch !== undefined ? { branch } : {}),
    ...(tag !== undefined ? { tag } : {}),
    ...(revision !== undefined ? { revision } : {}),
    ...(baseRevision !== undefined ? { baseRevision } : {}),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** One line describing the trigger for people: `push to master at 1a2b3c4 (webhook)`. */
export function describeTrigger(trigger: TriggerContext): string {
  const ref = trigger.tag !== undefined ? `tag ${trigger.tag}` : `branch ${trigger.branch ?? '?'}`;
  const at = trigger.revision !== undefined ? ` at ${trigger.revision.slice(0, 12)}` : '';
  const params = Object.entries(trigger.parameters)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(' ');
  return `${ref}${at}, trigger ${trigger.source}${params ? `, parameters ${params}` : ''}`;
}
