/**
 * A description checked against the repository it describes (src/description/repository.ts),
 * every problem at once, on real git repositories: Terraform roots and modules that are not
 * there are errors; branches the refs do not know are warnings with the branches it has; a
 * `--param deploy_env` with a typo gets the name meant; no warning about what a preset filled in.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { runCommand } from '../helpers/cli.js';
import { edited, SAMPLE_TERRAFORM } from '../helpers/descriptions.js';
import { git, initRepo, removeDir } from '../helpers/git.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

function repository(description: Record<string, unknown>, files: Record<string, string> = SAMPLE_TERRAFORM): string {
  const dir = initRepo({ 'circle-fargate.config.json': JSON.stringify(description, null, 2), 'app/x.php': '<?php\n', ...files });
  dirs.push(dir);
  return dir;
}

describe('a description against its repository', () => {
  it('a Terraform root and a module that do not exist: errors, both at once; init writes nothing (exit 2)', async () => {
    const dir = repository(edited((d) => {
      d.terraform.roots = ['terraform/pre', { dir: 'terraform/prd', environment: 'prod' }];
      d.terraform.modules = ['terraform/modules/servce'];
    }));
    for (const command of [['init'], ['generate', '--branch', 'master', '--changed-files', '-'], ['explain', '--branch', 'master', '--changed-files', '-']]) {
      const result = await runCommand(command, { cwd: dir, input: 'terraform/prd/main.tf\n' });
      assert.equal(result.code, 2, command[0]);
      assert.equal(result.stdout, '');
      assert.deepEqual(result.stderr.trimEnd().split('\n'), [
        `circle-fargate: ${command[0] ?? ''}: circle-fargate.config.json: 2 problems in the project description against the repository`,
        'terraform.roots[1].dir: no such directory in the repository (got "terraform/prd"; expected the directory of a Terraform root module, relative to the description\'s folder)',
        'terraform.modules[0]: no such directory in the repository (got "terraform/modules/servce"; expected the directory of a shared Terraform module, relative to the description\'s folder)',
      ]);
    }
    assert.equal(existsSync(path.join(dir, '.circleci/config.yml')), false);
  });

  it('branches the repository does not have: warnings naming the branches it has and the one meant (init, explain)', async () => {
    const dir = repository(edited((d) => {
      d.project.defaultBranch = 'main';
      d.environments.prod.trigger.branch = 'mian';
    }));
    git(dir, 'branch', 'main');
    git(dir, 'branch', 'feature/login');
    const init = await runCommand(['init'], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(init.stderr.trimEnd().split('\n'), [
      'warning: environments.prod.trigger.branch: the repository has no branch "mian" (did you mean "main"?); it has feature/login, main, master',
      'wrote .circleci/config.yml',
      'wrote .circleci/rollback.yml',
    ]);
    const explain = await runCommand(['explain', '--branch', 'main', '--changed-files', '-'], { cwd: dir, input: '' });
    assert.equal(explain.code, 0, explain.stderr);
    assert.ok(explain.stdout.includes('warning: environments.prod.trigger.branch: the repository has no branch "mian" (did you mean "main"?)'), explain.stdout);
    // generate runs in a CircleCI job, whose checkout holds one branch: no branch warnings there.
    const generate = await runCommand(['generate', '--branch', 'main', '--changed-files', '-'], { cwd: dir, input: '' });
    assert.equal(generate.code, 0, generate.stderr);
    assert.doesNotMatch(generate.stderr, /has no branch/);
  });

  it('three mistakes of different kinds are reported together, not one run after another', async () => {
    const dir = repository(edited((d) => {
      d.environments.pre.image = 'web';
      d.environments.prod.region = 'tokyo';
      d.terraform.roots = [{ dir: 'terraform/prod', environment: 'production' }];
    }));
    const result = await runCommand(['init'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.deepEqual(result.stderr.trimEnd().split('\n'), [
      'circle-fargate: init: circle-fargate.config.json: 3 problems in the project description',
      'environments.prod.region: malformed (got "tokyo"; expected an AWS region such as ap-northeast-1)',
      'environments.pre.image: unknown image (got "web"; expected one of "app")',
      'terraform.roots[0].environment: unknown environment (got "production"; expected one of "pre", "prod")',
    ]);
  });

  it('--param deploy_env with a typo names the environment meant', async () => {
    const dir = repository(edited(() => undefined));
    const result = await runCommand(['explain', '--branch', 'master', '--trigger-source', 'api', '--param', 'deploy_env=pr', '--changed-files', '-'], { cwd: dir, input: '' });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'circle-fargate: explain: deploy_env: no environment "pr"; did you mean "pre"? (expected one of pre)\n');
  });

  it("warns about testFiles only when the description says it, not when it is the preset's", async () => {
    const preset = repository(edited(() => undefined));
    const quiet = await runCommand(['explain', '--branch', 'master', '--changed-files', '-'], { cwd: preset, input: '' });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stdout, /testFiles/);
    const written = repository(edited((d) => (d.tests.phpunit.testFiles = 'tests/**/*Test.php')));
    const warned = await runCommand(['explain', '--branch', 'master', '--changed-files', '-'], { cwd: written, input: '' });
    assert.match(warned.stdout, /^warning: tests\.phpunit\.testFiles: "tests\/\*\*\/\*Test\.php" matches no file in the repository$/m);
  });

  // CircleCI's testing tool (circleci testsuite) reads .circleci/test-suites.yml: a suite the
  // description names must be there; the job then runs it instead of `circleci tests run`.
  it('a testsuite: the suite must be in .circleci/test-suites.yml; the job runs it by name', async () => {
    const description = edited((d) => {
      d.tests.unit = { image: 'cimg/php:8.3', testsuite: 'unit tests', parallelism: 4, paths: ['app/**'] };
    });
    const missing = repository(description);
    const none = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: missing, input: 'app/x.php\n' });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^tests\.unit\.testsuite: no \.circleci\/test-suites\.yml in the repository \(got "unit tests"; /m);
    const misnamed = repository(description, { ...SAMPLE_TERRAFORM, '.circleci/test-suites.yml': '---\nname: unit-tests\ndiscover: find tests\nrun: phpunit\n---\nname: e2e\n' });
    const wrong = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: misnamed, input: 'app/x.php\n' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^tests\.unit\.testsuite: no such suite in \.circleci\/test-suites\.yml; did you mean "unit-tests"\? \(got "unit tests"; expected one of "unit-tests", "e2e"\)$/m);
    const present = repository(description, { ...SAMPLE_TERRAFORM, '.circleci/test-suites.yml': 'name: unit tests\ndiscover: find tests -name "*Test.php"\nrun: vendor/bin/phpunit\n' });
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: present, input: 'app/x.php\n' });
    assert.equal(result.code, 0, result.stderr);
    const jobs = (parse(result.stdout, { version: '1.1' }) as { jobs: Record<string, { parallelism?: number; steps: unknown[] }> }).jobs;
    const runs = Object.values(jobs).flatMap((job) => job.steps.flatMap((step) => (typeof step === 'object' && step !== null && 'circle-fargate/run_tests' in step ? [{ job, args: (step as Record<string, unknown>)['circle-fargate/run_tests'] }] : [])));
    assert.deepEqual(runs.map((run) => [run.args, run.job.parallelism]), [[{ testsuite: 'unit tests' }, 4]]);
  });

  it('a testsuite with a command or testFiles: one problem each, since the suite says how to find and run its tests', async () => {
    const dir = repository(edited((d) => {
      d.tests.unit = { image: 'cimg/php:8.3', testsuite: 'unit', command: 'phpunit', testFiles: 'tests/**', paths: ['app/**'] };
    }));
    const result = await runCommand(['init'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.deepEqual(result.stderr.trimEnd().split('\n').slice(1).map((line) => line.replace(/: not with testsuite.*/, '')), ['tests.unit.command', 'tests.unit.testFiles']);
  });
});
