/**
 * Why tasks of a deployment stop, in words an operator acts on. Pure: ECS's own texts in, a cause
 * out. The patterns are ECS's documented stopped-task errors ("Amazon ECS stopped task error
 * messages", Amazon ECS Developer Guide): CannotPullContainerError, ResourceInitializationError
 * ("unable to pull secrets or registry auth"), "Essential container in task exited", the
 * SpotInterruption stop code, and the service event "unable to place a task. Reason: Capacity is
 * unavailable at this time".
 */
import type { Container, Task } from '@aws-sdk/client-ecs';

export type CauseKind = 'image-pull' | 'secrets' | 'container-exit' | 'capacity' | 'health-check' | 'other';

export interface Cause {
  readonly kind: CauseKind;
  /** One line for people. */
  readonly text: string;
}

function essentialExit(containers: readonly Container[]): Container | undefined {
  return containers.find((container) => container.exitCode !== undefined && container.exitCode !== 0) ?? containers.find((container) => container.exitCode !== undefined);
}

/** The cause of one stopped task. */
export function stoppedTaskCause(task: Task): Cause {
  const reason = task.stoppedReason ?? '';
  const containers = task.containers ?? [];
  const containerReasons = containers.map((container) => container.reason ?? '').join(' ');
  const all = `${reason} ${containerReasons}`;
  if (task.stopCode === 'SpotInterruption' || (task.capacityProviderName === 'FARGATE_SPOT' && /capacity/i.test(all))) {
    return { kind: 'capacity', text: `Fargate Spot capacity: the task was interrupted (${task.stopCode ?? reason}); not an application failure` };
  }
  if (/CannotPullContainerError/.test(all)) {
    return { kind: 'image-pull', text: `image pull: ${firstMatch(all, /CannotPullContainerError[^\n]*/)} (is the image still in the registry, and may the execution role pull it?)` };
  }
  if (/ResourceInitializationError/.test(all)) {
    const secrets = /secret|ssm|parameter/i.test(all);
    return {
      kind: secrets ? 'secrets' : 'other',
      text: `${secrets ? 'secrets' : 'task initialization'}: ${firstMatch(all, /ResourceInitializationError[^\n]*/)}${secrets ? ' (does each secret exist, and may the execution role read it?)' : ''}`,
    };
  }
  if (/Essential container in task exited/i.test(reason) || task.stopCode === 'EssentialContainerExited') {
    const exited = essentialExit(containers);
    return {
      kind: 'container-exit',
      text: exited ? `essential container ${exited.name ?? '?'} exited with code ${String(exited.exitCode)}${exited.reason ? ` (${exited.reason})` : ''}` : `an essential container exited (${reason})`,
    };
  }
  if (/health ?check/i.test(all)) return { kind: 'health-check', text: `health check: ${reason}` };
  if (/capacity/i.test(all)) return { kind: 'capacity', text: `capacity: ${reason}` };
  return { kind: 'other', text: reason || `stopped (${task.stopCode ?? 'no reason given'})` };
}

/** A stop that is part of a normal rollout (scale-in by the scheduler), not a failure. */
export function isRoutineStop(task: Task): boolean {
  return task.stopCode === 'ServiceSchedulerInitiated' && /scaling activity/i.test(task.stoppedReason ?? '');
}

/** A service event that says a task could not be placed for want of capacity, or undefined. */
export function capacityEventCause(message: string, spot: boolean): Cause | undefined {
  if (!/unable to place a task/i.test(message) || !/capacity/i.test(message)) return undefined;
  return {
    kind: 'capacity',
    text: spot
      ? 'capacity: Fargate could not place a task (Capacity is unavailable); the service places tasks on FARGATE_SPOT, whose capacity is short: not an application failure'
      : 'capacity: Fargate could not place a task (Capacity is unavailable); not an application failure',
  };
}

function firstMatch(text: string, pattern: RegExp): string {
  return (pattern.exec(text)?.[0] ?? '').trim();
}
