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

/** A service is back when it runs its before revision and that deployment has completed, alone. */
export function serviceIsBack(service: Service | undefined, item: ServiceChange): boolean {
  if (!service || service.taskDefinition !== item.before) return false;
  const deployments = service.deployments ?? [];
  return deployments.length === 0 || (deployments.length === 1 && deployments[0]?.taskDefinition === item.before && deployments[0].rolloutState !== 'IN_PROGRESS' && deployments[0].rolloutState !== 'FAILED');
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
    if (!serviceIsBack(service, item)) differences.push({ item: `service ${item.name}`, expected: shortArn(item.before), actual: serviceState(service) });
  }
  const now = await currentTargets(clients, targets, hooks);
  for (const item of targets) {
    const target = now.get(`${item.rule}\u0000${item.id}`);
    if (!sameTarget(target, item.before)) differences.push({ item: `rule ${item.rule} target ${item.id}`, expected: shortArn(item.before.EcsParameters?.TaskDefinitionArn), actual: target ? shortArn(target.EcsParameters?.TaskDefinitionArn) + (target.EcsParameters?.TaskDefinitionArn === item.before.EcsParameters?.TaskDefinitionArn ? ' (other fields changed)' : '') : 'gone' });
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
    const foreign = (service?.deployments ?? []).filter((deployment) => deployment.taskDefinition !== item.after && deployment.taskDefinition !== item.before);
    if ((now !== item.after && now !== item.before) || foreign.length > 0) {
      differences.push({ item: `service ${item.name}`, expected: `${shortArn(item.after)} (this deploy)`, actual: serviceState(service) });
    }
  }
  const targets = touched(record.targets);
  const now = await currentTargets(clients, targets, hooks);
  for (const item of targets) {
    const target = now.get(`${item.rule}\u0000${item.id}`);
    if (!sameTarget(target, targetAfter(item)) && !sameTarget(target, item.before)) {
      differences.push({ item: `rule ${item.rule} target ${item.id}`, expected: `${shortArn(item.after)} (this deploy)`, actual: target ? shortArn(target.EcsParameters?.TaskDefinitionArn) : 'gone' });
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
        differences.push({ item: `schedule ${item.group}/${item.name}`, expected: `${shortArn(item.after)} (this deploy)`, actual: now ? shortArn(arn) : 'gone' });
      }
    }
  }
  return differences;
}

export function describeDifferences(differences: readonly Difference[]): string[] {
  return differences.map((difference) => `${difference.item}: ${difference.actual}, expected ${difference.expected}`);
}
