// Packs the bundled orb (orb/src) once at build time into generated/orb.json, with the digest of
// its source, so that `generate` and `init` load it instead of packing 34 YAML files each run.
// Runs after tsc: it uses the compiled packer in dist/.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundledOrbSource, packOrb, readOrbSource } from '../dist/orb/pack.js';
import { orbSourceDigest, PACKED_ORB_FILE } from '../dist/orb/packed.js';

const dir = bundledOrbSource();
const orb = await packOrb(await readOrbSource(dir));
mkdirSync(dirname(PACKED_ORB_FILE), { recursive: true });
writeFileSync(`${PACKED_ORB_FILE}.tmp`, `${JSON.stringify({ digest: await orbSourceDigest(dir), orb })}\n`);
renameSync(`${PACKED_ORB_FILE}.tmp`, PACKED_ORB_FILE);
