/**
 * Hostile and broken code descriptions, through the real CLI: each ends in one line naming the
 * file, exit 2, nothing on stdout, no stack trace; or, when the value was exported fine, in a
 * clean run whose stdout is the config alone. The loader runs the file in its own process with
 * a time limit (src/description/loadChild.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCommand } from '../helpers/cli.js';
import { parseConfig, workflowJobNames } from '../helpers/config.js';
import { edited, sampleDescription, sampleProjects } from '../helpers/descriptions.js';

const project = sampleProjects(after);

const json = JSON.stringify(sampleDescription());
const generate = ['generate', '--branch', 'master', '--changed-files', '-'];

interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly args?: readonly string[];
  /** The whole of stderr. */
  readonly stderr: string;
}

const refused: readonly Case[] = [
  {
    name: 'a top-level await that never settles',
    files: { 'circle-fargate.config.mjs': `await new Promise(() => {});\nexport default ${json};\n` },
    stderr: 'circle-fargate: generate: circle-fargate.config.mjs: never finished loading: a top-level await or an exported Promise never settles\n',
  },
  {
    name: 'an exported Promise that never settles',
    files: { 'circle-fargate.config.ts': 'export default new Promise(() => {});\n' },
    stderr: 'circle-fargate: generate: circle-fargate.config.ts: never finished loading: a top-level await or an exported Promise never settles\n',
  },
  {
    name: 'an exported Promise that rejects',
    files: { 'circle-fargate.config.mjs': 'export default Promise.reject(new Error("vault unreachable"));\n' },
    stderr: 'circle-fargate: generate: circle-fargate.config.mjs: failed to load: vault unreachable\n',
  },
  {
    name: 'a getter that throws',
    files: { 'circle-fargate.config.mjs': `export default { ...${json}, get images() { throw new Error("no images today"); } };\n` },
    stderr: 'circle-fargate: generate: circle-fargate.config.mjs: its default export cannot be read as data (no images today); export plain values\n',
  },
  {
    name: 'an endless loop (time limit from --load-timeout)',
    files: { 'circle-fargate.config.mjs': 'for (;;) {}\n' },
    args: ['--load-timeout', '1'],
    stderr: 'circle-fargate: generate: circle-fargate.config.mjs: did not finish loading within 1 s (an endless loop, or a wait that never ends?); pass --load-timeout SECONDS if it needs longer\n',
  },
  {
    name: 'process.exit(0)',
    files: { 'circle-fargate.config.mjs': 'process.exit(0);\n' },
    stderr: 'circle-fargate: generate: circle-fargate.config.mjs: called process.exit(0) while loading; a description only exports its value (export default defineConfig({ ... }))\n',
  },
  {
    name: 'process.exit(3) after printing',
    files: { 'circle-fargate.config.ts': 'console.log("bye");\nprocess.exit(3);\n' },
    stderr: 'bye\ncircle-fargate: generate: circle-fargate.config.ts: called process.exit(3) while loading; a description only exports its value (export default defineConfig({ ... }))\n',
  },
  {
    name: 'a TypeScript syntax error',
    files: { 'circle-fargate.config.ts': 'const region: string = "x";\nexport default {{;\n' },
    stderr: 'circle-fargate: generate: circle-fargate.config.ts:2:17: syntax error: Expected identifier but found "{"\n',
  },
  {
    name: 'a JavaScript syntax error',
    files: { 'circle-fargate.config.mjs': 'export default {\n  project: 1,,\n};\n' },
    stderr: "circle-fargate: generate: circle-fargate.config.mjs:2:14: syntax error: Unexpected token ','\n",
  },
  {
    name: 'a throw at load time',
    files: { 'circle-fargate.config.ts': 'throw new TypeError("bad input here");\n' },
    stderr: 'circle-fargate: generate: circle-fargate.config.ts: failed to load: bad input here\n',
  },
];

describe('hostile descriptions', () => {
  for (const testCase of refused) {
    it(`${testCase.name}: one line naming the file, exit 2`, async () => {
      const result = await runCommand([...generate, ...(testCase.args ?? [])], { cwd: project(testCase.files), input: 'app/index.php\n' });
      assert.equal(result.stderr, testCase.stderr);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
    });
  }

  it('a description that prints: its output goes to stderr, stdout is the config alone', async () => {
    const dir = project({ 'circle-fargate.config.ts': `console.log("hello from the description");\nprocess.stdout.write("version: 9\\n");\nexport default ${json};\n` });
    const result = await runCommand(generate, { cwd: dir, input: 'app/index.php\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(workflowJobNames(parseConfig(result.stdout)), ['phpunit', 'build-image', 'deploy-prod']);
    assert.ok(result.stderr.startsWith('hello from the description\nversion: 9\n'), result.stderr);
    assert.doesNotMatch(result.stdout, /hello|version: 9/);
  });

  it('a throw after loading, and a timer left running, do not hold or break the run', async () => {
    const dir = project({ 'circle-fargate.config.mjs': `setTimeout(() => { throw new Error("later"); }, 0);\nsetInterval(() => {}, 1000);\nexport default ${json};\n` });
    const result = await runCommand(generate, { cwd: dir, input: 'app/index.php\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(workflowJobNames(parseConfig(result.stdout)), ['phpunit', 'build-image', 'deploy-prod']);
    assert.doesNotMatch(result.stderr, /later|\n\s+at /);
  });

  it('refuses a --load-timeout that is not a number of seconds', async () => {
    const result = await runCommand([...generate, '--load-timeout', 'soon'], { cwd: project({ 'circle-fargate.config.json': json }), input: '' });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'circle-fargate: generate: --load-timeout: not a number of seconds (got "soon")\n');
    // Longer than Node.js's timers can hold (2^31 - 1 ms): refused, not a timeout that fires at once.
    const long = await runCommand([...generate, '--load-timeout', '3000000'], { cwd: project({ 'circle-fargate.config.json': json }), input: '' });
    assert.equal(long.code, 2);
    assert.equal(long.stderr, 'circle-fargate: generate: --load-timeout: at most 2000000 seconds, about 23 days (got 3000000)\n');
  });
});

describe('values checked where they enter', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'a build argument with a newline (it would become a second --build-arg)',
      edited((d) => (d.images.app.buildArgs = { APP_ENV: 'prod\n--build-arg=EVIL=1' })),
      'images.app.buildArgs.APP_ENV: contains the control character "\\n" (got "prod\\n--build-arg=EVIL=1"; expected a string on one line, without control characters)',
    ],
    [
      'a service name with a newline',
      edited((d) => (d.environments.pre.services = ['acme-pre-app\nother'])),
      'environments.pre.services[0]: contains the control character "\\n" (got "acme-pre-app\\nother"; expected a non-empty string on one line, without control characters)',
    ],
    [
      'a rule prefix with a carriage return',
      edited((d) => (d.environments.prod.scheduledTasks.rulePrefix = 'acme-\rbatch')),
      'environments.prod.scheduledTasks.rulePrefix: contains the control character "\\r" (got "acme-\\rbatch"; expected a non-empty string on one line, without control characters)',
    ],
    [
      'a test glob with an escape sequence',
      edited((d) => (d.tests.phpunit.paths = ['app/**', 'tests/\u001b[2J**'])),
      'tests.phpunit.paths[1]: contains the control character "\\u001b"',
    ],
  ];
  for (const [name, description, line] of cases) {
    it(`refuses ${name}: exit 2, the path and the character named`, async () => {
      const result = await runCommand(generate, { cwd: project({ 'circle-fargate.config.json': JSON.stringify(description) }), input: 'app/index.php\n' });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      const lines = result.stderr.split('\n');
      assert.equal(lines[0], 'circle-fargate: generate: circle-fargate.config.json: 1 problem in the project description');
      assert.ok(lines[1]?.startsWith(line), lines[1]);
      assert.equal(lines.length, 3);
    });
  }

  it('prints a branch with a newline and a file name with an escape sequence escaped, each on its one line', async () => {
    const dir = project({ 'circle-fargate.config.json': json });
    const result = await runCommand(['generate', '--branch', 'feature/x\nbase: forged line', '--changed-files', '-'], { cwd: dir, input: 'app/\u001b[31mred.php\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes('trigger: branch feature/x\\nbase: forged line'), result.stderr);
    assert.ok(result.stderr.includes('"app/\\u001b[31mred.php"'), result.stderr);
    assert.doesNotMatch(result.stderr, /^base: forged/m);
    assert.doesNotMatch(result.stderr, /\u001b/);
    assert.doesNotMatch(result.stdout, /^base: forged/m);
  });
});
