/**
 * `deploy --wait-until serving`: done once every new task runs, healthy, in every target group,
 * without waiting for the old tasks to drain. The scripted ECS endpoint rolls out; moto's
 * Elastic Load Balancing holds the target group and its targets' health (a registered target is
 * healthy there, an unregistered one unavailable).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { servingOf } from '../../src/deploy/serving.js';
import { watchDeployment } from '../../src/deploy/watch.js';
import { runCommand } from '../helpers/cli.js';
import { FakeEcs } from '../helpers/fakeEcs.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const IMAGE = `repo.example.com/app@sha256:${'d'.repeat(64)}`;
let moto: Moto;
let elb: ElasticLoadBalancingV2Client;
let vpc: string;
let ecs: FakeEcs;
let dir: string;
let groups = 0;

before(async () => {
  moto = await startMoto();
  elb = new ElasticLoadBalancingV2Client({ endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  // moto's default VPC (the SDK for EC2 is no dependency of ours: the aws CLI reads it).
  vpc = execFileSync('aws', ['ec2', 'describe-vpcs', '--endpoint-url', moto.url, '--query', 'Vpcs[0].VpcId', '--output', 'text'], { env: { ...process.env, ...moto.env, AWS_DEFAULT_REGION: 'ap-northeast-1' }, encoding: 'utf8' }).trim();
});
after(() => {
  moto.stop();
});
beforeEach(async () => {
  ecs = new FakeEcs();
  await ecs.start();
  dir = tempDir();
});
afterEach(async () => {
  await ecs.stop();
  removeDir(dir);
});

/** A target group of moto with these addresses registered (port 80), attached to the fake service. */
async function targetGroup(addresses: readonly string[]): Promise<string> {
  groups++;
  const created = await elb.send(new CreateTargetGroupCommand({ Name: `serving-${process.pid}-${groups}`, Protocol: 'HTTP', Port: 80, TargetType: 'ip', VpcId: vpc }));
  const arn = created.TargetGroups?.[0]?.TargetGroupArn ?? '';
  if (addresses.length > 0) await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: addresses.map((Id) => ({ Id, Port: 80 })) }));
  ecs.loadBalancers = [{ targetGroupArn: arn, containerName: 'app', containerPort: 80 }];
  return arn;
}

function deploy(extra: string[]) {
  return runCommand(['deploy', '--cluster', 'cluster', '--service', 'app', '--image', IMAGE, '--poll-interval', '0.05', '--record', path.join(dir, 'record.json'), ...extra], {
    env: { AWS_ENDPOINT_URL_ECS: ecs.url, AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: moto.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-northeast-1' },
  });
}

function record(): { services: { rollout: string; servingAt?: string }[]; timings: { services: { serving?: number }[] } } {
  return JSON.parse(readFileSync(path.join(dir, 'record.json'), 'utf8'));
}

describe('deploy --wait-until serving', () => {
  it('ends once every new task runs and is healthy in the target group, while the deployment still drains', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 200 };
    await targetGroup(['10.0.1.1', '10.0.1.2', '10.0.1.3']);
    const result = await deploy(['--wait-until', 'serving']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /service app: app:2 serving \(every new task running and healthy, in every target group\); the old tasks drain on their own\n/);
    assert.equal(ecs.service.deployments[0]?.rolloutState, 'IN_PROGRESS', 'ECS has not completed: the old tasks still drain');
    assert.equal(record().services[0]?.rollout, 'serving');
    assert.match(result.stderr, /^deployed in [\d.]+s: running at 22s \(pull 12s\), serving at .* \(old tasks left to drain\); /m);
  });

  it('a task not yet in a target group: it waits, saying which, until ECS completes', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 8 };
    await targetGroup(['10.0.1.1', '10.0.1.2']);
    const result = await deploy(['--wait-until', 'serving']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /not serving yet: task run3 \(10\.0\.1\.3\) is not registered in target group serving-\d+-\d+\n/);
    assert.equal(record().services[0]?.rollout, 'completed');
    assert.equal(ecs.service.deployments[0]?.rolloutState, 'COMPLETED');
  });

  it('complete (the default) waits for ECS even when the tasks serve', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 8 };
    await targetGroup(['10.0.1.1', '10.0.1.2', '10.0.1.3']);
    const result = await deploy([]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(record().services[0]?.rollout, 'completed');
    assert.doesNotMatch(result.stderr, /serving/);
  });

  it('refuses a value it does not know (exit 2)', async () => {
    const result = await deploy(['--wait-until', 'healthy']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--wait-until: expected complete or serving \(got "healthy"\)/);
  });
});

describe('the serving watch\'s pace', () => {
  it('polls every half wait while the last tasks start, then checks serving once a wait (never faster), and ends at the first check that serves', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 200 };
    const client = new ECSClient({ endpoint: ecs.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    const updated = await client.send(new UpdateServiceCommand({ cluster: 'cluster', service: 'app', taskDefinition: 'app:1' }));
    const ours = updated.service?.deployments?.find((deployment) => deployment.status === 'PRIMARY');
    const sleeps: number[] = [];
    let checks = 0;
    const result = await watchDeployment(
      client,
      {
        cluster: 'cluster',
        service: 'app',
        taskDefinition: String(ours?.taskDefinition),
        ...(ours?.id !== undefined ? { deploymentId: ours.id } : {}),
        timeoutMs: 600_000,
        maxFailedTasks: 3,
        serving: () => {
          checks++;
          return Promise.resolve(checks < 4 ? { serving: false, why: 'target 10.0.1.1 initial' } : { serving: true, why: '' });
        },
      },
      {
        progress: () => undefined,
        pollMs: { first: 1000, max: 2000 },
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      },
    );
    assert.equal(result.kind, 'serving');
    // The fake starts one of 3 tasks a poll: 1/3 and 2/3 running (all placed) poll at 500 ms;
    // from 3/3 on, each poll checks serving, 1000 ms apart; the 4th check serves.
    assert.deepEqual(sleeps, [1000, 500, 500, 1000, 1000, 1000]);
    assert.equal(checks, 4);
  });
});

describe('servingOf', () => {
  const deployment = { id: 'ecs-svc/1', desiredCount: 2, runningCount: 2, pendingCount: 0 };
  const task = (n: number, health?: 'HEALTHY' | 'UNKNOWN' | 'UNHEALTHY') => ({
    taskArn: `arn:aws:ecs:r:1:task/c/t${n}`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    attachments: [{ details: [{ name: 'privateIPv4Address', value: `10.0.0.${n}` }] }],
    containers: [{ name: 'app', ...(health ? { healthStatus: health } : {}) }, { name: 'log-router', healthStatus: 'UNKNOWN' as const }],
  });
  const balancers = { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:r:1:targetgroup/web/abc', containerName: 'app', containerPort: 8080 }] };
  const health = (states: Record<string, string>) => new Map([['arn:aws:elasticloadbalancing:r:1:targetgroup/web/abc', Object.entries(states).map(([Id, State]) => ({ Target: { Id, Port: 8080 }, TargetHealth: { State: State as 'healthy' } }))]]);

  it('serves when every task runs, its health-checked containers are HEALTHY and it is healthy in every target group', () => {
    assert.deepEqual(servingOf(balancers, deployment, [task(1, 'HEALTHY'), task(2, 'HEALTHY')], new Set(['app']), health({ '10.0.0.1': 'healthy', '10.0.0.2': 'healthy' })), { serving: true, why: '' });
  });

  it('a container without a health check has nothing to report; one with a check must be HEALTHY', () => {
    assert.equal(servingOf({}, deployment, [task(1), task(2)], new Set(), new Map()).serving, true);
    assert.deepEqual(servingOf({}, deployment, [task(1, 'HEALTHY'), task(2, 'UNKNOWN')], new Set(['app']), new Map()), { serving: false, why: 'container app UNKNOWN of task t2' });
  });

  it('not serving: tasks still starting, a target draining or on another port', () => {
    assert.deepEqual(servingOf({}, { ...deployment, runningCount: 1, pendingCount: 1 }, [task(1)], new Set(), new Map()), { serving: false, why: '1 of 2 task(s) running' });
    assert.deepEqual(servingOf(balancers, deployment, [task(1), task(2)], new Set(), health({ '10.0.0.1': 'healthy', '10.0.0.2': 'initial' })), { serving: false, why: 'task t2 (10.0.0.2) is initial in target group web' });
    const otherPort = new Map([['arn:aws:elasticloadbalancing:r:1:targetgroup/web/abc', [{ Target: { Id: '10.0.0.1', Port: 80 }, TargetHealth: { State: 'healthy' as const } }]]]);
    assert.equal(servingOf(balancers, { ...deployment, desiredCount: 1, runningCount: 1 }, [task(1)], new Set(), otherPort).serving, false);
  });
});
