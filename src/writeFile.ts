/**
 * The one place that writes output files: atomically (a temporary file beside the target,
 * then a rename), so a reader never sees half a file and a failure leaves the old one intact.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.js';

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new InputError(`cannot write ${file} (${reason}): check that its directory exists and is writable`);
  }
}
