/**
 * One-off tasks (database migrations) with RunTask: started like the service runs its tasks
 * (its network configuration, launch type, platform version), watched until STOPPED, the named
 * container's log lines shown as they arrive, and a success only when that container exited
 * with code 0. A task whose image cannot be pulled, whose secrets or log group cannot be read,
 * or that is stopped by someone else has no exit code: that is a failure, with the reasons ECS
 * gives (`stoppedReason`, `stopCode`, the container's `reason`), never a silent exit 0.
 */
import {
  DescribeTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type LaunchType,
  type ContainerDefinition,
  type NetworkConfiguration,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { duration } from '../duration.js';
import { InputError, OperationError } from '../errors.js';
import { maskEchoed } from '../secrets/redact.js';
import { defaultSleep } from './calls.js';
import type { Send } from './schedules.js';
import type { Sends } from './state.js';
import { awsLogsOf, logFollower, logStreamName, type AwsLogs } from './taskLogs.js';

export interface OneOffTask {
  /** The task's name in the project description (`migrate`). */
  readonly name: string;
  readonly cluster: string;
  /** Task definition ARN (by default the service's new revision). */
  readonly taskDefinition: string;
  /** The container whose exit code decides, and whose command is replaced. */
  readonly container: string;
  readonly command?: readonly string[];
  readonly networkConfiguration?: NetworkConfiguration;
  readonly launchType?: LaunchType;
  readonly platformVersion?: string;
  /** The task definition's containers: their environment values are masked in the log lines shown. */
  readonly containers?: readonly ContainerDefinition[];
  /** Where the container's log lines go (from its task definition), if to CloudWatch Logs. */
  readonly logs?: AwsLogs;
  readonly timeoutMs: number;
}

export interface RunHooks {
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  readonly pollMs?: { readonly first: number; readonly max: number };
}

export interface TaskResult {
  readonly name: string;
  readonly taskArn: string;
  readonly exitCode?: number;
  readonly stoppedReason?: string;
  readonly stopCode?: string;
  readonly durationMs: number;
  /** Where its time went, by ECS's timestamps. */
  readonly timings?: TaskTimings;
}

/**
 * A one-off task's time by ECS's own timestamps, in seconds: from placed (`createdAt`) to its
 * image pull starting, or to its start when there was none (waiting for capacity: provisioning,
 * the network interface), the pull,
 * and the run (`startedAt` to `executionStoppedAt`, else `stoppedAt`). A figure ECS did not
 * report is left out.
 */
export interface TaskTimings {
  readonly waiting?: number;
  readonly pull?: number;
  readonly run?: number;
}

export function taskTimingsOf(task: Task): TaskTimings {
  const between = (from: Date | undefined, to: Date | undefined) => (from && to ? Math.round((to.getTime() - from.getTime()) / 100) / 10 : undefined);
  // No pull reported (an image already on an EC2 host): placed until started is all waiting.
  const waiting = between(task.createdAt, task.pullStartedAt ?? task.startedAt);
  const pull = between(task.pullStartedAt, task.pullStoppedAt);
  const run = between(task.startedAt, task.executionStoppedAt ?? task.stoppedAt);
  return { ...(waiting !== undefined ? { waiting } : {}), ...(pull !== undefined ? { pull } : {}), ...(run !== undefined ? { run } : {}) };
}

function timingsText(timings: TaskTimings): string {
  const parts = [
    ...(timings.waiting !== undefined ? [`waiting for capacity ${duration(timings.waiting)}`] : []),
    ...(timings.pull !== undefined ? [`pull ${duration(timings.pull)}`] : []),
    ...(timings.run !== undefined ? [`run ${duration(timings.run)}`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** A one-off task that did not end with exit code 0; `result` says how it ended, if it started. */
export class TaskFailure extends OperationError {
  constructor(
    message: string,
    details: readonly string[],
    readonly result: Partial<TaskResult> & { readonly name: string },
  ) {
    super(message, details);
  }
}

/** Why a stopped task stopped, one reason a line, as ECS reports it. */
export function stopReasons(task: Task): string[] {
  const lines: string[] = [];
  if (task.stoppedReason) lines.push(`stopped: ${task.stoppedReason}${task.stopCode ? ` (${task.stopCode})` : ''}`);
  for (const container of task.containers ?? []) {
    const parts = [container.exitCode !== undefined ? `exit code ${container.exitCode}` : 'no exit code', ...(container.reason ? [container.reason] : [])];
    lines.push(`container ${container.name ?? '?'}: ${parts.join(', ')}`);
  }
  return lines;
}

export async function runOneOff(ecs: ECSClient, logs: Sends<CloudWatchLogsClient> | undefined, task: OneOffTask, send: Send, hooks: RunHooks): Promise<TaskResult> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? defaultSleep;
  const started = now();
  const label = `task ${task.name}`;
  const answer = await send(`RunTask ${task.name}`, () =>
    ecs.send(
      new RunTaskCommand({
        cluster: task.cluster,
        taskDefinition: task.taskDefinition,
        count: 1,
        startedBy: 'circle-fargate',
        launchType: task.launchType ?? 'FARGATE',
        ...(task.platformVersion !== undefined ? { platformVersion: task.platformVersion } : {}),
        ...(task.networkConfiguration !== undefined ? { networkConfiguration: task.networkConfiguration } : {}),
        ...(task.command !== undefined ? { overrides: { containerOverrides: [{ name: task.container, command: [...task.command] }] } } : {}),
      }),
    ),
  );
  const arn = answer.tasks?.[0]?.taskArn;
  if (arn === undefined) {
    const failures = (answer.failures ?? []).map((failure) => `${failure.reason ?? '?'}${failure.detail ? `: ${failure.detail}` : ''}`);
    throw new TaskFailure(`${label} did not start: ${failures.join('; ') || 'RunTask returned no task'}`, [], { name: task.name });
  }
  hooks.progress(`${label}: started ${arn.split('/').pop() ?? arn} (${task.taskDefinition.split('/').pop() ?? ''}, container ${task.container})`);
  const follower = logs !== undefined && task.logs !== undefined ? logFollower(logs, task.logs.group, logStreamName(task.logs, task.container, arn), send) : undefined;
  // A task may print its own environment: those values are masked, names kept (maskEchoed).
  const show = (lines: readonly string[]) => {
    for (const line of lines) hooks.progress(`${task.name} | ${task.containers ? maskEchoed(line, { containerDefinitions: task.containers }) : line}`);
  };

  let wait = hooks.pollMs?.first ?? 1000;
  const maxWait = hooks.pollMs?.max ?? 2000;
  let last = '';
  let stopped: Task | undefined;
  let stopping: string | undefined;
  while (stopped === undefined) {
    if (stopping === undefined && (hooks.signal?.aborted === true || now() - started >= task.timeoutMs)) {
      stopping = hooks.signal?.aborted === true ? 'stopped on a signal' : `no end within ${task.timeoutMs / 1000} s`;
      hooks.progress(`${label}: ${stopping}: stopping it`);
      await send(`StopTask ${task.name}`, () => ecs.send(new StopTaskCommand({ cluster: task.cluster, task: arn, reason: `circle-fargate: ${stopping ?? ''}` })));
      // Waiting for STOPPED after this is bounded: ECS gives the container 30 s (stopTimeout).
    }
    await sleep(wait, stopping === undefined ? hooks.signal : undefined);
    wait = Math.min(maxWait, Math.round(wait * 1.5));
    const described = await send(`DescribeTasks ${task.name}`, () => ecs.send(new DescribeTasksCommand({ cluster: task.cluster, tasks: [arn] })));
    const current = described.tasks?.[0];
    if (current === undefined) throw new TaskFailure(`${label}: ECS no longer knows task ${arn}`, [], { name: task.name, taskArn: arn });
    if (follower !== undefined) show(await follower.poll());
    if (current.lastStatus !== last) {
      last = current.lastStatus ?? '';
      hooks.progress(`${label}: ${last}`);
    }
    if (current.lastStatus === 'STOPPED') stopped = current;
    else if (stopping !== undefined && now() - started >= task.timeoutMs + 120_000) {
      throw new TaskFailure(`${label}: ${stopping}, and it did not stop within 120 s of StopTask`, [], { name: task.name, taskArn: arn });
    }
  }
  if (follower !== undefined) show(await follower.drain());

  const container = (stopped.containers ?? []).find((candidate) => candidate.name === task.container);
  const timings = taskTimingsOf(stopped);
  const result: TaskResult = {
    name: task.name,
    taskArn: arn,
    durationMs: now() - started,
    ...(Object.keys(timings).length > 0 ? { timings } : {}),
    ...(container?.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
    ...(stopped.stoppedReason ? { stoppedReason: stopped.stoppedReason } : {}),
    ...(stopped.stopCode ? { stopCode: stopped.stopCode } : {}),
  };
  const reasons = stopReasons(stopped);
  if (stopping !== undefined) throw new TaskFailure(`${label} failed: ${stopping}`, reasons, result);
  if (container === undefined) throw new TaskFailure(`${label} failed: the task has no container named ${task.container}`, reasons, result);
  if (container.exitCode !== 0) {
    const how = container.exitCode === undefined ? 'never ran to an exit code' : `exited with code ${container.exitCode}`;
    throw new TaskFailure(`${label} failed: container ${task.container} ${how}${stopped.stoppedReason ? ` (${stopped.stoppedReason})` : ''}`, reasons, result);
  }
  hooks.progress(`${label}: container ${task.container} exited with code 0 after ${Math.round(result.durationMs / 1000)} s${timingsText(timings)}`);
  return result;
}

/** A one-off task of the project description, its service resolved. */
export interface OneOffSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly service: string;
  readonly container?: string;
  /** Seconds. */
  readonly timeout: number;
}

/**
 * The RunTask of a described one-off task: the task definition `taskDefinitionArn` (whose
 * containers are `containers`), the service's network configuration, launch type and platform
 * version. The container is the task's own, else the service's first named one, else the first
 * essential container.
 */
export function oneOffTask(
  spec: OneOffSpec,
  cluster: string,
  service: Pick<Service, 'networkConfiguration' | 'launchType' | 'platformVersion'>,
  taskDefinitionArn: string,
  containers: readonly ContainerDefinition[],
  serviceContainers?: readonly string[],
): OneOffTask {
  const container = spec.container ?? serviceContainers?.[0] ?? containers.find((candidate) => candidate.essential !== false)?.name;
  const definition = containers.find((candidate) => candidate.name === container);
  if (container === undefined || definition === undefined) {
    const names = containers.map((candidate) => candidate.name ?? '?').join(', ');
    throw new InputError(`task ${spec.name}: no container ${container ?? '(none)'} in ${taskDefinitionArn.split('/').pop() ?? taskDefinitionArn} (containers: ${names}); set the task's "container"`);
  }
  const logs = awsLogsOf(definition);
  const launchType = service.launchType === 'EC2' || service.launchType === 'EXTERNAL' ? service.launchType : 'FARGATE';
  return {
    name: spec.name,
    cluster,
    taskDefinition: taskDefinitionArn,
    container,
    command: spec.command,
    containers,
    launchType,
    ...(service.networkConfiguration !== undefined ? { networkConfiguration: service.networkConfiguration } : {}),
    ...(service.platformVersion !== undefined && launchType === 'FARGATE' ? { platformVersion: service.platformVersion } : {}),
    ...(logs !== undefined ? { logs } : {}),
    timeoutMs: spec.timeout * 1000,
  };
}
