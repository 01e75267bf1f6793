/**
 * Contract tests of `deploy` against moto_server, the AWS API stand-in: the real SDK calls, the
 * real CLI, through the fault proxy that gives moto's services real rollouts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { EventBridgeClient, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import path from 'node:path';
import { runCommand } from '../helpers/cli.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let proxy: FaultProxy;
let dir: string;
let ecs: ECSClient;
let events: EventBridgeClient;
const REGISTRY = 'localhost:5000';
const SECRET = 'hunter2-never-printed';

before(async () => {
  moto = await startMoto();
  proxy = new FaultProxy(moto.url);
  await proxy.start();
  dir = tempDir();
  const config = { endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  ecs = new ECSClient(config);
  events = new EventBridgeClient(config);
  await ecs.send(new CreateClusterCommand({ clusterName: 'monolith-pre' }));
  // The execution role exists, as Terraform made it: deploy checks it before any change.
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  await new IAMClient(config).send(new CreateRoleCommand({ RoleName: 'exec', AssumeRolePolicyDocument: trust })).catch((error: unknown) => {
    if (!(error instanceof Error && error.name === 'EntityAlreadyExistsException')) throw error;
  });
  const app = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'monolith-pre-app',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      containerDefinitions: [
        { name: 'app', image: `${REGISTRY}/monolith/app:old`, essential: true, environment: [{ name: 'DB_PASSWORD', value: SECRET }], portMappings: [{ containerPort: 80 }] },
        { name: 'log-router', image: 'amazon/aws-for-fluent-bit:2.32.0', essential: false },
      ],
      tags: [{ key: 'team', value: 'sre' }],
    }),
  );
  await ecs.send(new CreateServiceCommand({ cluster: 'monolith-pre', serviceName: 'monolith-pre-app', taskDefinition: app.taskDefinition?.taskDefinitionArn, desiredCount: 3 }));
  const batch = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'monolith-pre-batch',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'batch', image: `${REGISTRY}/monolith/app:old`, essential: true, command: ['bin/cake'] }],
    }),
  );
  for (let i = 0; i < 80; i++) {
    const rule = `monolith-pre-batch-${String(i).padStart(2, '0')}`;
    await events.send(new PutRuleCommand({ Name: rule, ScheduleExpression: 'cron(0 3 * * ? *)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: rule,
        Targets: [
          {
            Id: 'batch',
            Arn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/monolith-pre',
            RoleArn: 'arn:aws:iam::123456789012:role/events-run-task',
            Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', `job${i}`] }] }),
            EcsParameters: {
              TaskDefinitionArn: batch.taskDefinition?.taskDefinitionArn,
              TaskCount: 1,
              LaunchType: 'FARGATE',
              NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' } },
            },
          },
        ],
      }),
    );
  }
});

after(async () => {
  await proxy.stop();
  moto.stop();
  removeDir(dir);
});

let deploys = 0;
/** The CLI through the proxy, which gives moto's services the rollouts real ECS shows. */
function deployCli(args: string[]) {
  deploys++;
  return runCommand(['deploy', ...args, '--poll-interval', '0.05', '--record', path.join(dir, `record-${deploys}.json`)], { env: proxy.env() });
}

const IMAGE = `${REGISTRY}/monolith/app@sha256:${'a'.repeat(64)}`;

function withoutVolatile(definition: TaskDefinition | undefined): Record<string, unknown> {
  const { taskDefinitionArn: _a, revision: _r, registeredAt: _t, containerDefinitions, ...rest } = definition ?? {};
  return { ...rest, containerDefinitions: (containerDefinitions ?? []).map(({ image: _i, ...container }) => container) };
}

describe('deploy against moto', () => {
  it('plans with --dry-run and writes nothing', async () => {
    const result = await deployCli(['--cluster', 'monolith-pre', '--service', 'monolith-pre-app', '--image', IMAGE, '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /monolith-pre-app:1 app: localhost:5000\/monolith\/app:old -> localhost:5000\/monolith\/app@sha256:a{64}\n/);
    assert.match(result.stderr, /would update service monolith-pre-app: monolith-pre-app:1 -> a new revision of monolith-pre-app\n/);
    assert.match(result.stderr, /dry run: 1 task definition\(s\), 1 service\(s\), 0 scheduled target\(s\) and 0 schedule\(s\) would change; nothing was written/);
    assert.match(result.stderr, /\n {2}containerDefinitions\[app\]\.image: "localhost:5000\/monolith\/app:old" -> "localhost:5000\/monolith\/app@sha256:a{64}"\n/);
    assert.ok(!result.stderr.includes(SECRET), 'an environment value was printed');
    const families = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'monolith-pre-app' }));
    assert.equal(families.taskDefinitionArns?.length, 1);
  });

  it('deploys a service and 80 scheduled targets found by prefix, keeping every other field', async () => {
    const before = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'monolith-pre-app', include: ['TAGS'] }));
    const targetBefore = await events.send(new ListTargetsByRuleCommand({ Rule: 'monolith-pre-batch-07' }));
    const result = await deployCli([
      '--cluster', 'monolith-pre', '--service', 'monolith-pre-app', '--scheduled-rule-prefix', 'monolith-pre-batch-', '--image', IMAGE, '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET), 'a task definition environment value was printed');
    const record = JSON.parse(result.stdout);
    assert.equal(record.outcome, 'deployed');
    assert.equal(record.targets.length, 80);

    const after = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'monolith-pre-app', include: ['TAGS'] }));
    assert.equal(after.taskDefinition?.revision, 2);
    assert.deepEqual(after.taskDefinition.containerDefinitions?.map((c) => c.image), [IMAGE, 'amazon/aws-for-fluent-bit:2.32.0']);
    assert.deepEqual(withoutVolatile(after.taskDefinition), withoutVolatile(before.taskDefinition));
    assert.deepEqual(after.tags, [{ key: 'team', value: 'sre' }]);

    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'monolith-pre', services: ['monolith-pre-app'] }))).services?.[0];
    assert.equal(service?.taskDefinition, after.taskDefinition.taskDefinitionArn);
    assert.equal(service?.desiredCount, 3);

    const targetAfter = await events.send(new ListTargetsByRuleCommand({ Rule: 'monolith-pre-batch-07' }));
    const [old] = targetBefore.Targets ?? [];
    const [now] = targetAfter.Targets ?? [];
    assert.match(now?.EcsParameters?.TaskDefinitionArn ?? '', /task-definition\/monolith-pre-batch:2$/);
    assert.deepEqual({ ...now, EcsParameters: { ...now?.EcsParameters, TaskDefinitionArn: 'x' } }, { ...old, EcsParameters: { ...old?.EcsParameters, TaskDefinitionArn: 'x' } });
  });

  const refused: [string, string[], RegExp][] = [
    ['a missing cluster', ['--cluster', 'nope', '--service', 'monolith-pre-app'], /^circle-fargate: deploy: cluster nope does not exist \(or the role cannot see it\)/],
    ['a missing service', ['--cluster', 'monolith-pre', '--service', 'ghost'], /^circle-fargate: deploy: service ghost is not in cluster monolith-pre \(MISSING\); nothing was changed\n$/],
    [
      'an image no container runs',
      ['--cluster', 'monolith-pre', '--service', 'monolith-pre-app', '--image', 'registry.example.com:8443/other/app:v2'],
      /^circle-fargate: deploy: no container of monolith-pre-app:2 \(used by service monolith-pre-app\) runs an image of registry\.example\.com:8443\/other\/app .*pass --container NAME; nothing was registered\n$/,
    ],
    ['a malformed image', ['--cluster', 'monolith-pre', '--service', 'monolith-pre-app', '--image', 'Bad Image'], /^circle-fargate: deploy: --image: not an image reference: empty or holds white space/],
  ];
  for (const [name, args, message] of refused) {
    it(`refuses ${name} (exit 2), registering nothing`, async () => {
      const families = async () => (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'monolith-pre-app' }))).taskDefinitionArns?.length;
      const count = await families();
      const result = await deployCli([...args, ...(args.includes('--image') ? [] : ['--image', IMAGE]), '--no-wait']);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(await families(), count);
    });
  }
});
