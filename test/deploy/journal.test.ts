/**
 * The write-ahead journal (src/deploy/journal.ts) on a real file: with many changes in flight at
 * once (writes shared between the saves asked for meanwhile), every call still leaves only once
 * the file says `sending` for its item, and every change returns only once the file says how it
 * ended.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CallFailed } from '../../src/deploy/calls.js';
import { openJournal } from '../../src/deploy/journal.js';
import { RECORD_FORMAT, type DeployRecord, type TargetChange } from '../../src/deploy/record.js';
import { removeDir, tempDir } from '../helpers/git.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

function record(count: number): DeployRecord {
  const targets: TargetChange[] = Array.from({ length: count }, (_, index) => ({
    rule: `batch-${String(index)}`,
    id: 'batch',
    before: { Id: 'batch', Arn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/c' },
    after: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch:2',
    state: 'planned',
  }));
  return { format: RECORD_FORMAT, id: 'id', cluster: 'c', image: 'repo/app@sha256:0', startedAt: new Date(0).toISOString(), phase: 'targets', outcome: 'in-progress', registered: [], services: [], targets } as unknown as DeployRecord;
}

const onDisk = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as DeployRecord;

describe('the deploy journal', () => {
  it('has each item on disk as sending before its call leaves, and as it ended once its change returns, with 40 changes at once', async () => {
    const dir = tempDir('circle-fargate-journal-');
    dirs.push(dir);
    const file = path.join(dir, 'record.json');
    const journal = await openJournal(record(40), file);
    const seen: string[] = [];
    await Promise.all(
      journal.record.targets.map(async (target, index) => {
            // Some finish at once, others after a while.
        await journal
          .change(target, async () => {
            seen.push(onDisk(file).targets[index]?.state ?? 'missing');
            await new Promise((resolve) => setTimeout(resolve, index % 3));
            // A refusal (refused) and an answer that never came (sending: counted as applied).
            if (index % 10 === 9) throw new CallFailed('AccessDeniedException: no', 'AccessDeniedException', false);
            if (index % 10 === 5) throw new CallFailed('socket hang up', 'Error', true);
          })
          .catch(() => undefined);
        const written = onDisk(file).targets[index];
        const expected = index % 10 === 9 ? 'refused' : index % 10 === 5 ? 'sending' : 'applied';
        assert.equal(written?.state, expected, `target ${String(index)} on disk once its change returned`);
        if (index % 10 === 9 || index % 10 === 5) assert.match(written.error ?? '', /AccessDenied|socket/);
      }),
    );
    assert.deepEqual(new Set(seen), new Set(['sending']));
    assert.equal(seen.length, 40);
    assert.deepEqual(
      onDisk(file).targets.map((target) => target.state),
      journal.record.targets.map((target) => target.state),
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});
