/**
 * One-off tasks on moto (through motoServer.py, whose tasks stop, exit and log as scripted):
 * exit codes, stop reasons, log lines streamed from CloudWatch Logs, timeouts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateClusterCommand, CreateServiceCommand, DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, type ContainerDefinition } from '@aws-sdk/client-ecs';
import { runOneOff, TaskFailure, type OneOffTask } from '../../src/deploy/runTask.js';
import type { Send } from '../../src/deploy/schedules.js';
import { awsLogsOf } from '../../src/deploy/taskLogs.js';
import { defaultNetwork } from '../helpers/awsNetwork.js';
import { runCommand } from '../helpers/cli.js';
import { edited } from '../helpers/descriptions.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;
let network: { subnet: string; securityGroup: string };
const run = randomBytes(3).toString('hex');
const CLUSTER = `migrations-${run}`;
const GROUP = `/ecs/monolith-${run}`;
const send: Send = (_what, call) => call();

before(async () => {
  moto = await startMoto();
  const config = { endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  ecs = new ECSClient(config);
  logs = new CloudWatchLogsClient(config);
  network = await defaultNetwork(moto.url);
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
});

after(() => {
  moto.stop();
});

/** A task definition whose `app` container behaves as `script` says (see motoServer.py). */
async function definition(family: string, script: Record<string, unknown>, group = GROUP): Promise<{ arn: string; app: ContainerDefinition }> {
  const app: ContainerDefinition = {
    name: 'app',
    image: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/monolith/app:v2',
    essential: true,
    memory: 512,
    environment: [{ name: 'MOTO_TASK', value: JSON.stringify(script) }],
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': 'ap-northeast-1', 'awslogs-stream-prefix': 'ecs' } },
  };
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${family}-${run}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [app, { name: 'log-router', image: 'amazon/aws-for-fluent-bit:2.32.0', essential: false, memory: 64 }],
    }),
  );
  return { arn: registered.taskDefinition?.taskDefinitionArn ?? '', app };
}

function oneOff(arn: string, app: ContainerDefinition, extra: Partial<OneOffTask> = {}): OneOffTask {
  const destination = awsLogsOf(app);
  return {
    name: 'migrate',
    cluster: CLUSTER,
    taskDefinition: arn,
    container: 'app',
    command: ['bin/cake', 'migrations', 'migrate'],
    networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup], assignPublicIp: 'DISABLED' } },
    ...(destination ? { logs: destination } : {}),
    timeoutMs: 60_000,
    ...extra,
  };
}

async function runIt(task: OneOffTask): Promise<{ lines: string[]; outcome: Awaited<ReturnType<typeof runOneOff>> | TaskFailure }> {
  const lines: string[] = [];
  const outcome = await runOneOff(ecs, logs, task, send, { progress: (line) => lines.push(line), pollMs: { first: 5, max: 10 } }).catch((error: unknown) => {
    if (error instanceof TaskFailure) return error;
    throw error;
  });
  return { lines, outcome };
}

describe('one-off tasks', () => {
  it('succeeds on exit code 0, streaming the container\'s log lines in order, with the command override sent', async () => {
    const { arn, app } = await definition('migrate-ok', { exitCode: 0, logs: ['Migrating 20260101_add_index', 'Migrated 20260101_add_index', 'All Done.'] });
    const { lines, outcome } = await runIt(oneOff(arn, app));
    assert.ok(!(outcome instanceof TaskFailure), outcome instanceof TaskFailure ? outcome.message : '');
    assert.equal(outcome.exitCode, 0);
    assert.deepEqual(lines.filter((line) => line.startsWith('migrate | ')), ['migrate | Migrating 20260101_add_index', 'migrate | Migrated 20260101_add_index', 'migrate | All Done.']);
    assert.match(lines.at(-1) ?? '', /^task migrate: container app exited with code 0 after \d+ s$/);
    const task = (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [outcome.taskArn] }))).tasks?.[0];
    assert.equal(task?.lastStatus, 'STOPPED');
    assert.deepEqual(task.overrides?.containerOverrides, [{ name: 'app', command: ['bin/cake', 'migrations', 'migrate'] }]);
  });

  it('fails on a non-zero exit code, with the stop reasons and the lines written before', async () => {
    const { arn, app } = await definition('migrate-fails', { exitCode: 3, logs: ['SQLSTATE[42S01]: Base table or view already exists'] });
    const { lines, outcome } = await runIt(oneOff(arn, app));
    assert.ok(outcome instanceof TaskFailure);
    assert.equal(outcome.message, 'task migrate failed: container app exited with code 3 (Essential container in task exited)');
    assert.deepEqual(outcome.details, ['stopped: Essential container in task exited (EssentialContainerExited)', 'container app: exit code 3', 'container log-router: exit code 0']);
    assert.equal(outcome.result.exitCode, 3);
    assert.ok(lines.includes('migrate | SQLSTATE[42S01]: Base table or view already exists'));
  });

  it('fails when the image cannot be pulled: no exit code is not a success', async () => {
    const reason = 'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/monolith/app:v2: not found';
    const { arn, app } = await definition('migrate-pull', { exitCode: null, stoppedReason: reason, stopCode: 'TaskFailedToStart', reason: 'CannotPullContainerError' });
    const { outcome } = await runIt(oneOff(arn, app));
    assert.ok(outcome instanceof TaskFailure);
    assert.equal(outcome.message, `task migrate failed: container app never ran to an exit code (${reason})`);
    assert.ok(outcome.details.includes('container app: no exit code, CannotPullContainerError'));
    assert.equal(outcome.result.exitCode, undefined);
  });

  it('fails when the log group does not exist (ResourceInitializationError)', async () => {
    const { arn, app } = await definition('migrate-nolog', { exitCode: 0 }, `/ecs/missing-${run}`);
    const { outcome } = await runIt(oneOff(arn, app));
    assert.ok(outcome instanceof TaskFailure);
    assert.match(outcome.message, /^task migrate failed: container app never ran to an exit code \(ResourceInitializationError: .*The specified log group does not exist/);
  });

  it('stops a task that outlives its timeout and fails', async () => {
    const { arn, app } = await definition('migrate-slow', { exitCode: 0 });
    const { lines, outcome } = await runIt(oneOff(arn, app, { timeoutMs: 1 }));
    assert.ok(outcome instanceof TaskFailure);
    assert.equal(outcome.message, 'task migrate failed: no end within 0.001 s');
    assert.ok(lines.includes('task migrate: no end within 0.001 s: stopping it'));
    const task = (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [outcome.result.taskArn ?? ''] }))).tasks?.[0];
    assert.equal(task?.lastStatus, 'STOPPED');
    assert.equal(task.stoppedReason, 'circle-fargate: no end within 0.001 s');
  });

  it('fails at once when RunTask starts nothing', async () => {
    const { outcome } = await runIt({ ...oneOff('arn:aws:ecs:ap-northeast-1:123456789012:task-definition/none:1', {}), cluster: `absent-${run}` }).catch((error: unknown) => ({ lines: [], outcome: error }));
    assert.ok(outcome instanceof Error);
    assert.match(outcome.message, /ClusterNotFound|not found|does not exist/i);
  });
});

describe('circle-fargate run ENV NAME', () => {
  async function project(family: string, script: Record<string, unknown>): Promise<string> {
    const { arn } = await definition(family, script);
    const service = `${family}-svc-${run}`;
    await ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: service,
        taskDefinition: arn,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup], assignPublicIp: 'DISABLED' } },
      }),
    );
    const dir = tempDir();
    const description = edited((d) => {
      d.environments.pre.cluster = CLUSTER;
      d.environments.pre.services = [{ name: service, containers: ['app'] }];
      d.environments.pre.tasks = [{ name: 'migrate', command: ['bin/cake', 'migrations', 'migrate'] }];
    });
    writeFileSync(path.join(dir, 'circle-fargate.config.json'), JSON.stringify(description));
    return dir;
  }
  const cli = (dir: string, args: string[]) => runCommand(['run', ...args, '--poll-interval', '0.01'], { cwd: dir, env: moto.env });

  it('runs the task on the service\'s revision and network, exit 0 with the log lines', async () => {
    const dir = await project('run-ok', { exitCode: 0, logs: ['Migrating', 'All Done.'] });
    try {
      const result = await cli(dir, ['pre', 'migrate']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^migrate \| Migrating\nmigrate \| All Done\.\n/m);
      assert.match(result.stdout, /^task migrate of pre succeeded: arn:aws:ecs:/);
    } finally {
      removeDir(dir);
    }
  });

  it('exits 1 with the reasons when the container fails', async () => {
    const dir = await project('run-fail', { exitCode: 2, logs: ['boom'] });
    try {
      const result = await cli(dir, ['pre', 'migrate']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /^circle-fargate: run: task migrate failed: container app exited with code 2 \(Essential container in task exited\)\nstopped: Essential container in task exited \(EssentialContainerExited\)\ncontainer app: exit code 2\n/m);
      assert.ok(!result.stderr.includes('    at '), 'no stack trace');
    } finally {
      removeDir(dir);
    }
  });

  it('exits 2 naming the tasks there are when the task is unknown', async () => {
    const dir = await project('run-unknown', { exitCode: 0 });
    try {
      const result = await cli(dir, ['pre', 'migrat']);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, 'circle-fargate: run: environment pre has no task "migrat" (its tasks: migrate; add one under environments.pre.tasks)\n');
    } finally {
      removeDir(dir);
    }
  });
});
