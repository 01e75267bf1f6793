/**
 * The generator on the bundled example, through the real CLI, for each kind of trigger the
 * reference deployment sees. Each case: the expected jobs, the official schema, a golden file.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { checkReferences } from '../../src/circleci/check/references.js';
import { VERSION } from '../../src/version.js';
import { EXAMPLE, runCommand } from '../helpers/cli.js';
import { parseConfig, workflowEntry, workflowInvocation, workflowJobNames } from '../helpers/config.js';
import { removeDir, repoFromDirectory } from '../helpers/git.js';
import { assertGolden } from '../helpers/golden.js';
import { officialSchemaErrors } from '../helpers/officialSchema.js';

let repo: string;
before(() => {
  repo = repoFromDirectory(EXAMPLE);
});
after(() => {
  removeDir(repo);
});

const APP_CHANGE = 'app/src/Controller/ArticlesController.php\ntests/TestCase/Controller/ArticlesControllerTest.php\n';
const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const cases: { name: string; args: string[]; input?: string; jobs: string[] }[] = [
  {
    name: 'feature-push',
    args: ['--branch', 'feature/login', '--changed-files', '-'],
    input: APP_CHANGE,
    jobs: ['phpunit', 'build-image'],
  },
  {
    name: 'master-push',
    args: ['--branch', 'master', '--changed-files', '-'],
    input: APP_CHANGE,
    jobs: ['phpunit', 'build-image', 'deploy-prod'],
  },
  {
    name: 'master-push-terraform-only',
    args: ['--branch', 'master', '--changed-files', '-'],
    input: 'terraform/pre/batches.tf\n',
    jobs: ['terraform-plan-pre', 'terraform-apply-pre'],
  },
  {
    name: 'master-push-module-only',
    args: ['--branch', 'master', '--changed-files', '-'],
    input: 'terraform/modules/ecs-service/main.tf\n',
    jobs: [
      'terraform-plan-pre',
      'terraform-apply-pre',
      'terraform-plan-private',
      'terraform-apply-private',
      'terraform-plan-prod',
      'approve-terraform-apply-prod',
      'terraform-apply-prod',
    ],
  },
  {
    name: 'api-deploy-pre',
    args: ['--branch', 'feature/login', '--trigger-source', 'api', '--param', 'deploy_env=pre'],
    jobs: ['phpunit', 'build-image', 'terraform-plan-pre', 'deploy-pre'],
  },
  {
    name: 'api-deploy-private',
    args: ['--branch', 'release/canary', '--trigger-source', 'api', '--param', 'deploy_env=private'],
    jobs: ['phpunit', 'build-image', 'terraform-plan-private', 'deploy-private'],
  },
  {
    name: 'nothing-relevant',
    args: ['--branch', 'feature/docs', '--changed-files', '-'],
    input: 'README.md\n',
    jobs: ['nothing-to-do'],
  },
];

describe('generate on the bundled example', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: emits ${testCase.jobs.join(', ')}`, async () => {
      const result = await runCommand(['generate', '--revision', REVISION, ...testCase.args], {
        cwd: repo,
        ...(testCase.input !== undefined ? { input: testCase.input } : {}),
      });
      assert.equal(result.code, 0, result.stderr);
      const config = parseConfig(result.stdout);
      assert.deepEqual(workflowJobNames(config), testCase.jobs);
      assert.deepEqual(officialSchemaErrors(config), []);
      assert.deepEqual(checkReferences(config), [], 'validate finds nothing');
      assert.deepEqual(Object.keys(config.parameters as object), ['deploy_env']);
      assertGolden(`example/${testCase.name}`, result.stdout, VERSION);
    });
  }

  it('deploys prod only after the tests and the image build, in the prod context', async () => {
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: repo, input: APP_CHANGE });
    const config = parseConfig(result.stdout);
    assert.deepEqual(workflowEntry(config, 'deploy-prod'), {
      requires: ['phpunit', 'build-image'],
      context: ['monolith-prod'],
      'serial-group': 'gh/acme/monolith/deploy-prod',
    });
    assert.deepEqual(workflowEntry(config, 'build-image'), { context: ['monolith-build'] });
  });

  it('holds the prod apply for approval when its root asks for it', async () => {
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], {
      cwd: repo,
      input: 'terraform/modules/ecs-service/main.tf\n',
    });
    assert.equal(result.code, 0, result.stderr);
    const config = parseConfig(result.stdout);
    assert.deepEqual(workflowEntry(config, 'approve-terraform-apply-prod'), { type: 'approval', requires: ['terraform-plan-prod'] });
    assert.deepEqual(workflowEntry(config, 'terraform-apply-prod'), {
      requires: ['approve-terraform-apply-prod'],
      context: ['monolith-prod'],
      'serial-group': 'gh/acme/monolith/terraform-apply-prod',
    });
  });

  it('writes only YAML to stdout and the explanation to stderr', async () => {
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: repo, input: APP_CHANGE });
    assert.match(result.stdout, /^# Generated by circle-fargate/);
    assert.doesNotMatch(result.stdout, /^(run|skip) /m);
    assert.match(result.stderr, /^ {2}run {2}deploy-prod: push to master changed image app: images\.app\.paths matched /m);
    assert.match(result.stderr, /^ {2}skip deploy-pre: deploys only when a trigger sets deploy_env=pre$/m);
  });

  it('takes branch and revision from CircleCI variables when flags are absent', async () => {
    const result = await runCommand(['generate', '--changed-files', '-'], {
      cwd: repo,
      input: APP_CHANGE,
      env: { CIRCLE_BRANCH: 'master', CIRCLE_SHA1: REVISION },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^# Pipeline: branch master at ${REVISION.slice(0, 12)}, trigger webhook\\.$`, 'm'));
    assert.deepEqual(workflowJobNames(parseConfig(result.stdout)), ['phpunit', 'build-image', 'deploy-prod']);
  });

  it('produces the same bytes for the same inputs', async () => {
    const run = () => runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: repo, input: APP_CHANGE });
    const [first, second] = await Promise.all([run(), run()]);
    assert.equal(first.stdout, second.stdout);
  });

  it('runs every job as a job of the inline orb, with parameters the orb declares', async () => {
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], {
      cwd: repo,
      input: `${APP_CHANGE}terraform/modules/ecs-service/main.tf\n`,
    });
    assert.equal(result.code, 0, result.stderr);
    const config = parseConfig(result.stdout);
    const packed = parseConfig((await runCommand(['orb', 'pack'])).stdout);
    // The inline orb holds the jobs the config runs and what they use, no examples.
    const inline = config.orbs['circle-fargate'];
    // The jobs are expanded into the config's own (the orb holds the commands they call, no jobs
    // and no executors); each runs under its workflow name.
    assert.equal(inline.jobs, undefined);
    assert.equal(inline.executors, undefined);
    assert.deepEqual(Object.keys(inline.commands).sort(), [
      'build_and_push_image', 'composer_install', 'deploy', 'install', 'phpunit', 'setup_aws', 'shallow_checkout', 'terraform_apply', 'terraform_plan',
    ]);
    assert.equal(inline.examples, undefined);
    for (const name of Object.keys(inline.commands)) assert.deepEqual(Object.keys(inline.commands[name].parameters ?? {}), Object.keys(packed.commands[name].parameters ?? {}), `commands.${name}`);
    let checked = 0;
    for (const name of workflowJobNames(config)) {
      if (name.startsWith('approve-')) continue;
      const job = config.jobs[name];
      assert.ok(job, `${name} is a job of the config`);
      assert.equal(workflowInvocation(config, name).job, name);
      // Every step calls a command of the orb with arguments it declares, every required one given.
      for (const step of job.steps as (string | Record<string, any>)[]) {
        const [reference, args] = typeof step === 'string' ? [step, {}] : (Object.entries(step)[0] as [string, Record<string, unknown>]);
        const command = reference.replace(/^circle-fargate\//, '');
        assert.notEqual(command, reference, `${name} runs ${reference}, not a command of the orb`);
        const declared = packed.commands[command].parameters ?? {};
        for (const parameter of Object.keys(args)) assert.ok(parameter in declared, `${name} passes ${parameter}, which ${command} does not declare`);
        for (const [parameter, spec] of Object.entries<Record<string, unknown>>(declared)) {
          if (!('default' in spec)) assert.ok(parameter in args, `${name} does not pass required ${parameter} to ${command}`);
          else assert.notDeepEqual(args[parameter], spec.default, `${name} repeats ${command}'s default ${parameter}`);
        }
      }
      checked++;
    }
    assert.equal(checked, 9);
    // The terraform image of 1.9.8 and the plan role, written out; depth 1 is the checkout's default.
    assert.deepEqual(config.jobs['terraform-plan-prod'], {
      docker: [{ image: 'hashicorp/terraform:1.9.8' }],
      resource_class: 'medium',
      steps: [
        'circle-fargate/shallow_checkout',
        { 'circle-fargate/setup_aws': { role_arn: 'arn:aws:iam::123456789012:role/monolith-prod-circleci-plan', region: 'ap-northeast-1' } },
        { 'circle-fargate/terraform_plan': { root_dir: 'terraform/prod', root_name: 'prod' } },
      ],
    });
    assert.deepEqual(workflowInvocation(config, 'terraform-apply-prod').parameters.role_arn, 'arn:aws:iam::123456789012:role/monolith-prod-circleci-deploy');
  });

  it('names a published orb instead when the description asks for it', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    try {
      const file = `${dir}/circle-fargate.config.ts`;
      writeFileSync(file, readFileSync(file, 'utf8').replace("checkout: { depth: 1 },", "checkout: { depth: 1 },\n  orb: { source: 'published', namespace: 'acme' },"));
      const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: dir, input: APP_CHANGE });
      assert.equal(result.code, 0, result.stderr);
      const config = parseConfig(result.stdout);
      assert.deepEqual(config.orbs, { 'circle-fargate': `acme/circle-fargate@${VERSION}` });
      assert.equal(workflowInvocation(config, 'deploy-prod').job, 'circle-fargate/deploy');
      // Another version's defaults may differ: with a published orb every value is written out.
      assert.equal(workflowInvocation(config, 'deploy-prod').parameters.depth, 1);
      assert.equal(workflowInvocation(config, 'deploy-prod').parameters.version, VERSION);
      assert.deepEqual(officialSchemaErrors(config), []);
    } finally {
      removeDir(dir);
    }
  });
});
