/**
 * Comparing what is there now with what a record says: the before state (has a restore put
 * everything back?) or the after state (may `rollback --record` undo this deploy, or did
 * something change since?). Reads state; changes nothing.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { Target } from '@aws-sdk/client-eventbridge';
import { targetAfter } from './apply.js';
import { CallFailed, type CallHooks, retrying } from './calls.js';
import { getSchedule, scheduleTaskDefinition } from './schedules.js';
import { touched, type DeployRecord, type ServiceChange, type TargetChange } from './record.js';
import { describeService, listTargets, type Clients } from './state.js';
import { shortArn } from './taskDefinition.js';

export interface Difference {
  /** `service NAME` or `rule R target ID`. */
  readonly item: string;
  readonly expected: string;
  readonly actual: string;
}

/** JSON with sorted keys: two targets read the same are the same. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
  });
}

export function sameTarget(a: Target | undefined, b: Target | undefined): boolean {
  return a !== undefined && b !== undefined && canonical(a) === canonical(b);
}

/** What a service runs, for messages: its task definition and any deployment still rolling. */
export function serviceState(service: Service | undefined): string {
  if (!service) return 'gone';
  const rolling = (service.deployments ?? []).filter((deployment) => deployment.rolloutState !== 'COMPLETED' || deployment.status !== 'PRIMARY');
  return `${shortArn(service.taskDefinition)}${rolling.length > 0 ? ` (rolling: ${rolling.map((d) => `${shortArn(d.taskDefinition)} ${d.status ?? '?'} ${d.rolloutState ?? '?'}`).join(', ')})` : ''}`;
}

/**
 * A service is back when it runs its before revision with no other deployment left and none
 * rolling or failed. (ECS's PRIMARY deployment always runs the service's task definition; moto's
 * never changes after CreateService, so the service's own field is what is compared.)
 */
export function serviceIsBack(service: Service | undefined, item: ServiceChange): boolean {
  if (!service || service.taskDefinition !== item.before) return false;
  const deployments = service.deployments ?? [];
  return deployments.length === 0 || (deployments.length === 1 && deployments[0]?.rolloutState !== 'IN_PROGRESS' && deployments[0]?.rolloutState !== 'FAILED');
}

/**
 * What a service is, said against the revision it should be on, naming what differs: its
 * revision, or the deployments that are not settled on it. Never "X, expected X".
 */
export function serviceDifference(service: Service | undefined, expected: string): string {
  if (!service) return 'gone';
  const runs = service.taskDefinition;
  const unsettled = (service.deployments ?? []).filter((d) => !(d.status === 'PRIMARY' && d.taskDefinition === runs && d.rolloutState === 'COMPLETED'));
  const list = unsettled.map((d) => `${shortArn(d.taskDefinition)} ${d.status ?? '?'} ${d.rolloutState ?? 'no rollout state'}`).join(', ');
  if (runs !== expected) return `on ${shortArn(runs)}${unsettled.length > 0 ? ` (deployments: ${list})` : ''}`;
  if (unsettled.length === 0) return `on ${shortArn(runs)}, but not verified back`;
  return `on ${shortArn(runs)}, but its deployments are not settled on it: ${list}`;
}

async function currentTargets(clients: Clients, items: readonly TargetChange[], hooks: CallHooks): Promise<Map<string, Target>> {
  const now = new Map<string, Target>();
  for (const rule of new Set(items.map((item) => item.rule))) {
    for (const target of await listTargets(clients.events, rule, hooks)) now.set(`${rule}\u0000${target.Id ?? ''}`, target);
  }
  return now;
}

/** Every touched service and target that is not in its before state. */
export async function differencesFromBefore(clients: Clients, record: DeployRecord, hooks: CallHooks, services = touched(record.services), targets = touched(record.targets)): Promise<Difference[]> {
  const differences: Difference[] = [];
  for (const item of services) {
    const service = await describeService(clients.ecs, record.cluster, item.name, hooks);
    if (!serviceIsBack(service, item)) differences.push({ item: `service ${item.name}`, expected: shortArn(item.before), actual: serviceDifference(service, item.before) });
  }
  const now = await currentTargets(clients, targets, hooks);
  for (const item of targets) {
    const target = now.get(`${item.rule}\u0000${item.id}`);
    if (!sameTarget(target, item.before)) differences.push({ item: `rule ${item.rule} target ${item.id}`, expected: shortArn(item.before.EcsParameters?.TaskDefinitionArn), actual: targetDifference(target, item.before.EcsParameters?.TaskDefinitionArn) });
  }
  return differences;
}

/**
 * Touched services and targets that are neither in this deploy's after state nor in its before
 * state: something changed them since (a later deploy), and undoing this deploy would undo that.
 */
export async function changedSince(clients: Clients, record: DeployRecord, hooks: CallHooks): Promise<Difference[]> {
  const differences: Difference[] = [];
  for (const item of touched(record.services)) {
    if (item.state === 'superseded') continue;
    const service = await describeService(clients.ecs, record.cluster, item.name, hooks);
    const now = service?.taskDefinition;
    // Another deploy shows as another revision on the service, or another revision rolling.
    const rolling = (service?.deployments ?? []).filter((d) => d.rolloutState === 'IN_PROGRESS' && d.taskDefinition !== item.after && d.taskDefinition !== item.before);
    if (!service || (now !== item.after && now !== item.before) || rolling.length > 0) {
      const actual = !service ? 'gone' : `on ${shortArn(now)}${rolling.length > 0 ? `, with ${rolling.map((d) => `${shortArn(d.taskDefinition)} ${d.status ?? '?'}`).join(', ')} rolling` : ''}`;
      differences.push({ item: `service ${item.name}`, expected: `${shortArn(item.after)} (this deploy) or ${shortArn(item.before)} (before it), with nothing else rolling`, actual });
    }
  }
  const targets = touched(record.targets);
  const now = await currentTargets(clients, targets, hooks);
  for (const item of targets) {
    const target = now.get(`${item.rule}\u0000${item.id}`);
    if (!sameTarget(target, targetAfter(item)) && !sameTarget(target, item.before)) {
      differences.push({ item: `rule ${item.rule} target ${item.id}`, expected: `${shortArn(item.after)} (this deploy) or ${shortArn(item.before.EcsParameters?.TaskDefinitionArn)} (before it)`, actual: targetDifference(target, item.after, item.before.EcsParameters?.TaskDefinitionArn) });
    }
  }
  const schedules = touched(record.schedules ?? []);
  if (schedules.length > 0 && clients.scheduler) {
    const scheduler = clients.scheduler;
    for (const item of schedules) {
      // Only a schedule that is not there is "gone"; a refusal (access, throttling) is a failure to verify.
      const now = await getSchedule(scheduler, (what, call) => retrying(what, call, hooks), item.group, item.name).catch((error: unknown) => {
        if (error instanceof CallFailed && error.awsName === 'ResourceNotFoundException') return undefined;
        throw error;
      });
      const arn = now?.Target?.EcsParameters?.TaskDefinitionArn;
      if (arn !== item.after && arn !== scheduleTaskDefinition(item.before)) {
        differences.push({ item: `schedule ${item.group}/${item.name}`, expected: `${shortArn(item.after)} (this deploy) or ${shortArn(scheduleTaskDefinition(item.before))} (before it)`, actual: now ? `on ${shortArn(arn)}` : 'gone' });
      }
    }
  }
  return differences;
}

/** What a target is, against the revision(s) it should be on: its revision, or that only other fields differ. */
function targetDifference(target: Target | undefined, ...expected: (string | undefined)[]): string {
  if (!target) return 'gone';
  const arn = target.EcsParameters?.TaskDefinitionArn;
  return expected.includes(arn) ? `on ${shortArn(arn)} as expected, but other fields changed` : `on ${shortArn(arn)}`;
}

/** One line per difference: what the item is, then what it should be. */
export function describeDifferences(differences: readonly Difference[]): string[] {
  return differences.map((difference) => `${difference.item}: ${difference.actual}; expected ${difference.expected}`);
}
