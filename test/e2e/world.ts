/**
 * The example's AWS account on moto, as its Terraform roots describe it (terraform/ENV/*.tf):
 * per environment a cluster, the app service (Fargate, awsvpc, circuit breaker) on a task
 * definition whose image is the `bootstrap` tag, one EventBridge rule per batch of
 * terraform/ENV/batches.tf (80) targeting the batch task definition, a few EventBridge Scheduler
 * schedules in the environment's group (the newer batches), the log group the tasks write to,
 * the roles the tasks, rules and schedules name;
 * and the ECR repository. `readBack` reads what a deploy left: each service's, rule target's and
 * schedule's task definition and image.
 */
import { CreateLogGroupCommand, CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateScheduleCommand, CreateScheduleGroupCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultNetwork } from '../helpers/awsNetwork.js';
import { ECR_HOST } from './daemons.js';

const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-1';
export const REPOSITORY_NAME = 'monolith/app';
/** Newer batches, run by EventBridge Scheduler rather than a rule. */
const SCHEDULES = 6;

function clients(url: string) {
  const config = { endpoint: url, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  return { ecs: new ECSClient(config), events: new EventBridgeClient(config), scheduler: new SchedulerClient(config), ecr: new ECRClient(config), logs: new CloudWatchLogsClient(config), iam: new IAMClient(config) };
}

/** The batch names of terraform/ENV/batches.tf (its `batches` map). */
export function batchNames(example: string, environment: string): string[] {
  const text = readFileSync(path.join(example, 'terraform', environment, 'batches.tf'), 'utf8');
  return [...text.matchAll(/^\s*"([a-z0-9-]+)"\s*=\s*"cron\(/gm)].map((match) => match[1] as string);
}

export async function createWorld(url: string, example: string, environments: readonly string[]): Promise<void> {
  const aws = clients(url);
  await aws.ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY_NAME }));
  const network = await defaultNetwork(url);
  for (const env of environments) {
    const cluster = `monolith-${env}`;
    for (const [role, service] of [['task-execution', 'ecs-tasks'], ['events', 'events'], ['scheduler', 'scheduler']] as const) {
      const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: `${service}.amazonaws.com` }, Action: 'sts:AssumeRole' }] };
      await aws.iam.send(new CreateRoleCommand({ RoleName: `monolith-${env}-${role}`, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    }
    const clusterArn = (await aws.ecs.send(new CreateClusterCommand({ clusterName: cluster }))).cluster?.clusterArn;
    const logGroup = `/ecs/monolith-${env}`;
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
    const logConfiguration = (prefix: string) => ({ logDriver: 'awslogs' as const, options: { 'awslogs-group': logGroup, 'awslogs-region': REGION, 'awslogs-stream-prefix': prefix } });
    const bootstrap = `${ECR_HOST}/${REPOSITORY_NAME}:bootstrap`;
    const app = await aws.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `monolith-${env}-app`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '1024',
        memory: '2048',
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/monolith-${env}-task-execution`,
        containerDefinitions: [{ name: 'app', image: bootstrap, essential: true, cpu: 1024, memory: 2048, portMappings: [{ containerPort: 80 }], logConfiguration: logConfiguration('app') }],
      }),
    );
    await aws.ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: `monolith-${env}-app`,
        taskDefinition: app.taskDefinition?.taskDefinitionArn,
        desiredCount: 3,
        // Terraform gives it a capacity provider strategy (FARGATE, FARGATE_SPOT); moto reports
        // such a service as launch type EC2 and cannot run its one-off tasks, so: FARGATE.
        launchType: 'FARGATE',
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
        networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup] } },
      }),
    );
    const batch = await aws.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `monolith-${env}-batch`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        containerDefinitions: [{ name: 'batch', image: bootstrap, essential: true, cpu: 512, memory: 1024, logConfiguration: logConfiguration('batch') }],
      }),
    );
    const ecsParameters = { TaskDefinitionArn: batch.taskDefinition?.taskDefinitionArn, TaskCount: 1, LaunchType: 'FARGATE' as const, NetworkConfiguration: { awsvpcConfiguration: { Subnets: [network.subnet], AssignPublicIp: 'DISABLED' as const } } };
    const names = batchNames(example, env);
    for (const name of names) {
      const rule = `monolith-${env}-batch-${name}`;
      await aws.events.send(new PutRuleCommand({ Name: rule, ScheduleExpression: 'cron(0 3 * * ? *)' }));
      await aws.events.send(
        new PutTargetsCommand({
          Rule: rule,
          Targets: [{ Id: 'batch', Arn: clusterArn, RoleArn: `arn:aws:iam::${ACCOUNT}:role/monolith-${env}-events`, Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', name] }] }), EcsParameters: ecsParameters }],
        }),
      );
    }
    const group = `monolith-${env}-batches`;
    await aws.scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
    for (let i = 0; i < SCHEDULES; i++) {
      await aws.scheduler.send(
        new CreateScheduleCommand({
          Name: `report-${i}`,
          GroupName: group,
          ScheduleExpression: `cron(${i * 5} 4 * * ? *)`,
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: clusterArn,
            RoleArn: `arn:aws:iam::${ACCOUNT}:role/monolith-${env}-scheduler`,
            Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', `report-${i}`] }] }),
            EcsParameters: { TaskDefinitionArn: batch.taskDefinition?.taskDefinitionArn, TaskCount: 1, LaunchType: 'FARGATE', NetworkConfiguration: { awsvpcConfiguration: { Subnets: [network.subnet], AssignPublicIp: 'DISABLED' } } },
          },
        }),
      );
    }
  }
}

/**
 * ECR holding what `docker push` pushed: every tag of the loopback registry that moto's ECR does
 * not hold yet is put there (PutImage) with the registry's manifest and digest, as a push to ECR
 * would leave it. Returns the tags copied.
 */
export async function syncEcr(url: string, registry: string): Promise<string[]> {
  const aws = clients(url);
  const listed = (await (await fetch(`${registry}/v2/${REPOSITORY_NAME}/tags/list`)).json()) as { tags?: string[] | null };
  const held = new Set(((await aws.ecr.send(new DescribeImagesCommand({ repositoryName: REPOSITORY_NAME }))).imageDetails ?? []).flatMap((image) => image.imageTags ?? []));
  const copied: string[] = [];
  for (const tag of listed.tags ?? []) {
    if (held.has(tag)) continue;
    const response = await fetch(`${registry}/v2/${REPOSITORY_NAME}/manifests/${tag}`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
    const manifest = await response.text();
    const digest = response.headers.get('docker-content-digest') ?? '';
    await aws.ecr.send(new PutImageCommand({ repositoryName: REPOSITORY_NAME, imageTag: tag, imageManifest: manifest, imageManifestMediaType: response.headers.get('content-type') ?? undefined, imageDigest: digest }));
    copied.push(tag);
  }
  return copied;
}

export interface Running {
  readonly taskDefinition: string;
  readonly images: Record<string, string>;
}

export interface EnvironmentState {
  readonly services: Record<string, Running>;
  readonly rules: Record<string, Running>;
  readonly schedules: Record<string, Running>;
}

/** What moto holds now for `environment`: each service's, rule target's and schedule's task definition and images. */
export async function readBack(url: string, environment: string): Promise<EnvironmentState> {
  const aws = clients(url);
  const definitions = new Map<string, Running>();
  const running = async (arn: string | undefined): Promise<Running> => {
    const key = arn ?? '';
    const known = definitions.get(key);
    if (known) return known;
    const definition = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: key }))).taskDefinition;
    const found = { taskDefinition: key, images: Object.fromEntries((definition?.containerDefinitions ?? []).map((container) => [container.name ?? '', container.image ?? ''])) };
    definitions.set(key, found);
    return found;
  };
  const cluster = `monolith-${environment}`;
  const services: Record<string, Running> = {};
  for (const service of (await aws.ecs.send(new DescribeServicesCommand({ cluster, services: [`${cluster}-app`] }))).services ?? []) {
    services[service.serviceName ?? ''] = await running(service.taskDefinition);
  }
  const rules: Record<string, Running> = {};
  let token: string | undefined;
  do {
    const page = await aws.events.send(new ListRulesCommand({ NamePrefix: `${cluster}-batch-`, ...(token ? { NextToken: token } : {}) }));
    for (const rule of page.Rules ?? []) {
      const targets = (await aws.events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }))).Targets ?? [];
      for (const target of targets) rules[`${rule.Name ?? ''}/${target.Id ?? ''}`] = await running(target.EcsParameters?.TaskDefinitionArn);
    }
    token = page.NextToken;
  } while (token);
  const schedules: Record<string, Running> = {};
  const group = `${cluster}-batches`;
  for (const item of (await aws.scheduler.send(new ListSchedulesCommand({ GroupName: group }))).Schedules ?? []) {
    const schedule = await aws.scheduler.send(new GetScheduleCommand({ GroupName: group, Name: item.Name }));
    schedules[`${group}/${item.Name ?? ''}`] = await running(schedule.Target?.EcsParameters?.TaskDefinitionArn);
  }
  return { services, rules, schedules };
}
