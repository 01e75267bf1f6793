/**
 * Checks a config against CircleCI's official JSON Schema (vendored under `schemas/`, compiled
 * by `npm run build` into `generated/`).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { requireCached, type CachedModule } from '../../codeCache.js';
import { OperationError } from '../../errors.js';

export interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/** A problem in a config, at a path of keys and indexes. */
export interface SchemaFinding {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** The key the finding is about, when it is one (an unknown key): where to point a person. */
  readonly key?: string;
}

let validator: Validator | undefined;
/** Writes the validator's code cache, once it has checked a config (the code checking one compiled). */
let saveCache: (() => void) | undefined;

/**
 * Loads the validator ahead of its first use (generate does while the description loads in its
 * own process); a failure is left for that use to report.
 */
export function preloadOfficialSchema(): void {
  try {
    loadValidator();
  } catch {
    // checkOfficialSchema reports it.
  }
}

function loadValidator(): Validator {
  if (validator) return validator;
  // src/circleci/check and dist/circleci/check both sit three levels below the package root.
  const file = fileURLToPath(new URL('../../../generated/circleci-config-validator.cjs', import.meta.url));
  let loaded: CachedModule;
  try {
    // 850 KB of generated code: its compiled code comes from our cache (codeCache.ts).
    loaded = requireCached(file, 'check');
  } catch {
    throw new OperationError('the CircleCI schema validator is not built: run `npm run build` in the circle-fargate package');
  }
  saveCache = () => {
    loaded.save();
  };
  validator = loaded.exports as Validator;
  return validator;
}

/** Every place the config breaks the official schema; empty when it passes. */
export function checkOfficialSchema(config: unknown): SchemaFinding[] {
  const validate = loadValidator();
  const valid = validate(config);
  saveCache?.();
  saveCache = undefined;
  if (valid) return [];
  return deepestErrors(validate.errors ?? []).map((error) => ({
    path: pointerToPath(error.instancePath),
    message: describeSchemaError(error),
    ...(error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string' ? { key: error.params.additionalProperty } : {}),
  }));
}

/**
 * A typo makes the schema report a cascade: every `oneOf` branch that failed, at every level.
 * The error deepest in the document is the one that names the mistake; the others are its
 * echoes. Keep, per cascade, only the errors no other error lies below.
 */
export function deepestErrors(errors: readonly SchemaError[]): SchemaError[] {
  const paths = errors.map((error) => error.instancePath);
  const kept = errors.filter(
    (error) =>
      !['oneOf', 'anyOf', 'if', 'not'].includes(error.keyword) &&
      !paths.some((other) => other !== error.instancePath && other.startsWith(`${error.instancePath}/`)),
  );
  // At one path, a `type` error is usually the other branch of a oneOf (the string shorthand of
  // a step, say): noise beside an error that names the real mistake.
  const specific = kept.filter(
    (error) => error.keyword !== 'type' || !kept.some((other) => other.instancePath === error.instancePath && other.keyword !== 'type'),
  );
  const unique = new Map<string, SchemaError>();
  for (const error of specific.length > 0 ? specific : errors) {
    const key = `${error.instancePath} ${describeSchemaError(error)}`;
    if (!unique.has(key)) unique.set(key, error);
  }
  // Several `type` errors at one path are the branches of one oneOf: say them once.
  const merged: SchemaError[] = [];
  for (const error of unique.values()) {
    const first = merged.find((other) => other.instancePath === error.instancePath && other.keyword === 'type');
    if (error.keyword === 'type' && first) {
      const types = [...(first.params.types as string[]), String(error.params.type)];
      merged[merged.indexOf(first)] = { ...first, params: { ...first.params, types }, message: `must be ${types.join(' or ')}` };
    } else {
      merged.push(error.keyword === 'type' ? { ...error, params: { ...error.params, types: [String(error.params.type)] } } : error);
    }
  }
  return merged;
}

export function describeSchemaError(error: SchemaError): string {
  const params = error.params;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `unknown key "${params.additionalProperty}"`;
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return error.message ?? `fails schema keyword ${error.keyword}`;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

let stepKeys: Map<string, Set<string>> | undefined;

/**
 * Every key the schema knows for each built-in step, across the branches of its oneOf
 * (restore_cache takes `key` in one branch and `keys` in the other): a key one branch calls
 * unknown may be another's.
 */
export function knownStepKeys(step: string): ReadonlySet<string> {
  if (!stepKeys) {
    stepKeys = new Map();
    const require = createRequire(import.meta.url);
    const schema = require('../../../schemas/circleci-config.schema.json') as { definitions?: { step?: { oneOf?: { properties?: Record<string, unknown> }[] } } };
    for (const branch of schema.definitions?.step?.oneOf ?? []) {
      for (const [name, definition] of Object.entries(branch.properties ?? {})) {
        const keys = stepKeys.get(name) ?? new Set<string>();
        collectProperties(definition, keys, 0);
        stepKeys.set(name, keys);
      }
    }
  }
  return stepKeys.get(step) ?? new Set();
}

let jobKeys: Set<string> | undefined;

/** Every key the schema knows for a job, across the branches of its definition. */
export function knownJobKeys(): ReadonlySet<string> {
  if (!jobKeys) {
    jobKeys = new Set();
    const require = createRequire(import.meta.url);
    const schema = require('../../../schemas/circleci-config.schema.json') as { definitions?: { jobInvocation?: unknown } };
    // The job branch of jobInvocation picks its keys by if/then/else on the executor kind.
    const branches = (node: unknown, depth: number): void => {
      if (typeof node !== 'object' || node === null || depth > 8) return;
      const record = node as Record<string, unknown>;
      collectProperties(record, jobKeys ?? new Set(), 0);
      for (const key of ['then', 'else']) branches(record[key], depth + 1);
      for (const branch of Array.isArray(record.oneOf) ? record.oneOf : []) branches(branch, depth + 1);
    };
    branches(schema.definitions?.jobInvocation, 0);
  }
  return jobKeys;
}

function collectProperties(node: unknown, into: Set<string>, depth: number): void {
  if (typeof node !== 'object' || node === null || depth > 4) return;
  const record = node as Record<string, unknown>;
  if (typeof record.properties === 'object' && record.properties !== null) for (const key of Object.keys(record.properties)) into.add(key);
  for (const combinator of ['oneOf', 'anyOf', 'allOf']) {
    const branches = record[combinator];
    if (Array.isArray(branches)) for (const branch of branches) collectProperties(branch, into, depth + 1);
  }
}
