/**
 * `deploy ENV` with everything the reference team needs, on moto (tasks that stop and log, see
 * motoServer.py) behind the fault proxy (rollouts that complete): migrations before the
 * services, EventBridge Scheduler schedules kept whole, batch containers named apart, checks
 * before any change, --keep-revisions; and a late failure that puts services, targets and
 * schedules back exactly.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateScheduleCommand, CreateScheduleGroupCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { deploy, DeployFailure } from '../../src/deploy/engine.js';
import { parseImageRef } from '../../src/deploy/imageRef.js';
import { defaultNetwork } from '../helpers/awsNetwork.js';
import { runCommand } from '../helpers/cli.js';
import { edited } from '../helpers/descriptions.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const run = randomBytes(3).toString('hex');
const REGION = 'ap-northeast-1';
const REGISTRY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';
const REPOSITORY = `cap-${run}/app`;
const OLD_IMAGE = `${REGISTRY}/${REPOSITORY}:old`;
const CLUSTER = `cap-${run}`;
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:123456789012:cluster/${CLUSTER}`;
const OTHER_CLUSTER_ARN = `arn:aws:ecs:${REGION}:123456789012:cluster/elsewhere-${run}`;
const SERVICE = `cap-app-${run}`;
const GROUP = `cap-${run}-batches`;
const LOGS = `/ecs/cap-${run}`;
const SECRET = `db-password-${run}-never-shown`;
const EXEC_ROLE = `arn:aws:iam::123456789012:role/cap-exec-${run}`;

let moto: Moto;
let proxy: FaultProxy;
let ecs: ECSClient;
let events: EventBridgeClient;
let scheduler: SchedulerClient;
let network: { subnet: string; securityGroup: string };
let image = '';
let image2 = '';
let dir = '';

function app(script: Record<string, unknown>): ContainerDefinition {
  return {
    name: 'app',
    image: OLD_IMAGE,
    essential: true,
    memory: 512,
    environment: [{ name: 'DB_PASSWORD', value: SECRET }, { name: 'MOTO_TASK', value: JSON.stringify(script) }],
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': LOGS, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'app' } },
  };
}

async function registerApp(script: Record<string, unknown>): Promise<string> {
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({ family: SERVICE, requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '512', memory: '1024', executionRoleArn: EXEC_ROLE, containerDefinitions: [app(script)] }),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

before(async () => {
  moto = await startMoto();
  proxy = new FaultProxy(moto.url);
  await proxy.start();
  const config = { endpoint: moto.url, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  ecs = new ECSClient(config);
  events = new EventBridgeClient(config);
  scheduler = new SchedulerClient(config);
  network = await defaultNetwork(moto.url);
  const ecr = new ECRClient(config);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  for (const tag of ['v2', 'v3']) {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: `sha256:${tag === 'v2' ? '2' : '3'}${'0'.repeat(63)}`, size: 1 }, layers: [] });
    const pushed = await ecr.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: manifest, imageTag: tag }));
    // moto gives every manifest the same digest: the second image is named by its tag.
    if (tag === 'v2') image = `${REGISTRY}/${REPOSITORY}@${pushed.image?.imageId?.imageDigest ?? ''}`;
    else image2 = `${REGISTRY}/${REPOSITORY}:${tag}`;
  }
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  await new IAMClient(config).send(new CreateRoleCommand({ RoleName: `cap-exec-${run}`, AssumeRolePolicyDocument: trust }));
  await new CloudWatchLogsClient(config).send(new CreateLogGroupCommand({ logGroupName: LOGS }));
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));

  // Three old revisions of the app; the service runs the third.
  let appArn = '';
  for (let i = 0; i < 3; i++) appArn = await registerApp({ exitCode: 0, logs: ['Migrating 20261126_add_index', 'All Done.'] });
  await ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: SERVICE,
      taskDefinition: appArn,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup], assignPublicIp: 'DISABLED' } },
    }),
  );
  // Batches name their container `batch`.
  const batch = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `cap-batch-${run}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: EXEC_ROLE,
      containerDefinitions: [{ name: 'batch', image: OLD_IMAGE, essential: true, memory: 256, command: ['bin/cake'] }],
    }),
  );
  const batchArn = batch.taskDefinition?.taskDefinitionArn ?? '';
  for (const [name, cluster] of [['0', CLUSTER_ARN], ['1', CLUSTER_ARN], ['2', CLUSTER_ARN], ['x', OTHER_CLUSTER_ARN]] as const) {
    const rule = `cap-${run}-batch-${name}`;
    await events.send(new PutRuleCommand({ Name: rule, ScheduleExpression: 'cron(0 3 * * ? *)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: rule,
        Targets: [{ Id: 'batch', Arn: cluster, RoleArn: 'arn:aws:iam::123456789012:role/events', Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', `job${name}`] }] }), EcsParameters: { TaskDefinitionArn: batchArn, TaskCount: 1, LaunchType: 'FARGATE' } }],
      }),
    );
  }
  await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  for (const [name, cluster] of [['report', CLUSTER_ARN], ['cleanup', CLUSTER_ARN], ['mail', CLUSTER_ARN], ['foreign', OTHER_CLUSTER_ARN]] as const) {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: name,
        GroupName: GROUP,
        ScheduleExpression: 'cron(30 4 * * ? *)',
        ScheduleExpressionTimezone: 'Asia/Tokyo',
        State: name === 'mail' ? 'DISABLED' : 'ENABLED',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 },
        EndDate: new Date('2034-01-01T00:00:00Z'),
        Target: {
          Arn: cluster,
          RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
          Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', name] }] }),
          RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 1 },
          DeadLetterConfig: { Arn: 'arn:aws:sqs:ap-northeast-1:123456789012:dlq' },
          EcsParameters: { TaskDefinitionArn: batchArn, TaskCount: 1, LaunchType: 'FARGATE' },
        },
      }),
    );
  }
  dir = tempDir();
  const description = edited((d) => {
    d.images.app.repository = `${REGISTRY}/${REPOSITORY}`;
    d.environments.pre.cluster = CLUSTER;
    d.environments.pre.services = [{ name: SERVICE, containers: ['app'] }];
    d.environments.pre.tasks = [{ name: 'migrate', command: ['bin/cake', 'migrations', 'migrate'] }];
    d.environments.pre.scheduledTasks = { rulePrefix: `cap-${run}-batch-`, scheduleGroup: GROUP, containers: ['batch'] };
  });
  writeFileSync(path.join(dir, 'circle-fargate.config.json'), JSON.stringify(description));
});

after(async () => {
  await proxy.stop();
  moto.stop();
  removeDir(dir);
});

const serviceTaskDefinition = async () => (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }))).services?.[0]?.taskDefinition ?? '';
const ruleTaskDefinition = async (name: string) => (await events.send(new ListTargetsByRuleCommand({ Rule: `cap-${run}-batch-${name}` }))).Targets?.[0]?.EcsParameters?.TaskDefinitionArn ?? '';
const schedule = (name: string) => scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: name }));
const activeApps = async () => ((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: SERVICE, status: 'ACTIVE' }))).taskDefinitionArns ?? []).map((arn) => arn.split(':').pop()).sort();
const deployCli = (args: string[]) => runCommand(['deploy', 'pre', '--poll-interval', '0.05', ...args], { cwd: dir, env: proxy.env() });

describe('deploy ENV with migrations, schedules and batch containers', () => {
  it('refuses an image that is not in ECR before changing anything (exit 1, one line per problem)', async () => {
    const before = await activeApps();
    const missing = `${REGISTRY}/${REPOSITORY}@sha256:${'f'.repeat(64)}`;
    const result = await deployCli(['--image', missing]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /circle-fargate: deploy: checks before deploying found 1 problem\(s\); nothing was changed\nimage \S+@sha256:f{64}: no such digest in ECR repository cap-\w+\/app; push it first\n/);
    assert.deepEqual(await activeApps(), before);
    assert.ok(!proxy.operations().includes('RunTask'));
  });

  it('shows every field that changes in --dry-run, without environment values', async () => {
    const result = await deployCli(['--image', image, '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`task definition cap-batch-${run}:1 -> cap-batch-${run}:\\(new revision\\):\\n {2}containerDefinitions\\[batch\\]\\.image: "[^"]+:old" -> "[^"]+@sha256:[0-9a-f]{64}"\\n`));
    assert.match(result.stderr, new RegExp(`schedule ${GROUP}/report:\\n {2}Target\\.EcsParameters\\.TaskDefinitionArn: "[^"]+cap-batch-${run}:1" -> "cap-batch-${run}:\\(new revision\\)"\\n`));
    assert.match(result.stderr, /would run task migrate on the new revision of service /);
    assert.match(result.stderr, new RegExp(`schedule ${GROUP}/foreign: its target runs in ${OTHER_CLUSTER_ARN}, not ${CLUSTER_ARN}: left unchanged`));
    assert.ok(!result.stderr.includes(SECRET) && !result.stdout.includes(SECRET));
  });

  it('runs the migration, then deploys the service, 3 rules and 3 schedules, keeping every schedule field, and prunes revisions', async () => {
    const scheduleBefore = await schedule('mail');
    const foreignBefore = await ruleTaskDefinition('x');
    proxy.latencyMs = 20;
    const result = await deployCli(['--image', image, '--record', 'ok.json', '--keep-revisions', '1']);
    proxy.latencyMs = 0;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stderr.includes(SECRET) && !result.stdout.includes(SECRET), 'an environment value was printed');
    assert.match(result.stderr, /migrate \| Migrating 20261126_add_index\nmigrate \| All Done\.\n/);
    assert.match(result.stderr, /task migrate: container app exited with code 0/);
    const ops = proxy.operations();
    assert.ok(ops.indexOf('RunTask') < ops.indexOf('UpdateService'), 'the migration ran before the service changed');

    const now = await serviceTaskDefinition();
    assert.match(now, new RegExp(`${SERVICE}:4$`));
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: now }));
    assert.equal(described.taskDefinition?.containerDefinitions?.[0]?.image, image);
    for (const name of ['0', '1', '2']) assert.match(await ruleTaskDefinition(name), new RegExp(`cap-batch-${run}:2$`));
    assert.equal(await ruleTaskDefinition('x'), foreignBefore, 'a rule on another cluster is left alone');
    const batch = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `cap-batch-${run}:2` }));
    assert.equal(batch.taskDefinition?.containerDefinitions?.[0]?.image, image, 'the batch container named `batch` got the image');

    const scheduleAfter = await schedule('mail');
    assert.match(scheduleAfter.Target?.EcsParameters?.TaskDefinitionArn ?? '', new RegExp(`cap-batch-${run}:2$`));
    const strip = (s: typeof scheduleBefore) => {
      const { $metadata: _m, LastModificationDate: _l, ...rest } = s;
      return { ...rest, Target: { ...rest.Target, EcsParameters: { ...rest.Target?.EcsParameters, TaskDefinitionArn: '' } } };
    };
    assert.deepEqual(strip(scheduleAfter), strip(scheduleBefore));
    assert.match((await schedule('foreign')).Target?.EcsParameters?.TaskDefinitionArn ?? '', new RegExp(`cap-batch-${run}:1$`));
    assert.ok((proxy.mostInFlight.get('PutTargets') ?? 0) <= 4, 'at most 4 PutTargets in flight');

    const record = JSON.parse(readFileSync(path.join(dir, 'ok.json'), 'utf8')) as { outcome: string; tasks: { name: string; exitCode: number; state: string }[]; schedules: { name: string; state: string }[]; deregistered: { arn: string; state: string }[] };
    assert.equal(record.outcome, 'deployed');
    assert.deepEqual(record.tasks.map((t) => [t.name, t.exitCode, t.state]), [['migrate', 0, 'applied']]);
    assert.deepEqual(record.schedules.map((s) => [s.name, s.state]).sort(), [['cleanup', 'applied'], ['mail', 'applied'], ['report', 'applied']]);
    // Newest 1 (4) and the before revision a rollback needs (3) stay; 1 and 2 go.
    assert.deepEqual(record.deregistered.map((d) => [d.arn.split('/').pop(), d.state]).sort(), [[`${SERVICE}:1`, 'applied'], [`${SERVICE}:2`, 'applied']]);
    assert.deepEqual(await activeApps(), ['3', '4']);
  });

  it('changes nothing else when the migration fails (exit 1, with the stop reasons)', async () => {
    // Terraform moved the service to a revision whose migration fails.
    const failing = await registerApp({ exitCode: 3, logs: ['SQLSTATE[42S01]: Base table or view already exists'] });
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: failing }));
    await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    const rules = await Promise.all(['0', '1', '2'].map(ruleTaskDefinition));
    const report = await schedule('report');
    const result = await deployCli(['--image', image2]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /migrate \| SQLSTATE\[42S01\]: Base table or view already exists\n/);
    assert.match(result.stderr, /circle-fargate: deploy failed: task migrate failed: container app exited with code 3 \(Essential container in task exited\) \[stopped: Essential container in task exited \(EssentialContainerExited\); container app: exit code 3\]; no service, scheduled target or schedule had been changed \(verified\)/);
    assert.equal(await serviceTaskDefinition(), failing);
    assert.deepEqual(await Promise.all(['0', '1', '2'].map(ruleTaskDefinition)), rules);
    assert.equal((await schedule('report')).Target?.EcsParameters?.TaskDefinitionArn, report.Target?.EcsParameters?.TaskDefinitionArn);
  });

  it('puts services, targets and schedules back exactly when a schedule update fails late', async () => {
    // A good revision again, so the migration passes.
    const good = await registerApp({ exitCode: 0 });
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: good }));
    const before = {
      service: good,
      rules: await Promise.all(['0', '1', '2'].map(ruleTaskDefinition)),
      schedules: await Promise.all(['cleanup', 'mail', 'report'].map(async (name) => {
        const { $metadata: _m, LastModificationDate: _l, ...rest } = await schedule(name);
        return rest;
      })),
    };
    const config = { endpoint: proxy.url, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
    const failing = new SchedulerClient(config);
    let updates = 0;
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateScheduleCommand' && ++updates === 2) {
          throw Object.assign(new Error('User is not authorized to perform: scheduler:UpdateSchedule'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failSecondUpdate' },
    );
    const clients = { ecs: new ECSClient(config), events: new EventBridgeClient(config), scheduler: failing, logs: new CloudWatchLogsClient(config) };
    const lines: string[] = [];
    const failure = await deploy(
      clients,
      {
        cluster: CLUSTER,
        services: [{ name: SERVICE, containers: ['app'] }],
        rules: [],
        rulePrefix: `cap-${run}-batch-`,
        scheduleGroup: GROUP,
        containers: ['batch'],
        tasks: [{ name: 'migrate', command: ['bin/cake', 'migrations', 'migrate'], service: SERVICE, timeout: 60 }],
        image: parseImageRef(image2),
        timeoutMs: 60_000,
        wait: true,
        dryRun: false,
        concurrency: 1,
      },
      { progress: (line) => lines.push(line), pollMs: { first: 20, max: 40 } },
    ).catch((error: unknown) => error);
    assert.ok(failure instanceof DeployFailure, `${JSON.stringify(failure).slice(0, 600)} ${lines.join("\n")}`);
    assert.equal(failure.exitCode, 1, failure.message);
    assert.match(failure.message, /AccessDeniedException/);
    assert.equal(failure.record.outcome, 'rolled-back');
    assert.deepEqual((failure.record.schedules ?? []).map((s) => s.state).sort(), ['planned', 'refused', 'restored']);
    assert.equal(await serviceTaskDefinition(), before.service);
    assert.deepEqual(await Promise.all(['0', '1', '2'].map(ruleTaskDefinition)), before.rules);
    const schedulesNow = await Promise.all(['cleanup', 'mail', 'report'].map(async (name) => {
      const { $metadata: _m, LastModificationDate: _l, ...rest } = await schedule(name);
      return rest;
    }));
    assert.deepEqual(schedulesNow, before.schedules);
  });
});
