/**
 * The bundled orb, packed at build time: `npm run build` writes `generated/orb.json` with the
 * packed orb and a digest of the source files it came from, so `generate` and `init` do not parse
 * 34 YAML files on every run. The digest is checked on load (reading the files is cheap, parsing
 * them is not): a source edited since the build is packed afresh, never served stale.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build writes the packed orb (src/orb and dist/orb both sit two levels down). */
export const PACKED_ORB_FILE = fileURLToPath(new URL('../../generated/orb.json', import.meta.url));

export interface PackedOrbFile {
  readonly digest: string;
  readonly orb: Record<string, unknown>;
}

/** sha256 over every file of the source tree (paths and contents), in a fixed order. */
export async function orbSourceDigest(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(await readFile(path.join(dir, file))).update('\0');
  return hash.digest('hex');
}

/** The orb packed at build time, when the build's file matches the source in `dir`. */
export async function prebuiltOrb(dir: string): Promise<Record<string, unknown> | undefined> {
  let packed: PackedOrbFile;
  try {
    packed = JSON.parse(await readFile(PACKED_ORB_FILE, 'utf8')) as PackedOrbFile;
  } catch {
    return undefined;
  }
  return packed.digest === (await orbSourceDigest(dir)) ? packed.orb : undefined;
}
