/**
 * The deploy engine: ECS services, then scheduled tasks, never left half-deployed.
 *
 * 1. Record the before state: each service's task definition and primary deployment, each
 *    scheduled target.
 * 2. Register a new revision of each task definition in use (once per definition), from the
 *    revision actually running, with the new image.
 * 3. UpdateService with the task definition only; watch our own deployment by id.
 * 4. After every service succeeded, PutTargets for the scheduled rules, every other field kept.
 * Any failure, or a signal: services and targets go back to the recorded before state.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { ListRulesCommand, ListTargetsByRuleCommand, PutTargetsCommand, type EventBridgeClient, type Target } from '@aws-sdk/client-eventbridge';
import { InputError, OperationError } from '../errors.js';
import { imageName, type ImageRef } from './imageRef.js';
import { newRevision, shortArn, type ImageChange } from './taskDefinition.js';

export interface DeployRequest {
  readonly cluster: string;
  readonly services: readonly { readonly name: string; readonly containers?: readonly string[] }[];
  readonly rules: readonly string[];
  readonly rulePrefix?: string;
  readonly image: ImageRef;
  /** Containers to update in scheduled tasks (default: same repository). */
  readonly containers?: readonly string[];
  readonly timeoutMs: number;
  readonly wait: boolean;
  readonly dryRun: boolean;
}

export interface DeployHooks {
  readonly progress: (line: string) => void;
  /** A service's rollout counts, as they change: a live display may redraw them in place. */
  readonly status?: (service: string, line: string) => void;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  /** Polling: first wait, and the longest wait between polls. */
  readonly pollMs?: { readonly first: number; readonly max: number };
}

export interface ServiceRecord {
  readonly name: string;
  readonly before: string;
  after?: string;
  deploymentId?: string;
  changes: readonly ImageChange[];
  outcome?: 'completed' | 'unchanged' | 'not-waited' | 'failed' | 'rolled-back';
}

export interface TargetRecord {
  readonly rule: string;
  readonly id: string;
  readonly before: Target;
  after?: string;
}

export interface DeployRecord {
  readonly cluster: string;
  readonly image: string;
  readonly startedAt: string;
  finishedAt?: string;
  outcome: 'planned' | 'deployed' | 'failed' | 'interrupted';
  reason?: string;
  readonly services: ServiceRecord[];
  readonly targets: TargetRecord[];
  readonly registered: { readonly from: string; readonly to?: string; readonly changes: readonly ImageChange[] }[];
}

export class DeployFailure extends OperationError {
  constructor(
    message: string,
    readonly record: DeployRecord,
  ) {
    super(message);
  }
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** Retries throttling and 5xx with backoff and jitter; anything else (AccessDenied) fails at once. */
async function retrying<T>(what: string, call: () => Promise<T>, hooks: DeployHooks): Promise<T> {
  const sleep = hooks.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      const code = (error as { code?: unknown }).code;
      const dropped = typeof code === 'string' && ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN'].includes(code);
      const transient = THROTTLING.has(name) || status >= 500 || dropped || name === 'TimeoutError' || (error as { $retryable?: unknown }).$retryable !== undefined;
      if (!transient || attempt >= 6) throw new OperationError(`${what} failed: ${awsMessage(error)}`);
      await sleep(Math.min(8000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2), hooks.signal);
    }
  }
}

function awsMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function isAborted(hooks: DeployHooks): boolean {
  return hooks.signal?.aborted === true;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export async function deploy(ecs: ECSClient, events: EventBridgeClient, request: DeployRequest, hooks: DeployHooks): Promise<DeployRecord> {
  const record: DeployRecord = {
    cluster: request.cluster,
    image: request.image.text,
    startedAt: new Date((hooks.now ?? Date.now)()).toISOString(),
    outcome: 'planned',
    services: [],
    targets: [],
    registered: [],
  };

  // 1. The before state.
  const services = await describeServices(ecs, request, hooks);
  const rules = await resolveRules(events, request, hooks);
  const targets: { rule: string; target: Target }[] = [];
  for (const rule of rules) {
    const listed = await retrying(`ListTargetsByRule ${rule}`, () => events.send(new ListTargetsByRuleCommand({ Rule: rule })), hooks);
    for (const target of listed.Targets ?? []) if (target.EcsParameters?.TaskDefinitionArn) targets.push({ rule, target });
  }

  // 2. The new revisions, planned from the revisions in use.
  const sources = new Map<string, { containers?: readonly string[]; users: string[] }>();
  for (const service of services) {
    const arn = service.service.taskDefinition ?? '';
    const entry = sources.get(arn) ?? { users: [], ...(service.containers ? { containers: service.containers } : {}) };
    entry.users.push(`service ${service.service.serviceName ?? '?'}`);
    sources.set(arn, entry);
  }
  for (const { rule, target } of targets) {
    const arn = target.EcsParameters?.TaskDefinitionArn ?? '';
    const entry = sources.get(arn) ?? { users: [], ...(request.containers ? { containers: request.containers } : {}) };
    entry.users.push(`rule ${rule}`);
    sources.set(arn, entry);
  }
  const plans = new Map<string, ReturnType<typeof newRevision>>();
  for (const [arn, source] of sources) {
    const described = await retrying(`DescribeTaskDefinition ${shortArn(arn)}`, () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })), hooks);
    if (!described.taskDefinition) throw new OperationError(`task definition ${arn} was not found`);
    const plan = newRevision(described.taskDefinition, described.tags, request.image, source.containers);
    if (plan.matched.length === 0) {
      const images = (described.taskDefinition.containerDefinitions ?? []).map((c) => `${c.name ?? '?'}=${c.image ?? '?'}`).join(', ');
      throw new InputError(
        `no container of ${shortArn(arn)} (used by ${source.users.join(', ')}) ${source.containers ? `is named ${source.containers.join(' or ')}` : `runs an image of ${imageName(request.image)}`} (containers: ${images}); pass --container NAME; nothing was registered`,
      );
    }
    plans.set(arn, plan);
  }
  for (const [arn, plan] of plans) {
    record.registered.push({ from: arn, changes: plan.changes });
    for (const change of plan.changes) hooks.progress(`${shortArn(arn)} ${change.container}: ${change.from} -> ${change.to}`);
    if (plan.changes.length === 0) hooks.progress(`${shortArn(arn)}: already runs ${request.image.text}`);
  }
  for (const service of services) {
    record.services.push({ name: service.service.serviceName ?? '?', before: service.service.taskDefinition ?? '', changes: plans.get(service.service.taskDefinition ?? '')?.changes ?? [] });
  }
  for (const { rule, target } of targets) record.targets.push({ rule, id: target.Id ?? '', before: target });
  if (request.dryRun) {
    for (const service of record.services) {
      hooks.progress(`would update service ${service.name}: ${shortArn(service.before)} -> ${service.changes.length > 0 ? `a new revision of ${shortArn(service.before).split(':')[0] ?? '?'}` : 'unchanged'}`);
    }
    for (const target of record.targets) {
      const arn = target.before.EcsParameters?.TaskDefinitionArn;
      const changes = plans.get(arn ?? '')?.changes.length ?? 0;
      hooks.progress(`would update rule ${target.rule} target ${target.id}: ${shortArn(arn)} -> ${changes > 0 ? 'its new revision' : 'unchanged'}`);
    }
    hooks.progress(`dry run: ${plans.size} task definition(s), ${services.length} service(s) and ${targets.length} scheduled target(s) would change; nothing was written`);
    return record;
  }

  try {
    // Registration: once per task definition in use.
    const registered = new Map<string, string>();
    for (const [arn, plan] of plans) {
      if (plan.changes.length === 0) {
        registered.set(arn, arn);
        continue;
      }
      const result = await retrying(`RegisterTaskDefinition ${shortArn(arn)}`, () => ecs.send(new RegisterTaskDefinitionCommand(plan.input)), hooks);
      const newArn = result.taskDefinition?.taskDefinitionArn ?? '';
      registered.set(arn, newArn);
      const entry = record.registered.find((item) => item.from === arn);
      if (entry) Object.assign(entry, { to: newArn });
      hooks.progress(`registered ${shortArn(newArn)}`);
    }

    // 3. Services, concurrently, each watched by its own deployment id.
    await Promise.all(
      record.services.map(async (service) => {
        const after = registered.get(service.before) ?? service.before;
        if (after === service.before) {
          service.outcome = 'unchanged';
          return;
        }
        const updated = await retrying(
          `UpdateService ${service.name}`,
          () => ecs.send(new UpdateServiceCommand({ cluster: request.cluster, service: service.name, taskDefinition: after })),
          hooks,
        );
        service.after = after;
        const ours = (updated.service?.deployments ?? []).find((deployment) => deployment.taskDefinition === after && deployment.status === 'PRIMARY');
        if (ours?.id !== undefined) service.deploymentId = ours.id;
        hooks.progress(`service ${service.name}: deploying ${shortArn(after)}${ours?.id !== undefined ? ` (deployment ${ours.id})` : ''}`);
        if (!request.wait) {
          service.outcome = 'not-waited';
          return;
        }
        await watch(ecs, request, service, updated.service, hooks);
        service.outcome = 'completed';
      }),
    );

    // 4. Scheduled targets, after the services.
    const byRule = new Map<string, Target[]>();
    for (const target of record.targets) {
      const arn = target.before.EcsParameters?.TaskDefinitionArn ?? '';
      const after = registered.get(arn) ?? arn;
      if (after === arn) continue;
      target.after = after;
      const changed: Target = { ...target.before, EcsParameters: { ...target.before.EcsParameters, TaskDefinitionArn: after } };
      byRule.set(target.rule, [...(byRule.get(target.rule) ?? []), changed]);
    }
    await putTargets(events, byRule, hooks, 'update');
    if (byRule.size > 0) hooks.progress(`updated ${[...byRule.values()].flat().length} scheduled target(s) of ${byRule.size} rule(s)`);
    record.outcome = 'deployed';
  } catch (error) {
    const interrupted = hooks.signal?.aborted === true;
    record.outcome = interrupted ? 'interrupted' : 'failed';
    record.reason = error instanceof Error ? error.message : String(error);
    await rollback(ecs, events, request, record, hooks);
    record.finishedAt = new Date((hooks.now ?? Date.now)()).toISOString();
    throw new DeployFailure(`${interrupted ? 'interrupted' : 'deploy failed'}: ${record.reason}; rolled back to the recorded before state`, record);
  }
  record.finishedAt = new Date((hooks.now ?? Date.now)()).toISOString();
  return record;
}

async function describeServices(ecs: ECSClient, request: DeployRequest, hooks: DeployHooks): Promise<{ service: Service; containers?: readonly string[] }[]> {
  if (request.services.length === 0) return [];
  const found: { service: Service; containers?: readonly string[] }[] = [];
  for (let i = 0; i < request.services.length; i += 10) {
    const batch = request.services.slice(i, i + 10);
    const described = await retrying(
      `DescribeServices in ${request.cluster}`,
      () => ecs.send(new DescribeServicesCommand({ cluster: request.cluster, services: batch.map((s) => s.name) })),
      hooks,
    ).catch((error: unknown) => {
      if (error instanceof OperationError && /ClusterNotFoundException/.test(error.message)) {
        throw new InputError(`cluster ${request.cluster} does not exist (or the role cannot see it); check the environment's cluster`);
      }
      throw error;
    });
    for (const wanted of batch) {
      const service = (described.services ?? []).find((s) => s.serviceName === wanted.name || s.serviceArn === wanted.name);
      if (!service || service.status === 'INACTIVE') {
        const reason = (described.failures ?? []).find((failure) => failure.arn?.endsWith(`/${wanted.name}`))?.reason ?? 'MISSING';
        throw new InputError(`service ${wanted.name} is not in cluster ${request.cluster} (${reason}); nothing was changed`);
      }
      found.push({ service, ...(wanted.containers ? { containers: wanted.containers } : request.containers ? { containers: request.containers } : {}) });
    }
  }
  return found;
}

async function resolveRules(events: EventBridgeClient, request: DeployRequest, hooks: DeployHooks): Promise<string[]> {
  const rules = new Set(request.rules);
  if (request.rulePrefix !== undefined) {
    let token: string | undefined;
    do {
      const page = await retrying(`ListRules ${request.rulePrefix}*`, () => events.send(new ListRulesCommand({ NamePrefix: request.rulePrefix, NextToken: token })), hooks);
      for (const rule of page.Rules ?? []) if (rule.Name) rules.add(rule.Name);
      token = page.NextToken;
    } while (token !== undefined);
  }
  return [...rules].sort();
}

async function putTargets(events: EventBridgeClient, byRule: Map<string, Target[]>, hooks: DeployHooks, what: string): Promise<void> {
  for (const [rule, list] of byRule) {
    for (let i = 0; i < list.length; i += 10) {
      const batch = list.slice(i, i + 10);
      const result = await retrying(`PutTargets ${rule}`, () => events.send(new PutTargetsCommand({ Rule: rule, Targets: batch })), hooks);
      if ((result.FailedEntryCount ?? 0) > 0) {
        const failed = (result.FailedEntries ?? []).map((entry) => `${entry.TargetId ?? '?'}: ${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`.trim());
        throw new OperationError(`PutTargets (${what}) of rule ${rule} failed for ${failed.join('; ')}`);
      }
    }
  }
}

/** Watches our deployment by id until COMPLETED; throws on FAILED, replacement, timeout or a signal. */
async function watch(ecs: ECSClient, request: DeployRequest, record: ServiceRecord, initial: Service | undefined, hooks: DeployHooks): Promise<void> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? defaultSleep;
  const deadline = now() + request.timeoutMs;
  const seenEvents = new Set((initial?.events ?? []).map((event) => event.id));
  let wait = hooks.pollMs?.first ?? 1000;
  const maxWait = hooks.pollMs?.max ?? 2000;
  let last = '';
  for (;;) {
    if (hooks.signal?.aborted === true) throw new OperationError(`service ${record.name}: stopped waiting on a signal`);
    if (now() >= deadline) throw new OperationError(`service ${record.name}: deployment ${record.deploymentId ?? '?'} did not complete within ${request.timeoutMs / 1000} s`);
    await sleep(wait, hooks.signal);
    if (isAborted(hooks)) throw new OperationError(`service ${record.name}: stopped waiting on a signal`);
    wait = Math.min(maxWait, Math.round(wait * 1.5));
    const described = await retrying(`DescribeServices ${record.name}`, () => ecs.send(new DescribeServicesCommand({ cluster: request.cluster, services: [record.name] })), hooks);
    const service = described.services?.[0];
    if (!service) throw new OperationError(`service ${record.name} disappeared while deploying`);
    for (const event of [...(service.events ?? [])].reverse()) {
      if (event.id !== undefined && !seenEvents.has(event.id)) {
        seenEvents.add(event.id);
        hooks.progress(`service ${record.name}: ${event.message ?? ''}`);
      }
    }
    const deployments = service.deployments ?? [];
    const ours = deployments.find((deployment) => deployment.id === record.deploymentId) ?? deployments.find((deployment) => deployment.taskDefinition === record.after);
    const state = deployments.map((d) => `${shortArn(d.taskDefinition)} ${d.status ?? '?'} ${d.runningCount ?? 0}/${d.desiredCount ?? 0} running, ${d.pendingCount ?? 0} pending`).join('; ');
    if (state !== last) {
      if (hooks.status) hooks.status(record.name, `service ${record.name}: ${state}`);
      else hooks.progress(`service ${record.name}: ${state}`);
      last = state;
    }
    if (!ours) throw new OperationError(`service ${record.name}: deployment ${record.deploymentId ?? '?'} was replaced by another deployment`);
    if (ours.rolloutState === 'COMPLETED') {
      hooks.progress(`service ${record.name}: ${shortArn(record.after)} completed`);
      return;
    }
    if (ours.rolloutState === 'FAILED') {
      throw new OperationError(`service ${record.name}: deployment failed (${ours.rolloutStateReason ?? 'no reason given'})`);
    }
    if (ours.status !== 'PRIMARY') {
      throw new OperationError(`service ${record.name}: deployment ${ours.id ?? '?'} is no longer the primary one (${ours.status ?? '?'}); another deployment replaced it`);
    }
  }
}

/** Puts back what a deploy record says was changed: the before task definitions and targets. */
export async function restore(ecs: ECSClient, events: EventBridgeClient, record: DeployRecord, hooks: DeployHooks): Promise<void> {
  await rollback(ecs, events, { cluster: record.cluster }, record, hooks);
}

/** Puts back what was changed: each updated service's task definition, each updated target. */
async function rollback(ecs: ECSClient, events: EventBridgeClient, request: Pick<DeployRequest, 'cluster'>, record: DeployRecord, hooks: DeployHooks): Promise<void> {
  const calm: DeployHooks = { ...hooks, signal: undefined as never };
  for (const service of record.services) {
    if (service.after === undefined) continue;
    await retrying(`rollback of service ${service.name}`, () => ecs.send(new UpdateServiceCommand({ cluster: request.cluster, service: service.name, taskDefinition: service.before })), calm);
    service.outcome = 'rolled-back';
    hooks.progress(`service ${service.name}: rolled back to ${shortArn(service.before)}`);
  }
  const byRule = new Map<string, Target[]>();
  for (const target of record.targets) {
    if (target.after === undefined) continue;
    byRule.set(target.rule, [...(byRule.get(target.rule) ?? []), target.before]);
  }
  await putTargets(events, byRule, calm, 'rollback');
  if (byRule.size > 0) hooks.progress(`scheduled targets of ${byRule.size} rule(s) restored`);
}
