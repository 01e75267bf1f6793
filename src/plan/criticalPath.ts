/**
 * The critical path of a pipeline: the chain of jobs that decides how long it takes from the
 * push to its last job, so the jobs worth making faster. CircleCI runs a workflow's jobs at the
 * same time unless `requires` orders them ("In this example the jobs have no dependencies
 * defined, so they run concurrently", CircleCI docs, Workflow orchestration: Concurrent job
 * execution), a job starting once the jobs it requires have finished; the setup workflow's job
 * runs before any of them. So the pipeline's length is the longest chain of `requires`, each job
 * weighted by its duration: the critical path method (a forward pass gives each job its earliest
 * start, a backward pass its latest; a job with no slack between them is on the path).
 *
 * Weights are the jobs' durations where known (a file, or CircleCI Insights' medians), else one
 * per job: then the path is the longest chain by number of jobs, and jobs that tie are all shown.
 * An approval job weighs nothing: it waits for a person, not for a machine.
 */
import type { JobKind } from './plan.js';
import { SETUP_JOB_NAME } from './jobNames.js';

export interface PathJob {
  readonly name: string;
  readonly kind: JobKind | 'setup';
  readonly requires: readonly string[];
}

export interface CriticalPathJob {
  readonly name: string;
  /** Its weight: seconds with durations, else 1 (0 for an approval, or a job with no duration known). */
  readonly weight: number;
  /** Seconds (or jobs) from the start of the setup job at which it can start at the earliest. */
  readonly start: number;
  /** How much later it could end without making the pipeline longer; 0 on the critical path. */
  readonly slack: number;
}

export interface CriticalPath {
  /** What the weights are: `seconds` (durations given) or `jobs` (one per job). */
  readonly unit: 'seconds' | 'jobs';
  /** The length of the pipeline in that unit: the end of its last job. */
  readonly length: number;
  /** The critical path in order; a stage of several: jobs that start and end at the same times. */
  readonly stages: readonly (readonly string[])[];
  /** Other jobs with no slack: on another chain exactly as long. */
  readonly alsoCritical: readonly string[];
  /** Every job, in the order given (setup first). */
  readonly jobs: readonly CriticalPathJob[];
  /** Jobs with durations given for others but not for them (weighed 0). */
  readonly unknown: readonly string[];
  /** Approval jobs on the critical path: the wait for a person is not counted in `length`. */
  readonly approvals: readonly string[];
}

/** Tolerance for sums of seconds. */
const EPSILON = 1e-6;

/**
 * The critical path of the jobs that run (each requiring only jobs that run), behind the setup
 * job. `durations`: seconds per job name; the setup job's under `setup`.
 */
export function criticalPathOf(running: readonly PathJob[], durations?: ReadonlyMap<string, number>): CriticalPath {
  const jobs: PathJob[] = [
    { name: SETUP_JOB_NAME, kind: 'setup', requires: [] },
    ...running.map((job) => ({ ...job, requires: job.requires.length > 0 ? job.requires : [SETUP_JOB_NAME] })),
  ];
  const unknown: string[] = [];
  const weightOf = (job: PathJob): number => {
    if (job.kind === 'terraform-approval') return 0;
    if (durations === undefined) return 1;
    const seconds = durations.get(job.name);
    if (seconds === undefined) unknown.push(job.name);
    return seconds ?? 0;
  };
  const weight = new Map(jobs.map((job) => [job.name, weightOf(job)]));
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const order = topologicalOrder(jobs, byName);

  const start = new Map<string, number>();
  const end = (name: string): number => (start.get(name) ?? 0) + (weight.get(name) ?? 0);
  for (const job of order) start.set(job.name, Math.max(0, ...job.requires.filter((name) => byName.has(name)).map(end)));
  const length = Math.max(0, ...jobs.map((job) => end(job.name)));

  // Latest end of each job that keeps the pipeline at `length`: before its earliest successor's latest start.
  const latestEnd = new Map<string, number>();
  for (const job of [...order].reverse()) {
    const successors = jobs.filter((other) => other.requires.includes(job.name));
    latestEnd.set(job.name, Math.min(length, ...successors.map((next) => (latestEnd.get(next.name) ?? length) - (weight.get(next.name) ?? 0))));
  }
  const slack = (name: string): number => (latestEnd.get(name) ?? length) - end(name);
  const critical = order.filter((job) => slack(job.name) < EPSILON);

  // One chain, walked back from a job ending last: each step a critical job it requires that ends
  // exactly when it starts. Each stage: the chain's job and the critical jobs as long, beside it.
  const chain: PathJob[] = [];
  let at = critical.filter((job) => Math.abs(end(job.name) - length) < EPSILON).at(-1);
  while (at !== undefined) {
    chain.unshift(at);
    const startsAt = start.get(at.name) ?? 0;
    at = critical.find((job) => at?.requires.includes(job.name) === true && Math.abs(end(job.name) - startsAt) < EPSILON);
  }
  const sameSpan = (a: PathJob, b: PathJob): boolean => Math.abs((start.get(a.name) ?? 0) - (start.get(b.name) ?? 0)) < EPSILON && Math.abs(end(a.name) - end(b.name)) < EPSILON;
  const staged = new Set(chain.map((job) => job.name));
  const stages = chain.map((step) => {
    // Only jobs that take time: two such jobs with one span cannot require each other, while a
    // job of 0 s can follow another at the same moment (it is shown on its own, not beside).
    const beside = (weight.get(step.name) ?? 0) > EPSILON ? critical.filter((job) => !staged.has(job.name) && (weight.get(job.name) ?? 0) > EPSILON && sameSpan(job, step)) : [];
    for (const job of beside) staged.add(job.name);
    return [step.name, ...beside.map((job) => job.name)];
  });

  return {
    unit: durations === undefined ? 'jobs' : 'seconds',
    length,
    stages,
    alsoCritical: critical.filter((job) => !staged.has(job.name)).map((job) => job.name),
    approvals: critical.filter((job) => job.kind === 'terraform-approval').map((job) => job.name),
    jobs: jobs.map((job) => ({ name: job.name, weight: weight.get(job.name) ?? 0, start: start.get(job.name) ?? 0, slack: Math.max(0, slack(job.name)) })),
    unknown,
  };
}

/** The jobs, each after every job it requires (a plan's `requires` form no cycle). */
function topologicalOrder(jobs: readonly PathJob[], byName: ReadonlyMap<string, PathJob>): PathJob[] {
  const done = new Set<string>();
  const order: PathJob[] = [];
  const visit = (job: PathJob, seen: Set<string>): void => {
    if (done.has(job.name) || seen.has(job.name)) return;
    seen.add(job.name);
    for (const name of job.requires) {
      const required = byName.get(name);
      if (required) visit(required, seen);
    }
    done.add(job.name);
    order.push(job);
  };
  for (const job of jobs) visit(job, new Set());
  return order;
}
