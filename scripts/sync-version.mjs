// package.json is the one version source: `npm version X.Y.Z` runs this (the `version` script)
// to write X.Y.Z into the orb (its default circle-fargate version and its examples'
// `circle-fargate/circle-fargate@X.Y.Z`) and stages the files, so the release commit and tag
// carry one version everywhere. `--version` reads package.json itself.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const changed = [];
for (const file of readdirSync(join(root, 'orb/src'), { recursive: true }).map(String).filter((name) => name.endsWith('.yml'))) {
  const path = join(root, 'orb/src', file);
  const before = readFileSync(path, 'utf8');
  const after = before
    // `version:` parameters of the install command and the setup and deploy jobs.
    .replace(/(\n  version:\n    type: string\n    default: )\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?\n/g, `$1${version}\n`)
    .replace(/(circle-fargate\/circle-fargate@)\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/g, `$1${version}`);
  if (after !== before) {
    writeFileSync(path, after);
    changed.push(join('orb/src', file));
  }
}
if (changed.length > 0 && process.env.npm_lifecycle_event === 'version') execFileSync('git', ['add', '--', ...changed], { cwd: root });
process.stdout.write(changed.length > 0 ? `orb set to ${version}: ${changed.join(', ')}\n` : `orb already at ${version}\n`);
