/**
 * The deploy step between registering the new revisions and changing any service: the
 * environment's one-off tasks (migrations), in order, each on the new revision of its service's
 * task definition. Each run is journaled (sent, then its outcome). A run is not undone by a
 * rollback (a migration cannot be un-run by us): migrations must suit the previous revision too.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ContainerDefinition, ECSClient, Service } from '@aws-sdk/client-ecs';
import { oneOffTask, runOneOff, TaskFailure, type OneOffSpec, type RunHooks, type TaskTimings } from './runTask.js';
import type { Send } from './schedules.js';
import type { Sends } from './state.js';

/** A one-off task of the deploy record. */
export interface TaskRun {
  state: 'planned' | 'sending' | 'applied' | 'refused' | 'superseded' | 'restored' | 'left';
  error?: string;
  left?: string;
  readonly name: string;
  readonly service: string;
  /** The revision it runs (set once registered). */
  taskDefinition?: string;
  taskArn?: string;
  exitCode?: number;
  stoppedReason?: string;
  /** Where its time went (waiting for capacity, pull, run), by ECS's timestamps. */
  timings?: TaskTimings;
}

export interface TaskJournal {
  change<T>(items: TaskRun, call: () => Promise<T>): Promise<T>;
  save(): Promise<void>;
}

export interface TaskContext {
  readonly cluster: string;
  /** The services as described before the deploy (network configuration, launch type). */
  readonly services: readonly Service[];
  /** Containers named per service in the description or flags. */
  readonly serviceContainers: ReadonlyMap<string, readonly string[] | undefined>;
  /** The new revision registered for a task definition ARN (itself when unchanged). */
  readonly revisionOf: (arn: string) => string;
  /** The containers of the new revision of a task definition ARN. */
  readonly containersOf: (arn: string) => readonly ContainerDefinition[];
}

export function plannedRuns(specs: readonly OneOffSpec[]): TaskRun[] {
  return specs.map((spec) => ({ state: 'planned', name: spec.name, service: spec.service }));
}

/** Runs each task in order; throws the first TaskFailure (later tasks are not started). */
export async function runTasksBeforeServices(
  ecs: ECSClient,
  logs: Sends<CloudWatchLogsClient>,
  journal: TaskJournal,
  runs: readonly TaskRun[],
  specs: readonly OneOffSpec[],
  context: TaskContext,
  send: Send,
  hooks: RunHooks,
): Promise<void> {
  for (const run of runs) {
    if (hooks.signal?.aborted === true) return;
    const spec = specs.find((candidate) => candidate.name === run.name);
    const service = context.services.find((candidate) => candidate.serviceName === run.service);
    if (spec === undefined || service?.taskDefinition === undefined) throw new TaskFailure(`task ${run.name}: service ${run.service} is not among the services deployed`, [], { name: run.name });
    const revision = context.revisionOf(service.taskDefinition);
    run.taskDefinition = revision;
    const task = oneOffTask(spec, context.cluster, service, revision, context.containersOf(service.taskDefinition), context.serviceContainers.get(run.service));
    try {
      const result = await journal.change(run, () => runOneOff(ecs, logs, task, send, hooks));
      run.taskArn = result.taskArn;
      if (result.exitCode !== undefined) run.exitCode = result.exitCode;
      if (result.stoppedReason !== undefined) run.stoppedReason = result.stoppedReason;
      if (result.timings !== undefined) run.timings = result.timings;
    } catch (error) {
      if (error instanceof TaskFailure) {
        if (error.result.taskArn !== undefined) run.taskArn = error.result.taskArn;
        if (error.result.exitCode !== undefined) run.exitCode = error.result.exitCode;
        if (error.result.stoppedReason !== undefined) run.stoppedReason = error.result.stoppedReason;
        if (error.result.timings !== undefined) run.timings = error.result.timings;
        // It ran and ended (or never started): a definite outcome, not an unknown one.
        run.state = 'refused';
      }
      await journal.save();
      throw error;
    }
    await journal.save();
  }
}
