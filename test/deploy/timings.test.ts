/**
 * Timings on literal values: a service's rollout from ECS's own timestamps, and the one line a
 * deploy ends with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duration } from '../../src/duration.js';
import { serviceTimingsOf, timingSummary } from '../../src/deploy/timings.js';
import { taskTimingsOf } from '../../src/deploy/runTask.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 8, 0, 0) + seconds * 1000);

describe('timings', () => {
  it('reads a rollout from the deployment and its tasks: first placed, longest pull, last running, completed', () => {
    const timings = serviceTimingsOf(
      'shop-prod-app',
      { id: 'ecs-svc/1', createdAt: at(0), updatedAt: at(395), rolloutState: 'COMPLETED' },
      [
        { createdAt: at(3), pullStartedAt: at(5), pullStoppedAt: at(30), startedAt: at(40) },
        { createdAt: at(2), pullStartedAt: at(4), pullStoppedAt: at(20), startedAt: at(95) },
      ],
    );
    assert.deepEqual(timings, { service: 'shop-prod-app', deploymentId: 'ecs-svc/1', startedAt: at(0).toISOString(), tasks: 2, placed: 2, running: 95, completed: 395, pull: 25 });
  });

  it('the old tasks stopped: the last stop of the replaced deployments\' tasks, none from before ours began nor before ours ran', () => {
    const deployment = { id: 'ecs-svc/1', createdAt: at(0), updatedAt: at(400), rolloutState: 'COMPLETED' as const };
    const running = [{ createdAt: at(2), startedAt: at(90) }];
    const old = [{ stoppingAt: at(380), stoppedAt: at(385) }, { stoppingAt: at(392), stoppedAt: at(396) }, { stoppedAt: at(-1800) }];
    assert.equal(serviceTimingsOf('app', deployment, running, undefined, old).oldTasksStopped, 396, 'an hour-old crash of the old revision does not count');
    assert.equal(serviceTimingsOf('app', deployment, running, undefined, [{ stoppedAt: at(30) }]).oldTasksStopped, undefined, 'stopped before ours ran (no room): not a drain');
    assert.equal(serviceTimingsOf('app', deployment, running).oldTasksStopped, undefined, 'no old task read: nothing said');
    const line = timingSummary({ seconds: 410, phases: [], services: [serviceTimingsOf('app', deployment, running, undefined, old)] });
    assert.match(line, /^deployed in 6m50s: running at 1m30s, old tasks stopped at 6m36s \(5m06s after running: health checks and draining\), completed at 6m40s; $/);
    const without = timingSummary({ seconds: 410, phases: [], services: [serviceTimingsOf('app', deployment, running)] });
    assert.match(without, /^deployed in 6m50s: running at 1m30s, completed at 6m40s \(5m10s after running: health checks and draining\); $/);
  });

  it('a one-off task: waiting for capacity (placed to pull), the pull, the run (to its execution stopping), as ECS reports them', () => {
    assert.deepEqual(taskTimingsOf({ createdAt: at(0), pullStartedAt: at(12.3), pullStoppedAt: at(40), startedAt: at(41), executionStoppedAt: at(101.5), stoppedAt: at(130) }), { waiting: 12.3, pull: 27.7, run: 60.5 });
    assert.deepEqual(taskTimingsOf({ createdAt: at(0), startedAt: at(5), stoppedAt: at(9) }), { waiting: 5, run: 4 }, 'no pull: waiting until it started; stoppedAt when ECS gave no executionStoppedAt');
    assert.deepEqual(taskTimingsOf({ createdAt: at(0) }), {}, 'a task that never started: nothing to say');
  });

  it('leaves out what ECS did not report (a deployment still rolling has no completion)', () => {
    const timings = serviceTimingsOf('app', { id: 'ecs-svc/2', createdAt: at(0), updatedAt: at(50), rolloutState: 'IN_PROGRESS' }, []);
    assert.deepEqual(timings, { service: 'app', deploymentId: 'ecs-svc/2', startedAt: at(0).toISOString(), tasks: 0 });
  });

  it('says in one line where the time went; the slowest service speaks for the rollout', () => {
    const line = timingSummary({
      seconds: 412.3,
      phases: [
        { phase: 'checks', seconds: 3.2 },
        { phase: 'register', seconds: 0.8 },
        { phase: 'services', seconds: 398 },
        { phase: 'targets', seconds: 9.9 },
      ],
      services: [
        { service: 'shop-prod-admin', deploymentId: 'a', tasks: 1, running: 50, completed: 80 },
        { service: 'shop-prod-app', deploymentId: 'b', tasks: 3, running: 95, completed: 395, pull: 25 },
      ],
    });
    assert.equal(line, 'deployed in 6m52s: shop-prod-app running at 1m35s (pull 25s), completed at 6m35s (5m00s after running: health checks and draining); checks 3.2s, register 0.8s, services 6m38s, targets 9.9s');
  });

  it('spells durations for people', () => {
    assert.deepEqual([0.04, 1.25, 9.96, 10, 59.4, 60, 192].map(duration), ['0s', '1.3s', '10s', '10s', '59s', '1m00s', '3m12s']);
  });
});
