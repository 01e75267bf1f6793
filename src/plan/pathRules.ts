/**
 * Path rules: include and exclude globs (minimatch, `dot: true`), each compiled once, with the
 * literal text every match must start and end with, so that matching tens of thousands of
 * files against hundreds of rules costs a string comparison for most pairs.
 */
import { Minimatch } from 'minimatch';
import type { PathRule } from '../description/schema.js';

export const GLOB_OPTIONS = { dot: true, nocomment: true, nonegate: true } as const;

export interface CompiledGlob {
  readonly pattern: string;
  /** The part before the first glob character: every matching path starts with it. */
  readonly prefix: string;
  /** The literal end of the last path segment: every matching path ends with it. */
  readonly suffix: string;
  test(file: string): boolean;
}

export interface CompiledRule {
  readonly include: readonly CompiledGlob[];
  readonly exclude: readonly CompiledGlob[];
  /** The changed files this rule selects, in the given order. */
  matching(files: readonly string[]): string[];
}

/** Why a glob cannot be used, or undefined when it can. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.startsWith('!')) return 'negated glob; put it in "exclude" instead';
  if (pattern.startsWith('/')) return 'absolute glob; globs match paths relative to the project root';
  if (pattern.startsWith('./')) return 'glob starting with "./"; changed paths never do';
  try {
    new Minimatch(pattern, GLOB_OPTIONS).match('');
  } catch (error) {
    return `not a valid glob (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

const MAGIC = /[*?[\]{}()!+@\\]/;

export function compileGlob(pattern: string): CompiledGlob {
  const matcher = new Minimatch(pattern, GLOB_OPTIONS);
  const first = pattern.search(MAGIC);
  if (first < 0) return { pattern, prefix: pattern, suffix: '', test: (file) => file === pattern || matcher.match(file) };
  let last = pattern.length - 1;
  while (last >= 0 && !MAGIC.test(pattern.charAt(last))) last--;
  const tail = pattern.slice(last + 1);
  const prefix = pattern.slice(0, first);
  const suffix = tail.slice(tail.lastIndexOf('/') + 1);
  return { pattern, prefix, suffix, test: (file) => file.startsWith(prefix) && file.endsWith(suffix) && matcher.match(file) };
}

export function compileRule(rule: PathRule): CompiledRule {
  const include = rule.include.map(compileGlob);
  const exclude = rule.exclude.map(compileGlob);
  const selects = (file: string) => include.some((glob) => glob.test(file)) && !exclude.some((glob) => glob.test(file));
  return {
    include,
    exclude,
    matching: (files) => files.filter(selects),
  };
}

/** `a, b and 3 more` for reasons shown to people. */
export function summarizeFiles(files: readonly string[], shown = 3): string {
  const head = files.slice(0, shown).map((file) => JSON.stringify(file));
  const rest = files.length - head.length;
  return rest > 0 ? `${head.join(', ')} and ${rest} more` : head.join(', ');
}
