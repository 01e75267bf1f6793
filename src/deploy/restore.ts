/**
 * Putting back the before state of everything a deploy touched, and proving it: UpdateService
 * to each service's before revision and watching that deployment complete (with its own
 * timeout), PutTargets with each target as it was, then reading everything again. Signals do
 * not interrupt it. A service a newer deployment owns (neither our before nor our after
 * revision) is left to it. The record ends `rolled-back` only when verified; otherwise
 * `not-restored`, each item left in state `left` saying what it is now.
 */
import { UpdateServiceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { PutTargetsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { byRule } from './apply.js';
import { DEFAULT_CONCURRENCY } from './pool.js';
import { restoreSchedules, scheduleTaskDefinition } from './schedules.js';
import { awsMessage, retrying, type CallHooks } from './calls.js';
import type { Journal } from './journal.js';
import { touched, type ServiceChange, type TargetChange } from './record.js';
import { describeService, type Clients } from './state.js';
import { shortArn } from './taskDefinition.js';
import { differencesFromBefore, serviceIsBack, serviceState, type Difference } from './verify.js';
import { watchDeployment, type WatchHooks } from './watch.js';

export interface RestoreOptions {
  /** How long each service's rollback deployment may take. */
  readonly timeoutMs: number;
  readonly maxFailedTasks: number;
  /** Put back services that something else changed since (rollback --force). */
  readonly force?: boolean;
}

export interface RestoreResult {
  /** Everything touched is verifiably back (superseded services aside). */
  readonly restored: boolean;
  readonly left: readonly Difference[];
  readonly superseded: readonly ServiceChange[];
}

const RESTORE_ATTEMPTS = 10;

export async function restore(clients: Clients, journal: Journal, hooks: WatchHooks, options: RestoreOptions): Promise<RestoreResult> {
  const record = journal.record;
  record.phase = 'restoring';
  await journal.save();
  // Signals were heard already: nothing stops a restore half-way.
  const calm: WatchHooks = { ...hooks, signal: undefined as never, attempts: RESTORE_ATTEMPTS };
  const services = touched(record.services).filter((item) => item.state !== 'superseded');
  const targets = touched(record.targets);

  await Promise.allSettled(services.map((item) => restoreService(clients.ecs, record.cluster, item, calm, options)));
  for (const [rule, items] of byRule(targets)) await restoreTargets(clients.events, rule, items, calm);

  const left = await differencesFromBefore(clients, record, calm, services, targets).catch((error: unknown) => [{ item: 'verification', expected: 'the before state read back', actual: awsMessage(error) }]);
  const leftItems = new Set(left.map((difference) => difference.item));
  for (const item of services) {
    if (leftItems.has(`service ${item.name}`)) {
      item.state = 'left';
      item.left = left.find((difference) => difference.item === `service ${item.name}`)?.actual ?? '?';
    } else if (item.state !== 'superseded') {
      item.state = 'restored';
      delete item.left;
    }
  }
  for (const item of targets) {
    const difference = left.find((candidate) => candidate.item === `rule ${item.rule} target ${item.id}`);
    if (difference) {
      item.state = 'left';
      item.left = difference.actual;
    } else {
      item.state = 'restored';
      delete item.left;
    }
  }
  // Schedules: each written back whole, then read back and compared field by field.
  const schedules = touched(record.schedules ?? []);
  if (schedules.length > 0) {
    const scheduleLeft = clients.scheduler
      ? await restoreSchedules(clients.scheduler, schedules, (what, call) => retrying(what, call, calm), DEFAULT_CONCURRENCY, hooks.progress)
      : schedules.map((item) => Object.assign(item, { state: 'left' as const, left: 'not restored: no EventBridge Scheduler client' }));
    for (const item of scheduleLeft) left.push({ item: `schedule ${item.group}/${item.name}`, expected: shortArn(scheduleTaskDefinition(item.before)), actual: item.left ?? '?' });
    if (schedules.length > scheduleLeft.length) hooks.progress(`${schedules.length - scheduleLeft.length} schedule(s) restored`);
  }
  const verified = left.length === 0;
  record.outcome = verified ? 'rolled-back' : 'not-restored';
  record.phase = 'done';
  await journal.save();
  return { restored: verified, left, superseded: record.services.filter((item) => item.state === 'superseded') };
}

async function restoreService(ecs: ECSClient, cluster: string, item: ServiceChange, hooks: WatchHooks, options: RestoreOptions): Promise<void> {
  const service = await describeService(ecs, cluster, item.name, hooks);
  if (serviceIsBack(service, item)) return;
  const now = service?.taskDefinition;
  if (!options.force && now !== item.before && now !== item.after) {
    // A newer deployment moved it on: that deploy owns the service now.
    item.state = 'superseded';
    item.left = `${serviceState(service)}: a newer deployment owns it`;
    hooks.progress(`service ${item.name}: now on ${serviceState(service)}, not this deploy's revision: left to the newer deployment`);
    return;
  }
  let initial = service;
  if (now !== item.before) {
    hooks.progress(`service ${item.name}: rolling back to ${shortArn(item.before)}`);
    const updated = await retrying(`UpdateService ${item.name} (rollback)`, () => ecs.send(new UpdateServiceCommand({ cluster, service: item.name, taskDefinition: item.before })), hooks).catch((error: unknown) => {
      hooks.progress(`service ${item.name}: rollback refused: ${awsMessage(error)}`);
      return undefined;
    });
    if (!updated) return;
    initial = updated.service;
  } else {
    hooks.progress(`service ${item.name}: waiting for the rollback to ${shortArn(item.before)} (started by ECS) to complete`);
  }
  const ours = (initial?.deployments ?? []).find((deployment) => deployment.status === 'PRIMARY' && deployment.taskDefinition === item.before);
  const result = await watchDeployment(
    ecs,
    { cluster, service: item.name, taskDefinition: item.before, ...(ours?.id !== undefined ? { deploymentId: ours.id } : {}), timeoutMs: options.timeoutMs, maxFailedTasks: options.maxFailedTasks, ...(initial ? { initial } : {}) },
    hooks,
  ).catch((error: unknown) => ({ kind: 'failed' as const, reason: awsMessage(error), causes: [] }));
  if (result.kind === 'completed') hooks.progress(`service ${item.name}: back on ${shortArn(item.before)}, rollout completed`);
  else hooks.progress(`service ${item.name}: the rollback to ${shortArn(item.before)} did not complete (${result.kind}${'reason' in result ? `: ${result.reason}` : ''})`);
}

async function restoreTargets(events: EventBridgeClient, rule: string, items: readonly TargetChange[], hooks: CallHooks & { progress: (line: string) => void }): Promise<void> {
  for (let i = 0; i < items.length; i += 10) {
    const batch = items.slice(i, i + 10);
    try {
      const result = await retrying(`PutTargets ${rule} (rollback)`, () => events.send(new PutTargetsCommand({ Rule: rule, Targets: batch.map((item) => item.before) })), hooks);
      for (const entry of result.FailedEntries ?? []) hooks.progress(`rule ${rule} target ${entry.TargetId ?? '?'}: rollback refused: ${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`.trim());
    } catch (error) {
      hooks.progress(`rule ${rule}: rollback of ${batch.length} target(s) refused: ${awsMessage(error)}`);
    }
  }
}
