/**
 * Path rules: include and exclude globs, compiled once, matched against the changed files.
 */
import { Minimatch } from 'minimatch';
import type { PathRule } from '../description/schema.js';

const OPTIONS = { dot: true, nocomment: true, nonegate: true } as const;

export interface CompiledRule {
  /** The changed files this rule selects, in the given order. */
  matching(files: readonly string[]): string[];
}

export function compileRule(rule: PathRule): CompiledRule {
  const include = rule.include.map((pattern) => new Minimatch(pattern, OPTIONS));
  const exclude = rule.exclude.map((pattern) => new Minimatch(pattern, OPTIONS));
  return {
    matching(files) {
      return files.filter((file) => include.some((m) => m.match(file)) && !exclude.some((m) => m.match(file)));
    },
  };
}

/** A rule selecting everything under a directory. */
export function directoryRule(dir: string): PathRule {
  return { include: [dir === '.' ? '**' : `${dir}/**`], exclude: [] };
}

/** `a, b and 3 more` for reasons shown to people. */
export function summarizeFiles(files: readonly string[], shown = 3): string {
  const head = files.slice(0, shown).map((file) => JSON.stringify(file));
  const rest = files.length - head.length;
  return rest > 0 ? `${head.join(', ')} and ${rest} more` : head.join(', ');
}
