/**
 * The write-ahead journal: the record is on disk before the first change, and each change is
 * written as `sending` before its call leaves and as `applied` (or `refused`) after AWS answers.
 * Each write replaces the whole file atomically (a temporary file beside it, then a rename),
 * with mode 0600 because target inputs may hold secrets. Writes are serialised (services deploy
 * concurrently) and each writes the record as it is when it starts: the last state written is
 * always the newest.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { OperationError } from '../errors.js';
import { isUnknownOutcome } from './calls.js';
import type { DeployRecord, Tracked } from './record.js';

export interface Journal {
  readonly record: DeployRecord;
  /** The file, or undefined when journaling to memory only (dry run, library use without a file). */
  readonly file: string | undefined;
  /** Writes the record as it is now. */
  save(): Promise<void>;
  /**
   * Runs a call that changes `item`: journaled as `sending` first, then `applied` on an answer,
   * `refused` on a definite refusal; an unknown outcome stays `sending` (counted as applied).
   */
  change<T>(items: Tracked | readonly Tracked[], call: () => Promise<T>): Promise<T>;
}

export async function openJournal(record: DeployRecord, file: string | undefined): Promise<Journal> {
  // One write at a time, of the record as it is when the write starts. A save asked for while a
  // write is under way waits for the next one, which every save asked for meanwhile shares: each
  // caller still returns only once a write begun after its own changes is on disk, but 80 rules
  // moved 4 at a time make a few dozen writes of the whole record, not 160.
  let last: Promise<void> = Promise.resolve();
  let next: Promise<void> | undefined;
  const save = (): Promise<void> => {
    if (file === undefined) return Promise.resolve();
    if (next !== undefined) return next;
    const write = last.then(() => {
      next = undefined;
      return writePrivate(file, `${JSON.stringify(record, null, 2)}\n`);
    });
    next = write;
    last = write.catch(() => undefined);
    return write;
  };
  if (file !== undefined) await mkdir(path.dirname(file), { recursive: true });
  const journal: Journal = {
    record,
    file,
    save,
    async change<T>(items: Tracked | readonly Tracked[], call: () => Promise<T>): Promise<T> {
      const list: readonly Tracked[] = Array.isArray(items) ? items : [items as Tracked];
      for (const item of list) {
        item.state = 'sending';
        delete item.error;
      }
      await save();
      try {
        const result = await call();
        for (const item of list) item.state = 'applied';
        await save();
        return result;
      } catch (error) {
        for (const item of list) {
          if (!isUnknownOutcome(error)) item.state = 'refused';
          item.error = error instanceof Error ? error.message : String(error);
        }
        await save();
        throw error;
      }
    },
  };
  await save();
  return journal;
}

async function writePrivate(file: string, content: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new OperationError(`cannot write the deploy record ${file} (${reason})`);
  }
}
