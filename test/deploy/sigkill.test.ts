/**
 * The SIGKILL table: a deploy of one service and two scheduled rules on moto is killed after its
 * API call 1, 2, ... all (the call done by moto, its answer held back), and each time
 * `rollback --record FILE` puts back exactly the before state, read back from moto.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, runCommand } from '../helpers/cli.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { assertBeforeState, createWorld, IMAGE } from './world.js';

let moto: Moto;
let dir: string;

before(async () => {
  moto = await startMoto();
  dir = tempDir();
});
after(() => {
  moto.stop();
  removeDir(dir);
});

const MUTATING = new Set(['RegisterTaskDefinition', 'UpdateService', 'PutTargets']);

async function killedAfter(call: number | undefined, extra: readonly string[]): Promise<{ operations: string[]; killed: boolean; record: string; rollout?: string; restoredBy?: { code: number | null; stderr: string } }> {
  const world = await createWorld(moto.url, { rules: 2 });
  const proxy = new FaultProxy(moto.url);
  await proxy.start();
  if (extra.includes('serving')) {
    // The new tasks run two polls in, the deployment completes a poll later: serving first.
    proxy.tasks = true;
    proxy.drainPolls = 1;
  }
  proxy.holdAfterCall = call;
  const record = path.join(dir, `record-${extra.join('-')}-${String(call ?? 'all')}.json`);
  try {
    const child = spawn(
      process.execPath,
      [BIN, 'deploy', '--cluster', world.cluster, '--service', world.services[0] ?? '', '--scheduled-rule-prefix', world.prefix, '--image', IMAGE, '--poll-interval', '0.05', '--record', record, ...extra],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...proxy.env() }, stdio: 'ignore' },
    );
    const exited = new Promise<string>((resolve) => child.on('close', () => { resolve('exited'); }));
    const outcome = await Promise.race([exited, proxy.held.then(() => 'held')]);
    if (outcome === 'held') {
      child.kill('SIGKILL');
      await exited;
    }
    const operations = proxy.operations();
    if (call === undefined) return { operations, killed: false, record, rollout: (JSON.parse(readFileSync(record, 'utf8')) as { services: { rollout: string }[] }).services[0]?.rollout ?? '' };
    let restoredBy: { code: number | null; stderr: string } | undefined;
    if (existsSync(record)) {
      restoredBy = await runCommand(['rollback', '--record', record], { env: proxy.env() });
    } else {
      // No record yet: only reads may have happened.
      assert.deepEqual(operations.filter((operation) => MUTATING.has(operation)), [], `call ${call}: a change was sent before the record was written`);
    }
    await assertBeforeState(world, `after SIGKILL after call ${call} (${operations[call - 1] ?? '?'})`);
    return { operations, killed: outcome === 'held', record, ...(restoredBy ? { restoredBy } : {}) };
  } finally {
    await proxy.stop();
  }
}

// The two tables wait mostly on rollouts' polls: run side by side (each has its own world and proxy).
describe('SIGKILL at every API call', { concurrency: 2 }, () => {
  for (const waitUntil of ['complete', 'serving'] as const) {
    it(`--wait-until ${waitUntil}: rollback --record restores the exact before state after a kill following call 1, 2, ... all`, async (t) => {
      const extra = ['--wait-until', waitUntil];
      const full = await killedAfter(undefined, extra);
      const total = full.operations.length;
      assert.ok(full.operations.filter((operation) => MUTATING.has(operation)).length >= 5, `a deploy that changes things: ${full.operations.join(' ')}`);
      // Serving ends on the deployment's running tasks, before ECS completes it (still draining).
      assert.equal(full.rollout, waitUntil === 'serving' ? 'serving' : 'completed', full.operations.join(' '));
      if (waitUntil === 'serving') assert.ok(full.operations.includes('DescribeTasks'), full.operations.join(' '));
      const table: string[] = [];
      for (let call = 1; call <= total; call++) {
        const result = await killedAfter(call, extra);
        assert.ok(result.killed, `the deploy reached call ${call}`);
        if (result.restoredBy) assert.equal(result.restoredBy.code, 0, `call ${call}: ${result.restoredBy.stderr}`);
        table.push(`${call} ${result.operations[call - 1] ?? '?'}: ${result.restoredBy ? 'restored' : 'no record yet, nothing changed'}`);
      }
      assert.equal(table.length, total);
      t.diagnostic(table.join('\n'));
    });
  }
});
