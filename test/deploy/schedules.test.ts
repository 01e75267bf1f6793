/**
 * EventBridge Scheduler schedules on moto: found by group and prefix across pages, only those
 * whose ECS target is the deploy's cluster, written back whole with one field changed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateScheduleCommand, CreateScheduleGroupCommand, DeleteScheduleCommand, GetScheduleCommand, SchedulerClient, UpdateScheduleCommand, type CreateScheduleInput } from '@aws-sdk/client-scheduler';
import { PoolFailure } from '../../src/deploy/pool.js';
import { applySchedules, findSchedules, listSchedules, restoreSchedules, scheduleDifferences, storedSchedule, writeSchedule, type ChangeJournal, type ScheduleChange, type Send } from '../../src/deploy/schedules.js';
import { startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let scheduler: SchedulerClient;
const run = randomBytes(3).toString('hex');
const GROUP = `batches-${run}`;
const OTHER_GROUP = `other-${run}`;
const CLUSTER = `arn:aws:ecs:ap-northeast-1:123456789012:cluster/monolith-${run}`;
const OLD = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/monolith-batch:7';
const NEW = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/monolith-batch:8';
const send: Send = (_what, call) => call();

function schedule(name: string, group: string, cluster = CLUSTER): CreateScheduleInput {
  return {
    Name: name,
    GroupName: group,
    Description: `batch ${name}`,
    ScheduleExpression: 'cron(15 3 * * ? *)',
    ScheduleExpressionTimezone: 'Asia/Tokyo',
    StartDate: new Date('2031-01-01T00:00:00Z'),
    EndDate: new Date('2033-06-30T00:00:00Z'),
    State: 'DISABLED',
    KmsKeyArn: 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
    ActionAfterCompletion: 'NONE',
    Target: {
      Arn: cluster,
      RoleArn: 'arn:aws:iam::123456789012:role/scheduler-run-task',
      Input: JSON.stringify({ containerOverrides: [{ name: 'batch', command: ['bin/cake', name], environment: [{ name: 'TOKEN', value: 'secret-value' }] }] }),
      RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
      DeadLetterConfig: { Arn: 'arn:aws:sqs:ap-northeast-1:123456789012:batch-dlq' },
      EcsParameters: {
        TaskDefinitionArn: OLD,
        TaskCount: 1,
        LaunchType: 'FARGATE',
        PlatformVersion: '1.4.0',
        EnableExecuteCommand: false,
        PropagateTags: 'TASK_DEFINITION',
        Tags: [{ team: 'batch' }],
        NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-1', 'subnet-2'], SecurityGroups: ['sg-1'], AssignPublicIp: 'DISABLED' } },
      },
    },
  };
}

before(async () => {
  moto = await startMoto();
  scheduler = new SchedulerClient({ endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  await scheduler.send(new CreateScheduleGroupCommand({ Name: OTHER_GROUP }));
  for (let i = 0; i < 5; i++) await scheduler.send(new CreateScheduleCommand(schedule(`batch-${run}-${i}`, GROUP)));
  await scheduler.send(new CreateScheduleCommand(schedule(`batch-${run}-elsewhere`, GROUP, 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/another')));
  await scheduler.send(new CreateScheduleCommand(schedule(`batch-${run}-9`, OTHER_GROUP)));
  await scheduler.send(new CreateScheduleCommand(schedule(`report-${run}`, GROUP)));
});

after(() => {
  moto.stop();
});

describe('EventBridge Scheduler schedules', () => {
  it('lists by group and prefix, reading every page', async () => {
    const names = await listSchedules(scheduler, { group: GROUP, prefix: `batch-${run}-` }, send, 2);
    assert.deepEqual(
      names.map((n) => `${n.group}/${n.name}`),
      [...[0, 1, 2, 3, 4].map((i) => `${GROUP}/batch-${run}-${i}`), `${GROUP}/batch-${run}-elsewhere`].sort(),
    );
    const byPrefix = await listSchedules(scheduler, { prefix: `batch-${run}-9` }, send, 1);
    assert.deepEqual(byPrefix, [{ group: OTHER_GROUP, name: `batch-${run}-9` }]);
  });

  it('keeps only schedules whose target is the cluster, naming the others', async () => {
    const { found, skipped } = await findSchedules(scheduler, { group: GROUP, prefix: `batch-${run}-` }, CLUSTER, send, 4);
    assert.equal(found.length, 5);
    assert.deepEqual(skipped.map((s) => [s.name, s.why]), [[`batch-${run}-elsewhere`, `its target runs in arn:aws:ecs:ap-northeast-1:123456789012:cluster/another, not ${CLUSTER}`]]);
  });

  it('changes the task definition and keeps every other field, then puts it back exactly', async () => {
    const name = `batch-${run}-3`;
    const read = async () => scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: name }));
    const before = await read();
    const { found } = await findSchedules(scheduler, { group: GROUP, prefix: name }, CLUSTER, send, 4);
    assert.equal(found.length, 1);
    const [item] = found;
    assert.ok(item);
    await writeSchedule(scheduler, item.schedule, send, NEW);
    const after = await read();
    assert.equal(after.Target?.EcsParameters?.TaskDefinitionArn, NEW);
    const strip = (output: typeof before) => {
      const { $metadata: _m, LastModificationDate: _l, ...rest } = output;
      return { ...rest, Target: { ...rest.Target, EcsParameters: { ...rest.Target?.EcsParameters, TaskDefinitionArn: 'x' } } };
    };
    assert.deepEqual(strip(after), strip(before));
    assert.deepEqual(scheduleDifferences(storedSchedule(after), item.schedule), ['Target.EcsParameters.TaskDefinitionArn']);

    await writeSchedule(scheduler, item.schedule, send);
    assert.deepEqual(scheduleDifferences(storedSchedule(await read()), item.schedule), []);
  });

  it('shows why: an update that sends only the required fields resets the rest', async () => {
    const name = `batch-${run}-4`;
    const before = await scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: name }));
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: name,
        GroupName: GROUP,
        ScheduleExpression: before.ScheduleExpression,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: CLUSTER, RoleArn: before.Target?.RoleArn, EcsParameters: { TaskDefinitionArn: NEW } },
      }),
    );
    const naive = storedSchedule(await scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: name })));
    const lost = scheduleDifferences(naive, storedSchedule(before));
    for (const field of ['Target.RetryPolicy.MaximumRetryAttempts', 'Target.DeadLetterConfig', 'Target.Input', 'FlexibleTimeWindow.Mode', 'State', 'KmsKeyArn']) {
      assert.ok(lost.some((path) => path === field || path.startsWith(`${field}.`)), `${field} was reset by the partial update (lost: ${lost.join(', ')})`);
    }
  });
});

describe('schedules in a deploy', () => {
  /** What the journal saw, in order: `start NAME` before each call, `refused NAME` after a refusal. */
  const events: string[] = [];
  /** The journal's contract, in memory: sending before the call, applied or refused after. */
  const journal: ChangeJournal = {
    async change(items, call) {
      const list = Array.isArray(items) ? items : [items];
      for (const item of list) {
        item.state = 'sending';
        events.push(`start ${String(item.name)}`);
      }
      try {
        const result = await call();
        for (const item of list) item.state = 'applied';
        return result;
      } catch (error) {
        for (const item of list) {
          events.push(`refused ${String(item.name)}`);
          item.state = 'refused';
          item.error = error instanceof Error ? error.message : String(error);
        }
        throw error;
      }
    },
    save: () => Promise.resolve(),
  };

  it('moves schedules 2 at a time, stops at a refusal, and restores every touched one exactly', async () => {
    const group = `deploy-${run}`;
    await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
    for (let i = 0; i < 8; i++) await scheduler.send(new CreateScheduleCommand(schedule(`job-${i}`, group)));
    const { found } = await findSchedules(scheduler, { group }, CLUSTER, send, 4);
    // In name order (reads run 4 at a time, so `found` comes in the order they finished): job-3 is
    // the fourth to start.
    const items: ScheduleChange[] = found.map((f): ScheduleChange => ({ state: 'planned', group: f.group, name: f.name, before: f.schedule, after: NEW })).sort((a, b) => a.name.localeCompare(b.name));
    // job-3 disappears between the read and the write: its update is refused.
    await scheduler.send(new DeleteScheduleCommand({ GroupName: group, Name: 'job-3' }));
    // job-3's call waits until job-4's has started, and job-4's until job-3's refusal is back, so
    // the pool's stop comes at a known point: job-4 in flight, nothing after it may start.
    let job4Started!: () => void;
    const job4 = new Promise<void>((resolve) => { job4Started = resolve; });
    let job3Settled!: () => void;
    const job3 = new Promise<void>((resolve) => { job3Settled = resolve; });
    const holding: Send = async (what, call) => {
      if (what.endsWith('/job-3')) {
        await job4;
        return call().finally(job3Settled);
      }
      if (what.endsWith('/job-4')) {
        job4Started();
        await job3;
      }
      return call();
    };
    const failure = await applySchedules(scheduler, journal, items, holding, 2).catch((error: unknown) => error);
    assert.ok(failure instanceof PoolFailure);
    assert.match(failure.message, /job-3|not found|does not exist/i);
    const states = Object.fromEntries(items.map((item) => [item.name, item.state]));
    assert.equal(states['job-3'], 'refused');
    // Started in name order, 2 at a time: job-4 was in flight when job-3 was refused, and nothing
    // started after the refusal.
    const starts = events.filter((event) => event.startsWith('start ')).map((event) => event.slice('start '.length));
    assert.deepEqual(starts, ['job-0', 'job-1', 'job-2', 'job-3', 'job-4'], 'started in order, up to the one in flight');
    assert.deepEqual(events.slice(events.indexOf('refused job-3') + 1).filter((event) => event.startsWith('start ')), [], 'nothing started after the refusal');
    assert.deepEqual(items.filter((item) => item.state === 'planned').map((item) => item.name), ['job-5', 'job-6', 'job-7']);
    const touched = items.filter((item) => item.state === 'applied').map((item) => item.name);
    assert.ok(touched.length >= 2);

    const left = await restoreSchedules(scheduler, items, send, 2, () => undefined);
    assert.deepEqual(left, []);
    for (const item of items.filter((candidate) => candidate.name !== 'job-3')) {
      const now = await scheduler.send(new GetScheduleCommand({ GroupName: group, Name: item.name }));
      assert.equal(now.Target?.EcsParameters?.TaskDefinitionArn, OLD, `${item.name} runs the before task definition`);
      assert.deepEqual(scheduleDifferences(storedSchedule(now), item.before), []);
    }
    assert.deepEqual(items.filter((item) => item.state === 'restored').map((item) => item.name).sort(), [...touched].sort());
  });
});
