/**
 * Faults of the deploy against moto_server behind the fault-injecting proxy, through the real
 * CLI: each case is one of the ways a deploy used to lie (issue 11), and each ends by reading the
 * final state back from moto, not from our log lines.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { BIN, ROOT, runCommand } from '../helpers/cli.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { assertBeforeState, createWorld, IMAGE, SECRET, serviceTaskDefinitions, targetsNow, type World } from './world.js';

let moto: Moto;
let proxy: FaultProxy;
let dir: string;
let records = 0;

before(async () => {
  moto = await startMoto();
  dir = tempDir();
  proxy = new FaultProxy(moto.url);
  await proxy.start();
});
after(async () => {
  await proxy.stop();
  moto.stop();
  removeDir(dir);
});
beforeEach(async () => {
  await proxy.stop();
  proxy = new FaultProxy(moto.url);
  await proxy.start();
});

function recordPath(): string {
  records++;
  return path.join(dir, `record-${records}.json`);
}

function args(world: World, record: string, extra: string[] = []): string[] {
  return ['deploy', '--cluster', world.cluster, ...world.services.flatMap((service) => ['--service', service]), ...(world.rules.length > 0 || world.foreignRule ? ['--scheduled-rule-prefix', world.prefix] : []), '--image', IMAGE, '--poll-interval', '0.05', '--record', record, ...extra];
}

function deploy(world: World, record: string, extra: string[] = []) {
  return runCommand(args(world, record, extra), { env: proxy.env() });
}

function rollback(record: string, extra: string[] = []) {
  return runCommand(['rollback', '--record', record, ...extra], { env: proxy.env() });
}

/** The CLI as a child we can signal; resolves with its exit code and output. */
function spawnDeploy(world: World, record: string, extra: string[] = [], onStderr?: (all: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [BIN, ...args(world, record, extra)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...proxy.env() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    onStderr?.(stderr, child);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** With serving, the proxy lists the deployments' tasks, which run (and serve) two polls before it completes. */
function serveFirst(waitUntil: 'complete' | 'serving'): void {
  proxy.tasks = waitUntil === 'serving';
  proxy.drainPolls = waitUntil === 'serving' ? 2 : 0;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function imageOf(world: World, service: string): Promise<string | undefined> {
  const arn = (await serviceTaskDefinitions(world)).get(service);
  const described = await world.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
  return described.taskDefinition?.containerDefinitions?.[0]?.image;
}

describe('deploy faults against moto', () => {
  for (const waitUntil of ['complete', 'serving'] as const) {
    it(`--wait-until ${waitUntil}: refused UpdateService while a sibling is in flight: the sibling settles and is rolled back too (exit 1)`, async () => {
      serveFirst(waitUntil);
      const world = await createWorld(moto.url, { services: 2 });
      const [first, second] = world.services as [string, string];
      proxy.faults = [
        { operation: 'UpdateService', matching: first, kind: 'refuse' },
        { operation: 'UpdateService', matching: second, kind: 'delay', delayMs: 400 },
      ];
      const record = recordPath();
      const result = await deploy(world, record, ['--wait-until', waitUntil]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /^circle-fargate: deploy failed: UpdateService .*AccessDeniedException.*; rolled back: 1 service\(s\) and 0 scheduled target\(s\) verified back/m);
      await assertBeforeState(world);
      const written = JSON.parse(readFileSync(record, 'utf8'));
      assert.deepEqual(written.services.map((s: any) => [s.name, s.state]), [[first, 'refused'], [second, 'restored']]);
      assert.equal(written.outcome, 'rolled-back');
    });

    it(`--wait-until ${waitUntil}: UpdateService done but its answer lost, then the retry refused: counted as applied and rolled back (exit 1)`, async () => {
      serveFirst(waitUntil);
      const world = await createWorld(moto.url);
      proxy.faults = [
        { operation: 'UpdateService', kind: 'lose-answer' },
        { operation: 'UpdateService', kind: 'refuse' },
      ];
      const result = await deploy(world, recordPath(), ['--wait-until', waitUntil]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /rolled back: 1 service\(s\)/);
      await assertBeforeState(world);
      assert.equal(proxy.operations().filter((operation) => operation === 'UpdateService').length, 3, 'lost, refused, then the rollback');
    });

    it(`--wait-until ${waitUntil}: PutTargets refused during the rollback: exit 3 naming what is left, record kept; rollback --record finishes it`, async () => {
      serveFirst(waitUntil);
      const world = await createWorld(moto.url, { rules: 8 });
      const [, , , stuck] = world.rules as string[];
      proxy.faults = [
        { operation: 'PutTargets', matching: `"${world.rules[6] ?? ''}"`, kind: 'refuse' },
        // The deploy's own PutTargets of this rule goes through; the rollback's is refused.
        { operation: 'PutTargets', matching: `"${stuck ?? ''}"`, kind: 'refuse', skip: 1 },
      ];
      const record = recordPath();
      const result = await deploy(world, record, ['--wait-until', waitUntil]);
      assert.equal(result.code, 3, result.stderr);
      // The targets move once the rollout is verified: serving here, before ECS completes it.
      if (waitUntil === 'serving') assert.match(result.stderr, /serving \(every new task running and healthy, in every target group\); the old tasks drain on their own/);
      else assert.match(result.stderr, /service \S+: \S+ completed/);
      assert.match(result.stderr, new RegExp(`the before state could NOT be fully restored: rule ${stuck ?? ''} target t0: still on .*-batch:2 \\(this deploy's revision\\): the put-back .*; expected .*-batch:1; finish with: circle-fargate rollback --record `));
      const written = JSON.parse(readFileSync(record, 'utf8'));
      assert.equal(written.outcome, 'not-restored');
      assert.deepEqual(written.targets.filter((t: any) => t.state === 'left').map((t: any) => t.rule), [stuck]);
      assert.equal(statSync(record).mode & 0o777, 0o600, 'the full record is private');
      const now = await targetsNow(world);
      assert.notDeepEqual(now.get(stuck ?? ''), world.before.targets.get(stuck ?? ''), 'that target really is left on the new revision');

      const finished = await rollback(record);
      assert.equal(finished.code, 0, finished.stderr);
      await assertBeforeState(world, 'after rollback --record');
    });
  }

  it('--wait-until serving: a 500 and throttling on the serving check\'s reads are retried; the deploy serves, then moves the targets (exit 0)', async () => {
    const world = await createWorld(moto.url, { rules: 2 });
    serveFirst('serving');
    proxy.faults = [
      { operation: 'ListTasks', kind: 'error-before' },
      { operation: 'DescribeTasks', kind: 'throttle', times: 2 },
    ];
    const record = recordPath();
    const result = await deploy(world, record, ['--wait-until', 'serving']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(readFileSync(record, 'utf8')).services[0]?.rollout, 'serving');
    const now = await targetsNow(world);
    for (const rule of world.rules) assert.match(now.get(rule)?.[0]?.EcsParameters?.TaskDefinitionArn ?? '', /-batch:2$/, rule);
    assert.equal(await imageOf(world, world.services[0] ?? ''), IMAGE);
    // The 500 before ListTasks and the two throttled DescribeTasks were retried within their check.
    const operations = proxy.operations();
    assert.ok(operations.filter((operation) => operation === 'ListTasks').length >= 2, 'ListTasks answered 500, then again');
    assert.ok(operations.filter((operation) => operation === 'DescribeTasks').length >= 3, 'throttled twice, then read');
    assert.doesNotMatch(result.stderr, /not serving yet/, 'the faults were retried inside the check, not taken for a task that does not serve');
  });

  for (const waitUntil of ['complete', 'serving'] as const) {
    it(`--wait-until ${waitUntil}: SIGTERM during the target phase rolls back targets and services; a second SIGTERM does not interrupt the rollback (exit 1)`, async () => {
      const world = await createWorld(moto.url, { rules: 6 });
      proxy.faults = [{ operation: 'PutTargets', kind: 'delay', delayMs: 250, times: 100 }];
      serveFirst(waitUntil);
      let signalled = 0;
      const { child, done } = spawnDeploy(world, recordPath(), ['--wait-until', waitUntil], (stderr, running) => {
        if (signalled === 1 && stderr.includes('restoring the before state')) {
          signalled = 2;
          running.kill('SIGTERM');
        }
      });
      await until(() => proxy.operations().filter((operation) => operation === 'PutTargets').length >= 2, 'the target phase');
      signalled = 1;
      child.kill('SIGTERM');
      const result = await done;
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /received SIGTERM: no new changes/);
      assert.match(result.stderr, /received SIGTERM again: the rollback goes on/);
      assert.match(result.stderr, /deploy failed: interrupted by SIGTERM; rolled back: 1 service\(s\) and \d scheduled target\(s\) verified back/);
      if (waitUntil === 'serving') assert.match(result.stderr, /serving \(every new task running and healthy, in every target group\); the old tasks drain on their own/);
      await assertBeforeState(world);
    });
  }

  it('changes only targets on the deploy cluster, and refuses CODE_DEPLOY and EXTERNAL services before registering', async () => {
    const world = await createWorld(moto.url, { rules: 2, foreign: true });
    const result = await deploy(world, recordPath());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`rule ${world.foreignRule ?? ''} target t0 runs on .*cluster/someone-else, not .*: left unchanged`));
    const now = await targetsNow(world);
    assert.deepEqual(now.get(world.foreignRule ?? ''), world.before.targets.get(world.foreignRule ?? ''));
    assert.match(now.get(world.rules[0] ?? '')?.[0]?.EcsParameters?.TaskDefinitionArn ?? '', /-batch:2$/);

    for (const controller of ['CODE_DEPLOY', 'EXTERNAL'] as const) {
      const foreign = await createWorld(moto.url, { controller });
      const calls = proxy.calls.length;
      const refused = await deploy(foreign, recordPath());
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, new RegExp(`^circle-fargate: deploy: service\\(s\\) ${foreign.services[0] ?? ''} \\(${controller}\\) use a deployment controller other than ECS.*nothing was registered\\n$`));
      assert.ok(!proxy.calls.slice(calls).some((call) => call.operation === 'RegisterTaskDefinition' || call.operation === 'UpdateService'));
      await assertBeforeState(foreign);
    }
  });

  it('--no-wait updates the services and moves no scheduled target; nothing secret is shown', async () => {
    const world = await createWorld(moto.url, { rules: 3 });
    proxy.hang.add(world.services[0] ?? '');
    const record = recordPath();
    const result = await deploy(world, record, ['--no-wait', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /3 scheduled target\(s\) and 0 schedule\(s\) not moved: the rollouts of .* were not verified \(--no-wait\)/);
    assert.deepEqual(await targetsNow(world), world.before.targets);
    assert.equal(await imageOf(world, world.services[0] ?? ''), IMAGE);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual(summary.targets.map((t: any) => t.state), ['planned', 'planned', 'planned']);
    assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET), 'a secret reached the output');
    assert.ok(!result.stdout.includes('containerOverrides'), 'target inputs reached the output');
    assert.ok(readFileSync(record, 'utf8').includes('containerOverrides'), 'the full record keeps the inputs to restore them');
  });

  it('a second deploy waits for the first one in progress, then owns the service; --if-busy refuse changes nothing', async () => {
    const world = await createWorld(moto.url);
    const service = world.services[0] ?? '';
    proxy.hang.add(service);
    const first = spawnDeploy(world, recordPath());
    await until(() => proxy.operations().includes('UpdateService'), 'the first UpdateService');
    const refused = await deploy(world, recordPath(), ['--if-busy', 'refuse']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /another deployment is in progress: .*nothing was changed/);
    // A dry run has nothing to wait for: it plans on the state as it is, and says so.
    const planned = await deploy(world, recordPath(), ['--dry-run']);
    assert.equal(planned.code, 0, planned.stderr);
    assert.match(planned.stderr, /another deployment is in progress: .*; a deploy would wait for it first/);
    assert.match(planned.stderr, /would update service /);
    const newer = `localhost:5000/monolith/app@sha256:${'f'.repeat(64)}`;
    let waiting = false;
    const second = spawnDeploy(world, recordPath(), ['--image', newer], (stderr) => {
      waiting ||= stderr.includes('waiting for another deployment in progress');
    });
    await until(() => waiting, 'the second deploy to wait');
    // Both deploys poll the service, and the proxy counts every poll toward a rollout: with 2, the
    // second deploy's rollout could complete (dropping the first's finished deployment, as ECS
    // does once the newer one completes) before the first deploy looked again. ECS takes minutes.
    proxy.rolloutPolls = 6;
    proxy.hang.delete(service);
    const [firstResult, secondResult] = await Promise.all([first.done, second.done]).finally(() => {
      proxy.rolloutPolls = 2;
    });
    assert.equal(firstResult.code, 0, firstResult.stderr);
    assert.equal(secondResult.code, 0, secondResult.stderr);
    assert.equal(await imageOf(world, service), newer, 'the newer deploy wins');
  });

  it('a deployment superseded by a newer one is not rolled back: the newer owns the service (exit 1)', async () => {
    const world = await createWorld(moto.url);
    const service = world.services[0] ?? '';
    proxy.hang.add(service);
    const { done } = spawnDeploy(world, recordPath());
    await until(() => proxy.operations().filter((operation) => operation === 'DescribeServices').length >= 3 && proxy.operations().includes('UpdateService'), 'the first deploy watching');
    const other = await world.ecs.send(new RegisterTaskDefinitionCommand({ family: `${world.cluster}-other`, containerDefinitions: [{ name: 'app', image: 'localhost:5000/monolith/app:hotfix', memory: 256 }] }));
    await world.ecs.send(new UpdateServiceCommand({ cluster: world.cluster, service, taskDefinition: other.taskDefinition?.taskDefinitionArn }));
    const result = await done;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /was superseded: the service now runs .*-other:1; the newer deploy owns the service/);
    const described = await world.ecs.send(new DescribeServicesCommand({ cluster: world.cluster, services: [service] }));
    assert.equal(described.services?.[0]?.taskDefinition, other.taskDefinition?.taskDefinitionArn, 'not rolled back over the newer deployment');
  });

  it('rollback --record of an older deploy refuses to undo a later one (naming it), unless --force', async () => {
    const world = await createWorld(moto.url, { rules: 1 });
    const older = recordPath();
    assert.equal((await deploy(world, older)).code, 0);
    const afterOlder = await serviceTaskDefinitions(world);
    const later = recordPath();
    const newer = `localhost:5000/monolith/app@sha256:${'0'.repeat(64)}`;
    const second = await runCommand(['deploy', '--cluster', world.cluster, '--service', world.services[0] ?? '', '--image', newer, '--poll-interval', '0.05', '--record', later], { env: proxy.env() });
    assert.equal(second.code, 0, second.stderr);
    const afterLater = await serviceTaskDefinitions(world);

    const refused = await rollback(older);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`^circle-fargate: rollback: refused: 1 item\\(s\\) changed since this deploy .*service ${world.services[0] ?? ''}: .*expected .*nothing was changed; pass --force`));
    assert.deepEqual(await serviceTaskDefinitions(world), afterLater, 'nothing changed');

    const undoLater = await rollback(later);
    assert.equal(undoLater.code, 0, undoLater.stderr);
    assert.deepEqual(await serviceTaskDefinitions(world), afterOlder);
    const undoOlder = await rollback(older);
    assert.equal(undoOlder.code, 0, undoOlder.stderr);
    await assertBeforeState(world);
  });

  it('rollback --force puts the before state back over a later change', async () => {
    const world = await createWorld(moto.url);
    const older = recordPath();
    assert.equal((await deploy(world, older)).code, 0);
    const other = await world.ecs.send(new RegisterTaskDefinitionCommand({ family: `${world.cluster}-x`, containerDefinitions: [{ name: 'app', image: 'localhost:5000/monolith/app:x', memory: 256 }] }));
    await world.ecs.send(new UpdateServiceCommand({ cluster: world.cluster, service: world.services[0], taskDefinition: other.taskDefinition?.taskDefinitionArn }));
    assert.equal((await rollback(older)).code, 1);
    const forced = await rollback(older, ['--force']);
    assert.equal(forced.code, 0, forced.stderr);
    await assertBeforeState(world);
  });
});
