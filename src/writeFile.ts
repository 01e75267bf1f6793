/**
 * The one place that writes output files: atomically (a temporary file beside the target,
 * then a rename), so a reader never sees half a file and a failure leaves the old one intact.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.js';

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const prepared = await prepareFileAtomic(file, content);
  await prepared.commit();
}

/** A file written beside its target but not yet in place: `commit` renames it there, `discard` removes it. */
export interface PreparedFile {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Writes `content` to a temporary file beside `file` now, so that a path that cannot be written
 * fails before anything else happens; the file appears only on `commit` (as for `generate --out
 * F --continue`: F is written only once the pipeline continued).
 */
export async function prepareFileAtomic(file: string, content: string): Promise<PreparedFile> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fail = async (error: unknown): Promise<never> => {
    await rm(temporary, { force: true });
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new InputError(`cannot write ${file} (${reason}): check that its directory exists and is writable`);
  };
  try {
    await writeFile(temporary, content, { flag: 'wx' });
  } catch (error) {
    return fail(error);
  }
  return {
    commit: async () => {
      try {
        await rename(temporary, file);
      } catch (error) {
        await fail(error);
      }
    },
    discard: () => rm(temporary, { force: true }),
  };
}
