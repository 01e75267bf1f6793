/**
 * The CLI contract: --help everywhere, --version, exit codes, one-line errors without stack
 * traces, stdout for data only, --out written atomically.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.js';
import { EXAMPLE, ROOT, runCli, runCommand, runsInProcess } from '../helpers/cli.js';
import { parseConfig, workflowJobNames } from '../helpers/config.js';
import { git, removeDir, repoFromDirectory, tempDir } from '../helpers/git.js';

const COMMANDS = ['generate', 'schema'];

let repo: string;
before(() => {
  repo = repoFromDirectory(EXAMPLE);
});
after(() => {
  removeDir(repo);
});

describe('cli', () => {
  it('prints the version', async () => {
    const result = await runCli(['--version']);
    assert.deepEqual(result, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    assert.equal(VERSION, pkg.version);
    assert.equal(pkg.bin['circle-fargate'], 'bin/circle-fargate');
  });

  it('prints help listing every command, with no command too', async () => {
    for (const args of [['--help'], ['-h'], [], ['help']]) {
      const result = await runCli(args);
      assert.equal(result.code, 0);
      for (const command of COMMANDS) assert.match(result.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'));
      assert.match(result.stdout, /Exit codes: 0 success; 1 the operation failed; 2 bad input/);
    }
  });

  // Help is written through the CLI's output like everything else; the process itself is
  // covered by the test above, so each command's help runs in this process.
  for (const command of COMMANDS) {
    it(`prints help for ${command}`, async () => {
      const direct = await runCommand([command, '--help']);
      assert.equal(direct.code, 0);
      assert.match(direct.stdout, new RegExp(`^Usage: circle-fargate ${command}`));
      const viaHelp = await runCommand(['help', command]);
      assert.equal(viaHelp.code, 0);
      assert.equal(viaHelp.stdout, direct.stdout);
    });
  }

  it('runs from any directory', async () => {
    const elsewhere = tempDir();
    try {
      const result = await runCli(['--version'], { cwd: elsewhere });
      assert.equal(result.code, 0);
    } finally {
      removeDir(elsewhere);
    }
  });

  const badInput: { args: string[]; stderr: string }[] = [
    { args: ['deploy-everything'], stderr: 'circle-fargate: unknown command "deploy-everything"; expected one of generate, explain, deploy, run, rollback, doctor, notify, trigger, init, validate, config, orb, schema; see circle-fargate --help' },
    { args: ['generat'], stderr: 'circle-fargate: unknown command "generat" (did you mean generate?); expected one of generate, explain, deploy, run, rollback, doctor, notify, trigger, init, validate, config, orb, schema; see circle-fargate --help' },
    { args: ['generate', '--brnch', 'x'], stderr: "circle-fargate: generate: Unknown option '--brnch' (did you mean --branch?); see circle-fargate generate --help" },
    { args: ['generate', '--frobnicate', 'x'], stderr: "circle-fargate: generate: Unknown option '--frobnicate'; see circle-fargate generate --help" },
    { args: ['generate', '--out'], stderr: "circle-fargate: generate: Option '--out <value>' argument missing; see circle-fargate generate --help" },
    { args: ['generate', 'extra'], stderr: 'circle-fargate: generate: unexpected argument "extra"; see circle-fargate generate --help' },
    {
      args: ['generate', '--branch', 'a', '--tag', 'v1'],
      stderr: 'circle-fargate: generate: both a branch ("a") and a tag ("v1") given: pass --branch or --tag, not both',
    },
    { args: ['generate'], stderr: 'circle-fargate: generate: no branch or tag: pass --branch B or --tag T (in a CircleCI job, CIRCLE_BRANCH or CIRCLE_TAG is set)' },
    { args: ['deploy', '--cluster', 'c', '--service', 's', '--image', 'r/a:b', '--keep-revisions', '-3'], stderr: "circle-fargate: deploy: Option '--keep-revisions' argument is ambiguous; see circle-fargate deploy --help" },
    {
      args: ['generate', '--branch', 'a', '--trigger-source', 'cron'],
      stderr: 'circle-fargate: generate: --trigger-source: unknown value (got "cron"; expected one of webhook, api, scheduled_pipeline)',
    },
    {
      args: ['generate', '--branch', 'a', '--revision', 'HEAD'],
      stderr: 'circle-fargate: generate: --revision: not a commit SHA (got "HEAD"; expected 7 to 40 lower-case hex digits)',
    },
    {
      args: ['generate', '--branch', 'a', '--param', 'deploy_env'],
      stderr: 'circle-fargate: generate: --param: malformed (got "deploy_env"; expected NAME=VALUE with a name of letters, digits, "_" and "-")',
    },
    {
      args: ['generate', '--branch', 'a', '--trigger-source', 'api', '--param', 'deploy_env=staging', '--changed-files', '-'],
      stderr: 'circle-fargate: generate: deploy_env: no environment "staging" (expected one of pre, private)',
    },
    {
      args: ['generate', '--branch', 'a', '--trigger-source', 'api', '--param', 'deploy_env=prod', '--changed-files', '-'],
      stderr: 'circle-fargate: generate: deploy_env: environment "prod" deploys on pushes to a branch, not by parameter (expected one of pre, private)',
    },
    {
      args: ['generate', '--branch', 'a', '--changed-files', 'missing.txt'],
      stderr: '--changed-files: cannot read missing.txt: no such file; pass a file with one path a line, or - for stdin',
    },
  ];
  // In-process where the command allows (main() maps errors to exit codes and lines); an unknown
  // command goes through the real process, as does --debug's stack trace below.
  for (const { args, stderr } of badInput) {
    it(`exits 2 on bad input: ${args.join(' ') || '(none)'}`, async () => {
      const result = await (runsInProcess(args) ? runCommand : runCli)(args, { cwd: repo });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
      assert.ok(result.stderr.includes(stderr), result.stderr);
    });
  }

  it('outside a git repository, and in one without commits: one line each, exit 2', async () => {
    const outside = tempDir('circle-fargate-nogit-');
    try {
      copyFileSync(path.join(EXAMPLE, 'circle-fargate.config.ts'), path.join(outside, 'circle-fargate.config.ts'));
      const none = await runCli(['generate', '--branch', 'main'], { cwd: outside });
      assert.equal(none.code, 2);
      assert.equal(none.stderr, 'circle-fargate: generate: not a git repository (or any of the parent directories): .git: run in the checkout, or pass --changed-files FILE\n');
      git(outside, 'init', '-q');
      const unborn = await runCli(['explain', '--branch', 'main'], { cwd: outside });
      assert.equal(unborn.code, 2);
      assert.equal(unborn.stderr, 'circle-fargate: explain: the repository has no commits yet: commit first, or pass --changed-files FILE\n');
    } finally {
      removeDir(outside);
    }
  });

  it('writes --out atomically and leaves nothing else behind', async () => {
    const result = await runCli(['generate', '--branch', 'master', '--changed-files', '-', '--out', 'continue.yml'], {
      cwd: repo,
      input: 'app/x.php\n',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /wrote continue\.yml\n$/);
    const written = readFileSync(path.join(repo, 'continue.yml'), 'utf8');
    assert.deepEqual(workflowJobNames(parseConfig(written)), ['phpunit', 'build-image', 'deploy-prod']);
    assert.deepEqual(
      readdirSync(repo).filter((name) => name.includes('continue')),
      ['continue.yml'],
    );
  });

  it('keeps the previous --out file when generation fails', async () => {
    const out = path.join(repo, 'kept.yml');
    writeFileSync(out, 'previous\n');
    const result = await runCli(['generate', '--branch', 'x', '--param', 'deploy_env=nope', '--changed-files', '-', '--out', out], {
      cwd: repo,
    });
    assert.equal(result.code, 2);
    assert.equal(readFileSync(out, 'utf8'), 'previous\n');
  });

  it('exits 2 when --out cannot be written, naming the file', async () => {
    const result = await runCli(['generate', '--branch', 'x', '--changed-files', '-', '--out', 'no/such/dir/c.yml'], { cwd: repo });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^circle-fargate: generate: cannot write .*no\/such\/dir\/c\.yml \(ENOENT\): check that its directory exists and is writable\n$/m);
  });

  it('shows a stack trace only with --debug', async () => {
    const plain = await runCli(['generate', '--branch', 'x', '--tag', 'y'], { cwd: repo });
    assert.doesNotMatch(plain.stderr, /\n\s+at /);
    const debug = await runCli(['generate', '--branch', 'x', '--tag', 'y', '--debug'], { cwd: repo });
    assert.equal(debug.code, 2);
    assert.match(debug.stderr, /\n\s+at /);
  });
});
