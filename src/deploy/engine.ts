/**
 * The deploy engine sequences the steps; each step is its own module:
 *
 *   state    read the cluster, services, rules and targets, task definitions (the before state)
 *   plan     pure: what changes; scope (our cluster's targets only, ECS-controlled services only)
 *   journal  the write-ahead record, on disk before the first change and around every call
 *   apply    RegisterTaskDefinition, UpdateService, PutTargets
 *   watch    our deployment by id, stopped tasks and their causes
 *   restore  on any failure or signal: put back what was touched, wait, verify
 *
 * Scheduled targets move only after every service's rollout is verified COMPLETED. With
 * `wait: false` (--no-wait) no rollout is verified, so the targets are not moved at all.
 */
import { randomBytes } from 'node:crypto';
import type { ECSClient, Service } from '@aws-sdk/client-ecs';
import { EXIT_NOT_RESTORED, OperationError } from '../errors.js';
import { byRule, putTargets, register, updateService } from './apply.js';
import { defaultSleep } from './calls.js';
import type { ImageRef } from './imageRef.js';
import { openJournal, type Journal } from './journal.js';
import { describePlan, planDeploy, refuseForeignControllers, sourcesInUse, targetsInScope, type ServiceToDeploy } from './plan.js';
import type { DeployRecord, ServiceChange } from './record.js';
import { restore } from './restore.js';
import { clusterArn, describeServices, describeTaskDefinition, listTargets, resolveRules, type Clients } from './state.js';
import { shortArn } from './taskDefinition.js';
import { describeDifferences, serviceState } from './verify.js';
import { watchDeployment, type WatchHooks } from './watch.js';

export interface DeployRequest {
  readonly cluster: string;
  readonly services: readonly { readonly name: string; readonly containers?: readonly string[] }[];
  readonly rules: readonly string[];
  readonly rulePrefix?: string;
  readonly image: ImageRef;
  /** Containers to update in scheduled tasks (default: same repository). */
  readonly containers?: readonly string[];
  readonly timeoutMs: number;
  /** Watch the rollouts (and then move the targets). False: update services only. */
  readonly wait: boolean;
  readonly dryRun: boolean;
  /** Fail a rollout after this many failed tasks (default 3). */
  readonly maxFailedTasks?: number;
  /** Another deployment of a service in progress: wait for it (bounded by timeoutMs) or refuse. */
  readonly ifBusy?: 'wait' | 'refuse';
  /** How long each service's rollback deployment may take (default: timeoutMs). */
  readonly rollbackTimeoutMs?: number;
  /** Where the write-ahead record goes; none: kept in memory only. */
  readonly recordFile?: string;
}

export interface DeployHooks extends WatchHooks {
  /** SIGINT/SIGTERM: stop changing things, restore what was touched. */
  readonly signal?: AbortSignal;
}

/** A deploy that failed: exit 1 when everything is verifiably back, 3 when not. */
export class DeployFailure extends OperationError {
  override readonly exitCode: number;

  constructor(
    message: string,
    readonly record: DeployRecord,
    details: readonly string[] = [],
  ) {
    super(message, details);
    this.exitCode = record.outcome === 'not-restored' ? EXIT_NOT_RESTORED : 1;
  }
}

/** Deploys and returns the record, or throws DeployFailure after restoring. */
export async function deploy(clients: Clients, request: DeployRequest, hooks: DeployHooks): Promise<DeployRecord> {
  const now = hooks.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const arn = await clusterArn(clients.ecs, request.cluster, hooks);
  const services = await servicesWhenIdle(clients.ecs, request, hooks);
  refuseForeignControllers(services.map((item) => item.service));
  const rules = await resolveRules(clients.events, request.rules, request.rulePrefix, hooks);
  const listed = [];
  for (const rule of rules) listed.push({ rule, targets: await listTargets(clients.events, rule, hooks) });
  const { inScope, skipped } = targetsInScope(listed, arn);
  for (const line of skipped) hooks.progress(line);
  const definitions = new Map<string, Awaited<ReturnType<typeof describeTaskDefinition>>>();
  for (const source of sourcesInUse(services, inScope, request.containers).keys()) definitions.set(source, await describeTaskDefinition(clients.ecs, source, hooks));
  const plan = planDeploy({
    id: `${startedAt.replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`,
    cluster: request.cluster,
    clusterArn: arn,
    image: request.image,
    startedAt,
    services,
    targets: inScope,
    ...(request.containers ? { containers: request.containers } : {}),
    definitions,
  });
  for (const line of describePlan(plan)) hooks.progress(line);
  const record = plan.record;
  if (request.dryRun) {
    for (const service of record.services) {
      hooks.progress(`would update service ${service.name}: ${shortArn(service.before)} -> ${service.changes.length > 0 ? `a new revision of ${shortArn(service.before).split(':')[0] ?? '?'}` : 'unchanged'}`);
    }
    for (const target of record.targets) {
      const changes = plan.revisions.get(target.after)?.changes.length ?? 0;
      hooks.progress(`would update rule ${target.rule} target ${target.id}: ${shortArn(target.after)} -> ${changes > 0 ? 'its new revision' : 'unchanged'}`);
    }
    hooks.progress(`dry run: ${plan.revisions.size} task definition(s), ${record.services.length} service(s) and ${record.targets.length} scheduled target(s) would change; nothing was written`);
    record.outcome = 'planned';
    record.phase = 'done';
    return record;
  }

  // From here on, the record is on disk before each change.
  const journal = await openJournal(record, request.recordFile);
  if (request.recordFile !== undefined) hooks.progress(`record: ${request.recordFile}`);
  const stop = new AbortController();
  const onSignal = () => {
    stop.abort();
  };
  if (hooks.signal?.aborted === true) stop.abort();
  hooks.signal?.addEventListener('abort', onSignal, { once: true });
  const steps: DeployHooks = { ...hooks, signal: stop.signal };
  let failure: string | undefined;
  const fail = (reason: string) => {
    failure ??= reason;
    stop.abort();
  };
  try {
    await registerAll(clients, journal, plan.revisions, steps, fail);
    if (failure === undefined && !stop.signal.aborted) await deployServices(clients, journal, request, steps, fail);
    if (failure === undefined && !stop.signal.aborted) await moveTargets(clients, journal, request, steps, fail);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  } finally {
    hooks.signal?.removeEventListener('abort', onSignal);
  }
  if (failure === undefined && hooks.signal?.aborted === true) failure = `interrupted by ${typeof hooks.signal.reason === 'string' ? hooks.signal.reason : 'a signal'}`;
  if (failure === undefined) {
    record.outcome = 'deployed';
    record.phase = 'done';
    record.finishedAt = new Date(now()).toISOString();
    await journal.save();
    return record;
  }

  record.reason = failure;
  await journal.save();
  hooks.progress(`deploy failed: ${failure}; restoring the before state`);
  const result = await restore(clients, journal, hooks, {
    timeoutMs: request.rollbackTimeoutMs ?? request.timeoutMs,
    maxFailedTasks: request.maxFailedTasks ?? 3,
  });
  record.finishedAt = new Date(now()).toISOString();
  await journal.save();
  const superseded = result.superseded.map((item) => `service ${item.name} was superseded by a newer deployment (${item.left ?? '?'}); it was not rolled back`);
  const how = request.recordFile !== undefined ? `circle-fargate rollback --record ${request.recordFile}` : 'rollback with the record';
  if (!result.restored) {
    throw new DeployFailure(
      `deploy failed: ${failure}; the before state could NOT be fully restored: ${describeDifferences(result.left).join('; ')}; finish with: ${how}`,
      record,
      superseded,
    );
  }
  throw new DeployFailure(`deploy failed: ${failure}; ${restoredWhat(record)}`, record, superseded);
}

function restoredWhat(record: DeployRecord): string {
  const services = record.services.filter((item) => item.state === 'restored').length;
  const targets = record.targets.filter((item) => item.state === 'restored').length;
  if (services + targets === 0) return 'nothing had been changed (verified)';
  return `rolled back: ${services} service(s) and ${targets} scheduled target(s) verified back on the before state`;
}

/** Services described once no other deployment of theirs is rolling (or refused, by request). */
async function servicesWhenIdle(ecs: ECSClient, request: DeployRequest, hooks: DeployHooks): Promise<ServiceToDeploy[]> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? defaultSleep;
  const deadline = now() + request.timeoutMs;
  const names = request.services.map((service) => service.name);
  let announced = '';
  for (;;) {
    const described = names.length > 0 ? await describeServices(ecs, request.cluster, names, hooks) : [];
    const busy = described.filter(isBusy);
    if (busy.length === 0) {
      return described.map((service, index) => {
        const containers = request.services[index]?.containers ?? request.containers;
        return { service, ...(containers ? { containers } : {}) };
      });
    }
    const list = busy.map((service) => `${service.serviceName ?? '?'} (${serviceState(service)})`).join(', ');
    if (request.ifBusy === 'refuse') throw new OperationError(`another deployment is in progress: ${list}; nothing was changed (--if-busy wait waits for it)`);
    if (hooks.signal?.aborted === true) throw new OperationError(`interrupted while waiting for another deployment: ${list}; nothing was changed`);
    if (now() >= deadline) throw new OperationError(`another deployment is still in progress after ${request.timeoutMs / 1000} s: ${list}; nothing was changed`);
    if (list !== announced) {
      hooks.progress(`waiting for another deployment in progress (up to ${Math.round((deadline - now()) / 1000)} s): ${list}`);
      announced = list;
    }
    await sleep(hooks.pollMs?.max ?? 2000, hooks.signal);
  }
}

function isBusy(service: Service): boolean {
  const deployments = service.deployments ?? [];
  return deployments.length > 1 || deployments.some((deployment) => deployment.rolloutState === 'IN_PROGRESS');
}

async function registerAll(clients: Clients, journal: Journal, revisions: ReturnType<typeof planDeploy>['revisions'], hooks: DeployHooks, fail: (reason: string) => void): Promise<void> {
  const record = journal.record;
  record.phase = 'registering';
  await journal.save();
  const registered = new Map<string, string>();
  for (const item of record.registered) {
    if (item.state === 'applied') {
      registered.set(item.from, item.from);
      continue;
    }
    if (hooks.signal?.aborted === true) return;
    const revision = revisions.get(item.from);
    if (!revision) continue;
    const arn = await register(clients.ecs, journal, item, revision, hooks);
    registered.set(item.from, arn);
    hooks.progress(`registered ${shortArn(arn)}`);
  }
  for (const service of record.services) service.after = registered.get(service.before) ?? service.before;
  for (const target of record.targets) target.after = registered.get(target.before.EcsParameters?.TaskDefinitionArn ?? '') ?? target.after;
  await journal.save();
  if (registered.size < record.registered.length && hooks.signal?.aborted !== true) fail('not every task definition was registered');
}

async function deployServices(clients: Clients, journal: Journal, request: DeployRequest, hooks: DeployHooks, fail: (reason: string) => void): Promise<void> {
  journal.record.phase = 'services';
  await journal.save();
  await Promise.allSettled(
    journal.record.services.map(async (item) => {
      try {
        await deployService(clients, journal, request, item, hooks, fail);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
    }),
  );
}

async function deployService(clients: Clients, journal: Journal, request: DeployRequest, item: ServiceChange, hooks: DeployHooks, fail: (reason: string) => void): Promise<void> {
  if (item.after === item.before) {
    item.state = 'applied';
    item.rollout = 'completed';
    return;
  }
  // A sibling failed, or a signal: send nothing new.
  if (hooks.signal?.aborted === true) return;
  const updated = await updateService(clients.ecs, journal, request.cluster, item, item.after, hooks);
  const ours = (updated?.deployments ?? []).find((deployment) => deployment.taskDefinition === item.after && deployment.status === 'PRIMARY');
  if (ours?.id !== undefined) item.deploymentId = ours.id;
  await journal.save();
  hooks.progress(`service ${item.name}: deploying ${shortArn(item.after)}${ours?.id !== undefined ? ` (deployment ${ours.id})` : ''}`);
  if (!request.wait) {
    item.rollout = 'not-waited';
    return;
  }
  const result = await watchDeployment(
    clients.ecs,
    {
      cluster: request.cluster,
      service: item.name,
      taskDefinition: item.after,
      ...(item.deploymentId !== undefined ? { deploymentId: item.deploymentId } : {}),
      timeoutMs: request.timeoutMs,
      maxFailedTasks: request.maxFailedTasks ?? 3,
      ...(updated ? { initial: updated } : {}),
    },
    hooks,
  );
  const causes = 'causes' in result && result.causes.length > 0 ? ` [${[...new Set(result.causes.map((cause) => cause.text))].join('; ')}]` : '';
  switch (result.kind) {
    case 'completed':
      item.rollout = 'completed';
      if (result.deploymentId !== undefined) item.deploymentId = result.deploymentId;
      hooks.progress(`service ${item.name}: ${shortArn(item.after)} completed`);
      break;
    case 'failed':
      item.rollout = 'failed';
      fail(`service ${item.name}: ${result.reason}${causes}`);
      break;
    case 'timeout':
      item.rollout = 'failed';
      fail(`service ${item.name}: ${result.reason}${causes}`);
      break;
    case 'superseded':
      item.state = 'superseded';
      item.left = `${shortArn(result.by)}${result.deploymentId !== undefined ? ` (deployment ${result.deploymentId})` : ''}`;
      fail(`service ${item.name}: deployment ${item.deploymentId ?? '?'} was superseded by a newer deployment of ${shortArn(result.by)}; the newer deploy owns the service`);
      break;
    case 'gone':
      fail(`service ${item.name} disappeared while deploying`);
      break;
    case 'stopped':
      break;
  }
  await journal.save();
}

async function moveTargets(clients: Clients, journal: Journal, request: DeployRequest, hooks: DeployHooks, fail: (reason: string) => void): Promise<void> {
  const record = journal.record;
  const changing = record.targets.filter((item) => item.after !== (item.before.EcsParameters?.TaskDefinitionArn ?? ''));
  const unverified = record.services.filter((item) => item.after !== item.before && item.rollout !== 'completed');
  if (changing.length === 0) return;
  if (unverified.length > 0) {
    // Batches move only after the services' rollouts are verified; --no-wait verifies none.
    hooks.progress(
      `${changing.length} scheduled target(s) not moved: the rollouts of ${unverified.map((item) => item.name).join(', ')} were not verified (--no-wait); deploy again without --no-wait to move them`,
    );
    return;
  }
  record.phase = 'targets';
  await journal.save();
  for (const [rule, items] of byRule(changing)) {
    if (hooks.signal?.aborted === true) return;
    try {
      await putTargets(clients.events, journal, rule, items, 'after', hooks);
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
      return;
    }
  }
  hooks.progress(`updated ${changing.length} scheduled target(s) of ${byRule(changing).size} rule(s)`);
}
