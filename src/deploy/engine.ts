/**
 * The deploy engine sequences the steps; each step is its own module:
 *
 *   state    read the cluster, services, rules and targets, task definitions (the before state)
 *   plan     pure: what changes; scope (our cluster's targets only, ECS-controlled services only)
 *   journal  the write-ahead record, on disk before the first change and around every call
 *   apply    RegisterTaskDefinition, UpdateService, PutTargets
 *   watch    our deployment by id, stopped tasks and their causes
 *   restore  on any failure or signal: put back what was touched, wait, verify
 * and around them: preflight (image, roles, log groups exist, before any change), diff (the
 * dry run's field-by-field changes), oneOffStep (migrations between registering and the
 * services), schedules (EventBridge Scheduler, read and written whole), revisions
 * (--keep-revisions). Reads and writes of targets and schedules run a few at a time (pool).
 *
 * Scheduled targets move only after every service's rollout is verified COMPLETED. With
 * `wait: false` (--no-wait) no rollout is verified, so the targets are not moved at all.
 */
import { randomBytes } from 'node:crypto';
import type { Deployment, ECSClient, Service } from '@aws-sdk/client-ecs';
import { EXIT_NOT_RESTORED, InputError, OperationError } from '../errors.js';
import { byRule, putTargets, register, targetAfter, updateService } from './apply.js';
import { defaultSleep, retrying } from './calls.js';
import { differences, diffLines, registrable } from './diff.js';
import type { ImageRef } from './imageRef.js';
import { openJournal, type Journal } from './journal.js';
import { plannedRuns, runTasksBeforeServices } from './oneOffStep.js';
import { describePlan, planDeploy, refuseForeignControllers, sourcesInUse, targetsInScope, type DeployPlan, type ServiceToDeploy } from './plan.js';
import { DEFAULT_CONCURRENCY, inPool, poolCause, PoolStopped } from './pool.js';
import { preflight } from './preflight.js';
import { readServing, type WaitUntil } from './serving.js';
import type { DeployRecord, ServiceChange } from './record.js';
import { restore } from './restore.js';
import { pruneRevisions, revisionsInUseByServices } from './revisions.js';
import { TaskFailure, type OneOffSpec } from './runTask.js';
import { applySchedules, findSchedules, scheduleTaskDefinition, type FoundSchedule, type Send } from './schedules.js';
import { clusterArn, describeServices, describeTaskDefinition, listTargets, resolveRules, type Clients } from './state.js';
import { PhaseClock, readServiceTimings, timingSummary, type ServiceTimings } from './timings.js';
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
  /** The one deadline of the restore after a failure: rollback deployments, targets and schedules (default: timeoutMs). */
  readonly rollbackTimeoutMs?: number;
  /** Where the write-ahead record goes; none: kept in memory only. */
  readonly recordFile?: string;
  /** EventBridge Scheduler schedules to move: those of this group and/or with this name prefix. */
  readonly scheduleGroup?: string;
  readonly schedulePrefix?: string;
  /** One-off tasks (migrations) run after registering, before any service changes. */
  readonly tasks?: readonly OneOffSpec[];
  /** Reads and writes of targets and schedules in flight at once (default 4). */
  readonly concurrency?: number;
  /** After a successful deploy, deregister unused revisions but the newest N of each family registered. */
  readonly keepRevisions?: number;
  /** When a rollout counts as done: `complete` (ECS's COMPLETED, old tasks drained; the default) or `serving` (see serving.ts). */
  readonly waitUntil?: WaitUntil;
  /** Check the image, roles and log groups before any change (default: when the clients are given). */
  readonly check?: boolean;
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
  const clock = new PhaseClock(now);
  clock.start('checks');
  // The request's own consistency first: before anything is read.
  refuseUnknownTaskServices(request);
  const arn = await clusterArn(clients.ecs, request.cluster, hooks);
  const concurrency = request.concurrency ?? DEFAULT_CONCURRENCY;
  const send: Send = (what, call) => retrying(what, call, hooks);
  const id = `${startedAt.replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
  // Everything the state can tell now (no container runs the image, a foreign deployment
  // controller, a missing image, role or log group) is said before waiting for another
  // deployment; after the wait, the plan is made again if a service moved meanwhile.
  let services = await describeToDeploy(clients.ecs, request, hooks);
  let prepared = await prepare(clients, request, { id, arn, startedAt, services, send, concurrency, hooks, quiet: false });
  await checkBeforeChanging(clients, request, prepared.plan, send, concurrency, hooks);
  const busy = busyList(services);
  if (busy !== undefined && request.dryRun) {
    // A dry run changes nothing, so it has nothing to wait for: it plans on the state as it is.
    hooks.progress(`another deployment is in progress: ${busy}; a deploy would ${request.ifBusy === 'refuse' ? 'refuse to start (--if-busy refuse)' : 'wait for it first'}`);
  } else if (busy !== undefined) {
    clock.start('waiting');
    const idle = await waitUntilIdle(clients.ecs, request, busy, hooks);
    clock.start('checks');
    const moved = idle.some((item, index) => item.service.taskDefinition !== services[index]?.service.taskDefinition);
    services = idle;
    if (moved) {
      hooks.progress('a service moved to another revision while waiting: planning again');
      prepared = await prepare(clients, request, { id, arn, startedAt, services, send, concurrency, hooks, quiet: true });
      await checkBeforeChanging(clients, request, prepared.plan, send, concurrency, hooks);
    }
  }
  const { plan, definitions } = prepared;
  for (const line of describePlan(plan)) hooks.progress(line);
  const record = plan.record;
  if (request.tasks !== undefined && request.tasks.length > 0) Object.assign(record, { tasks: plannedRuns(request.tasks) });
  if (request.dryRun) for (const line of planDifferences(plan, definitions)) hooks.progress(line);
  if (request.dryRun) {
    for (const service of record.services) {
      hooks.progress(`would update service ${service.name}: ${shortArn(service.before)} -> ${service.changes.length > 0 ? `a new revision of ${shortArn(service.before).split(':')[0] ?? '?'}` : 'unchanged'}`);
    }
    for (const target of record.targets) {
      const changes = plan.revisions.get(target.after)?.changes.length ?? 0;
      hooks.progress(`would update rule ${target.rule} target ${target.id}: ${shortArn(target.after)} -> ${changes > 0 ? 'its new revision' : 'unchanged'}`);
    }
    for (const task of record.tasks ?? []) hooks.progress(`would run task ${task.name} on the new revision of service ${task.service}'s task definition before the services change`);
    for (const item of record.schedules ?? []) {
      const changes = plan.revisions.get(item.after)?.changes.length ?? 0;
      hooks.progress(`would update schedule ${item.group}/${item.name}: ${shortArn(item.after)} -> ${changes > 0 ? 'its new revision' : 'unchanged'}`);
    }
    hooks.progress(
      `dry run: ${plan.revisions.size} task definition(s), ${record.services.length} service(s), ${record.targets.length} scheduled target(s) and ${record.schedules?.length ?? 0} schedule(s) would change${record.tasks ? `, ${record.tasks.length} task(s) would run` : ''}; nothing was written`,
    );
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
    const going = () => failure === undefined && !stop.signal.aborted;
    clock.start('register');
    await registerAll(clients, journal, plan.revisions, steps, fail);
    if (going() && (record.tasks ?? []).length > 0) {
      clock.start('tasks');
      await runTasks(clients, journal, request, plan, services, definitions, steps, fail);
    }
    if (going()) {
      clock.start('services');
      await deployServices(clients, journal, request, healthCheckedContainers(plan), steps, fail);
    }
    if (going()) {
      clock.start('targets');
      await moveTargets(clients, journal, request, steps, fail);
    }
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
    record.timings = clock.timings(await rolloutTimings(clients.ecs, record, hooks));
    await journal.save();
    hooks.progress(timingSummary(record.timings, record.services.some((item) => item.rollout === 'not-waited') ? 'started' : 'deployed'));
    if (request.keepRevisions !== undefined) await keepRevisions(clients, journal, request.keepRevisions, send, concurrency, hooks);
    return record;
  }

  record.reason = failure;
  await journal.save();
  hooks.progress(`deploy failed: ${failure}; restoring the before state`);
  clock.start('restore');
  const result = await restore(clients, journal, hooks, {
    timeoutMs: request.rollbackTimeoutMs ?? request.timeoutMs,
    maxFailedTasks: request.maxFailedTasks ?? 3,
    concurrency,
  });
  record.finishedAt = new Date(now()).toISOString();
  record.timings = clock.timings();
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

/** Each completed rollout's timings by ECS's own timestamps; a service whose figures cannot be read is left out (the deploy itself succeeded). */
async function rolloutTimings(ecs: ECSClient, record: DeployRecord, hooks: DeployHooks): Promise<ServiceTimings[]> {
  const read = await Promise.all(
    record.services
      .filter((item) => (item.rollout === 'completed' || item.rollout === 'serving') && item.after !== item.before && item.deploymentId !== undefined)
      .map((item) => readServiceTimings(ecs, record.cluster, item.name, item.deploymentId ?? '', { ...hooks, attempts: 2 }, { servingAt: item.servingAt, replaced: item.replaced ?? [] }).catch(() => undefined)),
  );
  return read.filter((item): item is ServiceTimings => item !== undefined);
}

/** What the restore put back, verified; never "nothing changed" when something was sent. */
function restoredWhat(record: DeployRecord): string {
  const count = (items: readonly { state: string }[], state: string) => items.filter((item) => item.state === state).length;
  const services = count(record.services, 'restored');
  const targets = count(record.targets, 'restored');
  const schedules = count(record.schedules ?? [], 'restored');
  const superseded = count(record.services, 'superseded');
  const owned = superseded > 0 ? `; ${superseded} service(s) left to a newer deployment` : '';
  if (services + targets + schedules === 0) return superseded > 0 ? `no other service, scheduled target or schedule had been changed (verified)${owned}` : 'no service, scheduled target or schedule had been changed (verified)';
  const what = schedules > 0 ? `${services} service(s), ${targets} scheduled target(s) and ${schedules} schedule(s)` : `${services} service(s) and ${targets} scheduled target(s)`;
  return `rolled back: ${what} verified back on the before state${owned}`;
}

/** The services to deploy as they are now, each with the containers to update. */
async function describeToDeploy(ecs: ECSClient, request: DeployRequest, hooks: DeployHooks): Promise<ServiceToDeploy[]> {
  const names = request.services.map((service) => service.name);
  const described = names.length > 0 ? await describeServices(ecs, request.cluster, names, hooks) : [];
  refuseForeignControllers(described);
  return described.map((service, index) => {
    const containers = request.services[index]?.containers ?? request.containers;
    return { service, ...(containers ? { containers } : {}) };
  });
}

/** The services with another deployment in progress, for messages; undefined when none is. */
function busyList(services: readonly ServiceToDeploy[]): string | undefined {
  const busy = services.map((item) => item.service).filter(isBusy);
  return busy.length === 0 ? undefined : busy.map((service) => `${service.serviceName ?? '?'} (${serviceState(service)})`).join(', ');
}

interface Prepared {
  readonly plan: DeployPlan;
  readonly definitions: Map<string, Awaited<ReturnType<typeof describeTaskDefinition>>>;
}

/** Reads the rules, targets, schedules and task definitions in use, and plans (pure) on them. */
async function prepare(
  clients: Clients,
  request: DeployRequest,
  context: { id: string; arn: string; startedAt: string; services: readonly ServiceToDeploy[]; send: Send; concurrency: number; hooks: DeployHooks; quiet: boolean },
): Promise<Prepared> {
  const { arn, services, send, concurrency, hooks } = context;
  const quietHooks = context.quiet ? { ...hooks, progress: () => undefined } : hooks;
  // The rules' targets and the schedules are read at the same time (their lines are printed in
  // this order once both are read); the first failure is the one reported.
  const skippedSchedules: string[] = [];
  const [listing, finding] = await Promise.allSettled([
    resolveRules(clients.events, request.rules, request.rulePrefix, hooks).then((rules) =>
      inPool(rules, concurrency, async (rule) => ({ rule, targets: await listTargets(clients.events, rule, hooks) })).catch((error: unknown) => {
        throw poolCause(error);
      }),
    ),
    schedulesInScope(clients, request, arn, send, concurrency, { ...hooks, progress: (line) => skippedSchedules.push(line) }),
  ]);
  if (listing.status === 'rejected') throw listing.reason;
  if (finding.status === 'rejected') throw finding.reason;
  const { inScope, skipped } = targetsInScope(listing.value, arn);
  for (const line of [...skipped, ...skippedSchedules]) quietHooks.progress(line);
  const schedules = finding.value;
  const sources = [...sourcesInUse(services, inScope, request.containers, schedules).keys()];
  const described = await Promise.all(sources.map((source) => describeTaskDefinition(clients.ecs, source, hooks)));
  const definitions = new Map(sources.map((source, index) => [source, described[index] as Awaited<ReturnType<typeof describeTaskDefinition>>]));
  const plan = planDeploy({
    id: context.id,
    cluster: request.cluster,
    clusterArn: arn,
    image: request.image,
    startedAt: context.startedAt,
    services,
    targets: inScope,
    schedules,
    ...(request.containers ? { containers: request.containers } : {}),
    definitions,
  });
  return { plan, definitions };
}

/** Waits until no other deployment of the services is rolling (or refuses, by request); the services as they are then. */
async function waitUntilIdle(ecs: ECSClient, request: DeployRequest, first: string, hooks: DeployHooks): Promise<ServiceToDeploy[]> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? defaultSleep;
  const deadline = now() + request.timeoutMs;
  let list: string | undefined = first;
  let announced = '';
  for (;;) {
    if (request.ifBusy === 'refuse') throw new OperationError(`another deployment is in progress: ${list}; nothing was changed (--if-busy wait waits for it)`);
    if (hooks.signal?.aborted === true) throw new OperationError(`interrupted while waiting for another deployment: ${list}; nothing was changed`);
    if (now() >= deadline) throw new OperationError(`another deployment is still in progress after ${request.timeoutMs / 1000} s: ${list}; nothing was changed`);
    if (list !== announced) {
      hooks.progress(`waiting for another deployment in progress (up to ${Math.round((deadline - now()) / 1000)} s): ${list}`);
      announced = list;
    }
    await sleep(hooks.pollMs?.max ?? 2000, hooks.signal);
    const services = await describeToDeploy(ecs, request, hooks);
    list = busyList(services);
    if (list === undefined) return services;
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
  for (const item of record.schedules ?? []) item.after = registered.get(scheduleTaskDefinition(item.before) ?? '') ?? item.after;
  await journal.save();
  if (registered.size < record.registered.length && hooks.signal?.aborted !== true) fail('not every task definition was registered');
}

/** Per source task definition, the containers of its new revision that have a health check. */
function healthCheckedContainers(plan: DeployPlan): Map<string, Set<string>> {
  const checked = new Map<string, Set<string>>();
  for (const [from, revision] of plan.revisions) {
    checked.set(from, new Set((revision.input.containerDefinitions ?? []).filter((container) => container.healthCheck !== undefined).map((container) => container.name ?? '')));
  }
  return checked;
}

async function deployServices(clients: Clients, journal: Journal, request: DeployRequest, healthChecked: ReadonlyMap<string, ReadonlySet<string>>, hooks: DeployHooks, fail: (reason: string) => void): Promise<void> {
  journal.record.phase = 'services';
  await journal.save();
  await Promise.allSettled(
    journal.record.services.map(async (item) => {
      try {
        await deployService(clients, journal, request, item, healthChecked.get(item.before) ?? new Set(), hooks, fail);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
    }),
  );
}

async function deployService(clients: Clients, journal: Journal, request: DeployRequest, item: ServiceChange, healthChecked: ReadonlySet<string>, hooks: DeployHooks, fail: (reason: string) => void): Promise<void> {
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
  // The deployments ours replaces: the others ECS lists beside ours (ACTIVE), once ours is known.
  const replaced = ours ? (updated?.deployments ?? []).filter((deployment) => deployment !== ours && deployment.status === 'ACTIVE' && deployment.id !== undefined && deployment.id !== ours.id) : [];
  if (replaced.length > 0) item.replaced = replaced.map((deployment) => deployment.id ?? '');
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
      ...(request.waitUntil === 'serving' ? { serving: (service: Service, deployment: Deployment) => readServing(clients.ecs, clients.elb, request.cluster, service, deployment, healthChecked, hooks) } : {}),
    },
    hooks,
  );
  const causes = 'causes' in result && result.causes.length > 0 ? ` [${[...new Set(result.causes.map((cause) => cause.text))].join('; ')}]` : '';
  switch (result.kind) {
    case 'serving':
      item.rollout = 'serving';
      item.servingAt = new Date((hooks.now ?? Date.now)()).toISOString();
      if (result.deploymentId !== undefined) item.deploymentId = result.deploymentId;
      hooks.progress(`service ${item.name}: ${shortArn(item.after)} serving (every new task running and healthy, in every target group); the old tasks drain on their own`);
      break;
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
      fail(`service ${item.name}: ${item.deploymentId !== undefined ? `deployment ${item.deploymentId}` : `the deployment of ${shortArn(item.after)}`} was superseded: the service now runs ${shortArn(result.by)}; the newer deploy owns the service`);
      break;
    case 'unidentified':
      // Not superseded: the service runs what this deploy sent, so the restore puts it back.
      item.rollout = 'failed';
      fail(`service ${item.name}: ${result.reason}`);
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
  const changingSchedules = (record.schedules ?? []).filter((item) => item.after !== scheduleTaskDefinition(item.before));
  const unverified = record.services.filter((item) => item.after !== item.before && item.rollout !== 'completed' && item.rollout !== 'serving');
  if (changing.length + changingSchedules.length === 0) return;
  if (unverified.length > 0) {
    // Batches move only after the services' rollouts are verified; --no-wait verifies none.
    hooks.progress(
      `${changing.length} scheduled target(s) and ${changingSchedules.length} schedule(s) not moved: the rollouts of ${unverified.map((item) => item.name).join(', ')} were not verified (--no-wait); deploy again without --no-wait to move them`,
    );
    return;
  }
  record.phase = 'targets';
  await journal.save();
  const concurrency = request.concurrency ?? DEFAULT_CONCURRENCY;
  // One PutTargets per rule (EventBridge takes one rule a call), a few rules at a time; the first
  // failure starts no further rule, and the calls in flight settle before the restore.
  try {
    await inPool([...byRule(changing)], concurrency, ([rule, items]) => putTargets(clients.events, journal, rule, items, 'after', hooks), hooks.signal);
  } catch (error) {
    failUnlessStopped(error, fail);
    return;
  }
  if (changing.length > 0) hooks.progress(`updated ${changing.length} scheduled target(s) of ${byRule(changing).size} rule(s)`);
  if (changingSchedules.length === 0) return;
  if (!clients.scheduler) {
    fail('schedules to move, but no EventBridge Scheduler client');
    return;
  }
  const scheduler = clients.scheduler;
  try {
    await applySchedules(scheduler, journal, changingSchedules, (what, call) => retrying(what, call, hooks), concurrency, hooks.signal);
  } catch (error) {
    failUnlessStopped(error, fail);
    return;
  }
  hooks.progress(`updated ${changingSchedules.length} schedule(s)`);
}

/** A pool's failure, reported; one stopped by a signal (or a sibling's failure) is the outer code's to explain. */
function failUnlessStopped(error: unknown, fail: (reason: string) => void): void {
  const cause = poolCause(error);
  if (cause instanceof PoolStopped) return;
  fail(cause instanceof Error ? cause.message : String(cause));
}

/** Refuses, before anything is read, one-off tasks whose service this deploy does not deploy. */
function refuseUnknownTaskServices(request: DeployRequest): void {
  for (const task of request.tasks ?? []) {
    if (!request.services.some((service) => service.name === task.service)) {
      throw new InputError(`task ${task.name}: service ${task.service} is not deployed by this deploy (services: ${request.services.map((s) => s.name).join(', ') || 'none'}); nothing was changed`);
    }
  }
}

/** The schedules the request names that run on the cluster (the others are named and left alone). */
async function schedulesInScope(clients: Clients, request: DeployRequest, cluster: string, send: Send, concurrency: number, hooks: DeployHooks): Promise<FoundSchedule[]> {
  if (request.scheduleGroup === undefined && request.schedulePrefix === undefined) return [];
  if (!clients.scheduler) throw new InputError('schedules were asked for, but no EventBridge Scheduler client was given');
  const found = await findSchedules(
    clients.scheduler,
    { ...(request.scheduleGroup !== undefined ? { group: request.scheduleGroup } : {}), ...(request.schedulePrefix !== undefined ? { prefix: request.schedulePrefix } : {}) },
    cluster,
    send,
    concurrency,
  ).catch((error: unknown) => {
    throw poolCause(error);
  });
  for (const item of found.skipped) hooks.progress(`schedule ${item.group}/${item.name}: ${item.why}: left unchanged`);
  return found.found;
}

/** The dry run's differences: every field of each task definition, target and schedule that would change. */
function planDifferences(plan: DeployPlan, definitions: ReadonlyMap<string, Awaited<ReturnType<typeof describeTaskDefinition>>>): string[] {
  const lines: string[] = [];
  const next = (arn: string) => `${shortArn(arn).split(':')[0] ?? '?'}:(new revision)`;
  for (const [arn, revision] of plan.revisions) {
    if (revision.changes.length === 0) continue;
    const described = definitions.get(arn);
    const current = { ...registrable((described?.taskDefinition ?? {}) as Record<string, unknown>), ...(described?.tags && described.tags.length > 0 ? { tags: described.tags } : {}) };
    lines.push(`task definition ${shortArn(arn)} -> ${next(arn)}:`, ...diffLines(differences(current, revision.input)));
  }
  for (const item of plan.record.targets) {
    if ((plan.revisions.get(item.after)?.changes.length ?? 0) === 0) continue;
    lines.push(`rule ${item.rule} target ${item.id}:`, ...diffLines(differences(item.before, targetAfter({ ...item, after: next(item.after) }))));
  }
  for (const item of plan.record.schedules ?? []) {
    if ((plan.revisions.get(item.after)?.changes.length ?? 0) === 0) continue;
    const after = { ...item.before, Target: { ...item.before.Target, EcsParameters: { ...item.before.Target?.EcsParameters, TaskDefinitionArn: next(item.after) } } };
    lines.push(`schedule ${item.group}/${item.name}:`, ...diffLines(differences(item.before, after)));
  }
  return lines;
}

/** The checks before any change; a problem stops the deploy with nothing changed. */
async function checkBeforeChanging(clients: Clients, request: DeployRequest, plan: DeployPlan, send: Send, concurrency: number, hooks: DeployHooks): Promise<void> {
  const { ecr, iam, logs } = clients;
  if (request.check === false || ecr === undefined || iam === undefined || logs === undefined) return;
  const inputs = [...plan.revisions.values()].filter((revision) => revision.changes.length > 0).map((revision) => revision.input);
  if (inputs.length === 0) return;
  const result = await preflight({ ecr, iam, logs }, request.image, inputs, send, concurrency).catch((error: unknown) => {
    throw poolCause(error);
  });
  for (const note of result.notes) hooks.progress(`check: ${note}`);
  if (result.problems.length > 0) {
    throw new OperationError(`checks before deploying found ${result.problems.length} problem(s); nothing was changed`, result.problems);
  }
}

/** The one-off tasks, after registering and before any service changes; a failure fails the deploy. */
async function runTasks(
  clients: Clients,
  journal: Journal,
  request: DeployRequest,
  plan: DeployPlan,
  services: readonly ServiceToDeploy[],
  definitions: ReadonlyMap<string, Awaited<ReturnType<typeof describeTaskDefinition>>>,
  hooks: DeployHooks,
  fail: (reason: string) => void,
): Promise<void> {
  const runs = journal.record.tasks ?? [];
  if (runs.length === 0) return;
  if (!clients.logs) {
    fail('one-off tasks to run, but no CloudWatch Logs client');
    return;
  }
  journal.record.phase = 'tasks';
  await journal.save();
  const registered = new Map(journal.record.registered.map((item) => [item.from, item.to ?? item.from]));
  try {
    await runTasksBeforeServices(
      clients.ecs,
      clients.logs,
      journal,
      runs,
      request.tasks ?? [],
      {
        cluster: request.cluster,
        services: services.map((item) => item.service),
        serviceContainers: new Map(request.services.map((service) => [service.name, service.containers])),
        revisionOf: (arn) => registered.get(arn) ?? arn,
        containersOf: (arn) => plan.revisions.get(arn)?.input.containerDefinitions ?? definitions.get(arn)?.taskDefinition.containerDefinitions ?? [],
      },
      (what, call) => retrying(what, call, hooks),
      hooks,
    );
  } catch (error) {
    const details = error instanceof TaskFailure && error.details.length > 0 ? ` [${error.details.join('; ')}]` : '';
    fail(`${error instanceof Error ? error.message : String(error)}${details}`);
  }
}

/** --keep-revisions: after success, each deregistration journaled; a failure here is reported, not rolled back. */
async function keepRevisions(clients: Clients, journal: Journal, keep: number, send: Send, concurrency: number, hooks: DeployHooks): Promise<void> {
  const record = journal.record;
  const families = record.registered.filter((item) => item.to !== undefined && item.to !== item.from).map((item) => (shortArn(item.to).split(':')[0] ?? ''));
  if (families.length === 0) return;
  try {
    const inUse = await revisionsInUseByServices(clients.ecs, record.cluster, send);
    for (const item of record.services) inUse.add(item.before).add(item.after);
    for (const item of record.targets) inUse.add(item.before.EcsParameters?.TaskDefinitionArn ?? '').add(item.after);
    for (const item of record.schedules ?? []) inUse.add(scheduleTaskDefinition(item.before) ?? '').add(item.after);
    const deregistered: NonNullable<typeof record.deregistered> = [];
    Object.assign(record, { deregistered });
    await pruneRevisions(clients.ecs, families, keep, inUse, send, concurrency, hooks.progress, (arn, call) => {
      const item: (typeof deregistered)[number] = { arn, state: 'planned' };
      deregistered.push(item);
      return journal.change(item, call);
    });
    await journal.save();
  } catch (error) {
    const cause = poolCause(error);
    hooks.progress(`--keep-revisions: old revisions not all deregistered (the deploy itself succeeded): ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
