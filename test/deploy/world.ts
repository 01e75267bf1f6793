/**
 * A small deploy world on moto for one test: its own cluster, services and scheduled rules (unique
 * names, so tests can share one moto), the before state read back, and checks of the final state
 * against moto itself.
 */
import assert from 'node:assert/strict';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand, type Target } from '@aws-sdk/client-eventbridge';

export const SECRET = 'hunter2-never-shown';
export const IMAGE = `localhost:5000/monolith/app@sha256:${'e'.repeat(64)}`;

export interface World {
  readonly cluster: string;
  readonly services: readonly string[];
  readonly rules: readonly string[];
  readonly prefix: string;
  /** A rule with the prefix whose target runs on another cluster. */
  readonly foreignRule?: string;
  /** Service name -> task definition ARN, rule -> targets, as created. */
  readonly before: { services: Map<string, string>; targets: Map<string, Target[]> };
  readonly ecs: ECSClient;
  readonly events: EventBridgeClient;
}

let worlds = 0;

type Environment = { name: string; value: string }[];

export interface WorldOptions {
  readonly services?: number;
  readonly rules?: number;
  readonly targetsPerRule?: number;
  readonly foreign?: boolean;
  readonly controller?: 'CODE_DEPLOY' | 'EXTERNAL';
  /** The names' stem (default: unique per process and world). */
  readonly name?: string;
  /** Services' desired count (default 2; with 0, moto's one deployment is COMPLETED). */
  readonly desiredCount?: number;
  /** The app container's environment (default DB_PASSWORD=SECRET). */
  readonly appEnvironment?: Environment;
  /** The batch container's environment (default none). */
  readonly batchEnvironment?: Environment;
  /** Each target's container override environment (default API_KEY=SECRET). */
  readonly inputEnvironment?: (rule: string) => Environment;
}

export async function createWorld(url: string, options: WorldOptions = {}): Promise<World> {
  worlds++;
  const name = options.name ?? `w${process.pid}-${worlds}`;
  const config = { endpoint: url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const ecs = new ECSClient(config);
  const events = new EventBridgeClient(config);
  const cluster = `${name}-cluster`;
  const created = await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const clusterArn = created.cluster?.clusterArn ?? '';
  const app = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${name}-app`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'localhost:5000/monolith/app:old', essential: true, environment: options.appEnvironment ?? [{ name: 'DB_PASSWORD', value: SECRET }] }],
    }),
  );
  const services: string[] = [];
  const before = { services: new Map<string, string>(), targets: new Map<string, Target[]>() };
  for (let i = 0; i < (options.services ?? 1); i++) {
    const service = `${name}-svc${i}`;
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service,
        taskDefinition: app.taskDefinition?.taskDefinitionArn,
        desiredCount: options.desiredCount ?? 2,
        ...(options.controller ? { deploymentController: { type: options.controller } } : {}),
      }),
    );
    services.push(service);
    before.services.set(service, app.taskDefinition?.taskDefinitionArn ?? '');
  }
  const batch = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${name}-batch`,
      containerDefinitions: [{ name: 'batch', image: 'localhost:5000/monolith/app:old', essential: true, memory: 256, ...(options.batchEnvironment ? { environment: options.batchEnvironment } : {}) }],
    }),
  );
  const prefix = `${name}-batch-`;
  const rules: string[] = [];
  const target = (id: string, rule: string, arn: string): Target => ({
    Id: id,
    Arn: arn,
    RoleArn: 'arn:aws:iam::123456789012:role/events-run-task',
    Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', rule], environment: options.inputEnvironment?.(rule) ?? [{ name: 'API_KEY', value: SECRET }] }] }),
    EcsParameters: { TaskDefinitionArn: batch.taskDefinition?.taskDefinitionArn, TaskCount: 1, LaunchType: 'FARGATE', NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' } } },
  });
  for (let i = 0; i < (options.rules ?? 0); i++) {
    const rule = `${prefix}${String(i).padStart(2, '0')}`;
    await events.send(new PutRuleCommand({ Name: rule, ScheduleExpression: 'cron(0 3 * * ? *)' }));
    const targets = Array.from({ length: options.targetsPerRule ?? 1 }, (_, j) => target(`t${j}`, rule, clusterArn));
    await events.send(new PutTargetsCommand({ Rule: rule, Targets: targets }));
    rules.push(rule);
    before.targets.set(rule, (await events.send(new ListTargetsByRuleCommand({ Rule: rule }))).Targets ?? []);
  }
  let foreignRule: string | undefined;
  if (options.foreign === true) {
    foreignRule = `${prefix}other-cluster`;
    await events.send(new PutRuleCommand({ Name: foreignRule, ScheduleExpression: 'cron(0 4 * * ? *)' }));
    await events.send(new PutTargetsCommand({ Rule: foreignRule, Targets: [target('t0', foreignRule, clusterArn.replace(/cluster\/.*$/, 'cluster/someone-else'))] }));
    before.targets.set(foreignRule, (await events.send(new ListTargetsByRuleCommand({ Rule: foreignRule }))).Targets ?? []);
  }
  return { cluster, services, rules, prefix, ...(foreignRule !== undefined ? { foreignRule } : {}), before, ecs, events };
}

export async function serviceTaskDefinitions(world: World): Promise<Map<string, string>> {
  const described = await world.ecs.send(new DescribeServicesCommand({ cluster: world.cluster, services: [...world.services] }));
  return new Map((described.services ?? []).map((service) => [service.serviceName ?? '', service.taskDefinition ?? '']));
}

export async function targetsNow(world: World): Promise<Map<string, Target[]>> {
  const now = new Map<string, Target[]>();
  for (const rule of world.before.targets.keys()) now.set(rule, (await world.events.send(new ListTargetsByRuleCommand({ Rule: rule }))).Targets ?? []);
  return now;
}

/** moto holds exactly the before state: every service's task definition, every target whole. */
export async function assertBeforeState(world: World, message = ''): Promise<void> {
  assert.deepEqual(await serviceTaskDefinitions(world), world.before.services, `services ${message}`);
  assert.deepEqual(await targetsNow(world), world.before.targets, `targets ${message}`);
}
