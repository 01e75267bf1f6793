/**
 * The deploy record: what a deploy may touch, its before state, what it intends and what it did.
 * It is written ahead of every change (see journal.ts), so that after any failure, signal or
 * SIGKILL `rollback --record FILE` can put everything back.
 *
 * Every change the record lists carries a `state`:
 *   planned   nothing sent yet
 *   sending   the call was journaled and sent; its outcome is unknown until acknowledged
 *             (a lost answer, a kill): restore treats it as applied
 *   applied   AWS acknowledged it
 *   refused   AWS answered with a definite refusal: it did not take effect
 *   superseded  a newer deployment (not ours, not ECS's rollback) replaced it: the newer owns it
 *   restored  put back to the before state and verified
 *   left      could not be restored: `left` says what it is now
 *
 * To record a new kind of change (scheduled tasks of EventBridge Scheduler, say), add an array
 * of items that extend `Tracked`, with the full before state and the after state, and teach
 * restore.ts and verify.ts to read and put back that kind. The full record may hold secrets
 * (target inputs, container overrides): it is written with mode 0600 and never printed;
 * `summarize` gives the redacted form that may be shown or stored as an artifact.
 */
import type { Target } from '@aws-sdk/client-eventbridge';
import type { TaskRun } from './oneOffStep.js';
import type { ScheduleChange } from './schedules.js';
import type { ImageChange } from './taskDefinition.js';
import type { DeployTimings } from './timings.js';

export const RECORD_FORMAT = 'circle-fargate/deploy-record@1';

export type ChangeState = 'planned' | 'sending' | 'applied' | 'refused' | 'superseded' | 'restored' | 'left';

export interface Tracked {
  state: ChangeState;
  /** The last error of this change's call, for people. */
  error?: string;
  /** What it is now, when it could not be restored or was superseded. */
  left?: string;
}

export interface ServiceChange extends Tracked {
  readonly name: string;
  /** The task definition the service ran before. */
  readonly before: string;
  /** The task definition this deploy moves it to (equal to `before`: nothing to do). */
  after: string;
  /** Our deployment's id, once UpdateService answered. */
  deploymentId?: string;
  /** The deployments ours replaced (UpdateService's answer): their tasks' stops time the drain. */
  replaced?: string[];
  readonly changes: readonly ImageChange[];
  /** `serving`: `--wait-until serving` saw the new revision serve; its old tasks were left to drain. */
  rollout?: 'completed' | 'serving' | 'not-waited' | 'failed';
  /** When the new revision was seen serving (`--wait-until serving`), ISO. */
  servingAt?: string;
}

export interface TargetChange extends Tracked {
  readonly rule: string;
  readonly id: string;
  /** The whole target as it was (secret: Input holds container overrides). */
  readonly before: Target;
  /** The task definition the target runs after the deploy. */
  after: string;
}

export interface Registration extends Tracked {
  readonly from: string;
  to?: string;
  readonly changes: readonly ImageChange[];
}

export type Phase = 'planning' | 'registering' | 'tasks' | 'services' | 'targets' | 'restoring' | 'done';

/** A revision `--keep-revisions` deregisters after a successful deploy (not undone). */
export interface Deregistration extends Tracked {
  readonly arn: string;
}

export type Outcome =
  /** The deploy is running, or was killed: `rollback --record` finishes it. */
  | 'in-progress'
  | 'planned'
  | 'deployed'
  /** Failed, and everything it changed is verifiably back. */
  | 'rolled-back'
  /** Failed, and some of what it changed could not be put back: see the items in state `left`. */
  | 'not-restored';

export interface DeployRecord {
  readonly format: typeof RECORD_FORMAT;
  readonly id: string;
  readonly cluster: string;
  /** The cluster's ARN, as targets name it. */
  readonly clusterArn?: string;
  readonly image: string;
  readonly startedAt: string;
  finishedAt?: string;
  phase: Phase;
  outcome: Outcome;
  /** Why the deploy failed. */
  reason?: string;
  readonly registered: Registration[];
  readonly services: ServiceChange[];
  readonly targets: TargetChange[];
  /** EventBridge Scheduler schedules (whole before state each), moved with the targets. */
  readonly schedules?: ScheduleChange[];
  /** One-off tasks run before the services changed (never undone). */
  readonly tasks?: TaskRun[];
  /** Revisions deregistered by --keep-revisions after the deploy succeeded. */
  readonly deregistered?: Deregistration[];
  /** Where the time went: the engine's phases, and each service's rollout by ECS's timestamps. */
  timings?: DeployTimings;
}

/** The record's items that hold a change this deploy may have made (sent, acknowledged or not). */
export function touched<T extends Tracked>(items: readonly T[]): T[] {
  return items.filter((item) => item.state !== 'planned' && item.state !== 'refused');
}

export interface RecordSummary {
  readonly format: typeof RECORD_FORMAT;
  readonly id: string;
  readonly cluster: string;
  readonly image: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly phase: Phase;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly registered: readonly { readonly from: string; readonly to?: string; readonly state: ChangeState; readonly changes: readonly ImageChange[] }[];
  readonly services: readonly Omit<ServiceChange, never>[];
  readonly targets: readonly { readonly rule: string; readonly id: string; readonly before: string; readonly after: string; readonly state: ChangeState; readonly error?: string; readonly left?: string }[];
  readonly schedules?: readonly { readonly group: string; readonly name: string; readonly before: string; readonly after: string; readonly state: ChangeState; readonly error?: string; readonly left?: string }[];
  readonly tasks?: readonly TaskRun[];
  readonly deregistered?: readonly Deregistration[];
  readonly timings?: DeployTimings;
}

/**
 * The record without what may be secret: targets keep only rule, id and task definitions (their
 * Input, InputTransformer and parameters are dropped). Safe to print, and to store as an artifact.
 */
export function summarize(record: DeployRecord): RecordSummary {
  return {
    format: record.format,
    id: record.id,
    cluster: record.cluster,
    image: record.image,
    startedAt: record.startedAt,
    ...(record.finishedAt !== undefined ? { finishedAt: record.finishedAt } : {}),
    phase: record.phase,
    outcome: record.outcome,
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    registered: record.registered.map((item) => ({ from: item.from, ...(item.to !== undefined ? { to: item.to } : {}), state: item.state, changes: item.changes })),
    services: record.services.map((service) => ({ ...service })),
    targets: record.targets.map((target) => ({
      rule: target.rule,
      id: target.id,
      before: target.before.EcsParameters?.TaskDefinitionArn ?? '',
      after: target.after,
      state: target.state,
      ...(target.error !== undefined ? { error: target.error } : {}),
      ...(target.left !== undefined ? { left: target.left } : {}),
    })),
    ...(record.schedules !== undefined
      ? {
          schedules: record.schedules.map((item) => ({
            group: item.group,
            name: item.name,
            before: item.before.Target?.EcsParameters?.TaskDefinitionArn ?? '',
            after: item.after,
            state: item.state,
            ...(item.error !== undefined ? { error: item.error } : {}),
            ...(item.left !== undefined ? { left: item.left } : {}),
          })),
        }
      : {}),
    ...(record.tasks !== undefined ? { tasks: record.tasks.map((item) => ({ ...item })) } : {}),
    ...(record.deregistered !== undefined ? { deregistered: record.deregistered.map((item) => ({ ...item })) } : {}),
    ...(record.timings !== undefined ? { timings: record.timings } : {}),
  };
}

/** Checks that a parsed file is a deploy record of this format; returns one problem per line. */
export function recordProblems(value: unknown): string[] {
  const record = value as Partial<DeployRecord> | null;
  if (typeof record !== 'object' || record === null) return ['not a JSON object'];
  const problems: string[] = [];
  if (record.format !== RECORD_FORMAT) problems.push(`format: expected "${RECORD_FORMAT}" (got ${JSON.stringify(record.format)})`);
  if (typeof record.cluster !== 'string') problems.push('cluster: required');
  if (!Array.isArray(record.services)) problems.push('services: required');
  if (!Array.isArray(record.targets)) problems.push('targets: required');
  if (!Array.isArray(record.registered)) problems.push('registered: required');
  for (const [index, service] of (Array.isArray(record.services) ? record.services : []).entries()) {
    if (typeof service.name !== 'string' || typeof service.before !== 'string' || typeof service.after !== 'string' || typeof service.state !== 'string') {
      problems.push(`services[${index}]: needs name, before, after and state`);
    }
  }
  for (const [index, target] of (Array.isArray(record.targets) ? record.targets : []).entries()) {
    if (typeof target.rule !== 'string' || typeof target.id !== 'string' || typeof target.before !== 'object' || typeof target.after !== 'string' || typeof target.state !== 'string') {
      problems.push(`targets[${index}]: needs rule, id, before, after and state`);
    }
  }
  return problems;
}
