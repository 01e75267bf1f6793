/**
 * The `requires` of a workflow as a graph: a job waits for the jobs it requires, so a cycle
 * (a requires b, b requires a) is a set of jobs none of which can start. CircleCI refuses such
 * a workflow ("requires" must form a directed acyclic graph: circleci.com/docs/workflows, "jobs
 * run ... according to their dependencies"); offline it is found here, at the requires that
 * closes the cycle.
 */

/** A job of a workflow and the names it requires, each with where it is written. */
export interface RequiringJob<At> {
  readonly name: string;
  readonly requires: readonly { readonly name: string; readonly at: At }[];
}

export interface Cycle<At> {
  /** The jobs of the cycle in order, the first repeated at the end: a, b, a. */
  readonly path: readonly string[];
  /** Where the requires that closes the cycle is written. */
  readonly at: At;
}

/** Each cycle once (by its set of edges), found by depth-first search in the order jobs are written. */
export function requiresCycles<At>(jobs: readonly RequiringJob<At>[]): Cycle<At>[] {
  const byName = new Map<string, RequiringJob<At>>();
  for (const job of jobs) if (!byName.has(job.name)) byName.set(job.name, job);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: Cycle<At>[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const required of byName.get(name)?.requires ?? []) {
      if (!byName.has(required.name)) continue;
      const seen = state.get(required.name);
      if (seen === 'open') cycles.push({ path: [...stack.slice(stack.indexOf(required.name)), required.name], at: required.at });
      else if (seen === undefined) visit(required.name);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const job of byName.values()) if (!state.has(job.name)) visit(job.name);
  return cycles;
}
