/**
 * Reading what is there now: the cluster, services, scheduled rules and their targets, task
 * definitions. Deploy reads the before state with it; restore and verify read the state again.
 */
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type Service, type Tag, type Task, type TaskDefinition } from '@aws-sdk/client-ecs';
import { ListRulesCommand, ListTargetsByRuleCommand, type EventBridgeClient, type Target } from '@aws-sdk/client-eventbridge';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { InputError, OperationError } from '../errors.js';
import { CallFailed, retrying, type CallHooks } from './calls.js';
import { shortArn } from './taskDefinition.js';

/** The part of an AWS SDK v3 client the engine calls (sdk.ts makes the clients). */
export type Sends<C extends { send: unknown }> = Pick<C, 'send'>;

export interface Clients {
  readonly ecs: ECSClient;
  readonly events: EventBridgeClient;
  /** EventBridge Scheduler: needed when a deploy or its record has schedules. */
  readonly scheduler?: Sends<SchedulerClient>;
  /** CloudWatch Logs: one-off tasks' log lines, and the log group check. */
  readonly logs?: Sends<CloudWatchLogsClient>;
  /** With `iam` and `logs`: the checks before any change (image, roles, log groups). */
  readonly ecr?: Sends<ECRClient>;
  readonly iam?: Sends<IAMClient>;
  /** Elastic Load Balancing: target health, for `--wait-until serving`. */
  readonly elb?: Sends<ElasticLoadBalancingV2Client>;
}

/** The cluster's ARN (targets name their cluster by ARN); refuses a cluster that is not there. */
export async function clusterArn(ecs: ECSClient, cluster: string, hooks: CallHooks): Promise<string> {
  const described = await retrying(`DescribeClusters ${cluster}`, () => ecs.send(new DescribeClustersCommand({ clusters: [cluster] })), hooks);
  const found = (described.clusters ?? []).find((candidate) => candidate.status !== 'INACTIVE');
  if (!found?.clusterArn) throw new InputError(`cluster ${cluster} does not exist (or the role cannot see it); check the environment's cluster; nothing was changed`);
  return found.clusterArn;
}

/** Services by name, in the order asked; missing or inactive ones are refused. */
export async function describeServices(ecs: ECSClient, cluster: string, names: readonly string[], hooks: CallHooks): Promise<Service[]> {
  const found: Service[] = [];
  for (let i = 0; i < names.length; i += 10) {
    const batch = names.slice(i, i + 10);
    const described = await retrying(`DescribeServices in ${cluster}`, () => ecs.send(new DescribeServicesCommand({ cluster, services: [...batch] })), hooks).catch((error: unknown) => {
      if (error instanceof CallFailed && error.awsName === 'ClusterNotFoundException') {
        throw new InputError(`cluster ${cluster} does not exist (or the role cannot see it); check the environment's cluster; nothing was changed`);
      }
      throw error;
    });
    for (const name of batch) {
      const service = (described.services ?? []).find((s) => s.serviceName === name || s.serviceArn === name);
      if (!service || service.status === 'INACTIVE') {
        const reason = (described.failures ?? []).find((failure) => failure.arn?.endsWith(`/${name}`))?.reason ?? 'MISSING';
        throw new InputError(`service ${name} is not in cluster ${cluster} (${reason}); nothing was changed`);
      }
      found.push(service);
    }
  }
  return found;
}

/** One service as it is now, or undefined when it is gone. */
export async function describeService(ecs: ECSClient, cluster: string, name: string, hooks: CallHooks): Promise<Service | undefined> {
  const described = await retrying(`DescribeServices ${name}`, () => ecs.send(new DescribeServicesCommand({ cluster, services: [name] })), hooks);
  const service = described.services?.[0];
  return service && service.status !== 'INACTIVE' ? service : undefined;
}

/** Pages of ListTasks read for one deployment's tasks (100 a page). */
const TASK_PAGES = 3;

/**
 * The running (or stopped) tasks a deployment started, described (at most 300 of the service's).
 * Listed by the service, not by `startedBy`: "When you specify startedBy as the filter, it must
 * be the only filter that you use" (ECS API reference, ListTasks), so it cannot go with
 * desiredStatus; each described task's `startedBy` (its deployment's id) picks them out.
 */
export async function deploymentTasks(ecs: ECSClient, cluster: string, service: string, deploymentId: string, hooks: CallHooks, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> {
  return (await serviceTasks(ecs, cluster, service, hooks, desiredStatus)).filter((task) => task.startedBy === deploymentId);
}

/** The stopped tasks the given deployments of a service started (one listing for all of them). */
export async function deploymentTasksOf(ecs: ECSClient, cluster: string, service: string, deploymentIds: readonly string[], hooks: CallHooks): Promise<Task[]> {
  return (await serviceTasks(ecs, cluster, service, hooks, 'STOPPED')).filter((task) => deploymentIds.includes(task.startedBy ?? ''));
}

/**
 * The service's tasks of a desired status (its first 300), described; `known`: tasks described
 * before, listed but not described again.
 */
export async function serviceTasks(ecs: ECSClient, cluster: string, service: string, hooks: CallHooks, desiredStatus: 'RUNNING' | 'STOPPED', known?: ReadonlySet<string>): Promise<Task[]> {
  const arns: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < TASK_PAGES; page++) {
    const listed = await retrying(`ListTasks ${service}`, () => ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, ...(token !== undefined ? { nextToken: token } : {}) })), hooks);
    arns.push(...(listed.taskArns ?? []).filter((arn) => known?.has(arn) !== true));
    token = listed.nextToken;
    if (token === undefined) break;
  }
  const tasks: Task[] = [];
  for (let from = 0; from < arns.length; from += 100) {
    const chunk = arns.slice(from, from + 100);
    tasks.push(...((await retrying(`DescribeTasks ${service}`, () => ecs.send(new DescribeTasksCommand({ cluster, tasks: chunk })), hooks)).tasks ?? []));
  }
  return tasks;
}

/** Rule names: those given, and every rule whose name starts with the prefix. */
export async function resolveRules(events: EventBridgeClient, rules: readonly string[], prefix: string | undefined, hooks: CallHooks): Promise<string[]> {
  const names = new Set(rules);
  if (prefix !== undefined) {
    let token: string | undefined;
    do {
      const page = await retrying(`ListRules ${prefix}*`, () => events.send(new ListRulesCommand({ NamePrefix: prefix, NextToken: token })), hooks);
      for (const rule of page.Rules ?? []) if (rule.Name) names.add(rule.Name);
      token = page.NextToken;
    } while (token !== undefined);
  }
  return [...names].sort();
}

/** Every target of a rule (all pages). */
export async function listTargets(events: EventBridgeClient, rule: string, hooks: CallHooks): Promise<Target[]> {
  const targets: Target[] = [];
  let token: string | undefined;
  do {
    const page = await retrying(`ListTargetsByRule ${rule}`, () => events.send(new ListTargetsByRuleCommand({ Rule: rule, NextToken: token })), hooks);
    targets.push(...(page.Targets ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return targets;
}

export async function describeTaskDefinition(ecs: ECSClient, arn: string, hooks: CallHooks): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] | undefined }> {
  const described = await retrying(`DescribeTaskDefinition ${shortArn(arn)}`, () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })), hooks);
  if (!described.taskDefinition) throw new OperationError(`task definition ${arn} was not found`);
  return { taskDefinition: described.taskDefinition, tags: described.tags };
}
