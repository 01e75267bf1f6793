/**
 * The deploy plan, pure: from the state read before anything changes to what will change.
 * Scope is decided here: services whose deployment controller is not ECS are refused (CodeDeploy
 * and external controllers refuse a task definition change through UpdateService), and only
 * targets that run on the deploy's own cluster are changed.
 */
import type { Service, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import type { Target } from '@aws-sdk/client-eventbridge';
import { InputError } from '../errors.js';
import { imageName, type ImageRef } from './imageRef.js';
import { RECORD_FORMAT, type DeployRecord } from './record.js';
import type { FoundSchedule } from './schedules.js';
import { newRevision, shortArn, type NewRevision } from './taskDefinition.js';

export interface ServiceToDeploy {
  readonly service: Service;
  /** Containers to update (default: those running the image's repository). */
  readonly containers?: readonly string[];
}

export interface RuleTargets {
  readonly rule: string;
  readonly targets: readonly Target[];
}

/** Refuses services with a CODE_DEPLOY or EXTERNAL deployment controller, all at once. */
export function refuseForeignControllers(services: readonly Service[]): void {
  const foreign = services.filter((service) => (service.deploymentController?.type ?? 'ECS') !== 'ECS');
  if (foreign.length === 0) return;
  const list = foreign.map((service) => `${service.serviceName ?? '?'} (${service.deploymentController?.type ?? '?'})`).join(', ');
  throw new InputError(
    `service(s) ${list} use a deployment controller other than ECS: UpdateService cannot change their task definition; deploy them with CodeDeploy or their controller; nothing was registered`,
  );
}

/** Targets that run a task on the deploy's cluster; the others are named in `skipped`. */
export function targetsInScope(rules: readonly RuleTargets[], clusterArn: string): { inScope: { rule: string; target: Target }[]; skipped: string[] } {
  const inScope: { rule: string; target: Target }[] = [];
  const skipped: string[] = [];
  for (const { rule, targets } of rules) {
    for (const target of targets) {
      if (!target.EcsParameters?.TaskDefinitionArn) continue;
      if (target.Arn !== clusterArn) {
        skipped.push(`rule ${rule} target ${target.Id ?? '?'} runs on ${target.Arn ?? '?'}, not ${clusterArn}: left unchanged`);
        continue;
      }
      inScope.push({ rule, target });
    }
  }
  return { inScope, skipped };
}

/** Task definitions in use, each with who uses it and which containers to update. */
export function sourcesInUse(
  services: readonly ServiceToDeploy[],
  targets: readonly { rule: string; target: Target }[],
  containers: readonly string[] | undefined,
  schedules: readonly FoundSchedule[] = [],
): Map<string, { containers?: readonly string[]; users: string[] }> {
  const sources = new Map<string, { containers?: readonly string[]; users: string[] }>();
  for (const { service, containers: chosen } of services) {
    const arn = service.taskDefinition ?? '';
    const entry = sources.get(arn) ?? { users: [], ...(chosen ? { containers: chosen } : {}) };
    entry.users.push(`service ${service.serviceName ?? '?'}`);
    sources.set(arn, entry);
  }
  for (const { rule, target } of targets) {
    const arn = target.EcsParameters?.TaskDefinitionArn ?? '';
    const entry = sources.get(arn) ?? { users: [], ...(containers ? { containers } : {}) };
    entry.users.push(`rule ${rule}`);
    sources.set(arn, entry);
  }
  for (const { group, name, schedule } of schedules) {
    const arn = schedule.Target?.EcsParameters?.TaskDefinitionArn ?? '';
    const entry = sources.get(arn) ?? { users: [], ...(containers ? { containers } : {}) };
    entry.users.push(`schedule ${group}/${name}`);
    sources.set(arn, entry);
  }
  return sources;
}

export interface PlanInput {
  readonly id: string;
  readonly cluster: string;
  readonly clusterArn: string;
  readonly image: ImageRef;
  readonly startedAt: string;
  readonly services: readonly ServiceToDeploy[];
  readonly targets: readonly { rule: string; target: Target }[];
  /** EventBridge Scheduler schedules on the cluster, read whole. */
  readonly schedules?: readonly FoundSchedule[];
  readonly containers?: readonly string[];
  readonly definitions: ReadonlyMap<string, { taskDefinition: TaskDefinition; tags: Tag[] | undefined }>;
}

export interface DeployPlan {
  readonly record: DeployRecord;
  /** New revisions to register, by the task definition they come from. */
  readonly revisions: ReadonlyMap<string, NewRevision>;
}

/** The plan and the record it starts: every change `planned`, with its before state. */
export function planDeploy(input: PlanInput): DeployPlan {
  const sources = sourcesInUse(input.services, input.targets, input.containers, input.schedules);
  const revisions = new Map<string, NewRevision>();
  for (const [arn, source] of sources) {
    const described = input.definitions.get(arn);
    if (!described) throw new InputError(`task definition ${arn} was not described`);
    const revision = newRevision(described.taskDefinition, described.tags, input.image, source.containers);
    if (revision.matched.length === 0) {
      const images = (described.taskDefinition.containerDefinitions ?? []).map((c) => `${c.name ?? '?'}=${c.image ?? '?'}`).join(', ');
      throw new InputError(
        `no container of ${shortArn(arn)} (used by ${source.users.join(', ')}) ${source.containers ? `is named ${source.containers.join(' or ')}` : `runs an image of ${imageName(input.image)}`} (containers: ${images}); pass --container NAME; nothing was registered`,
      );
    }
    revisions.set(arn, revision);
  }
  const record: DeployRecord = {
    format: RECORD_FORMAT,
    id: input.id,
    cluster: input.cluster,
    clusterArn: input.clusterArn,
    image: input.image.text,
    startedAt: input.startedAt,
    phase: 'planning',
    outcome: 'in-progress',
    registered: [...revisions].map(([from, revision]) => ({ from, changes: revision.changes, state: revision.changes.length === 0 ? 'applied' : 'planned', ...(revision.changes.length === 0 ? { to: from } : {}) })),
    services: input.services.map(({ service }) => {
      const before = service.taskDefinition ?? '';
      return { name: service.serviceName ?? '?', before, after: before, changes: revisions.get(before)?.changes ?? [], state: 'planned' };
    }),
    targets: input.targets.map(({ rule, target }) => {
      const before = target.EcsParameters?.TaskDefinitionArn ?? '';
      return { rule, id: target.Id ?? '', before: target, after: before, state: 'planned' };
    }),
    ...(input.schedules !== undefined && input.schedules.length > 0
      ? { schedules: input.schedules.map(({ group, name, schedule }) => ({ group, name, before: schedule, after: schedule.Target?.EcsParameters?.TaskDefinitionArn ?? '', state: 'planned' as const })) }
      : {}),
  };
  return { record, revisions };
}

/** Lines for `--dry-run` and the start of a deploy. */
export function describePlan(plan: DeployPlan): string[] {
  const lines: string[] = [];
  for (const [arn, revision] of plan.revisions) {
    for (const change of revision.changes) lines.push(`${shortArn(arn)} ${change.container}: ${change.from} -> ${change.to}`);
    if (revision.changes.length === 0) lines.push(`${shortArn(arn)}: already runs ${plan.record.image}`);
  }
  return lines;
}
