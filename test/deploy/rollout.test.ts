/**
 * Rollouts and faults against our scripted ECS endpoint, through the real CLI and the real AWS
 * SDK. Every case ends with the new revision fully live, or the before state restored.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, runCommand } from '../helpers/cli.js';
import { sampleDescription } from '../helpers/descriptions.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { FakeEcs, type StoppedTask } from '../helpers/fakeEcs.js';

const OLD = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app:1';
const NEW = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app:2';
const IMAGE = `repo.example.com/app@sha256:${'b'.repeat(64)}`;
let ecs: FakeEcs;
let dir: string;
let RECORD: string;

beforeEach(async () => {
  ecs = new FakeEcs();
  await ecs.start();
  dir = tempDir();
  RECORD = path.join(dir, 'record.json');
});
afterEach(async () => {
  await ecs.stop();
  removeDir(dir);
});

function env(): Record<string, string> {
  return { AWS_ENDPOINT_URL_ECS: ecs.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-northeast-1' };
}

const ARGS = ['deploy', '--cluster', 'cluster', '--service', 'app', '--image', IMAGE, '--poll-interval', '0.05'];

function deployCli(extra: string[] = []) {
  return runCommand([...ARGS, '--record', RECORD, ...extra], { env: env() });
}

function record(): any {
  return JSON.parse(readFileSync(RECORD, 'utf8'));
}

function assertLive(): void {
  assert.equal(ecs.service.taskDefinition, NEW);
  assert.deepEqual(ecs.service.deployments.map((d) => [d.taskDefinition, d.rolloutState]), [[NEW, 'COMPLETED']]);
}

function assertRestored(): void {
  assert.equal(ecs.service.taskDefinition, OLD);
  const last = ecs.calls.filter((call) => call.operation === 'UpdateService').at(-1);
  assert.equal(last?.body.taskDefinition, OLD, 'the last UpdateService puts the before revision back');
}

describe('rollouts', () => {
  it('completes after a few polls, streaming events, and updates only the task definition', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 3 };
    const result = await deployCli();
    assert.equal(result.code, 0, result.stderr);
    assertLive();
    assert.match(result.stderr, /service app: \(service app\) has started 1 tasks of app:2\.\n/);
    assert.match(result.stderr, /service app: app:2 completed\n/);
    const update = ecs.calls.find((call) => call.operation === 'UpdateService');
    assert.deepEqual(Object.keys(update?.body ?? {}).sort(), ['cluster', 'service', 'taskDefinition']);
    const registered = ecs.calls.find((call) => call.operation === 'RegisterTaskDefinition')?.body ?? {};
    assert.deepEqual(registered.runtimePlatform, { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' }, 'fields survive');
    for (const field of ['taskDefinitionArn', 'revision', 'status', 'compatibilities', 'registeredAt', 'registeredBy']) assert.ok(!(field in registered), field);
    assert.deepEqual(registered.tags, [{ key: 'team', value: 'sre' }]);
  });

  it('fails when the circuit breaker fails the deployment, naming the reason, and waits for the rollback ECS started (exit 1)', async () => {
    ecs.rollout = { kind: 'circuit-breaker', afterPolls: 2 };
    ecs.restoreRollout = { kind: 'complete', afterPolls: 2 };
    const result = await deployCli();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^circle-fargate: deploy failed: service app: deployment failed \(ECS deployment circuit breaker: tasks failed to start\.\); rolled back: 1 service\(s\) and 0 scheduled target\(s\) verified back on the before state\n$/m);
    assert.match(result.stderr, /waiting for the rollback to app:1 \(started by ECS\) to complete/);
    assert.equal(ecs.service.taskDefinition, OLD);
    assert.deepEqual(ecs.service.deployments.map((d) => [d.taskDefinition, d.rolloutState]), [[OLD, 'COMPLETED']], 'the rollback deployment completed before the exit');
    assert.equal(ecs.operations().filter((operation) => operation === 'UpdateService').length, 1, 'ECS rolled back itself: no second UpdateService');
    assert.equal(record().outcome, 'rolled-back');
  });

  it('rolls back a rollout stuck past --timeout (exit 1)', async () => {
    ecs.rollout = { kind: 'hang' };
    const result = await deployCli(['--timeout', '0.5']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /deployment ecs-svc\/1 did not complete within 0.5 s; rolled back/);
    assertRestored();
  });

  it('rides out throttling bursts, 5xx and a dropped connection', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 2 };
    ecs.faults = [
      { operation: 'DescribeServices', times: 3, error: 'ThrottlingException' },
      { operation: 'RegisterTaskDefinition', times: 1, error: 'ServerException' },
      { operation: 'UpdateService', times: 1, error: 'drop' },
    ];
    const result = await deployCli();
    assert.equal(result.code, 0, result.stderr);
    assertLive();
  });

  it('fails at once on AccessDenied, without waiting, and rolls back what it changed', async () => {
    ecs.rollout = { kind: 'hang' };
    ecs.faults = [{ operation: 'DescribeServices', times: 1, error: 'AccessDeniedException' }];
    // The first DescribeServices (the before state) is refused: nothing was changed.
    const early = await deployCli(['--timeout', '600']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /AccessDeniedException: User is not authorized to perform: ecs:DescribeServices/);
    assert.ok(!ecs.operations().includes('UpdateService'));
    ecs.faults = [{ operation: 'UpdateService', times: 1, error: 'AccessDeniedException' }];
    const started = Date.now();
    const late = await deployCli(['--timeout', '600']);
    assert.equal(late.code, 1);
    assert.ok(Date.now() - started < 10_000, 'AccessDenied must not wait for the timeout');
    assert.equal(ecs.service.taskDefinition, OLD);
  });

  it('writes a record that rollback --record restores', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 1 };
    {
      const file = RECORD;
      const deployed = await deployCli();
      assert.equal(deployed.code, 0, deployed.stderr);
      assertLive();
      const written = record();
      assert.equal(written.outcome, 'deployed');
      assert.deepEqual(written.services.map((s: any) => [s.name, s.before, s.after, s.state, s.rollout]), [['app', OLD, NEW, 'applied', 'completed']]);
      const kept = await runCommand(['rollback', '--record', file, '--if-incomplete'], { env: env() });
      assert.equal(kept.code, 0, kept.stderr);
      assert.match(kept.stderr, /nothing to do: the record .* says the deploy completed/);
      assert.equal(ecs.service.taskDefinition, NEW, '--if-incomplete leaves a completed deploy alone');
      const rolled = await runCommand(['rollback', '--record', file], { env: env() });
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.equal(ecs.service.taskDefinition, OLD);
      const missing = await runCommand(['rollback', '--record', path.join(dir, 'none.json')], { env: env() });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^circle-fargate: rollback: cannot read the record .*none\.json: no such file; give the file deploy --record wrote\n$/);
    }
  });

  for (const until of ['complete', 'serving'] as const) {
    it(`--wait-until ${until}: stops waiting on SIGTERM, rolls back and exits non-zero`, async () => {
      ecs.rollout = { kind: 'hang' };
      // Serving never comes: the new tasks do not run within the test.
      ecs.tasksRunAt = Date.now() + 3_600_000;
      const child = spawn(process.execPath, [BIN, ...ARGS, '--record', RECORD, '--wait-until', until], { cwd: ROOT, env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (chunk.includes('deploying app:2')) setTimeout(() => child.kill('SIGTERM'), 200);
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 1, stderr);
      assert.match(stderr, /received SIGTERM: no new changes; restoring what was changed/);
      assert.match(stderr, /deploy failed: interrupted by SIGTERM; rolled back: 1 service\(s\)/);
      assertRestored();
    });
  }
});

const STOPS: [string, StoppedTask, RegExp][] = [
  [
    'an image that cannot be pulled',
    { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref repo.example.com/app@sha256:bbbb: not found' },
    /image pull: CannotPullContainerError: pull image manifest has been retried/,
  ],
  [
    'a secret that cannot be read',
    { stopCode: 'TaskFailedToStart', stoppedReason: 'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException' },
    /secrets: ResourceInitializationError: unable to pull secrets or registry auth.*\(does each secret exist, and may the execution role read it\?\)/,
  ],
  [
    'an essential container that exits',
    { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'app', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }] },
    /essential container app exited with code 137 \(OutOfMemoryError: Container killed due to memory usage\)/,
  ],
  [
    'a Fargate Spot interruption',
    { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', capacityProviderName: 'FARGATE_SPOT' },
    /Fargate Spot capacity: the task was interrupted \(SpotInterruption\); not an application failure/,
  ],
];

describe('where the time went', () => {
  it('prints one summary line from ECS\'s own timestamps, and keeps the timings in the record and --json', async () => {
    // ECS's clock: 3 tasks placed at 2, 3, 4 s, pulling from 3-15 s (+i), running at 20, 21, 22 s;
    // the 3 old tasks stopped at 55, 56, 57 s (health checks, then the deregistration delay),
    // and the deployment completed at 60 s.
    ecs.rolloutClock = { placed: 2, pullStarted: 3, pullStopped: 15, started: 20, drained: 55, completed: 60 };
    const result = await deployCli(['--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^deployed in [\d.]+s: running at 22s \(pull 12s\), old tasks stopped at 57s \(35s after running: health checks and draining\), completed at 1m00s; (\w+ [\d.]+s, )*services [\d.]+s$/m);
    const saved = record();
    assert.deepEqual(saved.timings.services, [{ service: 'app', deploymentId: 'ecs-svc/1', startedAt: new Date(1700002000 * 1000).toISOString(), tasks: 3, placed: 2, running: 22, oldTasksStopped: 57, completed: 60, pull: 12 }]);
    // The old tasks: the service's STOPPED tasks, those started by the deployment ours replaced.
    assert.ok(ecs.calls.some((call) => call.operation === 'ListTasks' && call.body.serviceName === 'app' && call.body.desiredStatus === 'STOPPED'));
    assert.deepEqual(saved.timings.phases.map((item: { phase: string }) => item.phase), ['checks', 'register', 'services', 'targets']);
    const summary = JSON.parse(result.stdout) as { timings: unknown };
    assert.deepEqual(summary.timings, saved.timings);
  });

  it('a failed deploy keeps the time of each phase, the restore included', async () => {
    ecs.rollout = { kind: 'circuit-breaker', afterPolls: 1 };
    const result = await deployCli();
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(record().timings.phases.map((item: { phase: string }) => item.phase), ['checks', 'register', 'services', 'restore']);
    assert.doesNotMatch(result.stderr, /^deployed in/m);
  });
});

describe('failing tasks', () => {
  for (const [name, task, cause] of STOPS) {
    it(`fails after 3 failed tasks of ${name}, naming the cause, long before the timeout (exit 1)`, async () => {
      ecs.rollout = { kind: 'tasks-stop', task };
      const result = await deployCli(['--timeout', '900']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /service app: task task1 stopped: /);
      assert.match(result.stderr, cause);
      assert.match(result.stderr, /^circle-fargate: deploy failed: service app: 3 task\(s\) of deployment ecs-svc\/1 failed \(limit 3\) \[.+\]; rolled back: 1 service\(s\)/m);
      assertRestored();
    });
  }

  it('names a Fargate capacity shortage of a service on FARGATE_SPOT, and --max-failed-tasks counts it', async () => {
    ecs.rollout = { kind: 'event', message: 'was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone.' };
    const result = await deployCli(['--timeout', '900', '--max-failed-tasks', '2']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /deploy failed: service app: 2 task\(s\) of deployment ecs-svc\/1 failed \(limit 2\) \[capacity: Fargate could not place a task \(Capacity is unavailable\); the service places tasks on FARGATE_SPOT, whose capacity is short: not an application failure\]/);
    assertRestored();
  });

  it('refuses a service with a CODE_DEPLOY controller before registering anything (exit 2)', async () => {
    ecs.deploymentController = 'CODE_DEPLOY';
    const result = await deployCli();
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^circle-fargate: deploy: service\(s\) app \(CODE_DEPLOY\) use a deployment controller other than ECS/m);
    assert.deepEqual(ecs.operations().filter((operation) => operation === 'RegisterTaskDefinition' || operation === 'UpdateService'), []);
  });
});

describe('verified rollback', () => {
  it('waits for the rollback deployment; when it does not complete: exit 3, what is left named, then rollback --record finishes', async () => {
    ecs.rollout = { kind: 'hang' };
    ecs.restoreRollout = { kind: 'hang' };
    const result = await deployCli(['--timeout', '0.3', '--rollback-timeout', '0.3']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /^circle-fargate: deploy failed: service app: deployment ecs-svc\/1 did not complete within 0.3 s; the before state could NOT be fully restored: service app: on app:1, but its deployments are not settled on it: app:1 PRIMARY IN_PROGRESS, app:2 ACTIVE IN_PROGRESS, app:1 ACTIVE COMPLETED; expected app:1; finish with: circle-fargate rollback --record /m);
    assert.ok(!/rolled back/.test(result.stderr), 'never says rolled back unless verified');
    const written = record();
    assert.equal(written.outcome, 'not-restored');
    assert.deepEqual(written.services.map((s: any) => [s.state, s.left]), [['left', 'on app:1, but its deployments are not settled on it: app:1 PRIMARY IN_PROGRESS, app:2 ACTIVE IN_PROGRESS, app:1 ACTIVE COMPLETED']]);

    ecs.restoreRollout = { kind: 'complete', afterPolls: 1 };
    const finished = await runCommand(['rollback', '--record', RECORD, '--timeout', '30'], { env: env() });
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual(ecs.service.deployments.map((d) => [d.taskDefinition, d.rolloutState]), [[OLD, 'COMPLETED']]);
    assert.equal(record().outcome, 'rolled-back');
  });
});

describe('deploy ENV', () => {
  it('reads cluster, services and region from the project description', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 1 };
    {
      const description = sampleDescription() as any;
      description.images.app.repository = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app';
      description.environments.pre = { ...description.environments.pre, cluster: 'cluster', services: ['app'] };
      writeFileSync(path.join(dir, 'circle-fargate.config.json'), JSON.stringify(description));
      const ecrImage = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app@sha256:${'b'.repeat(64)}`;
      const result = await runCommand(['deploy', 'pre', '--image', ecrImage, '--container', 'app', '--no-checks', '--poll-interval', '0.05', '--record', RECORD], { cwd: dir, env: env() });
      assert.equal(result.code, 0, result.stderr);
      assertLive();
      const unknown = await runCommand(['deploy', 'staging', '--image', IMAGE], { cwd: dir, env: env() });
      assert.equal(unknown.code, 2);
      assert.equal(unknown.stderr, 'circle-fargate: deploy: no environment "staging" in the project description (expected one of pre, prod)\n');
      // ENV deploys its own image: another repository is refused before anything is read.
      const calls = ecs.calls.length;
      const other = await runCommand(['deploy', 'pre', '--image', IMAGE], { cwd: dir, env: env() });
      assert.equal(other.code, 2, other.stderr);
      assert.match(other.stderr, /^circle-fargate: deploy: --image repo\.example\.com\/app@sha256:b{64} is not of the repository environment pre deploys \(images\.app: 123456789012\.dkr\.ecr\.ap-northeast-1\.amazonaws\.com\/app\); pass an image of that repository, or deploy another repository with flags alone/);
      assert.equal(ecs.calls.length, calls);
    }
  });

  it('redraws the rollout counts in place on a terminal', async () => {
    ecs.rollout = { kind: 'complete', afterPolls: 3 };
    const command = [process.execPath, BIN, ...ARGS, '--record', RECORD].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
    // `script` gives the CLI a terminal; the fake ECS endpoint runs in this process, so no spawnSync.
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env(), TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /\r\x1b\[Kservice app: app:2 PRIMARY \d\/3 running/);
    assert.match(output, /app:2 completed/);
  });
});
