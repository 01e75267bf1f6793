/**
 * Watching one deployment of one service by its id until it completes, fails, is replaced or
 * runs out of time. Not `waitUntilServicesStable`: that polls every 15 s, calls a circuit-breaker
 * rollback a success and turns AccessDenied into a timeout. While watching, the stopped tasks of
 * our deployment are read, their causes printed, and the watch fails after `maxFailedTasks`
 * failed tasks rather than at the timeout.
 */
import type { Deployment, ECSClient, Service } from '@aws-sdk/client-ecs';
import { defaultSleep, type CallHooks } from './calls.js';
import { capacityEventCause, isRoutineStop, stoppedTaskCause, type Cause } from './causes.js';
import type { ServingCheck } from './serving.js';
import { describeService, serviceTasks } from './state.js';
import { shortArn } from './taskDefinition.js';

export interface WatchHooks extends CallHooks {
  readonly progress: (line: string) => void;
  /** A service's rollout counts, as they change: a live display may redraw them in place. */
  readonly status?: (service: string, line: string) => void;
  readonly now?: () => number;
  /** Polling: first wait, and the longest wait between polls. */
  readonly pollMs?: { readonly first: number; readonly max: number };
}

export interface WatchTarget {
  readonly cluster: string;
  readonly service: string;
  /** The task definition our deployment runs. */
  readonly taskDefinition: string;
  /** Our deployment's id when known (UpdateService's answer). */
  readonly deploymentId?: string;
  readonly timeoutMs: number;
  /** Fail after this many failed tasks of our deployment. */
  readonly maxFailedTasks: number;
  /** Events already shown (of the UpdateService answer). */
  readonly initial?: Service;
  /**
   * `--wait-until serving`: asked at each poll once the deployment runs all its tasks; the watch
   * ends `serving` as soon as it says so, without waiting for the old tasks to drain.
   */
  readonly serving?: (service: Service, deployment: Deployment) => Promise<ServingCheck>;
}

export type WatchResult =
  | { readonly kind: 'completed'; readonly deploymentId?: string }
  /** `--wait-until serving`: every new task runs, healthy, in every target group. */
  | { readonly kind: 'serving'; readonly deploymentId?: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly causes: readonly Cause[] }
  | { readonly kind: 'superseded'; readonly by: string; readonly deploymentId?: string }
  | { readonly kind: 'timeout'; readonly reason: string; readonly causes: readonly Cause[] }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'gone' }
  /** The service runs our revision, but ECS lists no deployment of it: the rollout cannot be watched. */
  | { readonly kind: 'unidentified'; readonly reason: string };

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function usesSpot(service: Service): boolean {
  return (service.capacityProviderStrategy ?? []).some((item) => item.capacityProvider === 'FARGATE_SPOT' && (item.weight ?? 0) > 0);
}

function findOurs(service: Service, target: WatchTarget, known: string | undefined): Deployment | undefined {
  const deployments = service.deployments ?? [];
  if (known !== undefined) return deployments.find((deployment) => deployment.id === known);
  return deployments.find((deployment) => deployment.taskDefinition === target.taskDefinition && deployment.status === 'PRIMARY');
}

export async function watchDeployment(ecs: ECSClient, target: WatchTarget, hooks: WatchHooks): Promise<WatchResult> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? defaultSleep;
  const deadline = now() + target.timeoutMs;
  const seenEvents = new Set((target.initial?.events ?? []).map((event) => event.id));
  const seenTasks = new Set<string>();
  const causes: Cause[] = [];
  let known = target.deploymentId;
  let wait = hooks.pollMs?.first ?? 1000;
  const maxWait = hooks.pollMs?.max ?? 2000;
  let last = '';
  let notServing = '';
  const say = (line: string) => {
    hooks.progress(`service ${target.service}: ${line}`);
  };
  for (;;) {
    if (hooks.signal?.aborted === true) return { kind: 'stopped' };
    if (now() >= deadline) {
      return { kind: 'timeout', reason: `deployment ${known ?? `of ${shortArn(target.taskDefinition)}`} did not complete within ${target.timeoutMs / 1000} s`, causes };
    }
    await sleep(Math.min(wait, Math.max(0, deadline - now())), hooks.signal);
    if (aborted(hooks.signal)) return { kind: 'stopped' };
    wait = Math.min(maxWait, Math.round(wait * 1.5));
    const service = await describeService(ecs, target.cluster, target.service, hooks);
    if (!service) return { kind: 'gone' };
    for (const event of [...(service.events ?? [])].reverse()) {
      if (event.id === undefined || seenEvents.has(event.id)) continue;
      seenEvents.add(event.id);
      say(event.message ?? '');
      const capacity = capacityEventCause(event.message ?? '', usesSpot(service));
      if (capacity) {
        causes.push(capacity);
        say(capacity.text);
      }
    }
    const deployments = service.deployments ?? [];
    const state = deployments.map((d) => `${shortArn(d.taskDefinition)} ${d.status ?? '?'} ${d.runningCount ?? 0}/${d.desiredCount ?? 0} running, ${d.pendingCount ?? 0} pending${(d.failedTasks ?? 0) > 0 ? `, ${d.failedTasks ?? 0} failed` : ''}`).join('; ');
    if (state !== last) {
      if (hooks.status) hooks.status(target.service, `service ${target.service}: ${state}`);
      else say(state);
      last = state;
    }
    const ours = findOurs(service, target, known);
    if (!ours) {
      // ECS drops finished deployments; a completed one leaves the service on its revision.
      const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
      if (primary?.taskDefinition === target.taskDefinition && primary.rolloutState === 'COMPLETED') return { kind: 'completed', ...(primary.id !== undefined ? { deploymentId: primary.id } : {}) };
      // Superseded only when the service itself has moved on to another revision.
      if (service.taskDefinition !== target.taskDefinition) return { kind: 'superseded', by: service.taskDefinition ?? '?', ...(primary?.id !== undefined && primary.taskDefinition === service.taskDefinition ? { deploymentId: primary.id } : {}) };
      const listed = deployments.map((d) => `${shortArn(d.taskDefinition)} ${d.status ?? '?'} ${d.rolloutState ?? 'no rollout state'}`).join(', ') || 'none';
      return { kind: 'unidentified', reason: `the service runs ${shortArn(service.taskDefinition)}, but ECS lists no deployment of it${known !== undefined ? ` (deployment ${known} is gone)` : ''} (deployments: ${listed}), so its rollout cannot be verified` };
    }
    known ??= ours.id;
    if ((ours.failedTasks ?? 0) > seenTasks.size) {
      await readStoppedTasks(ecs, target, ours, seenTasks, causes, say, hooks);
    }
    if (ours.rolloutState === 'COMPLETED') return { kind: 'completed', ...(ours.id !== undefined ? { deploymentId: ours.id } : {}) };
    if (ours.rolloutState === 'FAILED') return { kind: 'failed', reason: `deployment failed (${ours.rolloutStateReason ?? 'no reason given'})`, causes };
    if (ours.status !== 'PRIMARY') {
      const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
      return { kind: 'superseded', by: primary?.taskDefinition ?? '?', ...(primary?.id !== undefined ? { deploymentId: primary.id } : {}) };
    }
    const failed = Math.max(ours.failedTasks ?? 0, causes.length);
    if (failed >= target.maxFailedTasks) {
      return { kind: 'failed', reason: `${failed} task(s) of deployment ${ours.id ?? `of ${shortArn(target.taskDefinition)}`} failed (limit ${target.maxFailedTasks})`, causes };
    }
    if (!target.serving) continue;
    const wanted = ours.desiredCount ?? 0;
    const first = hooks.pollMs?.first ?? 1000;
    if ((ours.runningCount ?? 0) >= wanted) {
      const check = await target.serving(service, ours);
      if (check.serving) return { kind: 'serving', ...(ours.id !== undefined ? { deploymentId: ours.id } : {}) };
      if (check.why !== notServing) say(`not serving yet: ${check.why}`);
      notServing = check.why;
      // Every task runs: serving may come at any check. Each check is 3 calls to ECS and one to
      // ELB per target group, so they come every first wait (1 s), not faster: services are
      // watched side by side and ECS's and ELB's request rates are the account's, per region.
      wait = first;
    } else if ((ours.runningCount ?? 0) + (ours.pendingCount ?? 0) >= wanted) {
      // Every task is placed, the last ones starting: DescribeServices alone, every half wait, so
      // that the checks begin soon after the last task runs rather than up to a 2 s poll later.
      wait = Math.max(250, first / 2);
    }
  }
}

/**
 * Reads the service's stopped tasks not seen yet (each described once, ours or another
 * deployment's), and prints the causes of ours.
 */
async function readStoppedTasks(ecs: ECSClient, target: WatchTarget, ours: Deployment, seen: Set<string>, causes: Cause[], say: (line: string) => void, hooks: CallHooks): Promise<void> {
  if (ours.id === undefined) return;
  const fresh = await serviceTasks(ecs, target.cluster, target.service, hooks, 'STOPPED', seen);
  for (const task of fresh) {
    seen.add(task.taskArn ?? '');
    if (task.startedBy !== ours.id || isRoutineStop(task)) continue;
    const cause = stoppedTaskCause(task);
    causes.push(cause);
    say(`task ${(task.taskArn ?? '?').split('/').pop() ?? '?'} stopped: ${cause.text}`);
  }
}
