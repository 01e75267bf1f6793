import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inPool, PoolFailure } from '../../src/deploy/pool.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('inPool', () => {
  it('keeps at most the limit in flight and returns results in item order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await inPool([30, 5, 20, 1, 12, 7, 3, 9, 2], 4, async (ms, index) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick(ms);
      inFlight--;
      return index * 10;
    });
    assert.equal(most, 4);
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50, 60, 70, 80]);
  });

  it('starts nothing after the first failure and lets calls in flight settle before throwing it', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const failure = await inPool(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
      started.push(i);
      if (i === 1) {
        await tick(2);
        throw new Error('refused: 1');
      }
      await tick(15);
      settled.push(i);
      return i;
    }).catch((error: unknown) => error);
    assert.ok(failure instanceof PoolFailure);
    assert.equal((failure.first as Error).message, 'refused: 1');
    assert.deepEqual(started, [0, 1, 2], 'nothing starts after the failure');
    assert.deepEqual(settled.sort((a, b) => a - b), [0, 2], 'the calls in flight settled before the error was thrown');
    assert.equal(failure.notStarted, 17);
  });

  it('stops starting work on a signal', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const failure = await inPool([1, 2, 3, 4, 5, 6], 2, async (i) => {
      started.push(i);
      if (i === 2) controller.abort();
      await tick(1);
      return i;
    }, controller.signal).catch((error: unknown) => error);
    assert.ok(failure instanceof PoolFailure);
    assert.deepEqual(started, [1, 2]);
  });

  it('refuses a limit below one', async () => {
    await assert.rejects(inPool([1], 0, (i) => Promise.resolve(i)), /at least 1/);
  });
});
