/**
 * What the orb's setup and deploy jobs install (npm run bench): the packed package's size, the
 * size installed for the setup job (no AWS SDK) and for a deploy job, and the time the orb's own
 * install scripts take: cold (empty npm cache, no CircleCI cache: every package downloaded from
 * the registry npm is configured with) and warm (the CircleCI cache restored: install.sh finds
 * the same install and runs no npm). The package comes from `npm pack` as a tarball source; its
 * dependencies from the registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPTS = path.join(ROOT, 'orb/src/scripts');
const work = mkdtempSync(path.join(tmpdir(), 'circle-fargate-bench-install-'));

function sh(script: string, env: Record<string, string>): number {
  const started = performance.now();
  const result = spawnSync('sh', [path.join(SCRIPTS, script)], { cwd: work, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script}: ${result.stderr}`);
  return performance.now() - started;
}

const du = (dir: string): string => execFileSync('du', ['-sh', dir], { encoding: 'utf8' }).split('\t')[0] ?? '?';

try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })) as [{ filename: string; size: number; unpackedSize: number }];
  process.stdout.write(`package tarball: ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked\n`);
  for (const deploy of ['false', 'true']) {
    const state = path.join(work, `state-${deploy}`);
    const env = { CF_STATE: state, CF_INSTALL_SOURCE: 'tarball', CF_INSTALL_FROM: path.join(work, packed.filename), CF_INSTALL_DEPLOY: deploy, npm_config_cache: path.join(work, `npm-cache-${deploy}`) };
    const resolve = sh('install_tarball.sh', env) + sh('install_resolve.sh', env);
    const cold = sh('install.sh', env);
    const warm = sh('install_tarball.sh', env) + sh('install_resolve.sh', env) + sh('install.sh', env);
    const job = deploy === 'true' ? 'deploy job (with the AWS SDK)' : 'setup job (no AWS SDK)';
    process.stdout.write(`${job}: installed ${du(path.join(state, 'install'))}; cold ${((resolve + cold) / 1000).toFixed(1)} s (empty npm cache, no CircleCI cache), warm ${(warm / 1000).toFixed(2)} s (CircleCI cache restored)\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
