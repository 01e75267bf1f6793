/**
 * The e2e's critical path (test/e2e/report.ts) on a pipeline of known times: the path follows
 * the requirement that ended last, a parallel job counts through its slowest container, and the
 * deploy step's time is split into the engine's own and ECS's (a rollout from UpdateService to
 * the last DescribeServices of its polls, a one-off task from RunTask to its last DescribeTasks;
 * what the engine does after the rollout is its own).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobReport } from './pipeline.js';
import { criticalPath, stepSeconds, type PipelineReport } from './report.js';

const T = 1_000_000;
const step = (name: string, start: number, end: number) => ({ name, kind: 'run', start: T + start, end: T + end, status: 0 });
const job = (name: string, start: number, end: number, requires: string[], containers: ReturnType<typeof step>[][]): JobReport => ({
  name,
  start: T + start,
  end: T + end,
  exitCode: 0,
  requires,
  parallelism: containers.length,
  containers,
});

const pipeline: PipelineReport = {
  name: 'a push',
  sha: 'a'.repeat(40),
  pushedAt: T,
  triggerSource: 'webhook',
  baseRevision: '',
  deployEnv: '',
  jobs: [
    job('setup', 100, 1_100, [], [[step('Shallow checkout', 100, 300), step('Generate the pipeline and continue', 300, 1_100)]]),
    // Two containers: the second ends last and carries the path.
    job('phpunit', 1_200, 2_500, [], [[step('Run PHPUnit', 1_200, 1_700)], [step('Run PHPUnit', 1_200, 2_500)]]),
    job('build-image', 1_200, 4_000, [], [[step('Shallow checkout', 1_200, 1_400), step('Build and push the image', 1_400, 4_000)]]),
    job('deploy-prod', 4_100, 9_000, ['phpunit', 'build-image'], [[step('Restore the circle-fargate install', 4_100, 4_600), step('Deploy with circle-fargate', 4_600, 9_000)]]),
  ],
};

const calls = [
  { operation: 'RunTask', at: T + 5_000 },
  { operation: 'DescribeTasks', at: T + 6_000 },
  { operation: 'DescribeTasks', at: T + 7_000 },
  { operation: 'UpdateService', at: T + 7_500 },
  { operation: 'DescribeServices', at: T + 8_000 },
  { operation: 'DescribeServices', at: T + 8_700 },
  // The targets move once the rollout is verified, then the rollout's timings are read: the
  // engine's own time, not ECS's.
  { operation: 'PutTargets', at: T + 8_750 },
  { operation: 'PutTargets', at: T + 8_800 },
  { operation: 'DescribeServices', at: T + 8_900 },
  { operation: 'ListTasks', at: T + 8_950 },
  // After the deploy step: not its time.
  { operation: 'DescribeServices', at: T + 9_500 },
];

describe('the e2e report', () => {
  it('follows the requirement that ended last and splits the deploy step into the engine and ECS', () => {
    const path = criticalPath(pipeline, 'deploy-prod', calls);
    assert.ok(path);
    assert.deepEqual(path.jobs, ['setup', 'build-image', 'deploy-prod']);
    assert.equal(path.totalSeconds, 9);
    // ECS: RunTask to the last DescribeTasks (2 s) and UpdateService to the last DescribeServices
    // of its polls (1.2 s; not the timings' read after the targets moved).
    assert.equal(path.ecsSeconds, 3.2);
    // circle-fargate: checkout 0.2 + generate 0.8 + checkout 0.2 + restore 0.5 + deploy 4.4 - 3.2.
    assert.equal(path.circleFargateSeconds, 2.9);
    assert.equal(path.workSeconds, 2.6);
    // Before setup 0.1 s, before build-image 0.1 s, before deploy-prod 0.1 s.
    assert.equal(path.betweenJobsSeconds, 0.3);
    assert.equal(Math.round((path.circleFargateSeconds + path.workSeconds + path.ecsSeconds + path.betweenJobsSeconds) * 10) / 10, path.totalSeconds);
  });

  it('reads a step time from the slowest container, and none for a step that did not run', () => {
    assert.equal(stepSeconds(pipeline, 'phpunit', /^Run PHPUnit$/), 1.3);
    assert.equal(stepSeconds(pipeline, 'phpunit', /^Build/), undefined);
  });
});
