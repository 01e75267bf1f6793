/**
 * `--wait-until serving`: a rolling deployment counts as done once its new revision serves
 * everyone, without waiting for the old tasks to drain (a target group's deregistration delay is
 * 300 s by default; ECS reports the deployment COMPLETED only after it). Serving means, read from
 * AWS at that moment:
 *
 * - the deployment runs as many tasks as it wants (runningCount >= desiredCount, none pending),
 *   and every one of its tasks is RUNNING;
 * - every container of those tasks that has a health check in the task definition is HEALTHY
 *   (ECS's container health; a container without one has nothing to report);
 * - in each target group of the service (its `loadBalancers`), every one of those tasks is a
 *   registered target in state `healthy` (ELBv2 DescribeTargetHealth, the task's private IP and
 *   the container port, as Fargate's awsvpc mode registers it).
 *
 * What is NOT verified then: that the deployment completes. ECS may still stop a new task later
 * (a crash after the health checks, Spot interruption) or the circuit breaker may still roll the
 * deployment back while the old tasks drain; the deploy has exited 0 by then and does not see it.
 * That is what a team gives up for the minutes of draining.
 */
import type { Deployment, ECSClient, Service, Task } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { retrying, type CallHooks } from './calls.js';
import { deploymentTasks, type Sends } from './state.js';

export type WaitUntil = 'serving' | 'complete';

export interface ServingCheck {
  readonly serving: boolean;
  /** What is still missing, for people (empty when serving). */
  readonly why: string;
}

/** The task's private IPv4 address (awsvpc: its elastic network interface). */
export function taskAddress(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    const found = (attachment.details ?? []).find((detail) => detail.name === 'privateIPv4Address');
    if (found?.value !== undefined) return found.value;
  }
  return task.containers?.flatMap((container) => container.networkInterfaces ?? []).find((item) => item.privateIpv4Address !== undefined)?.privateIpv4Address;
}

/**
 * Whether a deployment serves (pure): its tasks, the containers with health checks, and the
 * target health of each of the service's target groups (target group ARN -> its targets).
 */
export function servingOf(
  service: Pick<Service, 'loadBalancers'>,
  deployment: Deployment,
  tasks: readonly Task[],
  healthChecked: ReadonlySet<string>,
  targetHealth: ReadonlyMap<string, readonly TargetHealthDescription[]>,
): ServingCheck {
  const wanted = deployment.desiredCount ?? 0;
  if ((deployment.runningCount ?? 0) < wanted || (deployment.pendingCount ?? 0) > 0) return { serving: false, why: `${deployment.runningCount ?? 0} of ${wanted} task(s) running` };
  const running = tasks.filter((task) => task.lastStatus === 'RUNNING' && task.desiredStatus !== 'STOPPED');
  if (running.length < wanted) return { serving: false, why: `${running.length} of ${wanted} task(s) RUNNING` };
  for (const task of running) {
    const sick = (task.containers ?? []).filter((container) => healthChecked.has(container.name ?? '') && container.healthStatus !== 'HEALTHY');
    if (sick.length > 0) return { serving: false, why: `container ${sick.map((c) => `${c.name ?? '?'} ${c.healthStatus ?? 'UNKNOWN'}`).join(', ')} of task ${(task.taskArn ?? '?').split('/').pop() ?? '?'}` };
  }
  for (const balancer of service.loadBalancers ?? []) {
    if (balancer.targetGroupArn === undefined) continue;
    const group = balancer.targetGroupArn.split('/').slice(-2, -1)[0] ?? balancer.targetGroupArn;
    const targets = targetHealth.get(balancer.targetGroupArn) ?? [];
    for (const task of running) {
      const address = taskAddress(task);
      const target = targets.find((item) => item.Target?.Id === address && (balancer.containerPort === undefined || item.Target?.Port === balancer.containerPort));
      const state = target?.TargetHealth?.State;
      if (state !== 'healthy') return { serving: false, why: `task ${(task.taskArn ?? '?').split('/').pop() ?? '?'} (${address ?? 'no address'}) is ${state ?? 'not registered'} in target group ${group}` };
    }
  }
  return { serving: true, why: '' };
}

/** Reads what `servingOf` needs: the deployment's running tasks and its service's target health. */
export async function readServing(
  ecs: ECSClient,
  elb: Sends<ElasticLoadBalancingV2Client> | undefined,
  cluster: string,
  service: Service,
  deployment: Deployment,
  healthChecked: ReadonlySet<string>,
  hooks: CallHooks,
): Promise<ServingCheck> {
  const wanted = deployment.desiredCount ?? 0;
  if ((deployment.runningCount ?? 0) < wanted || (deployment.pendingCount ?? 0) > 0) return servingOf(service, deployment, [], healthChecked, new Map());
  const tasks = await deploymentTasks(ecs, cluster, service.serviceName ?? '?', deployment.id ?? '', hooks);
  const health = new Map<string, TargetHealthDescription[]>();
  const groups = (service.loadBalancers ?? []).map((balancer) => balancer.targetGroupArn).filter((arn): arn is string => arn !== undefined);
  if (groups.length > 0) {
    if (!elb) return { serving: false, why: 'no Elastic Load Balancing client to read the target groups' };
    const { DescribeTargetHealthCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
    for (const group of new Set(groups)) {
      const answer = await retrying(`DescribeTargetHealth ${group.split('/').slice(-2, -1)[0] ?? group}`, () => elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group })), hooks);
      health.set(group, answer.TargetHealthDescriptions ?? []);
    }
  }
  return servingOf(service, deployment, tasks, healthChecked, health);
}
