/**
 * Start-up (npm run bench): `circle-fargate --version` and `npm start`'s job (generate on the
 * bundled example) against `node -e ''`, interleaved in one run so that machine load hits all
 * three alike; printed as medians and as ratios to the bare Node.js start. With
 * BENCH_BEFORE=DIR (a built checkout of another commit), that checkout's generate runs in the
 * same rounds, side by side. generate runs with the machine's code cache (warm from the first
 * round on), without one, and as a first run that writes it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/circle-fargate');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const GENERATE = ['generate', '--config', 'examples/php-monolith/circle-fargate.config.ts', '--branch', 'master', '--changed-files', 'examples/php-monolith/changed-files.txt'];
const BEFORE = process.env.BENCH_BEFORE;
// The code cache (src/codeCache.ts): the machine's own (warm after the first round), none at all
// (CIRCLE_FARGATE_CACHE_DIR empty), and a new empty one each run (a first run: it compiles, then
// writes the cache, as in a fresh CI container).
const scratch = mkdtempSync(path.join(tmpdir(), 'circle-fargate-bench-'));
let fresh = 0;
type Case = readonly [string, readonly string[], (() => NodeJS.ProcessEnv)?];
const CASES: readonly Case[] = [
  ["node -e ''", ['-e', '']],
  ['circle-fargate --version', [BIN, '--version']],
  ["npm start's job (generate on the example)", [BIN, ...GENERATE]],
  ['the same, no code cache', [BIN, ...GENERATE], () => ({ ...process.env, CIRCLE_FARGATE_CACHE_DIR: '' })],
  ['the same, a first run (empty code cache, then written)', [BIN, ...GENERATE], () => ({ ...process.env, CIRCLE_FARGATE_CACHE_DIR: path.join(scratch, String(fresh++)) })],
  ...(BEFORE !== undefined ? [[`the same, built from ${BEFORE}`, [path.resolve(BEFORE, 'bin/circle-fargate'), ...GENERATE]] as const] : []),
];

const times: number[][] = CASES.map(() => []);
for (let run = 0; run < RUNS; run++) {
  CASES.forEach(([name, args, env], i) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: env?.() ?? process.env });
    if (result.status !== 0) throw new Error(`${name} exited ${String(result.status)}: ${result.stderr.toString()}`);
    times[i]?.push(performance.now() - started);
  });
}
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const base = median(times[0] ?? []);
process.stdout.write(`start-up, ${RUNS} interleaved runs each (median; ratio to node -e ''):\n`);
CASES.forEach(([name], i) => {
  const ms = median(times[i] ?? []);
  process.stdout.write(`  ${name}: ${ms.toFixed(0)} ms, ${(ms / base).toFixed(2)}x\n`);
});
rmSync(scratch, { recursive: true, force: true });
