/**
 * Where a deploy's time went. The engine's own phases (checks, waiting for another deployment,
 * register, one-off tasks, services, targets and schedules) are timed on our clock, since they
 * are our work. What happened inside a service's rollout is read from ECS's own timestamps after
 * it: the deployment's `createdAt` and `updatedAt`, and its tasks' `createdAt` (placed),
 * `pullStartedAt`/`pullStoppedAt` (image pull) and `startedAt` (running), not from our polling,
 * which sees a change only at its next poll.
 *
 * Every figure of a service is seconds from its deployment's start. A rolling deployment
 * completes after its new tasks run, pass their health checks, and the old tasks drain (a target
 * group's deregistration delay is 300 s by default): `completed - running` is that wait.
 */
import { duration } from '../duration.js';
import type { Deployment, ECSClient, Task } from '@aws-sdk/client-ecs';
import type { CallHooks } from './calls.js';
import { deploymentTasks, deploymentTasksOf, describeService } from './state.js';

export interface PhaseTime {
  /** checks, waiting, register, tasks, services, targets. */
  readonly phase: string;
  readonly seconds: number;
}

export interface ServiceTimings {
  readonly service: string;
  readonly deploymentId: string;
  /** The deployment's start (ECS's createdAt), ISO. */
  readonly startedAt?: string;
  /** Tasks of the deployment read (running ones). */
  readonly tasks: number;
  /** Seconds from the deployment's start: the first task placed, the last one running, the deployment completed. */
  readonly placed?: number;
  readonly running?: number;
  /** `--wait-until serving`: when the deploy saw the new revision serve (its own clock, at a poll). */
  readonly serving?: number;
  /**
   * When the last task of the deployments ours replaced had stopped (`stoppedAt`): behind a load
   * balancer, ECS stops an old task only after its targets drained (the deregistration delay),
   * then gives it `stopTimeout` to exit. Read once ours completed; stops before ours began (an
   * older crash, a scale-in) do not count, nor one before ours ran (no room for new tasks).
   */
  readonly oldTasksStopped?: number;
  readonly completed?: number;
  /** The longest image pull of its tasks, in seconds. */
  readonly pull?: number;
}

export interface DeployTimings {
  readonly seconds: number;
  readonly phases: readonly PhaseTime[];
  readonly services: readonly ServiceTimings[];
}

/** Times the engine's phases on one clock; a phase ends where the next begins. */
export class PhaseClock {
  readonly #now: () => number;
  readonly #started: number;
  readonly #phases: { phase: string; from: number; to?: number }[] = [];

  constructor(now: () => number) {
    this.#now = now;
    this.#started = now();
  }

  start(phase: string): void {
    this.end();
    this.#phases.push({ phase, from: this.#now() });
  }

  end(): void {
    const last = this.#phases.at(-1);
    if (last && last.to === undefined) last.to = this.#now();
  }

  timings(services: readonly ServiceTimings[] = []): DeployTimings {
    this.end();
    return {
      seconds: round((this.#now() - this.#started) / 1000),
      phases: this.#phases.map((item) => ({ phase: item.phase, seconds: round(((item.to ?? this.#now()) - item.from) / 1000) })),
      services,
    };
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

function secondsBetween(from: Date | undefined, to: Date | undefined): number | undefined {
  return from && to ? round((to.getTime() - from.getTime()) / 1000) : undefined;
}

/** The latest (`Math.max`) or earliest (`Math.min`) of the dates known. */
function extreme(pick: (...values: number[]) => number, dates: readonly (Date | undefined)[]): Date | undefined {
  const known = dates.filter((date): date is Date => date instanceof Date);
  return known.length === 0 ? undefined : new Date(pick(...known.map((date) => date.getTime())));
}

/** A service's timings from its deployment and that deployment's tasks, as ECS reports them (pure). */
export function serviceTimingsOf(service: string, deployment: Deployment, tasks: readonly Task[], servingAt?: string, oldTasks: readonly Task[] = []): ServiceTimings {
  const start = deployment.createdAt;
  const pulls = tasks.map((task) => secondsBetween(task.pullStartedAt, task.pullStoppedAt)).filter((value): value is number => value !== undefined);
  const placed = secondsBetween(start, extreme(Math.min, tasks.map((task) => task.createdAt)));
  const running = secondsBetween(start, extreme(Math.max, tasks.map((task) => task.startedAt)));
  const completed = deployment.rolloutState === 'COMPLETED' ? secondsBetween(start, deployment.updatedAt) : undefined;
  const serving = servingAt !== undefined ? secondsBetween(start, new Date(servingAt)) : undefined;
  const stops = oldTasks.map((task) => task.stoppedAt).filter((at) => at !== undefined && start !== undefined && at.getTime() >= start.getTime());
  const stopped = secondsBetween(start, extreme(Math.max, stops));
  const oldTasksStopped = stopped !== undefined && (running === undefined || stopped >= running) ? stopped : undefined;
  return {
    service,
    deploymentId: deployment.id ?? '?',
    ...(start ? { startedAt: start.toISOString() } : {}),
    tasks: tasks.length,
    ...(placed !== undefined ? { placed } : {}),
    ...(running !== undefined ? { running } : {}),
    ...(serving !== undefined ? { serving } : {}),
    ...(oldTasksStopped !== undefined ? { oldTasksStopped } : {}),
    ...(completed !== undefined ? { completed } : {}),
    ...(pulls.length > 0 ? { pull: Math.max(...pulls) } : {}),
  };
}

/**
 * Reads a deployment and its running tasks, and, once it completed, the stopped tasks of the
 * deployments it replaced; undefined when ECS no longer has it.
 */
export async function readServiceTimings(
  ecs: ECSClient,
  cluster: string,
  service: string,
  deploymentId: string,
  hooks: CallHooks,
  seen: { readonly servingAt?: string | undefined; readonly replaced?: readonly string[] } = {},
): Promise<ServiceTimings | undefined> {
  const described = await describeService(ecs, cluster, service, hooks);
  const deployment = described?.deployments?.find((item) => item.id === deploymentId);
  if (!deployment) return undefined;
  const completed = deployment.rolloutState === 'COMPLETED';
  const replaced = (seen.replaced ?? []).filter((id) => id !== deploymentId);
  const [tasks, oldTasks] = await Promise.all([
    deploymentTasks(ecs, cluster, service, deploymentId, hooks),
    // The service's stopped tasks, once: each old task's startedBy names its deployment. Not read
    // (left out of the line) rather than losing the rest of the service's figures.
    completed && replaced.length > 0
      ? deploymentTasksOf(ecs, cluster, service, replaced, hooks).catch(() => [])
      : Promise.resolve([]),
  ]);
  return serviceTimingsOf(service, deployment, tasks, seen.servingAt, oldTasks);
}

/**
 * The one line a deploy ends with: `deployed in 3m12s: running at 1m35s (pull 25s), completed at
 * 3m05s (1m30s after running: health checks and draining); checks 4s, register 1s, services
 * 3m05s, targets 2s`. The slowest service speaks for the rollout.
 */
export function timingSummary(timings: DeployTimings, verb = 'deployed'): string {
  const phases = timings.phases.filter((item) => item.seconds >= 0.05).map((item) => `${item.phase} ${duration(item.seconds)}`).join(', ');
  const slowest = [...timings.services].sort((a, b) => (b.completed ?? b.serving ?? b.running ?? 0) - (a.completed ?? a.serving ?? a.running ?? 0))[0];
  const parts: string[] = [];
  if (slowest?.running !== undefined) parts.push(`running at ${duration(slowest.running)}${slowest.pull !== undefined ? ` (pull ${duration(slowest.pull)})` : ''}`);
  if (slowest?.serving !== undefined) parts.push(`serving at ${duration(slowest.serving)} (old tasks left to drain)`);
  if (slowest?.oldTasksStopped !== undefined) {
    const after = slowest.running !== undefined ? ` (${duration(Math.max(0, slowest.oldTasksStopped - slowest.running))} after running: health checks and draining)` : '';
    parts.push(`old tasks stopped at ${duration(slowest.oldTasksStopped)}${after}`);
  }
  if (slowest?.completed !== undefined) {
    const after = slowest.running !== undefined && slowest.oldTasksStopped === undefined ? ` (${duration(Math.max(0, slowest.completed - slowest.running))} after running: health checks and draining)` : '';
    parts.push(`completed at ${duration(slowest.completed)}${after}`);
  }
  const rollout = parts.length > 0 ? `${slowest && timings.services.length > 1 ? `${slowest.service} ` : ''}${parts.join(', ')}; ` : '';
  return `${verb} in ${duration(timings.seconds)}: ${rollout}${phases}`;
}
