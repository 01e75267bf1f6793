/**
 * The calls that change something, each journaled before it leaves and after it is answered:
 * RegisterTaskDefinition, UpdateService (the task definition only: desiredCount belongs to
 * autoscaling, the capacity provider strategy to Terraform) and PutTargets (whole targets, every
 * other field kept, at most 10 per call as EventBridge allows).
 */
import { RegisterTaskDefinitionCommand, UpdateServiceCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import { PutTargetsCommand, type EventBridgeClient, type Target } from '@aws-sdk/client-eventbridge';
import { OperationError } from '../errors.js';
import { retrying, type CallHooks } from './calls.js';
import type { Journal } from './journal.js';
import type { Registration, ServiceChange, TargetChange } from './record.js';
import { shortArn, type NewRevision } from './taskDefinition.js';

export async function register(ecs: ECSClient, journal: Journal, item: Registration, revision: NewRevision, hooks: CallHooks): Promise<string> {
  const result = await journal.change(item, () => retrying(`RegisterTaskDefinition ${shortArn(item.from)}`, () => ecs.send(new RegisterTaskDefinitionCommand(revision.input)), hooks));
  const arn = result.taskDefinition?.taskDefinitionArn;
  if (arn === undefined) throw new OperationError(`RegisterTaskDefinition ${shortArn(item.from)} answered without an ARN`);
  item.to = arn;
  await journal.save();
  return arn;
}

/** Moves a service to `taskDefinition` (its after state on deploy, its before state on restore). */
export async function updateService(ecs: ECSClient, journal: Journal, cluster: string, item: ServiceChange, taskDefinition: string, hooks: CallHooks): Promise<Service | undefined> {
  const result = await journal.change(item, () =>
    retrying(`UpdateService ${item.name}`, () => ecs.send(new UpdateServiceCommand({ cluster, service: item.name, taskDefinition })), hooks),
  );
  return result.service;
}

/** The target as the deploy leaves it: the before target with only the task definition changed. */
export function targetAfter(item: TargetChange): Target {
  return { ...item.before, EcsParameters: { ...item.before.EcsParameters, TaskDefinitionArn: item.after } };
}

/**
 * Puts targets of one rule (up to 10 a call), journaled. `state` picks what is sent: the after
 * target on deploy, the before target on restore. Entries EventBridge reports as failed are
 * `refused`; the call then fails naming them.
 */
export async function putTargets(events: EventBridgeClient, journal: Journal, rule: string, items: readonly TargetChange[], state: 'after' | 'before', hooks: CallHooks): Promise<void> {
  for (let i = 0; i < items.length; i += 10) {
    if (hooks.signal?.aborted === true) throw new OperationError(`stopped before PutTargets of rule ${rule} on a signal`);
    const batch = items.slice(i, i + 10);
    const targets = batch.map((item) => (state === 'after' ? targetAfter(item) : item.before));
    const result = await journal.change(batch, () => retrying(`PutTargets ${rule}`, () => events.send(new PutTargetsCommand({ Rule: rule, Targets: targets })), hooks));
    if ((result.FailedEntryCount ?? 0) > 0) {
      const failed = result.FailedEntries ?? [];
      for (const entry of failed) {
        const item = batch.find((candidate) => candidate.id === entry.TargetId);
        if (item) {
          item.state = 'refused';
          item.error = `${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`.trim();
        }
      }
      await journal.save();
      throw new OperationError(`PutTargets of rule ${rule} failed for ${failed.map((entry) => `${entry.TargetId ?? '?'}: ${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`.trim()).join('; ')}`);
    }
  }
}

/** Items grouped by rule, in rule order. */
export function byRule(items: readonly TargetChange[]): Map<string, TargetChange[]> {
  const groups = new Map<string, TargetChange[]>();
  for (const item of items) groups.set(item.rule, [...(groups.get(item.rule) ?? []), item]);
  return groups;
}
