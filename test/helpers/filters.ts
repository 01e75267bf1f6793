/**
 * CircleCI's workflow filter rules, as its configuration reference states them
 * (https://circleci.com/docs/reference/configuration-reference/#filters), to evaluate emitted
 * configs with. Quoted:
 * - branches: "Any branches that match only will run the job. Any branches that match ignore
 *   will not run the job. If neither only nor ignore are specified then all branches will run
 *   the job. If both only and ignore are specified the only is considered before ignore."
 * - tags: "CircleCI does not run workflows for tags unless you explicitly specify tag filters.
 *   Additionally, if a job requires any other jobs (directly or indirectly), you must specify
 *   tag filters for those jobs." ... "If neither only nor ignore are specified then the job is
 *   skipped for all tags."
 * - values: "a single string naming a branch", "regular expressions ... by enclosing them with
 *   slashes, or map to a list of such strings. Regular expressions must match the entire string."
 * A job runs when its filters let it and every job it requires runs.
 */
import type { Config } from './config.js';

export type Ref = { readonly branch: string } | { readonly tag: string };

function matchesValue(value: string, name: string): boolean {
  if (value.length > 2 && value.startsWith('/') && value.endsWith('/')) return new RegExp(`^(?:${value.slice(1, -1)})$`).test(name);
  return value === name;
}

function matchesAny(values: unknown, name: string): boolean {
  const list = Array.isArray(values) ? values : [values];
  return list.some((value) => typeof value === 'string' && matchesValue(value, name));
}

/** Whether one filter (`branches` or `tags`: { only?, ignore? }) admits `name`. */
function admits(filter: Config, name: string): boolean {
  if ('only' in filter) return matchesAny(filter.only, name);
  if ('ignore' in filter) return !matchesAny(filter.ignore, name);
  return true;
}

/** Whether a workflow entry's own filters let it run for `ref` (its requires aside). */
export function filtersAdmit(filters: Config | undefined, ref: Ref): boolean {
  if ('tag' in ref) {
    const tags = filters?.tags as Config | undefined;
    if (tags === undefined) return false;
    if (!('only' in tags) && !('ignore' in tags)) return false;
    return admits(tags, ref.tag);
  }
  const branches = filters?.branches as Config | undefined;
  return branches === undefined ? true : admits(branches, ref.branch);
}

/** The names of a workflow's jobs that run for `ref`: filters admit them and all they require. */
export function runningJobs(workflow: Config, ref: Ref): string[] {
  const entries = (workflow.jobs as (string | Config)[]).map((entry) => {
    if (typeof entry === 'string') return { name: entry, options: {} };
    const [job, options] = Object.entries(entry)[0] as [string, Config | null];
    return { name: typeof options?.name === 'string' ? options.name : job, options: options ?? {} };
  });
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const memo = new Map<string, boolean>();
  const runs = (name: string, seen: Set<string>): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const entry = byName.get(name);
    if (entry === undefined || seen.has(name)) return false;
    const requires = (entry.options.requires ?? []) as string[];
    const result = filtersAdmit(entry.options.filters as Config | undefined, ref) && requires.every((required) => runs(required, new Set([...seen, name])));
    memo.set(name, result);
    return result;
  };
  return entries.filter((entry) => runs(entry.name, new Set())).map((entry) => entry.name);
}
