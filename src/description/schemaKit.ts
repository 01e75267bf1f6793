/**
 * A small schema kit: one definition gives the TypeScript types (what users write and what the
 * code reads after defaults), the validation (every problem at once, as
 * `dotted.path: what is wrong (got X; expected Y)`) and a JSON Schema for editors.
 *
 * It is ours rather than a general validator because the messages are a contract: they are
 * shown to people in a CircleCI setup job and tested word for word.
 */

/** A JSON Schema (draft-07) fragment. */
export type JsonSchema = { readonly [key: string]: unknown };

/** One problem found in the input. `path` is a list of keys and array indexes. */
export interface Problem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Where the parser is and where it collects problems. */
export interface ParseContext {
  readonly path: readonly (string | number)[];
  readonly problems: Problem[];
  /**
   * Keep going past problems: maps, records and lists return what they parsed, a value that
   * failed kept as written. Only for finding the cross-reference problems of a description
   * that already has problems, so that a person sees them all at once.
   */
  readonly partial?: boolean;
}

/** Returned by `parse` when the value is unusable (its problems are already recorded). */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

export interface Schema<Out, In = Out> {
  /** How the expected value reads in a message: "a non-empty string". */
  readonly expected: string;
  /** Parse and normalise `input`, recording problems in `ctx`. */
  parse(input: unknown, ctx: ParseContext): Out | Invalid;
  toJsonSchema(): JsonSchema;
  /** Phantom members so that types can be inferred; never set at run time. */
  readonly __out?: Out;
  readonly __in?: In;
}

export type Output<S> = S extends Schema<infer O, unknown> ? O : never;
export type Input<S> = S extends Schema<unknown, infer I> ? I : never;

// ---------------------------------------------------------------------------------------------
// Messages

/** Renders a path as `a.b[0].c`; keys that are not identifiers are quoted: `a["x.y"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A received "value" that is already a description, such as "no services". */
export class Described {
  constructor(readonly text: string) {}
}

/** Describes a received value for a message: strings quoted, long ones shortened. */
export function describeValue(value: unknown): string {
  if (value instanceof Described) return value.text;
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

export function formatProblem(problem: Problem): string {
  return `${formatPath(problem.path)}: ${problem.message}`;
}

/** Records a problem in the contract's shape: `what (got X; expected Y)`. */
export function report(ctx: ParseContext, what: string, got: unknown, expected: string): Invalid {
  ctx.problems.push({ path: ctx.path, message: `${what} (got ${describeValue(got)}; expected ${expected})` });
  return INVALID;
}

function child(ctx: ParseContext, segment: string | number): ParseContext {
  return { path: [...ctx.path, segment], problems: ctx.problems, ...(ctx.partial === true ? { partial: true } : {}) };
}

function listOf(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

// ---------------------------------------------------------------------------------------------
// Scalars

export interface StringOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  /** A pattern the whole string must match (JSON Schema compatible). */
  readonly pattern?: RegExp;
  /** What the pattern means, for messages: "an ECR repository URI". */
  readonly expected?: string;
  /** Extra checks beyond the pattern; return what is wrong, or undefined. */
  readonly check?: (value: string) => string | undefined;
  readonly description?: string;
}

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function string(options: StringOptions = {}): Schema<string> {
  const minLength = options.minLength ?? 1;
  const expected = options.expected ?? (minLength > 0 ? 'a non-empty string' : 'a string');
  return {
    expected,
    parse(input, ctx) {
      if (typeof input !== 'string') return report(ctx, 'not a string', input, expected);
      // Every description string can reach a parameter, a log line or a command's argument: a
      // newline there forges lines and splits arguments (a build arg becoming two).
      const control = CONTROL_CHARACTER.exec(input);
      if (control) return report(ctx, `contains the control character ${JSON.stringify(control[0]).slice(1, -1) === control[0] ? `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(control[0])}`, input, `${expected} on one line, without control characters`);
      if (input.length < minLength) return report(ctx, 'empty', input, expected);
      if (options.maxLength !== undefined && input.length > options.maxLength) {
        return report(ctx, `longer than ${options.maxLength} characters`, input, expected);
      }
      if (options.pattern && !options.pattern.test(input)) return report(ctx, 'malformed', input, expected);
      const wrong = options.check?.(input);
      if (wrong !== undefined) return report(ctx, wrong, input, expected);
      return input;
    },
    toJsonSchema() {
      return {
        type: 'string',
        ...(minLength > 0 ? { minLength } : {}),
        ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
        ...(options.pattern ? { pattern: options.pattern.source } : {}),
        ...(options.description ? { description: options.description } : {}),
      };
    },
  };
}

export function literalUnion<const T extends string>(values: readonly T[], description?: string): Schema<T> {
  const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${listOf(values)}`;
  return {
    expected,
    parse(input, ctx) {
      if (typeof input === 'string' && (values as readonly string[]).includes(input)) return input as T;
      return report(ctx, typeof input === 'string' ? 'unknown value' : 'not a string', input, expected);
    },
    toJsonSchema() {
      return { type: 'string', enum: [...values], ...(description ? { description } : {}) };
    },
  };
}

export function integer(options: { min?: number; max?: number; description?: string } = {}): Schema<number> {
  const { min, max } = options;
  const range =
    min !== undefined && max !== undefined
      ? `an integer from ${min} to ${max}`
      : min !== undefined
        ? `an integer of at least ${min}`
        : max !== undefined
          ? `an integer of at most ${max}`
          : 'an integer';
  return {
    expected: range,
    parse(input, ctx) {
      if (typeof input !== 'number' || !Number.isInteger(input)) return report(ctx, 'not an integer', input, range);
      if ((min !== undefined && input < min) || (max !== undefined && input > max)) {
        return report(ctx, 'out of range', input, range);
      }
      return input;
    },
    toJsonSchema() {
      return {
        type: 'integer',
        ...(min !== undefined ? { minimum: min } : {}),
        ...(max !== undefined ? { maximum: max } : {}),
        ...(options.description ? { description: options.description } : {}),
      };
    },
  };
}

export function boolean(description?: string): Schema<boolean> {
  return {
    expected: 'true or false',
    parse(input, ctx) {
      if (typeof input !== 'boolean') return report(ctx, 'not a boolean', input, 'true or false');
      return input;
    },
    toJsonSchema() {
      return { type: 'boolean', ...(description ? { description } : {}) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Collections

export interface ArrayOptions<T> {
  readonly minItems?: number;
  /** Items are compared by this key; a repeated key is a problem at the later item. */
  readonly uniqueBy?: (item: T) => string;
  readonly description?: string;
}

export function array<O, I>(item: Schema<O, I>, options: ArrayOptions<O> = {}): Schema<readonly O[], readonly I[]> {
  const minItems = options.minItems ?? 0;
  const expected = minItems > 0 ? `a list of at least ${minItems} (each ${item.expected})` : `a list (each ${item.expected})`;
  return {
    expected,
    parse(input, ctx) {
      if (!Array.isArray(input)) return report(ctx, 'not a list', input, expected);
      if (input.length < minItems) return report(ctx, 'too few items', input, expected);
      const out: O[] = [];
      const seen = new Map<string, number>();
      let ok = true;
      for (const [index, element] of (input as unknown[]).entries()) {
        const itemCtx = child(ctx, index);
        const parsed = item.parse(element, itemCtx);
        if (parsed === INVALID) {
          ok = false;
          if (ctx.partial === true) out.push(element as O);
          continue;
        }
        if (options.uniqueBy) {
          const key = options.uniqueBy(parsed);
          const first = seen.get(key);
          if (first !== undefined) {
            report(itemCtx, `duplicate of item ${first}`, key, 'each item once');
            ok = false;
            continue;
          }
          seen.set(key, index);
        }
        out.push(parsed);
      }
      return ok || ctx.partial === true ? out : INVALID;
    },
    toJsonSchema() {
      return {
        type: 'array',
        items: item.toJsonSchema(),
        ...(minItems > 0 ? { minItems } : {}),
        ...(options.description ? { description: options.description } : {}),
      };
    },
  };
}

export interface RecordOptions {
  readonly keyPattern?: RegExp;
  /** What a key must look like, for messages. */
  readonly keyExpected?: string;
  readonly minProperties?: number;
  readonly description?: string;
}

export function record<O, I>(
  value: Schema<O, I>,
  options: RecordOptions = {},
): Schema<Readonly<Record<string, O>>, Readonly<Record<string, I>>> {
  const minProperties = options.minProperties ?? 0;
  const expected =
    minProperties > 0 ? `a map of at least ${minProperties} entr${minProperties === 1 ? 'y' : 'ies'}` : 'a map';
  return {
    expected,
    parse(input, ctx) {
      if (!isPlainObject(input)) return report(ctx, 'not a map', input, `${expected} of name to ${value.expected}`);
      const entries = Object.entries(input);
      if (entries.length < minProperties) return report(ctx, 'too few entries', input, expected);
      const out: Record<string, O> = {};
      let ok = true;
      for (const [key, element] of entries) {
        const entryCtx = child(ctx, key);
        if (options.keyPattern && !options.keyPattern.test(key)) {
          report(entryCtx, 'malformed name', key, options.keyExpected ?? `a name matching ${options.keyPattern.source}`);
          ok = false;
          continue;
        }
        const parsed = value.parse(element, entryCtx);
        if (parsed === INVALID) {
          ok = false;
          if (ctx.partial === true) out[key] = element as O;
        } else out[key] = parsed;
      }
      return ok || ctx.partial === true ? out : INVALID;
    },
    toJsonSchema() {
      return {
        type: 'object',
        additionalProperties: value.toJsonSchema(),
        ...(options.keyPattern ? { propertyNames: { pattern: options.keyPattern.source } } : {}),
        ...(minProperties > 0 ? { minProperties } : {}),
        ...(options.description ? { description: options.description } : {}),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Objects

interface FieldBase<O, I> {
  readonly schema: Schema<O, I>;
  readonly description: string;
}
export interface RequiredField<O, I> extends FieldBase<O, I> {
  readonly kind: 'required';
}
export interface OptionalField<O, I> extends FieldBase<O, I> {
  readonly kind: 'optional';
}
export interface DefaultedField<O, I> extends FieldBase<O, I> {
  readonly kind: 'default';
  readonly defaultValue: O;
}
export type Field<O, I> = RequiredField<O, I> | OptionalField<O, I> | DefaultedField<O, I>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a field of any shape, for constraints
type AnyField = Field<any, any>;

export function required<O, I>(schema: Schema<O, I>, description: string): RequiredField<O, I> {
  return { kind: 'required', schema, description };
}
export function optional<O, I>(schema: Schema<O, I>, description: string): OptionalField<O, I> {
  return { kind: 'optional', schema, description };
}
export function defaulted<O, I>(schema: Schema<O, I>, defaultValue: O, description: string): DefaultedField<O, I> {
  return { kind: 'default', schema, defaultValue, description };
}

type FieldOut<F> = F extends Field<infer O, unknown> ? O : never;
type FieldIn<F> = F extends Field<unknown, infer I> ? I : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ObjectOut<F extends Record<string, AnyField>> = Simplify<
  { readonly [K in keyof F as F[K] extends OptionalField<unknown, unknown> ? never : K]: FieldOut<F[K]> } & {
    readonly [K in keyof F as F[K] extends OptionalField<unknown, unknown> ? K : never]?: FieldOut<F[K]>;
  }
>;
type ObjectIn<F extends Record<string, AnyField>> = Simplify<
  { readonly [K in keyof F as F[K] extends RequiredField<unknown, unknown> ? K : never]: FieldIn<F[K]> } & {
    readonly [K in keyof F as F[K] extends RequiredField<unknown, unknown> ? never : K]?: FieldIn<F[K]>;
  }
>;

export interface ObjectOptions {
  readonly description?: string;
  readonly title?: string;
  /** Keys accepted and ignored (for example `$schema` in JSON and YAML descriptions). */
  readonly ignoredKeys?: readonly string[];
}

export interface ObjectSchema<F extends Record<string, AnyField>> extends Schema<ObjectOut<F>, ObjectIn<F>> {
  readonly fields: F;
}

export function object<F extends Record<string, AnyField>>(fields: F, options: ObjectOptions = {}): ObjectSchema<F> {
  const names = Object.keys(fields);
  const expected = `an object with ${names.length === 0 ? 'no keys' : `keys ${names.join(', ')}`}`;
  return {
    fields,
    expected,
    parse(input, ctx) {
      if (!isPlainObject(input)) return report(ctx, 'not an object', input, expected);
      let ok = true;
      for (const key of Object.keys(input)) {
        if (key in fields || options.ignoredKeys?.includes(key)) continue;
        const hint = closest(key, names);
        report(
          child(ctx, key),
          hint ? `unknown key; did you mean "${hint}"?` : 'unknown key',
          key,
          `one of ${names.join(', ')}`,
        );
        ok = false;
      }
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(fields)) {
        const value = input[key];
        const fieldCtx = child(ctx, key);
        if (value === undefined) {
          if (field.kind === 'required') {
            report(fieldCtx, 'missing', undefined, field.schema.expected);
            ok = false;
          } else if (field.kind === 'default') {
            out[key] = field.defaultValue;
          }
          continue;
        }
        const parsed: unknown = field.schema.parse(value, fieldCtx);
        if (parsed === INVALID) {
          ok = false;
          if (ctx.partial === true) out[key] = value;
        } else out[key] = parsed;
      }
      return ok || ctx.partial === true ? (out as ObjectOut<F>) : INVALID;
    },
    toJsonSchema() {
      const properties: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(fields)) {
        properties[key] = {
          ...field.schema.toJsonSchema(),
          description: field.description,
          ...(field.kind === 'default' ? { default: field.defaultValue as unknown } : {}),
        };
      }
      for (const key of options.ignoredKeys ?? []) properties[key] = { type: 'string' };
      const requiredKeys = Object.entries(fields)
        .filter(([, field]) => field.kind === 'required')
        .map(([key]) => key);
      return {
        type: 'object',
        ...(options.title ? { title: options.title } : {}),
        ...(options.description ? { description: options.description } : {}),
        properties,
        ...(requiredKeys.length > 0 ? { required: requiredKeys } : {}),
        additionalProperties: false,
      };
    },
  };
}

/**
 * A union told apart by the kind of JSON value (string, list or object), so that a shorthand
 * such as `"terraform/prod"` can stand for `{ dir: "terraform/prod" }`. `normalize` turns each
 * branch into the one output shape.
 */
export function shorthand<O, SI, FI, SO, FO>(
  short: Schema<SO, SI>,
  full: Schema<FO, FI>,
  normalize: { readonly short: (value: SO) => O; readonly full: (value: FO) => O },
  pick: (input: unknown) => 'short' | 'full' | undefined,
): Schema<O, SI | FI> {
  const expected = `${short.expected}, or ${full.expected}`;
  return {
    expected,
    parse(input, ctx) {
      const which = pick(input);
      if (which === undefined) return report(ctx, 'wrong kind of value', input, expected);
      if (which === 'short') {
        const value = short.parse(input, ctx);
        return value === INVALID ? INVALID : normalize.short(value);
      }
      const value = full.parse(input, ctx);
      return value === INVALID ? INVALID : normalize.full(value);
    },
    toJsonSchema() {
      return { oneOf: [short.toJsonSchema(), full.toJsonSchema()] };
    },
  };
}

/** A union of object shapes told apart by the string value of `key` (a tagged union). */
export function tagged<const K extends string, const V extends Record<string, ObjectSchema<Record<string, AnyField>>>>(
  key: K,
  variants: V,
  keyDescription: string,
): Schema<{ [T in keyof V]: Output<V[T]> & { readonly [P in K]: T } }[keyof V], { [T in keyof V]: Input<V[T]> & { readonly [P in K]: T } }[keyof V]> {
  const tags = Object.keys(variants);
  const expected = `an object with "${key}" one of ${listOf(tags)}`;
  type Out = { [T in keyof V]: Output<V[T]> & { readonly [P in K]: T } }[keyof V];
  return {
    expected,
    parse(input, ctx) {
      if (!isPlainObject(input)) return report(ctx, 'not an object', input, expected);
      const tag = input[key];
      const variant = typeof tag === 'string' ? variants[tag] : undefined;
      if (!variant) {
        return report(child(ctx, key), tag === undefined ? 'missing' : 'unknown value', tag, `one of ${listOf(tags)}`);
      }
      const { [key]: _tag, ...rest } = input;
      const parsed = variant.parse(rest, ctx);
      return parsed === INVALID ? INVALID : ({ [key]: tag, ...parsed } as Out);
    },
    toJsonSchema() {
      return {
        oneOf: Object.entries(variants).map(([tag, variant]) => {
          const schema = variant.toJsonSchema() as { properties: Record<string, unknown>; required?: string[] };
          return {
            ...schema,
            properties: { [key]: { const: tag, description: keyDescription }, ...schema.properties },
            required: [key, ...(schema.required ?? [])],
          };
        }),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The candidate within edit distance 2 of `word`, if any: for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
