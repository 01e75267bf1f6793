/**
 * Putting back the before state of everything a deploy touched, and proving it, under one
 * deadline: UpdateService to each service's before revision and a watch of that deployment,
 * PutTargets with each rule's targets as they were and each schedule written back whole (a few
 * rules and schedules at a time, as the forward phase moved them), all at once; then reading
 * everything again. When the deadline passes, no new call starts and no call is retried: what
 * is not verifiably back is named, with the revision it is on, and `rollback --record` finishes
 * the job. Signals do not interrupt it. A service a newer deployment owns (neither our before
 * nor our after revision) is left to it. The record ends `rolled-back` only when verified;
 * otherwise `not-restored`, each item left in state `left` saying what it is now.
 */
import { UpdateServiceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { PutTargetsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { byRule } from './apply.js';
import { awsMessage, CallFailed, retrying, type CallHooks } from './calls.js';
import type { Journal } from './journal.js';
import { DEFAULT_CONCURRENCY, inPool } from './pool.js';
import { touched, type ServiceChange, type TargetChange } from './record.js';
import { restoreSchedules, scheduleTaskDefinition } from './schedules.js';
import { describeService, listTargets, type Clients } from './state.js';
import { shortArn } from './taskDefinition.js';
import { sameTarget, serviceDifference, serviceIsBack, serviceState, type Difference } from './verify.js';
import { watchDeployment, type WatchHooks } from './watch.js';

export interface RestoreOptions {
  /** The one deadline of the whole restore: services' rollback deployments, targets and schedules. */
  readonly timeoutMs: number;
  readonly maxFailedTasks: number;
  /** Put back services that something else changed since (rollback --force). */
  readonly force?: boolean;
  /** Rules and schedules put back at once (default 4, as the forward phase). */
  readonly concurrency?: number;
}

export interface RestoreResult {
  /** Everything touched is verifiably back (superseded services aside). */
  readonly restored: boolean;
  readonly left: readonly Difference[];
  readonly superseded: readonly ServiceChange[];
  /** The deadline passed before everything was put back and verified. */
  readonly timedOut: boolean;
}

const RESTORE_ATTEMPTS = 10;
/** After the deadline, the reads that verify what was put back may take this long. */
const VERIFY_GRACE_MS = 20_000;

export async function restore(clients: Clients, journal: Journal, hooks: WatchHooks, options: RestoreOptions): Promise<RestoreResult> {
  const record = journal.record;
  record.phase = 'restoring';
  await journal.save();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  // Signals were heard already: nothing stops a restore half-way but its deadline.
  // AbortSignal.timeout keeps no process alive (its timer is unref'd) and needs no clean-up.
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const calm: WatchHooks = { ...hooks, signal: deadline, attempts: RESTORE_ATTEMPTS };
  const services = touched(record.services).filter((item) => item.state !== 'superseded');
  const targets = touched(record.targets);
  const schedules = touched(record.schedules ?? []);
  /** Targets whose put-back did not succeed, and why. */
  const notPutBack = new Map<TargetChange, string>();

  const [, , scheduleLeft] = await Promise.all([
    Promise.allSettled(services.map((item) => restoreService(clients.ecs, record.cluster, item, calm, options))),
    restoreTargets(clients.events, targets, concurrency, calm, notPutBack),
    // Schedules: each written back whole, then read back and compared field by field.
    schedules.length === 0
      ? []
      : clients.scheduler
        ? restoreSchedules(clients.scheduler, schedules, (what, call) => retrying(what, call, calm), concurrency, hooks.progress, deadline)
        : schedules.map((item) => Object.assign(item, { state: 'left' as const, left: 'not restored: no EventBridge Scheduler client' })),
  ]);
  const timedOut = deadline.aborted;

  // Reading back: bounded too, by a grace of its own (the deadline may be past already).
  const reading: WatchHooks = { ...hooks, signal: AbortSignal.timeout(VERIFY_GRACE_MS), attempts: 3 };
  const left = [...(await verifyServices(clients.ecs, record.cluster, services, reading)), ...(await verifyTargets(clients.events, targets, notPutBack, concurrency, reading))];
  for (const item of services) settle(item, left, `service ${item.name}`);
  for (const item of targets) settle(item, left, `rule ${item.rule} target ${item.id}`);
  for (const item of scheduleLeft) left.push({ item: `schedule ${item.group}/${item.name}`, expected: shortArn(scheduleTaskDefinition(item.before)), actual: item.left ?? '?' });
  if (schedules.length > scheduleLeft.length) hooks.progress(`${schedules.length - scheduleLeft.length} schedule(s) restored`);
  const verified = left.length === 0;
  if (!verified && timedOut) hooks.progress(`the rollback deadline (${options.timeoutMs / 1000} s) passed: ${left.length} item(s) not verifiably back`);
  record.outcome = verified ? 'rolled-back' : 'not-restored';
  record.phase = 'done';
  await journal.save();
  return { restored: verified, left, superseded: record.services.filter((item) => item.state === 'superseded'), timedOut };
}

/** An item `restored`, or `left` with what it is now when `left` names it. */
function settle(item: ServiceChange | TargetChange, left: readonly Difference[], name: string): void {
  const difference = left.find((candidate) => candidate.item === name);
  if (difference) {
    item.state = 'left';
    item.left = difference.actual;
  } else {
    item.state = 'restored';
    delete item.left;
  }
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
  else if (result.kind === 'stopped') hooks.progress(`service ${item.name}: the rollback to ${shortArn(item.before)} had not completed at the deadline`);
  else hooks.progress(`service ${item.name}: the rollback to ${shortArn(item.before)} did not complete (${result.kind}${'reason' in result ? `: ${result.reason}` : ''})`);
}

/** Each rule's targets put back as they were, `concurrency` rules at once; a failure stops no other rule, the deadline stops them all. */
async function restoreTargets(events: EventBridgeClient, targets: readonly TargetChange[], concurrency: number, hooks: CallHooks & { progress: (line: string) => void }, notPutBack: Map<TargetChange, string>): Promise<void> {
  const rules = [...byRule(targets)];
  for (const [, items] of rules) for (const item of items) notPutBack.set(item, 'not put back before the deadline');
  await inPool(
    rules,
    concurrency,
    async ([rule, items]) => {
      for (let i = 0; i < items.length; i += 10) {
        const batch = items.slice(i, i + 10);
        try {
          const result = await retrying(`PutTargets ${rule} (rollback)`, () => events.send(new PutTargetsCommand({ Rule: rule, Targets: batch.map((item) => item.before) }), hooks.signal ? { abortSignal: hooks.signal } : {}), hooks);
          const failed = new Map((result.FailedEntries ?? []).map((entry) => [entry.TargetId ?? '', `${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`.trim()]));
          for (const item of batch) {
            const why = failed.get(item.id);
            if (why === undefined) notPutBack.delete(item);
            else {
              notPutBack.set(item, `the put-back was refused: ${why}`);
              hooks.progress(`rule ${rule} target ${item.id}: rollback refused: ${why}`);
            }
          }
        } catch (error) {
          const why = hooks.signal?.aborted === true ? 'not put back before the deadline (its last call was cut off, its outcome unknown)' : `the put-back failed: ${callMessage(error)}`;
          for (const item of batch) notPutBack.set(item, why);
          hooks.progress(`rule ${rule}: rollback of ${batch.length} target(s): ${why}`);
        }
      }
    },
    hooks.signal,
  ).catch(() => undefined);
}

/** A failed call's own message (`PutTargets R failed: ...`), not wrapped again. */
function callMessage(error: unknown): string {
  return error instanceof CallFailed ? error.message : awsMessage(error);
}

/** Every service not verifiably on its before revision, with what it runs. */
async function verifyServices(ecs: ECSClient, cluster: string, services: readonly ServiceChange[], hooks: CallHooks): Promise<Difference[]> {
  const left: Difference[] = [];
  for (const item of services) {
    const service = await describeService(ecs, cluster, item.name, hooks).catch((error: unknown) => error as Error);
    if (service instanceof Error) left.push({ item: `service ${item.name}`, expected: shortArn(item.before), actual: `not read back: ${awsMessage(service)}` });
    else if (!serviceIsBack(service, item)) left.push({ item: `service ${item.name}`, expected: shortArn(item.before), actual: serviceDifference(service, item.before) });
  }
  return left;
}

/** Every target not verifiably as it was: those not put back are named with the revision they are on, the others read back. */
async function verifyTargets(events: EventBridgeClient, targets: readonly TargetChange[], notPutBack: ReadonlyMap<TargetChange, string>, concurrency: number, hooks: CallHooks): Promise<Difference[]> {
  const left: Difference[] = [];
  const expected = (item: TargetChange) => shortArn(item.before.EcsParameters?.TaskDefinitionArn);
  for (const [item, why] of notPutBack) left.push({ item: `rule ${item.rule} target ${item.id}`, expected: expected(item), actual: `still on ${shortArn(item.after)} (this deploy's revision): ${why}` });
  const toRead = [...byRule(targets.filter((item) => !notPutBack.has(item)))];
  const unread = new Set(toRead.map(([rule]) => rule));
  await inPool(
    toRead,
    concurrency,
    async ([rule, items]) => {
      unread.delete(rule);
      try {
        const now = new Map((await listTargets(events, rule, hooks)).map((target) => [target.Id ?? '', target]));
        for (const item of items) {
          const target = now.get(item.id);
          if (sameTarget(target, item.before)) continue;
          const arn = target?.EcsParameters?.TaskDefinitionArn;
          const actual = !target ? 'gone' : arn === item.before.EcsParameters?.TaskDefinitionArn ? `on ${shortArn(arn)} as before, but other fields differ` : `on ${shortArn(arn)}`;
          left.push({ item: `rule ${rule} target ${item.id}`, expected: expected(item), actual });
        }
      } catch (error) {
        for (const item of items) left.push({ item: `rule ${rule} target ${item.id}`, expected: expected(item), actual: `put back, but not read back: ${awsMessage(error)}` });
      }
    },
    hooks.signal,
  ).catch(() => undefined);
  for (const [rule, items] of toRead) {
    if (unread.has(rule)) for (const item of items) left.push({ item: `rule ${rule} target ${item.id}`, expected: expected(item), actual: 'put back, but not read back in time' });
  }
  return left;
}
