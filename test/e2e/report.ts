/**
 * The e2e's timing report: per pipeline and job, start and end (seconds after the push or
 * trigger), exit code and each step's time; the critical path from the push to the end of the
 * deploy step (the deploy engine returns once ECS reports the new revision's rollout COMPLETED:
 * production runs the new image); and how much of that path is circle-fargate's own work
 * (checkout, install, generate, assuming the role, the workspace, the deploy engine's time
 * beyond waiting for ECS) against the work itself (build, tests, Terraform, ECS's rollout and
 * the migration task).
 */
import type { JobReport } from './pipeline.js';

export interface PipelineReport {
  readonly name: string;
  readonly sha: string;
  readonly pushedAt: number;
  readonly triggerSource: string;
  readonly baseRevision: string;
  readonly deployEnv: string;
  readonly jobs: readonly JobReport[];
}

export function pipelineSummary(name: string, options: Omit<PipelineReport, 'name' | 'jobs'>, jobs: readonly JobReport[]): PipelineReport {
  return { name, ...options, jobs };
}

/** Steps that are circle-fargate's own (the orb's plumbing and the generator), by name. */
const OWN = /checkout|circle-fargate|generate the pipeline|aws role|oidc|workspace/i;
/** The deploy step of a deploy job (its own time is what is left after ECS's). */
const DEPLOY = /^Deploy /;

interface ProxyCall {
  readonly operation: string;
  readonly at: number;
}

/**
 * Milliseconds of [start, end] spent waiting for ECS: each rollout (UpdateService to the last
 * DescribeServices of the polls that follow it) and one-off task (RunTask to its last
 * DescribeTasks). A wait ends at the first other call: what the engine does after the rollout
 * (moving the rules' targets, then reading the rollout's timings) is its own time.
 */
function ecsWait(calls: readonly ProxyCall[], start: number, end: number): number {
  const within = calls.filter((call) => call.at >= start && call.at <= end);
  let total = 0;
  const span = (from: string, polls: readonly string[]) => {
    const first = within.findIndex((call) => call.operation === from);
    if (first < 0) return;
    let last: ProxyCall | undefined;
    for (const call of within.slice(first + 1)) {
      if (!polls.includes(call.operation)) break;
      if (call.operation === polls[0]) last = call;
    }
    if (last !== undefined) total += last.at - (within[first] as ProxyCall).at;
  };
  // A one-off task's polls, and its logs read while it runs; a rollout's polls (the serving
  // check's reads of tasks and target health among them).
  span('RunTask', ['DescribeTasks', 'GetLogEvents']);
  span('UpdateService', ['DescribeServices', 'ListTasks', 'DescribeTasks', 'DescribeTargetHealth']);
  return total;
}

const s = (ms: number) => Math.round(ms) / 1000;

export interface Segment {
  readonly job: string;
  readonly step: string;
  readonly seconds: number;
  readonly kind: 'circle-fargate' | 'work' | 'ecs' | 'between jobs';
}

/** The critical path of a pipeline to the end of `deployJob`'s deploy step. */
export function criticalPath(pipeline: PipelineReport, deployJob: string, calls: readonly ProxyCall[]) {
  const byName = new Map(pipeline.jobs.map((job) => [job.name, job]));
  const target = byName.get(deployJob);
  if (target === undefined) return undefined;
  const chain: JobReport[] = [target];
  for (let job = target; job.requires.length > 0; ) {
    const previous = job.requires.map((name) => byName.get(name)).filter((item): item is JobReport => item !== undefined).sort((a, b) => b.end - a.end)[0];
    if (previous === undefined) break;
    chain.unshift(previous);
    job = previous;
  }
  const setup = pipeline.jobs[0] as JobReport;
  chain.unshift(setup);
  const segments: Segment[] = [];
  let at = pipeline.pushedAt;
  let productionAt = target.end;
  for (const job of chain) {
    if (job.start > at) segments.push({ job: job.name, step: '(waiting to start)', seconds: s(job.start - at), kind: 'between jobs' });
    // The container that ended last carries the path through a parallel job.
    const steps = [...job.containers].sort((a, b) => (b.at(-1)?.end ?? 0) - (a.at(-1)?.end ?? 0))[0] ?? [];
    for (const step of steps) {
      if (job === target && step.start > productionAt) break;
      if (DEPLOY.test(step.name)) {
        const ecs = ecsWait(calls, step.start, step.end);
        segments.push({ job: job.name, step: step.name, seconds: s(step.end - step.start - ecs), kind: 'circle-fargate' });
        segments.push({ job: job.name, step: 'ECS: migration task and rollout', seconds: s(ecs), kind: 'ecs' });
        if (job === target) productionAt = step.end;
      } else {
        segments.push({ job: job.name, step: step.name, seconds: s(step.end - step.start), kind: OWN.test(step.name) ? 'circle-fargate' : 'work' });
      }
    }
    at = job.end;
  }
  const sum = (kind: Segment['kind']) => Math.round(segments.filter((segment) => segment.kind === kind).reduce((total, segment) => total + segment.seconds, 0) * 1000) / 1000;
  return {
    to: `${deployJob}: its deploy step ended (ECS reported the rollout of the new revision COMPLETED)`,
    jobs: chain.map((job) => job.name),
    totalSeconds: s(productionAt - pipeline.pushedAt),
    circleFargateSeconds: sum('circle-fargate'),
    workSeconds: sum('work'),
    ecsSeconds: sum('ecs'),
    betweenJobsSeconds: sum('between jobs'),
    segments,
  };
}

/** A pipeline as the report holds it: times in seconds after the push (or trigger). */
export function pipelineJson(pipeline: PipelineReport) {
  const rel = (ms: number) => s(ms - pipeline.pushedAt);
  return {
    name: pipeline.name,
    revision: pipeline.sha,
    triggerSource: pipeline.triggerSource,
    baseRevision: pipeline.baseRevision,
    deployEnv: pipeline.deployEnv,
    pushedAt: new Date(pipeline.pushedAt).toISOString(),
    jobs: pipeline.jobs.map((job) => ({
      name: job.name,
      start: rel(job.start),
      end: rel(job.end),
      seconds: s(job.end - job.start),
      exitCode: job.exitCode,
      requires: job.requires,
      ...(job.approval ? { approval: true } : {}),
      containers: job.containers.map((steps) => steps.map((step) => ({ name: step.name, start: rel(step.start), seconds: s(step.end - step.start), exitCode: step.status }))),
    })),
  };
}

/** The slowest container's time of the first step of `job` whose name matches. */
export function stepSeconds(pipeline: PipelineReport, job: string, step: RegExp): number | undefined {
  const found = pipeline.jobs.find((item) => item.name === job);
  const times = (found?.containers ?? []).flatMap((steps) => steps.filter((item) => step.test(item.name)).map((item) => item.end - item.start));
  return times.length > 0 ? s(Math.max(...times)) : undefined;
}

export function formatPipeline(pipeline: PipelineReport): string {
  const json = pipelineJson(pipeline);
  const lines = [`${json.name} (${json.revision.slice(0, 12)})`, '  job                              start     end   secs  exit'];
  for (const job of json.jobs) {
    lines.push(`  ${job.name.padEnd(30)} ${job.start.toFixed(1).padStart(7)} ${job.end.toFixed(1).padStart(7)} ${job.seconds.toFixed(1).padStart(6)}  ${job.exitCode}${job.approval ? ' (approval)' : ''}`);
    const slowest = [...job.containers].sort((a, b) => b.reduce((t, x) => t + x.seconds, 0) - a.reduce((t, x) => t + x.seconds, 0))[0] ?? [];
    for (const step of slowest.filter((item) => item.seconds >= 0.05)) lines.push(`      ${step.seconds.toFixed(2).padStart(7)} s  ${step.name}`);
  }
  return lines.join('\n');
}
