/**
 * The bundled example's pipelines read against CircleCI's documented behaviour: tag pipelines
 * run under CircleCI's filter rules (test/helpers/filters.ts), deploys and applies are
 * serialised, a branch push never sees an apply or deploy role or context, an API deploy touches
 * only its environment, caches are in place, the master push config stays small, and generate
 * warns as explain does.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { EXAMPLE, runCommand } from '../helpers/cli.js';
import { parseConfig, workflowEntry, workflowInvocation, workflowJobNames, type Config } from '../helpers/config.js';
import { runningJobs } from '../helpers/filters.js';
import { commit, exampleRepo, git, removeDir, repoFromDirectory } from '../helpers/git.js';
import { officialSchemaErrors } from '../helpers/officialSchema.js';

const ACCOUNT = '123456789012';
const ENVIRONMENTS = ['pre', 'private', 'prod'] as const;
/** What only applies and deploys of an environment may reference. */
const applyAccess = (env: string) => ({ role: `arn:aws:iam::${ACCOUNT}:role/monolith-${env}-circleci-deploy`, context: `monolith-${env}` });

let repo: string;
let previousTag: string;
let tagged: string;
before(async () => {
  repo = await exampleRepo();
  previousTag = git(repo, 'rev-parse', 'HEAD').trim();
  git(repo, 'tag', 'v1.2.2');
  tagged = commit(repo, { 'app/src/Controller/ReleaseController.php': '<?php // 1.2.3\n' }, 'release 1.2.3');
  git(repo, 'tag', 'v1.2.3');
});
after(() => {
  removeDir(repo);
});

async function generate(args: string[], input?: string): Promise<{ config: Config; yaml: string; stderr: string }> {
  const result = await runCommand(['generate', ...args], { cwd: repo, ...(input !== undefined ? { input } : {}) });
  assert.equal(result.code, 0, result.stderr);
  const config = parseConfig(result.stdout);
  assert.deepEqual(officialSchemaErrors(config), []);
  return { config, yaml: result.stdout, stderr: result.stderr };
}

/** Every context a workflow entry of the config names, and every role_arn its jobs pass. */
function accessNamed(config: Config): { contexts: Set<string>; roles: Set<string> } {
  const contexts = new Set<string>();
  const roles = new Set<string>();
  for (const name of workflowJobNames(config)) {
    for (const context of (workflowEntry(config, name).context ?? []) as string[]) contexts.add(context);
    const { parameters } = workflowInvocation(config, name);
    if (typeof parameters.role_arn === 'string') roles.add(parameters.role_arn);
  }
  // And nowhere else in the config (the orb's scripts only show the form of one: role/NAME).
  for (const role of JSON.stringify({ ...config, orbs: undefined }).match(/arn:aws:iam::\d+:role\/[\w+=,.@-]+/g) ?? []) assert.ok(roles.has(role), `${role} appears outside a job's setup_aws`);
  return { contexts, roles };
}

describe('tag pipelines of the bundled example (version tags such as v1.2.3)', () => {
  it('the setup workflow init writes runs for v1.2.3 and for branches, not for other tags', async () => {
    const init = await runCommand(['init', '--check'], { cwd: repo });
    // The example has no .circleci/ of its own: write it, then read it as CircleCI would.
    assert.equal(init.code, 1);
    assert.equal((await runCommand(['init'], { cwd: repo })).code, 0);
    const setup = parseConfig(readFileSync(`${repo}/.circleci/config.yml`, 'utf8'));
    assert.deepEqual(officialSchemaErrors(setup), []);
    assert.deepEqual(runningJobs(setup.workflows.setup, { tag: 'v1.2.3' }), ['setup']);
    assert.deepEqual(runningJobs(setup.workflows.setup, { branch: 'feature/login' }), ['setup']);
    assert.deepEqual(runningJobs(setup.workflows.setup, { tag: 'v1.2' }), []);
    assert.deepEqual(runningJobs(setup.workflows.setup, { tag: 'release-1.2.3' }), []);
  });

  it('compares with the previous tag, and every job of the continuation runs under the filter rules', async () => {
    const { config, stderr } = await generate(['--tag', 'v1.2.3', '--revision', tagged]);
    assert.match(stderr, new RegExp(`^base: ${previousTag}`, 'm'));
    const jobs = workflowJobNames(config);
    assert.deepEqual(jobs, ['phpunit', 'build-image']);
    assert.deepEqual(runningJobs(config.workflows['circle-fargate'], { tag: 'v1.2.3' }), jobs);
    for (const name of jobs) assert.deepEqual(workflowEntry(config, name).filters, { tags: { only: ['/^v\\d+\\.\\d+\\.\\d+$/'] } });
    // Without the filters, CircleCI would run none of them.
    const unfiltered = structuredClone(config.workflows['circle-fargate']);
    for (const entry of unfiltered.jobs) delete (Object.values(entry)[0] as Config).filters;
    assert.deepEqual(runningJobs(unfiltered, { tag: 'v1.2.3' }), []);
  });

  it('a tag pipeline with Terraform changes runs its plans under the same rules, never an apply', async () => {
    const { config } = await generate(['--tag', 'v1.2.3', '--changed-files', '-'], 'terraform/modules/ecs-service/main.tf\n');
    const jobs = workflowJobNames(config);
    assert.deepEqual(jobs, ['terraform-plan-pre', 'terraform-plan-private', 'terraform-plan-prod']);
    assert.deepEqual(runningJobs(config.workflows['circle-fargate'], { tag: 'v1.2.3' }), jobs);
  });

  it('an environment deployed on tags runs its deploy, and what it requires, for a matching tag', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    try {
      const file = `${dir}/circle-fargate.config.ts`;
      writeFileSync(file, readFileSync(file, 'utf8').replace("private: environment('private'),", "private: { ...environment('private'), trigger: { type: 'tag', tags: ['/^canary-.+/'] } },"));
      const result = await runCommand(['generate', '--tag', 'canary-7', '--changed-files', '-'], { cwd: dir, input: 'README.md\n' });
      assert.equal(result.code, 0, result.stderr);
      const config = parseConfig(result.stdout);
      assert.deepEqual(workflowJobNames(config), ['phpunit', 'build-image', 'deploy-private']);
      assert.deepEqual(runningJobs(config.workflows['circle-fargate'], { tag: 'canary-7' }), ['phpunit', 'build-image', 'deploy-private']);
      assert.equal((await runCommand(['init'], { cwd: dir })).code, 0);
      const written = parseConfig(readFileSync(`${dir}/.circleci/config.yml`, 'utf8'));
      assert.deepEqual(runningJobs(written.workflows.setup, { tag: 'canary-7' }), ['setup']);
      assert.deepEqual(runningJobs(written.workflows.setup, { tag: 'v2.0.0' }), ['setup']);
    } finally {
      removeDir(dir);
    }
  });

  it('warns, in explain and generate alike, when the tag matches no filter of the description', async () => {
    const explain = await runCommand(['explain', '--tag', 'nightly', '--changed-files', '-'], { cwd: repo, input: 'app/x.php\n' });
    const { stderr } = await generate(['--tag', 'nightly', '--changed-files', '-'], 'app/x.php\n');
    const warning = /^warning: tag "nightly" matches none of project\.tags \(.*\): CircleCI starts no pipeline for it; add a filter to project\.tags to build it$/m;
    assert.match(explain.stdout, warning);
    assert.match(stderr, warning);
  });
});

describe('serial deploys and applies', () => {
  it('every deploy and apply job has a serial group of its project and environment or root', async () => {
    const module = await generate(['--branch', 'master', '--changed-files', '-'], 'terraform/modules/ecs-service/main.tf\napp/x.php\n');
    const names = workflowJobNames(module.config).filter((name) => /^(deploy|terraform-apply)-/.test(name));
    assert.deepEqual(names, ['terraform-apply-pre', 'terraform-apply-private', 'terraform-apply-prod', 'deploy-prod']);
    for (const name of names) assert.equal(workflowEntry(module.config, name)['serial-group'], `gh/acme/monolith/${name}`);
    const api = await generate(['--branch', 'master', '--trigger-source', 'api', '--param', 'deploy_env=pre']);
    assert.equal(workflowEntry(api.config, 'deploy-pre')['serial-group'], 'gh/acme/monolith/deploy-pre');
    for (const name of workflowJobNames(api.config).filter((job) => !/^(deploy|terraform-apply)-/.test(job))) {
      assert.equal(workflowEntry(api.config, name)['serial-group'], undefined, `${name} is not serialised`);
    }
  });
});

describe('least privilege', () => {
  for (const [what, input] of [
    ['an app change', 'app/src/Controller/ArticlesController.php\n'],
    ['a shared module change', 'terraform/modules/ecs-service/main.tf\n'],
    ['every job selected (no usable base: the default branch is not in the clone)', undefined],
  ] as const) {
    it(`a feature-branch push with ${what} references no apply or deploy role or context`, async () => {
      let result: Awaited<ReturnType<typeof generate>>;
      if (input !== undefined) {
        result = await generate(['--branch', 'feature/login', '--changed-files', '-'], input);
      } else {
        const clone = await exampleRepo('feature/login');
        try {
          const run = await runCommand(['generate', '--branch', 'feature/login'], { cwd: clone });
          assert.equal(run.code, 0, run.stderr);
          assert.match(run.stderr, /every job is selected/);
          result = { config: parseConfig(run.stdout), yaml: run.stdout, stderr: run.stderr };
        } finally {
          removeDir(clone);
        }
      }
      const { config, yaml } = result;
      const { contexts, roles } = accessNamed(config);
      for (const env of ENVIRONMENTS) {
        const { role, context } = applyAccess(env);
        assert.ok(!yaml.includes(role), `${role} appears`);
        assert.ok(!contexts.has(context), `context ${context} is used`);
      }
      // Only the build role and read-only plan roles, in the build and plan contexts.
      for (const role of roles) assert.match(role, /role\/monolith-(circleci-ecr-push|(pre|private|prod)-circleci-plan)$/);
      for (const context of contexts) assert.match(context, /^monolith-(build|plan)$/);
      if (input !== 'app/src/Controller/ArticlesController.php\n') {
        const planRoles = ENVIRONMENTS.map((env) => `arn:aws:iam::${ACCOUNT}:role/monolith-${env}-circleci-plan`);
        assert.deepEqual([...roles].filter((role) => role.endsWith('-plan')).sort(), planRoles);
        assert.ok(contexts.has('monolith-plan'));
      }
    });
  }

  it('deploy_env=pre on master with no usable base holds no job, role or context of private or prod', async () => {
    const { config, yaml, stderr } = await generate(['--branch', 'master', '--trigger-source', 'api', '--param', 'deploy_env=pre']);
    assert.match(stderr, /^base: none; .*every job is selected/m);
    const jobs = workflowJobNames(config);
    assert.deepEqual(jobs, ['phpunit', 'build-image', 'terraform-plan-pre', 'terraform-apply-pre', 'deploy-pre']);
    for (const env of ['private', 'prod']) {
      assert.ok(!jobs.some((job) => job.endsWith(`-${env}`)), `a job of ${env} runs`);
      assert.doesNotMatch(yaml, new RegExp(`monolith-${env}(-|\\b)`), `${env}'s role or context appears`);
    }
    assert.match(stderr, /^ {2}skip terraform-plan-prod: deploy_env=pre runs only what pre needs; this root belongs to prod$/m);
    assert.match(stderr, /^ {2}skip terraform-apply-prod: terraform-plan-prod does not run$/m);
  });
});

describe('caches', () => {
  it('Composer is keyed on composer.lock; the Terraform plugin cache on the lock file the plan hands to the apply', async () => {
    const { config } = await generate(['--branch', 'master', '--changed-files', '-'], 'terraform/pre/main.tf\napp/x.php\n');
    const orb = config.orbs['circle-fargate'];
    const steps = (command: string) => orb.commands[command].steps as Config[];
    const restore = (command: string) => steps(command).find((step) => 'restore_cache' in step)?.restore_cache.keys as string[];
    const save = (command: string) => steps(command).find((step) => 'save_cache' in step)?.save_cache as Config;
    assert.match(restore('composer_install')[0] ?? '', /\{\{ checksum "composer\.lock" \}\}/);
    assert.deepEqual(save('composer_install').paths, ['~/.cache/composer', 'vendor']);
    assert.ok(workflowInvocation(config, 'phpunit').commands.includes('circle-fargate/composer_install'));
    // The plan keys on the committed lock file and saves under the lock file init settled on,
    // which travels in the workspace; the apply restores by that same file.
    assert.match(restore('terraform_plan')[0] ?? '', /checksum "\/tmp\/circle-fargate\/terraform\.lock\.hcl"/);
    const saved = save('terraform_plan');
    assert.match(saved.key, /checksum "<< parameters\.workspace >>\/terraform\/<< parameters\.root_name >>\/\.terraform\.lock\.hcl"/);
    assert.deepEqual(saved.paths, ['~/.terraform.d/plugin-cache']);
    assert.equal(restore('terraform_apply')[0], saved.key);
  });
});

describe('size', () => {
  // Issue 15: under 500 lines. Some 330 of them are the scripts the jobs run; the jobs are
  // expanded into the config's own, so no job or executor of the orb declares its parameters again.
  // Issue 24's deploy markers (on by default) add 12 lines to the deploy script: the plan, RUNNING,
  // the signal relay and the outcome; issue 23's wait_until of the deploy command 3 (its
  // parameter, its variable, one line of the script): the budget is 520.
  it('the config of a master push is under 520 lines, with no orb examples, jobs or executors', async () => {
    const { yaml, config } = await generate(['--branch', 'master', '--changed-files', '-'], 'app/src/Controller/ArticlesController.php\n');
    assert.deepEqual(workflowJobNames(config), ['phpunit', 'build-image', 'deploy-prod']);
    const lines = yaml.split('\n').length - 1;
    assert.ok(lines < 520, `${lines} lines`);
    const orb = config.orbs['circle-fargate'];
    assert.deepEqual([orb.examples, orb.jobs, orb.executors], [undefined, undefined, undefined]);
    assert.deepEqual(Object.keys(config.jobs), ['phpunit', 'build-image', 'deploy-prod']);
  });

  const installSteps = (config: Config): string[] =>
    (config.orbs['circle-fargate'].commands.install.steps as Config[]).map((step) => {
      const [kind, body] = Object.entries(step)[0] as [string, Config];
      return kind === 'run' ? String(body.name) : kind;
    });

  it('holds only the install steps of the source the description names, decided as CircleCI would', async () => {
    const { config } = await generate(['--branch', 'master', '--changed-files', '-'], 'app/src/Controller/ArticlesController.php\n');
    assert.deepEqual(installSteps(config), ['Choose the circle-fargate version', 'restore_cache', 'Install circle-fargate', 'save_cache']);
    // Docker layer caching is on: only the remote Docker with it is left.
    const build = config.orbs['circle-fargate'].commands.build_and_push_image.steps as Config[];
    assert.deepEqual(build[0], { setup_remote_docker: { docker_layer_caching: true, version: '<< parameters.remote_docker_version >>' } });

    const dir = repoFromDirectory(EXAMPLE);
    try {
      const file = `${dir}/circle-fargate.config.ts`;
      writeFileSync(file, readFileSync(file, 'utf8').replace('checkout: { depth: 1 },', "checkout: { depth: 1 },\n  install: { source: 'tarball', location: 'vendor/circle-fargate.tgz' },"));
      const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: dir, input: 'app/x.php\n' });
      assert.equal(result.code, 0, result.stderr);
      const tarball = parseConfig(result.stdout);
      assert.deepEqual(installSteps(tarball), ['Fetch the circle-fargate tarball', 'Choose the circle-fargate version', 'restore_cache', 'Install circle-fargate', 'save_cache']);
      assert.equal(workflowInvocation(tarball, 'deploy-prod').parameters.from, 'vendor/circle-fargate.tgz');
      assert.equal(workflowInvocation(tarball, 'deploy-prod').parameters.source, 'tarball');
    } finally {
      removeDir(dir);
    }
  });
});

describe('warnings', () => {
  it('generate writes to stderr the warnings explain prints', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    try {
      const file = `${dir}/circle-fargate.config.ts`;
      const edited = readFileSync(file, 'utf8')
        .replace("'phpunit.xml.dist']", "'phpunit.xml.dist', 'config/**']")
        .replace("modules: ['terraform/modules/ecs-service']", "modules: ['terraform/modules/ecs-service', 'terraform/modules/unused']")
        // The image build's role without a context: CircleCI would give the job no OIDC token.
        .replace("circleciContext: 'monolith-build',", '');
      assert.ok(!edited.includes('monolith-build'));
      writeFileSync(file, edited);
      // A declared module must exist (a missing one is an error); this one exists, unused.
      mkdirSync(`${dir}/terraform/modules/unused`);
      writeFileSync(`${dir}/terraform/modules/unused/main.tf`, '');
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'more globs');
      const args = ['--branch', 'feature/x', '--changed-files', '-'];
      const explain = await runCommand(['explain', ...args], { cwd: dir, input: 'app/x.php\n' });
      const generated = await runCommand(['generate', ...args], { cwd: dir, input: 'app/x.php\n' });
      assert.equal(generated.code, 0, generated.stderr);
      const warnings = (text: string) => text.split('\n').filter((line) => line.startsWith('warning: '));
      assert.deepEqual(warnings(explain.stdout), [
        'warning: tests.phpunit.paths.include[6]: "config/**" matches no file in the repository',
        'warning: terraform.modules[1]: "terraform/modules/unused" is used by no root module (no local module block names it)',
        'warning: images.app: roleArn without circleciContext: CircleCI gives an OIDC token only to jobs with a context, so its build job cannot assume the role; name the context',
      ]);
      assert.deepEqual(warnings(generated.stderr), warnings(explain.stdout));
    } finally {
      removeDir(dir);
    }
  });
});
