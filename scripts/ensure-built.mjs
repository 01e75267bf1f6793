// Builds a checkout when dist/ is missing or older than a source it is built from: `npm start`
// runs it first, so `npm ci && npm start` works on a fresh clone. (There is no `prepare` script:
// a consumer's install must not try to build; `npm pack` builds in `prepack`.)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mtime = (file) => {
  try {
    return statSync(join(root, file)).mtimeMs;
  } catch {
    return -1;
  }
};
const newest = (dir) => Math.max(0, ...readdirSync(join(root, dir), { recursive: true }).map((file) => mtime(join(dir, String(file)))));
const built = Math.min(mtime('dist/cli/main.js'), mtime('generated/orb.json'), mtime('generated/circleci-config-validator.cjs'));
const sources = Math.max(newest('src'), newest('orb/src'), newest('schemas'), mtime('package.json'), mtime('package-lock.json'));
if (built < sources) {
  process.stderr.write(built < 0 ? 'building (dist/ is missing)\n' : 'building (a source changed since the last build)\n');
  process.exitCode = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status ?? 1;
}
