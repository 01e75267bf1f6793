/**
 * Start-up (npm run bench): `circle-fargate --version` and `npm start`'s job (generate on the
 * bundled example) against `node -e ''`, interleaved in one run so that machine load hits all
 * three alike; printed as medians and as ratios to the bare Node.js start. With
 * BENCH_BEFORE=DIR (a built checkout of another commit), that checkout's generate runs in the
 * same rounds, side by side.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/circle-fargate');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const GENERATE = ['generate', '--config', 'examples/php-monolith/circle-fargate.config.ts', '--branch', 'master', '--changed-files', 'examples/php-monolith/changed-files.txt'];
const BEFORE = process.env.BENCH_BEFORE;
const CASES: readonly (readonly [string, readonly string[]])[] = [
  ["node -e ''", ['-e', '']],
  ['circle-fargate --version', [BIN, '--version']],
  ["npm start's job (generate on the example)", [BIN, ...GENERATE]],
  ...(BEFORE !== undefined ? [[`the same, built from ${BEFORE}`, [path.resolve(BEFORE, 'bin/circle-fargate'), ...GENERATE]] as const] : []),
];

const times: number[][] = CASES.map(() => []);
for (let run = 0; run < RUNS; run++) {
  CASES.forEach(([name, args], i) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
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
