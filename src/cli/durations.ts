/**
 * `explain --durations FILE|insights`: how long each job takes, in seconds, for the critical
 * path. From a file (a JSON object of job name to seconds, or an answer of CircleCI Insights'
 * job metrics saved as it came), or read from CircleCI Insights itself: the median of each job of
 * the pipeline's workflow on the pipeline's branch, then of all branches for jobs that branch has
 * not run, and the setup workflow's job.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, OperationError, unreadable } from '../errors.js';
import { SETUP_JOB_NAME, SETUP_WORKFLOW_NAME, WORKFLOW_NAME } from '../plan/jobNames.js';
import { PROJECT_SLUG } from '../description/schema.js';
import { closest } from '../description/schemaKit.js';
import { circleciClient } from './circleci.js';
import type { CliIO } from './io.js';

export interface Durations {
  readonly seconds: ReadonlyMap<string, number>;
  /** Where they come from, for people: `durations.json`, `CircleCI Insights (median, last 90 days, branch master)`. */
  readonly source: string;
  /** What is odd about them, short of an error (a name no job has, a page left out). */
  readonly warnings: readonly string[];
}

export interface InsightsScope {
  readonly slug: string;
  /** The pipeline's branch; none for a tag pipeline (all branches are read). */
  readonly branch: string | undefined;
  /** The jobs whose durations are wanted (setup aside): those the branch has not run are read for all branches. */
  readonly jobs: readonly string[];
  /** Every job the description can produce (setup aside): a file naming another is warned about. */
  readonly known: readonly string[];
}

export async function readDurations(value: string, io: CliIO, scope: InsightsScope, command: string): Promise<Durations> {
  if (value === 'insights') return insightsDurations(io, scope, command);
  let text: string;
  try {
    text = await readFile(path.resolve(io.cwd, value), 'utf8');
  } catch (error) {
    throw new InputError(`${command}: --durations ${value}: ${unreadable(error)} (expected a JSON file of job durations, or "insights")`);
  }
  const where = `--durations ${value}`;
  const { seconds, morePages } = parseDurations(text, `${command}: ${where}`);
  const warnings: string[] = [];
  const known = new Set([SETUP_JOB_NAME, ...scope.known]);
  const strangers = [...seconds.keys()].filter((job) => !known.has(job));
  for (const job of strangers) {
    const hint = closest(job, [...known]);
    warnings.push(`${where}: no job is named ${JSON.stringify(job)}${hint !== undefined ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}; the jobs: ${[...known].join(', ')}`);
  }
  if (morePages) warnings.push(`${where}: an answer of CircleCI Insights with a next_page_token: only its first page is here (use --durations insights to read them all)`);
  return { seconds, source: value, warnings };
}

/**
 * `{"build-image": 95, ...}` (seconds), or the Insights answer `{"items": [{"name", "metrics":
 * {"duration_metrics": {"median"}}}]}`, and whether that answer says more pages follow. Anything
 * else is refused, naming what is wrong.
 */
export function parseDurations(text: string, where: string): { seconds: Map<string, number>; morePages: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError(`${where}: not JSON (expected {"JOB": SECONDS, ...} or CircleCI Insights' job metrics)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(`${where}: expected a JSON object: {"JOB": SECONDS, ...} or CircleCI Insights' job metrics`);
  }
  const record = parsed as Record<string, unknown>;
  const seconds = new Map<string, number>();
  if (Array.isArray(record.items)) {
    record.items.forEach((item: unknown, index) => {
      const job = item as { name?: unknown; metrics?: { duration_metrics?: { median?: unknown } } } | null;
      const median = job?.metrics?.duration_metrics?.median;
      if (typeof job?.name !== 'string') throw new InputError(`${where}: items[${index}] has no name (expected CircleCI Insights' job metrics)`);
      if (median === null) return; // Insights has no finished run of it.
      if (typeof median !== 'number' || !Number.isFinite(median) || median < 0) {
        throw new InputError(`${where}: items[${index}] (${JSON.stringify(job.name)}): metrics.duration_metrics.median is not a number of seconds`);
      }
      seconds.set(job.name, median);
    });
    return { seconds, morePages: typeof record.next_page_token === 'string' && record.next_page_token !== '' };
  }
  for (const [job, value] of Object.entries(record)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InputError(`${where}: ${JSON.stringify(job)}: expected seconds (a number, 0 or more), got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
    }
    seconds.set(job, value);
  }
  return { seconds, morePages: false };
}

async function insightsDurations(io: CliIO, scope: InsightsScope, command: string): Promise<Durations> {
  const client = await circleciClient(io, { by: `${command}: --durations insights`, otherwise: 'or pass --durations FILE' });
  if (!PROJECT_SLUG.test(scope.slug)) {
    throw new InputError(`${command}: --durations insights: project.slug ${JSON.stringify(scope.slug)} is not a CircleCI project slug (expected such as gh/acme/monolith)`);
  }
  const onBranch = scope.branch !== undefined ? { branch: scope.branch } : ({ allBranches: true } as const);
  const [jobs, setup] = await Promise.all([client.jobDurations(scope.slug, WORKFLOW_NAME, onBranch), client.jobDurations(scope.slug, SETUP_WORKFLOW_NAME, onBranch)]);
  const seconds = new Map(jobs);
  const setupSeconds = setup.get(SETUP_JOB_NAME);
  if (setupSeconds !== undefined) seconds.set(SETUP_JOB_NAME, setupSeconds);
  let source = `CircleCI Insights (median of the last 90 days, ${scope.branch !== undefined ? `branch ${scope.branch}` : 'all branches'})`;
  const missing = [SETUP_JOB_NAME, ...scope.jobs].filter((job) => !seconds.has(job));
  if (scope.branch !== undefined && missing.length > 0) {
    // Jobs that never ran on this branch yet, or only through a trigger of another branch.
    const [everyJob, everySetup] = await Promise.all([client.jobDurations(scope.slug, WORKFLOW_NAME, { allBranches: true }), client.jobDurations(scope.slug, SETUP_WORKFLOW_NAME, { allBranches: true })]);
    const added: string[] = [];
    const every = new Map([...everyJob, ...[...everySetup].filter(([job]) => job === SETUP_JOB_NAME)]);
    for (const job of missing) {
      const value = every.get(job);
      if (value !== undefined) {
        seconds.set(job, value);
        added.push(job);
      }
    }
    if (added.length > 0) source += `; of all branches for ${added.join(', ')}`;
  }
  if (!scope.jobs.some((job) => seconds.has(job))) {
    throw new OperationError(
      `${command}: --durations insights: CircleCI Insights has no duration for any job of this pipeline (workflow ${WORKFLOW_NAME} of ${scope.slug}, ${scope.branch !== undefined ? `branch ${scope.branch} or any` : 'all branches'}): it has run none yet, or project.slug names another project; pass --durations FILE`,
    );
  }
  return { seconds, source, warnings: [] };
}
