/**
 * One CircleCI pipeline of the e2e: the setup workflow's job, then the continuation config's
 * workflow, every job in `requires` order (a job starts once all it requires succeeded; jobs
 * whose requirements are met run at the same time; a job with `parallelism: N` runs N
 * containers at once), each container a fresh home and project directory under the run's
 * directory, run by the project's job runner (test/helpers/jobRunner.ts). An approval job is
 * approved as soon as it is reached, and says so.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../helpers/config.js';
import { expandJob, runJob, type JobRun, type Pipeline, type StepTime } from '../helpers/jobRunner.js';

export interface JobReport {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly exitCode: number;
  readonly requires: readonly string[];
  readonly parallelism: number;
  readonly approval?: true;
  /** Steps of each container (node 0 first). */
  readonly containers: readonly (readonly StepTime[])[];
}

export interface JobContext {
  readonly dir: string;
  /** Each container's log goes here, as CONTAINER.log; what it stores as artifacts under artifacts/CONTAINER/. */
  readonly logDir: string;
  readonly stubs: string;
  readonly pipeline: Pipeline;
  /** CircleCI's environment for this pipeline's jobs, without PATH and HOME. */
  readonly env: Record<string, string>;
  /** Job parameter overrides (the orb's /tmp/workspace stays per container). */
  readonly overrides?: Record<string, unknown>;
  /** Called with each job that ended (the ECR sync runs here). */
  readonly afterJob?: (job: JobReport) => Promise<void>;
  readonly log: (line: string) => void;
}

let containers = 0;

/** Runs the containers of one workflow job; its report. */
export async function runWorkflowJob(config: Config, name: string, requires: readonly string[], context: JobContext): Promise<JobReport> {
  const job = expandJob(config, name, context.pipeline, context.overrides ?? {});
  const start = Date.now();
  const runs: JobRun[] = await Promise.all(
    Array.from({ length: job.parallelism }, async (_, node) => {
      const container = `${String(++containers).padStart(2, '0')}-${name.replace(/\//g, '-')}${job.parallelism > 1 ? `-${node}` : ''}`;
      const dir = path.join(context.dir, container);
      mkdirSync(context.logDir, { recursive: true });
      const home = path.join(dir, 'home');
      const project = path.join(dir, 'project');
      mkdirSync(home, { recursive: true });
      mkdirSync(project, { recursive: true });
      return runJob(job, context.pipeline, { home, project, env: context.env, stubs: context.stubs, nodeIndex: node, log: path.join(context.logDir, `${container}.log`), artifacts: path.join(context.logDir, 'artifacts', container) });
    }),
  );
  const exitCode = runs.find((run) => run.status !== 0)?.status ?? 0;
  const report: JobReport = { name, start, end: Date.now(), exitCode, requires, parallelism: job.parallelism, containers: runs.map((run) => run.steps) };
  context.log(`  ${name}: exit ${exitCode} in ${((report.end - start) / 1000).toFixed(1)} s${job.parallelism > 1 ? ` (${job.parallelism} containers)` : ''}`);
  if (exitCode !== 0) {
    const failed = runs.find((run) => run.status !== 0);
    context.log(failed?.output.split('\n').slice(-25).map((line) => `    | ${line}`).join('\n') ?? '');
  }
  await context.afterJob?.(report);
  return report;
}

interface Entry {
  readonly name: string;
  readonly requires: readonly string[];
  readonly approval: boolean;
}

function entries(config: Config): Entry[] {
  const workflows = Object.values<Config>(config.workflows ?? {});
  if (workflows.length !== 1) throw new Error(`e2e: the continuation config has ${workflows.length} workflows; the e2e runs one`);
  return ((workflows[0] as Config).jobs as (string | Config)[]).map((item) => {
    if (typeof item === 'string') return { name: item, requires: [], approval: false };
    const [job, options] = Object.entries(item)[0] as [string, Config | null];
    return { name: String(options?.name ?? job), requires: (options?.requires ?? []) as string[], approval: options?.type === 'approval' };
  });
}

/** Runs the workflow of `config`; the reports of the jobs that ran (a job whose requirement failed does not run). */
export async function runWorkflow(config: Config, context: JobContext): Promise<JobReport[]> {
  const todo = entries(config);
  const done = new Map<string, JobReport>();
  const started = new Map<string, Promise<JobReport>>();
  for (;;) {
    const ready = todo.filter((entry) => !started.has(entry.name) && entry.requires.every((name) => done.get(name)?.exitCode === 0));
    for (const entry of ready) {
      if (entry.approval) {
        const now = Date.now();
        context.log(`  ${entry.name}: approved (an approval job; the e2e approves at once)`);
        started.set(entry.name, Promise.resolve({ name: entry.name, start: now, end: now, exitCode: 0, requires: entry.requires, parallelism: 1, approval: true, containers: [] }));
      } else {
        started.set(entry.name, runWorkflowJob(config, entry.name, entry.requires, context));
      }
    }
    const pending = [...started.entries()].filter(([name]) => !done.has(name));
    if (pending.length === 0) break;
    const finished = await Promise.race(pending.map(async ([name, promise]) => ({ name, report: await promise })));
    done.set(finished.name, finished.report);
  }
  return todo.flatMap((entry) => done.get(entry.name) ?? []);
}
