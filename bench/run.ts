/**
 * Benchmarks (npm run bench): numbers, not pass/fail. Each line says what was measured.
 * - path rules at scale: 20,000 changed files against 200 rules in a 100,000-file git repository,
 *   process start included, and the matching alone in-process (file x rule pairs per second);
 * - generate on the bundled example, process start to YAML written, as a setup job runs it;
 * - the same when a Terraform module changed (the HCL parser loads).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { compileRule } from '../src/plan/pathRules.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/circle-fargate');
const RSS = path.join(ROOT, 'bench/rss.mjs');
const EXAMPLE = path.join(ROOT, 'examples/php-monolith');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

interface Measured {
  ms: number;
  maxRssMiB: number;
}

function runCli(args: readonly string[], cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', RSS, BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let rss = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (chunk: string) => (rss += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`circle-fargate ${args.join(' ')} exited ${String(code)}: ${stderr.split('\n').slice(-3).join(' ')}`));
      else resolve({ ms, maxRssMiB: Number(rss.trim()) / 1024 });
    });
  });
}

async function repeat(runs: number, args: readonly string[], cwd: string): Promise<{ median: number; min: number; max: number; rss: number }> {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const result = await runCli(args, cwd);
    times.push(result.ms);
    rss = Math.max(rss, result.maxRssMiB);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? 0, min: times[0] ?? 0, max: times.at(-1) ?? 0, rss };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@example.invalid' },
  }).trim();
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** 100,000 files in 1,000 directories; 200 test suites, each a rule of two includes and one exclude. */
function bigRepository(dir: string): { base: string; head: string; changed: string[]; rules: { include: string[]; exclude: string[] }[] } {
  const files: string[] = [];
  for (let d = 0; d < 1000; d++) {
    for (let f = 0; f < 100; f++) files.push(`src/mod-${d}/${f % 10 === 0 ? `README-${f}.md` : `file-${f}.s${f % 50}.php`}`);
  }
  const rules = Array.from({ length: 200 }, (_, k) => ({ include: [`src/mod-${k * 5}/**`, `**/*.s${k % 50}.php`], exclude: ['**/*.md'] }));
  const tests = Object.fromEntries(rules.map((paths, k) => [`suite-${k}`, { image: 'cimg/php:8.3', command: 'true', paths }]));
  const description = {
    project: { slug: 'gh/acme/big', defaultBranch: 'master' },
    tests,
    images: {},
    environments: {},
  };
  for (const file of files) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), 'x\n');
  }
  writeFileSync(path.join(dir, 'circle-fargate.config.json'), JSON.stringify(description));
  git(dir, 'init', '--quiet', '--initial-branch', 'master');
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--message', 'base');
  const base = git(dir, 'rev-parse', 'HEAD');
  const changed = files.filter((_, i) => i % 5 === 0); // 20,000
  for (const file of changed) writeFileSync(path.join(dir, file), 'y\n');
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--message', 'change');
  return { base, head: git(dir, 'rev-parse', 'HEAD'), changed, rules };
}

async function main(): Promise<void> {
  process.stdout.write(`circle-fargate benchmarks: node ${process.version}, ${RUNS} runs where repeated\n\n`);
  const work = mkdtempSync(path.join(tmpdir(), 'circle-fargate-bench-'));
  try {
    const setupStart = performance.now();
    const repo = path.join(work, 'big');
    mkdirSync(repo);
    const big = bigRepository(repo);
    process.stdout.write(`setup: 100,000-file repository with a 20,000-file commit in ${fmt(performance.now() - setupStart)}\n`);

    // Matching alone, in-process.
    const pairs = big.changed.length * big.rules.length;
    for (const round of ['cold (compiling, sorting, JIT)', 'warm']) {
      const matchStart = performance.now();
      const compiled = big.rules.map((rule) => compileRule(rule));
      const files = [...big.changed]; // a new list: nothing cached from the round before
      let selected = 0;
      for (const rule of compiled) if (rule.matching(files).length > 0) selected++;
      const matchMs = performance.now() - matchStart;
      process.stdout.write(
        `matching, ${round}: ${big.changed.length} files x ${big.rules.length} rules = ${pairs} pairs in ${fmt(matchMs)}: ${(pairs / (matchMs / 1000) / 1e6).toFixed(1)} M pairs/s (${selected} rules selected)\n`,
      );
    }

    const list = path.join(work, 'changed.txt');
    writeFileSync(list, `${big.changed.join('\n')}\n`);
    const fromList = await repeat(5, ['explain', '--json', '--branch', 'feature', '--changed-files', list], repo);
    process.stdout.write(`explain, 20,000 listed files x 200 rules, process start included: median ${fmt(fromList.median)} (min ${fmt(fromList.min)}, max ${fmt(fromList.max)}), peak RSS ${fromList.rss.toFixed(0)} MiB\n`);
    const fromGit = await repeat(5, ['generate', '--branch', 'master', '--revision', big.head, '--base-revision', big.base, '--out', path.join(work, 'big.yml')], repo);
    process.stdout.write(`generate, git diff of 20,000 files in the 100,000-file repository, 200 jobs emitted and schema-checked: median ${fmt(fromGit.median)} (min ${fmt(fromGit.min)}, max ${fmt(fromGit.max)}), peak RSS ${fromGit.rss.toFixed(0)} MiB\n`);

    const out = path.join(work, 'example.yml');
    const example = path.join(EXAMPLE, 'circle-fargate.config.ts');
    const changes = path.join(EXAMPLE, 'changed-files.txt');
    const version = await repeat(RUNS, ['--version'], ROOT);
    process.stdout.write(`baseline, circle-fargate --version: median ${fmt(version.median)}\n`);
    const gen = await repeat(RUNS, ['generate', '--config', example, '--branch', 'master', '--changed-files', changes, '--out', out], ROOT);
    process.stdout.write(`generate on the bundled example (npm start's job): median ${fmt(gen.median)} (min ${fmt(gen.min)}, max ${fmt(gen.max)}), peak RSS ${gen.rss.toFixed(0)} MiB\n`);
    const moduleList = path.join(work, 'module.txt');
    writeFileSync(moduleList, 'terraform/modules/ecs-service/main.tf\n');
    const withHcl = await repeat(RUNS, ['generate', '--config', example, '--branch', 'master', '--changed-files', moduleList, '--out', out], ROOT);
    process.stdout.write(`generate on the example, a shared module changed (HCL parser loaded): median ${fmt(withHcl.median)} (min ${fmt(withHcl.min)}, max ${fmt(withHcl.max)}), peak RSS ${withHcl.rss.toFixed(0)} MiB\n`);
    if (readFileSync(out, 'utf8').length === 0) throw new Error('generate wrote nothing');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
