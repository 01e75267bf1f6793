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
        'circle-fargate: circle-fargate.config.json: 2 problems in the project description against the repository',
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
      'circle-fargate: circle-fargate.config.json: 3 problems in the project description',
      'environments.prod.region: malformed (got "tokyo"; expected an AWS region such as ap-northeast-1)',
      'environments.pre.image: unknown image (got "web"; expected one of "app")',
      'terraform.roots[0].environment: unknown environment (got "production"; expected one of "pre", "prod")',
    ]);
  });

  it('--param deploy_env with a typo names the environment meant', async () => {
    const dir = repository(edited(() => undefined));
    const result = await runCommand(['explain', '--branch', 'master', '--trigger-source', 'api', '--param', 'deploy_env=pr', '--changed-files', '-'], { cwd: dir, input: '' });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'circle-fargate: deploy_env: no environment "pr"; did you mean "pre"? (expected one of pre)\n');
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
});
