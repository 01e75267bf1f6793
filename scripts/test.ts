/**
 * `npm test`: the suite, as fast as two cores allow, ending with one line CI can read.
 *
 * 1. Checks every tool a test needs before running anything: a missing one is one line naming
 *    its install command, exit 2 (never a failure minutes in, never a silent skip).
 * 2. Says in one line each what is not part of npm test and how to run it: shellcheck
 *    (`npm run test:shellcheck`) and the package tests (`npm run test:package`). CI runs both
 *    from .ci/run.
 * 3. Starts one moto_server for every test file (test/helpers/moto.ts returns it to startMoto()).
 * 4. Builds (the build type-checks every TypeScript file: scripts/compile.mjs), while lint and the
 *    orb's bats tests (bats from npm) run beside it; once all three are done, runs the test files,
 *    those of one directory in one process (processGroups), three processes at once.
 * 5. Prints each step's time and a closing line: `npm test: N passed, N failed (...) in S s`.
 *
 * `--package` (`npm run test:package`) runs the package tests instead (test/package: the packed
 * tarball installed and run, and the orb's install from a Verdaccio registry): about 2 minutes of
 * npm installs, so they are their own step. They build through `npm pack` themselves.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startMotoServer } from '../test/helpers/moto.js';

const PACKAGE_TESTS = 'test/package';
const packageRun = process.argv.includes('--package');
const unknown = process.argv.slice(2).filter((arg) => arg !== '--package');
if (unknown.length > 0) {
  process.stderr.write(`npm test: unknown argument ${unknown.join(' ')}; use no argument (npm test) or --package (npm run test:package)\n`);
  process.exit(2);
}
const label = packageRun ? 'npm run test:package' : 'npm test';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BATS = path.join(ROOT, 'node_modules/bats/bin/bats');
const started = performance.now();
const seconds = (from: number): string => `${((performance.now() - from) / 1000).toFixed(1)} s`;

/** Tools the tests run, each with the command that installs it. */
const TOOLS: readonly { readonly ok: () => boolean; readonly line: string; readonly only?: 'test' | 'package' }[] = [
  { ok: () => existsSync(path.join(ROOT, 'node_modules/.package-lock.json')), line: 'node_modules is missing: run `npm ci`' },
  { ok: () => onPath('git'), line: 'git is not installed (real repositories in the change-set tests): sudo apt-get install git' },
  { ok: () => onPath('moto_server'), line: 'moto_server is not installed (the AWS contract tests): pip install "moto[server]>=5,<6"' },
  { ok: () => onPath('script'), line: 'script is not installed (the terminal test of deploy): sudo apt-get install bsdutils', only: 'test' },
  { ok: () => existsSync(BATS), line: 'bats is missing from node_modules (the orb script tests; a devDependency): run `npm ci`', only: 'test' },
  { ok: () => existsSync(path.join(ROOT, 'node_modules/verdaccio')), line: 'verdaccio is missing from node_modules (the install tests; a devDependency): run `npm ci`', only: 'package' },
];

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

interface StepResult {
  readonly name: string;
  readonly code: number | null;
  readonly output: string;
  readonly time: string;
}

/** Runs a command; its output is kept and printed when it ends (or streamed, for the tests). */
function step(name: string, command: string, args: readonly string[], options: { stream?: boolean; env?: Record<string, string> } = {}): Promise<StepResult> {
  const from = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...options.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (options.stream === true) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => {
      output += `${error.message}\n`;
    });
    child.on('close', (code) => {
      const result = { name, code, output, time: seconds(from) };
      if (options.stream !== true || code !== 0) process.stdout.write(code === 0 ? `✔ ${name} (${result.time})\n` : `${output}\n✖ ${name} failed, exit ${String(code)} (${result.time})\n`);
      resolve(result);
    });
  });
}

const missing = TOOLS.filter((tool) => (tool.only === undefined || tool.only === (packageRun ? 'package' : 'test')) && !tool.ok());
if (missing.length > 0) {
  for (const tool of missing) process.stderr.write(`${label}: ${tool.line}\n`);
  process.exit(2);
}
if (!packageRun) {
  process.stdout.write('npm test: shellcheck is not run here; run `npm run test:shellcheck` (needs shellcheck: sudo apt-get install shellcheck); CI runs it from .ci/run\n');
  process.stdout.write('npm test: the package tests (the packed tarball, the orb\'s install from Verdaccio) are not run here; run `npm run test:package`; CI runs them from .ci/run\n');
}

const npx = (bin: string): string => path.join(ROOT, 'node_modules/.bin', bin);
const moto = await startMotoServer();
// The first phase: the build, and beside it (npm test only; the package tests just pack the build)
// lint and bats, which tests the orb's scripts with stubs, not the build.
const beside = packageRun
  ? []
  : [step('lint', npx('eslint'), ['--max-warnings', '0', '.']), step('bats (orb scripts)', BATS, ['--tap', 'orb/test'])];
// The build type-checks every TypeScript file, tests included (scripts/compile.mjs).
const build = await step('typecheck and build', 'npm', ['run', '--silent', 'build']);
// The test files start once the first phase is done. Run beside it, everything slows far beyond
// the share of the machine it takes (2026-11-27, this 2-core machine: npm test took 225 s with the
// test files beside lint and bats, against 122 s for the test files alone).
const checked = await Promise.all(beside);
const bats = checked.find((result) => result.name.startsWith('bats'));
const batsCounts = bats ? tapCounts(bats.output, bats.code) : { pass: 0, fail: 0 };
const results: StepResult[] = [build];
let nodeCounts = { pass: 0, fail: build.code === 0 ? 0 : 1 };
if (build.code === 0) {
  /** The test files of a directory, as paths from the root. */
  const testFiles = (dir: string): string[] => readdirSync(path.join(ROOT, dir)).filter((name) => name.endsWith('.test.ts')).map((name) => `${dir}/${name}`);
  const groups = packageRun
    ? undefined
    : processGroups(
        readdirSync(path.join(ROOT, 'test'), { withFileTypes: true })
          .filter((entry) => entry.isDirectory() && `test/${entry.name}` !== PACKAGE_TESTS)
          .map((entry) => ({ name: entry.name, files: testFiles(`test/${entry.name}`) }))
          .filter((directory) => directory.files.length > 0),
      );
  try {
    // Three processes at once: they wait on child processes (the CLI, git, moto) and deploys'
    // polls. Two measured slower: 123 to 154 s (mean 135) against 119 to 147 s (mean 127) for
    // three, five runs each in turn, 2026-11-27 (each file then in its own process).
    const unit = await step('node tests', process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', '--test-reporter=spec', ...(groups?.entries ?? testFiles(PACKAGE_TESTS))], {
      stream: true,
      env: { CF_TEST_MOTO_URL: moto.url },
    });
    results.push(unit);
    nodeCounts = specCounts(unit.output, unit.code);
  } finally {
    groups?.remove();
  }
}
results.push(...checked);
moto.stop();

/**
 * The test files of one directory of test/ run in one process, one file after another: an entry
 * module (made in a temporary directory, removed afterwards) imports each file inside a suite
 * named after it, so the file's top-level hooks (before, after, beforeEach, afterEach) and tests
 * belong to that suite alone, its failures are reported under its name, and a file that fails to
 * load fails there while the others still run. Each process costs Node.js, tsx and the modules
 * a file loads (the AWS SDK, the compiled CLI): 27 small files took 52 s of CPU in their own
 * processes and 23 s in one (2026-11-27, this 2-core machine). Files of a directory share the
 * process's state (environment, moto, module caches) as the tests of one file do. Node 20's
 * `--test` starts files in the order of their names: the entries are numbered so that the
 * directories with the most files start first.
 */
function processGroups(directories: readonly { readonly name: string; readonly files: readonly string[] }[]): { entries: string[]; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'circle-fargate-test-groups-'));
  const entries = [...directories]
    .sort((a, b) => b.files.length - a.files.length || a.name.localeCompare(b.name))
    .map((directory, i) => {
      const entry = path.join(dir, `${String(i + 1).padStart(2, '0')}-${directory.name}.test.mjs`);
      const files = directory.files.map((file) => [file, pathToFileURL(path.join(ROOT, file)).href]);
      writeFileSync(
        entry,
        `import { describe } from 'node:test';\n` +
          `for (const [name, url] of ${JSON.stringify(files)}) {\n` +
          `  describe(name, async () => {\n    await import(url);\n  });\n}\n`,
      );
      return entry;
    });
  return {
    entries,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Counts from the spec reporter's closing summary (`ℹ pass N`, `ℹ fail N`). */
function specCounts(output: string, code: number | null): { pass: number; fail: number } {
  const pass = Number(/^ℹ pass (\d+)$/m.exec(output)?.[1] ?? 0);
  const fail = Number(/^ℹ fail (\d+)$/m.exec(output)?.[1] ?? 0) + Number(/^ℹ cancelled (\d+)$/m.exec(output)?.[1] ?? 0);
  return { pass, fail: fail === 0 && code !== 0 ? 1 : fail };
}

function tapCounts(output: string, code: number | null): { pass: number; fail: number } {
  const pass = (output.match(/^ok /gm) ?? []).length;
  const fail = (output.match(/^not ok /gm) ?? []).length;
  return { pass, fail: fail === 0 && code !== 0 ? 1 : fail };
}

const failedSteps = results.filter((result) => result.code !== 0).map((result) => result.name);
const passed = nodeCounts.pass + batsCounts.pass;
const failed = nodeCounts.fail + batsCounts.fail;
const steps = results.map((result) => `${result.name} ${result.code === 0 ? 'ok' : 'FAILED'} ${result.time}`).join(', ');
const counts = `node tests ${nodeCounts.pass}/${nodeCounts.pass + nodeCounts.fail}${packageRun ? '' : `, bats ${batsCounts.pass}/${batsCounts.pass + batsCounts.fail}`}`;
process.stdout.write(`\n${label}: ${passed} passed, ${failed} failed (${counts}; ${steps}) in ${seconds(started)}\n`);
if (failedSteps.length > 0) process.stdout.write(`${label}: FAILED: ${failedSteps.join(', ')}\n`);
process.exitCode = failedSteps.length > 0 ? 1 : 0;
