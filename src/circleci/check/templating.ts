/**
 * Compile-time templating, the first stage of CircleCI's processing: `<< pipeline.x >>`,
 * `<< pipeline.parameters.x >>`, `<< parameters.x >>` and `<< matrix.x >>` filled in, `<<# p >>`
 * sections kept or dropped, and typed parameter values checked
 * (circleci.com/docs/guides/orchestrate/config-templating, circleci.com/docs/reusing-config).
 * Pure: ./process.ts sequences the stages and reports what they find.
 */
import { isRecord } from '../../orb/pack.js';
import { copyLocation } from './yamlRead.js';

type Rec = Record<string, unknown>;

/** "Parameter types: string, boolean, integer, enum, executor, steps, env_var_name". */
export const PARAMETER_TYPES = ['string', 'boolean', 'integer', 'enum', 'executor', 'steps', 'env_var_name'];
/** CircleCI's docs: boolean parameters accept "y yes true on / n no false off" and their capitalised forms. */
export const BOOLEAN_WORDS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
/** env_var_name: "must be a valid environment variable name" (POSIX: letters, digits, underscore). */
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Pipeline values have no value offline. These stand in for them so that the result has the
 * shape it will have on CircleCI (a revision is 40 hex digits, a number is a number).
 * https://circleci.com/docs/pipeline-variables#pipeline-values
 */
export const PIPELINE_VALUES: Readonly<Record<string, unknown>> = {
  'pipeline.id': '00000000-0000-0000-0000-000000000000',
  'pipeline.number': 1,
  'pipeline.project.git_url': 'https://github.com/example/example',
  'pipeline.project.type': 'github',
  'pipeline.git.tag': '',
  'pipeline.git.branch': 'main',
  'pipeline.git.branch.is_default': true,
  'pipeline.git.revision': '0000000000000000000000000000000000000000',
  'pipeline.git.base_revision': '0000000000000000000000000000000000000000',
  'pipeline.git.repo_url': 'https://github.com/example/example',
  'pipeline.trigger_source': 'webhook',
  'pipeline.schedule.name': '',
  'pipeline.schedule.id': '',
  'pipeline.in_setup': false,
  // A rollback or deploy pipeline started from the Deploys timeline (CircleCI's rollback template
  // reads << pipeline.deploy.component_name >>, namespace, environment_name and target_version).
  'pipeline.deploy.component_name': 'app',
  'pipeline.deploy.environment_name': 'production',
  'pipeline.deploy.namespace': '',
  'pipeline.deploy.target_version': '1.0.0',
};

/** Steps (and executors) already expanded in the scope they were written in. */
export const expanded = new WeakSet<object>();

/** A reference to a pipeline value, parameter or matrix value: `<< parameters.x >>` (not `\<<`, CircleCI's escape). */
const REFERENCE = /(?<!\\)<<\s*((?:pipeline\.parameters|parameters|matrix)\.[\w-]+|pipeline\.[\w.]+)\s*>>/g;
const WHOLE_REFERENCE = /^\s*<<\s*((?:pipeline\.parameters|parameters|matrix)\.[\w-]+|pipeline\.[\w.]+)\s*>>\s*$/;

/**
 * "Falsy values: false, null, 0, NaN, empty strings, and statements with no arguments"
 * (circleci.com/docs/configuration-reference#logic-statements).
 */
export function truthy(value: unknown): boolean {
  if (value === false || value === null || value === undefined || value === '' || value === 0) return false;
  if (typeof value === 'number' && Number.isNaN(value)) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * A definition (job, command, executor) with `<< parameters.NAME >>` filled in from `values`
 * everywhere but in its `parameters` and `description`; other references are left as they are.
 */
export function substituteParameters(definition: Rec, values: Rec): unknown {
  const out: Rec = {};
  for (const [key, value] of Object.entries(definition)) {
    out[key] = key === 'parameters' || key === 'description' ? value
      : substitute(value, (reference) => (reference.startsWith('parameters.') && reference.slice(11) in values ? { value: values[reference.slice(11)] } : undefined));
  }
  return copyLocation(out, definition);
}

/** What is wrong with `value` for a parameter declared as `spec`, or undefined when it fits. */
export function typeProblem(spec: unknown, value: unknown): string | undefined {
  if (!isRecord(spec)) return undefined;
  const shown = typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'a list' : isRecord(value) ? 'a map' : String(value);
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' || (typeof value === 'string' && BOOLEAN_WORDS.test(value)) ? undefined : `is a boolean (true or false), not ${shown}`;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : `is an integer, not ${shown}`;
    case 'string':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? undefined : `is a string, not ${shown}`;
    case 'enum': {
      const allowed = Array.isArray(spec.enum) ? spec.enum : [];
      return allowed.some((item) => String(item) === String(value)) ? undefined : `must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}, not ${shown}`;
    }
    case 'steps':
      return Array.isArray(value) ? undefined : `is a list of steps, not ${shown}`;
    case 'executor':
      return typeof value === 'string' || (isRecord(value) && typeof value.name === 'string') ? undefined : `is an executor (a name, or {name: NAME, ...}), not ${shown}`;
    case 'env_var_name':
      return typeof value === 'string' && ENV_VAR_NAME.test(value) ? undefined : `is the name of an environment variable (letters, digits, _), not ${shown}`;
    default:
      return undefined;
  }
}

export function hasReference(value: unknown): boolean {
  return typeof value === 'string' && /(?<!\\)<<[^>]*>>/.test(value);
}

/**
 * Fills in `<< reference >>` everywhere in `value`. A string that is only a reference takes the
 * value itself (a list of steps, a boolean); a reference inside a longer string is spliced in
 * as text. `<<# p >>...<</ p >>` and `<<^ p >>...<</ p >>` sections keep or drop their text by
 * the truth of p.
 */
export function substitute(value: unknown, lookup: (reference: string, container: unknown, key: string | number) => { value: unknown } | undefined, container?: unknown, key?: string | number): unknown {
  if (typeof value === 'string') {
    if (!value.includes('<<')) return value;
    const whole = WHOLE_REFERENCE.exec(value);
    if (whole) {
      const found = lookup(whole[1] ?? '', container, key ?? 0);
      return found ? found.value : value;
    }
    let text = value.replace(/(?<!\\)<<([#^])\s*([\w.-]+)\s*>>([\s\S]*?)<<\/\s*\2\s*>>/g, (all, mode: string, reference: string, inner: string) => {
      const found = lookup(reference, container, key ?? 0);
      if (!found) return all;
      return (mode === '#') === truthy(found.value) ? inner : '';
    });
    text = text.replace(REFERENCE, (all, reference: string) => {
      const found = lookup(reference, container, key ?? 0);
      if (!found) return all;
      const inserted = found.value;
      return typeof inserted === 'string' ? inserted : typeof inserted === 'object' && inserted !== null ? JSON.stringify(inserted) : String(inserted);
    });
    return text;
  }
  if (Array.isArray(value)) {
    if (expanded.has(value)) return value;
    return copyLocation(value.map((item, index) => substitute(item, lookup, value, index)), value);
  }
  if (isRecord(value)) {
    if (expanded.has(value)) return value;
    const out: Rec = {};
    for (const [k, item] of Object.entries(value)) out[k] = substitute(item, lookup, value, k);
    return copyLocation(out, value);
  }
  return value;
}

/** Every string in a value, with the map or list holding it; keys for which `skip` holds are not entered. */
export function walkStrings(value: unknown, visit: (text: string, container: unknown, key: string | number) => void, skip: (key: string) => boolean): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === 'string') visit(item, value, index);
      else walkStrings(item, visit, skip);
    });
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (skip(key)) continue;
      if (typeof item === 'string') visit(item, value, key);
      else walkStrings(item, visit, skip);
    }
  }
}

