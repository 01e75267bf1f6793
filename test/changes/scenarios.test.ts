/**
 * Every base situation of a CircleCI pipeline, end to end: the bundled example in a real
 * repository playing the remote, a depth-1 clone over file:// playing the setup job's checkout,
 * and the real CLI (`explain --json`) deciding which jobs run.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runCommand } from '../helpers/cli.js';
import { parseConfig, workflowInvocation } from '../helpers/config.js';
import { commit, exampleRepo, git, removeDir, shallowClone } from '../helpers/git.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

interface Explained {
  base: { revision: string | null; strategy: string; how: string };
  selectAll: boolean;
  selectAllReason: string | null;
  changedFiles: string[];
  jobs: { name: string; runs: boolean; reasons: string[] }[];
}

async function example(): Promise<string> {
  const dir = await exampleRepo();
  dirs.push(dir);
  return dir;
}

async function explain(source: string, ref: string, args: string[]): Promise<Explained> {
  const clone = shallowClone(source, ref);
  dirs.push(clone);
  const result = await runCommand(['explain', '--json', ...args], { cwd: clone });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Explained;
}

function running(explained: Explained): string[] {
  return explained.jobs.filter((job) => job.runs).map((job) => job.name).sort();
}

const ALL_ON_MASTER = [
  'approve-terraform-apply-prod',
  'build-image',
  'deploy-prod',
  'phpunit',
  'terraform-apply-pre',
  'terraform-apply-private',
  'terraform-apply-prod',
  'terraform-plan-pre',
  'terraform-plan-private',
  'terraform-plan-prod',
];

describe('which jobs run, in a depth-1 clone of the example', () => {
  it('multi-commit push to master: every commit of the push counts', async () => {
    const source = await example();
    const base = git(source, 'rev-parse', 'HEAD');
    commit(source, { 'app/src/Controller/ArticlesController.php': '<?php // changed' });
    const head = commit(source, { 'app/README.md': 'docs only' });
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', base]);
    assert.equal(result.base.strategy, 'base-revision');
    assert.deepEqual(result.changedFiles, ['app/README.md', 'app/src/Controller/ArticlesController.php']);
    assert.deepEqual(running(result), ['build-image', 'deploy-prod', 'phpunit']);
  });

  it('first push of a new branch: against the merge-base, not what master did since', async () => {
    const source = await example();
    git(source, 'checkout', '--quiet', '-b', 'feature/articles');
    const head = commit(source, { 'tests/TestCase/Controller/ArticlesControllerTest.php': '<?php // more tests' });
    git(source, 'checkout', '--quiet', 'master');
    commit(source, { 'terraform/pre/main.tf': '# master moved on\n' });
    const result = await explain(source, 'feature/articles', ['--branch', 'feature/articles', '--revision', head, '--base-revision', '<nil>']);
    assert.equal(result.base.strategy, 'merge-base');
    assert.deepEqual(running(result), ['phpunit']);
  });

  it('force push to master: no usable base, so everything runs', async () => {
    const source = await example();
    const start = git(source, 'rev-parse', 'HEAD');
    const old = commit(source, { 'app/a.php': 'old' });
    git(source, 'tag', 'old-tip', old);
    git(source, 'reset', '--quiet', '--hard', start);
    const head = commit(source, { 'app/README.md': 'rewritten' });
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', old]);
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /not an ancestor/);
    assert.deepEqual(running(result), ALL_ON_MASTER);
  });

  it('tag: against the previous tag', async () => {
    const source = await example();
    git(source, 'tag', 'v1.0.0');
    commit(source, { 'batch/src/Command/AggregateSalesCommand.php': '<?php // v1.1' });
    const head = commit(source, { 'terraform/private/main.tf': '# private only\n' });
    git(source, 'tag', 'v1.1.0');
    const result = await explain(source, 'v1.1.0', ['--tag', 'v1.1.0', '--revision', head]);
    assert.equal(result.base.strategy, 'previous-tag');
    assert.deepEqual(running(result), ['build-image', 'phpunit', 'terraform-plan-private']);
  });

  it('API trigger with deploy_env=pre on a branch: the deploy brings its image and tests', async () => {
    const source = await example();
    git(source, 'checkout', '--quiet', '-b', 'staging-check');
    const head = commit(source, { 'terraform/pre/main.tf': '# pre tweak\n' });
    const result = await explain(source, 'staging-check', [
      '--branch', 'staging-check', '--revision', head, '--trigger-source', 'api', '--param', 'deploy_env=pre',
    ]);
    assert.deepEqual(running(result), ['build-image', 'deploy-pre', 'phpunit', 'terraform-plan-pre']);
  });

  it('a deploy whose image inputs did not change retags the image of the base instead of building', async () => {
    const source = await example();
    const forkPoint = git(source, 'rev-parse', 'HEAD');
    git(source, 'checkout', '--quiet', '-b', 'infra-only');
    const head = commit(source, { 'terraform/pre/main.tf': '# pre tweak\n' });
    const clone = shallowClone(source, 'infra-only');
    dirs.push(clone);
    const args = ['--branch', 'infra-only', '--revision', head, '--trigger-source', 'api', '--param', 'deploy_env=pre'];
    const generated = await runCommand(['generate', ...args], { cwd: clone });
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(workflowInvocation(parseConfig(generated.stdout), 'build-image').parameters.reuse_from, forkPoint);
    const fromList = await runCommand(['generate', ...args, '--changed-files', '-'], { cwd: clone, input: 'terraform/pre/main.tf\n' });
    // No known base: build (reuse_from left at the job's default, "").
    assert.equal(workflowInvocation(parseConfig(fromList.stdout), 'build-image').parameters.reuse_from ?? '', '', 'no known base: build');
  });

  it('API trigger on master without a base: everything is selected, and says why', async () => {
    const source = await example();
    const head = git(source, 'rev-parse', 'HEAD');
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--trigger-source', 'api', '--param', 'deploy_env=private']);
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /API-triggered/);
    assert.ok(running(result).includes('deploy-private'));
    assert.ok(!running(result).includes('deploy-prod'));
  });

  it('merge commit to master of a shared module change: every root plans and applies', async () => {
    const source = await example();
    const base = git(source, 'rev-parse', 'HEAD');
    git(source, 'checkout', '--quiet', '-b', 'module-change');
    commit(source, { 'terraform/modules/ecs-service/main.tf': '# capacity providers tuned\n' });
    git(source, 'checkout', '--quiet', 'master');
    git(source, 'merge', '--quiet', '--no-ff', '--no-edit', 'module-change');
    const head = git(source, 'rev-parse', 'HEAD');
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', base]);
    assert.deepEqual(running(result), ALL_ON_MASTER.filter((job) => !['build-image', 'deploy-prod', 'phpunit'].includes(job)));
    const plan = result.jobs.find((job) => job.name === 'terraform-plan-pre');
    assert.match(plan?.reasons.join(' ') ?? '', /module terraform\/modules\/ecs-service, which it uses, changed/);
  });

  it('rename out of app/ and a deletion: both the old path and the deleted one count', async () => {
    const source = await example();
    const base = git(source, 'rev-parse', 'HEAD');
    git(source, 'mv', 'app/src/Model/Table/ArticlesTable.php', 'ArticlesTable.php.bak');
    git(source, 'rm', '--quiet', 'batch/src/Command/PurgeExpiredSessionsCommand.php');
    const head = commit(source, {});
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', base]);
    assert.deepEqual(result.changedFiles, ['ArticlesTable.php.bak', 'app/src/Model/Table/ArticlesTable.php', 'batch/src/Command/PurgeExpiredSessionsCommand.php']);
    assert.deepEqual(running(result), ['build-image', 'deploy-prod', 'phpunit']);
  });

  it('odd file names survive intact', async () => {
    const source = await example();
    const base = git(source, 'rev-parse', 'HEAD');
    const names = ['app/with space.php', 'app/quote"d.php', 'app/new\nline.php', 'app/ünïcödé.php'];
    const head = commit(source, Object.fromEntries(names.map((name) => [name, '<?php'])));
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', base]);
    assert.deepEqual(result.changedFiles, [...names].sort());
  });

  it('a base that cannot be fetched: everything runs', async () => {
    const source = await example();
    const head = git(source, 'rev-parse', 'HEAD');
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', '0123456789abcdef0123456789abcdef01234567']);
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /cannot be fetched/);
    assert.deepEqual(running(result), ALL_ON_MASTER);
  });

  it('nothing relevant changed: nothing runs', async () => {
    const source = await example();
    const base = git(source, 'rev-parse', 'HEAD');
    const head = commit(source, { 'docs/runbook.md': 'how to page the on-call' });
    const result = await explain(source, 'master', ['--branch', 'master', '--revision', head, '--base-revision', base]);
    assert.deepEqual(result.changedFiles, ['docs/runbook.md']);
    assert.deepEqual(running(result), []);
  });
});
