/**
 * The emitted jobs run: each job of the bundled example's configs is expanded and its steps run
 * under `sh` with CircleCI's environment (test/helpers/jobRunner.ts), with stand-ins for
 * `circleci`, `aws`, `docker` and `npm` (whose install puts a recording `circle-fargate` where the
 * orb's install command expects it), real git and real terraform. What the tools are called
 * with, what the workspace and caches carry from step to step and job to job, and that no
 * untrusted value runs, are checked on the result.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.js';
import { EXAMPLE, runCommand } from '../helpers/cli.js';
import { parseConfig, type Config } from '../helpers/config.js';
import { commit, git, initRepo, removeDir, repoFromDirectory, tempDir } from '../helpers/git.js';
import { calls, CIRCLECI_TESTS, expandJob, runJob, stub, type Pipeline } from '../helpers/jobRunner.js';

const REPOSITORY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/monolith/app';
const DIGEST = `${REPOSITORY}@sha256:${'ab'.repeat(32)}`;

/** A JWT-shaped token (unsigned) with the given claims. */
function token(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

let scratch: string;
before(() => {
  scratch = tempDir('circle-fargate-jobs-');
});
after(() => {
  removeDir(scratch);
});

let counter = 0;
/** A fresh container: home, project directory, stand-ins. */
function container(): { home: string; project: string; stubs: string } {
  const dir = path.join(scratch, `container-${counter++}`);
  const home = path.join(dir, 'home');
  const project = path.join(dir, 'project');
  const stubs = path.join(dir, 'stubs');
  for (const d of [home, project, stubs]) mkdirSync(d, { recursive: true });
  return { home, project, stubs };
}

function pipeline(): Pipeline {
  const dir = path.join(scratch, `pipeline-${counter++}`);
  return { cacheDir: path.join(dir, 'caches'), workspaceStore: path.join(dir, 'workspace-store'), values: { 'pipeline.trigger_source': 'webhook', 'pipeline.git.base_revision': '' } };
}

/**
 * `npm` for the orb's install command: `npm install --prefix DIR ... -- SPEC` puts a recording
 * `circle-fargate` stand-in at DIR/node_modules/.bin, as the real install of the package would.
 */
function npmInstalls(stubs: string): void {
  stub(stubs, 'circle-fargate', ':');
  stub(stubs, 'npm', `[ "$1" = install ] || exit 0
prefix=
while [ $# -gt 0 ]; do [ "$1" != --prefix ] || prefix="$2"; shift; done
mkdir -p "$prefix/node_modules/.bin" && cp '${stubs}/circle-fargate' "$prefix/node_modules/.bin/circle-fargate"`);
}

async function generate(cwd: string, args: string[], input?: string): Promise<Config> {
  const result = await runCommand(['generate', ...args], { cwd, ...(input !== undefined ? { input } : {}) });
  assert.equal(result.code, 0, result.stderr);
  return parseConfig(result.stdout);
}

describe('the jobs of a master push run, and fit together', () => {
  let repo: string;
  let sha: string;
  before(() => {
    repo = repoFromDirectory(EXAMPLE);
    sha = git(repo, 'rev-parse', 'HEAD').trim();
  });
  after(() => {
    removeDir(repo);
  });

  const circleEnv = (extra: Record<string, string> = {}) => ({
    CIRCLE_SHA1: sha,
    CIRCLE_BRANCH: 'master',
    CIRCLE_REPOSITORY_URL: `file://${repo}`,
    CIRCLE_PROJECT_REPONAME: 'monolith',
    CIRCLE_BUILD_NUM: '7',
    CIRCLE_OIDC_TOKEN_V2: token({ aud: 'org-1', exp: Math.floor(Date.now() / 1000) + 3600 }),
    ...extra,
  });

  it('build-image pushes the image and hands its digest to deploy-prod through the workspace', async () => {
    const config = await generate(repo, ['--branch', 'master', '--revision', sha, '--changed-files', '-'], 'app/src/Controller/ArticlesController.php\n');
    const run = pipeline();
    const workspace = path.join(scratch, `workspace-${counter++}`);

    const build = container();
    stub(build.stubs, 'aws', 'case "$2" in get-login-password) echo ecr-password ;; describe-images) echo None ;; esac');
    stub(build.stubs, 'docker', `[ "$1" != inspect ] || echo '${DIGEST}'`);
    stub(build.stubs, 'circleci', ':');
    const built = await runJob(expandJob(config, 'build-image', run, { workspace }), run, { ...build, env: circleEnv() });
    assert.equal(built.status, 0, built.output);
    assert.deepEqual(built.ran.slice(0, 3), ['Shallow checkout', 'Assume the AWS role through OIDC', 'Renew the OIDC token before it expires']);
    assert.ok(built.ran.includes('setup_remote_docker (layer caching)'));
    const dockerCalls = calls(build.stubs, 'docker');
    assert.deepEqual(dockerCalls[1], [
      'build', '--file', 'docker/prod/app/Dockerfile', '--tag', `${REPOSITORY}:${sha}`, '--build-arg', 'PHP_VERSION=8.3', '.',
    ]);
    // The checkout is the real commit, and the role profile names the build role.
    assert.equal(git(build.project, 'rev-parse', 'HEAD').trim(), sha);
    assert.match(readFileSync(path.join(build.home, '.aws/config'), 'utf8'), /^role_arn = arn:aws:iam::123456789012:role\/monolith-circleci-ecr-push$/m);

    const deploy = container();
    npmInstalls(deploy.stubs);
    stub(deploy.stubs, 'circleci', ':');
    const deployed = await runJob(expandJob(config, 'deploy-prod', run, { workspace }), run, { ...deploy, env: circleEnv() });
    assert.equal(deployed.status, 0, deployed.output);
    const [install] = calls(deploy.stubs, 'npm');
    assert.ok(install, 'the deploy job installed circle-fargate');
    assert.equal(install.at(-2), '--', install.join(' '));
    assert.equal(install.at(-1), `circle-fargate@${VERSION}`, 'the exact version of the package that generated the config');
    assert.ok(install.includes('--ignore-scripts') && !install.includes('--omit=peer'), install.join(' '));
    const deployCall = calls(deploy.stubs, 'circle-fargate').find((call) => call[0] === 'deploy');
    assert.ok(deployCall, 'the deploy ran circle-fargate');
    assert.deepEqual(deployCall, ['deploy', 'prod', '--image', DIGEST, '--record', `${workspace}/deploy-records/prod.json`, '--json', '--config', 'circle-fargate.config.ts']);
    assert.deepEqual(deployed.restoredCaches, [null], 'the first install of a version finds no cache');
    assert.equal(deployed.savedCaches.length, 1);

    // The next job on a fresh container restores the install and does not run npm again.
    const again = container();
    npmInstalls(again.stubs);
    stub(again.stubs, 'circleci', ':');
    const redeployed = await runJob(expandJob(config, 'deploy-prod', run, { workspace }), run, { ...again, env: circleEnv() });
    assert.equal(redeployed.status, 0, redeployed.output);
    assert.deepEqual(redeployed.restoredCaches, deployed.savedCaches);
    assert.deepEqual(calls(again.stubs, 'npm'), [], 'a warm job installs nothing');
    assert.match(redeployed.output, /from the cache/);
    assert.match(readFileSync(path.join(deploy.home, '.aws/config'), 'utf8'), /^role_arn = arn:aws:iam::123456789012:role\/monolith-prod-circleci-deploy$/m);
  });

  it('a failed deploy-prod rolls back from its record with the same installed circle-fargate, and the job fails', async () => {
    const config = await generate(repo, ['--branch', 'master', '--revision', sha, '--changed-files', '-'], 'app/src/Controller/ArticlesController.php\n');
    const run = pipeline();
    const workspace = path.join(scratch, `workspace-${counter++}`);
    mkdirSync(path.join(run.workspaceStore, 'images'), { recursive: true });
    writeFileSync(path.join(run.workspaceStore, 'images/app'), `${DIGEST}\n`);
    const box = container();
    npmInstalls(box.stubs);
    // The installed circle-fargate: deploy writes its record, then fails as a failed rollout does.
    stub(box.stubs, 'circle-fargate', `[ "$1" = deploy ] || exit 0
while [ $# -gt 0 ]; do [ "$1" != --record ] || echo '{}' > "$2"; shift; done
exit 1`);
    stub(box.stubs, 'circleci', ':');
    const result = await runJob(expandJob(config, 'deploy-prod', run, { workspace }), run, { ...box, env: circleEnv() });
    assert.equal(result.status, 1, 'the job fails even when the rollback succeeds');
    assert.ok(result.ran.includes('Roll back from the deploy record'), result.ran.join(', '));
    const record = `${workspace}/deploy-records/prod.json`;
    assert.deepEqual(calls(box.stubs, 'circle-fargate').map((call) => call.slice(0, 3)), [['--version'], ['deploy', 'prod', '--image'], ['rollback', '--record', record]]);
  });

  it('phpunit splits the tests between containers through circleci tests run, with the services, the Composer cache and relative JUnit paths', async () => {
    const config = await generate(repo, ['--branch', 'master', '--revision', sha, '--changed-files', '-'], 'app/src/Controller/ArticlesController.php\n');
    const run = pipeline();
    const job = expandJob(config, 'phpunit', run);
    assert.deepEqual(job.images.map((image) => image.image), ['cimg/php:8.3', 'cimg/mysql:8.0', 'cimg/redis:7.2']);
    assert.equal(job.parallelism, 4);
    const results = [];
    for (const node of [0, 1]) {
      const box = container();
      // composer installs a phpunit that writes a JUnit report with absolute paths, as PHPUnit does.
      stub(box.stubs, 'composer', `mkdir -p vendor/bin && cat > vendor/bin/phpunit <<'PHPUNIT'
#!/bin/sh
[ "$1" = --log-junit ] || exit 9
report="$2"; shift 2
{ echo '<testsuites>'; for file in "$@"; do printf '<testsuite file="%s/%s"/>\\n' "$PWD" "$file"; done; echo '</testsuites>'; } > "$report"
PHPUNIT
chmod +x vendor/bin/phpunit`);
      stub(box.stubs, 'circleci', CIRCLECI_TESTS);
      const result = await runJob(job, run, { ...box, env: circleEnv(), nodeIndex: node });
      assert.equal(result.status, 0, result.output);
      results.push({ box, result });
    }
    const [first, second] = results as [(typeof results)[0], (typeof results)[0]];
    const lock = createHashOf(path.join(first.box.project, 'composer.lock'));
    assert.deepEqual(first.result.savedCaches, [`composer-v1-arch1-linux-amd64-6_85-${lock}`]);
    assert.deepEqual(first.result.restoredCaches, [null]);
    assert.deepEqual(second.result.restoredCaches, [`composer-v1-arch1-linux-amd64-6_85-${lock}`], 'the second container starts from the cache');
    assert.ok(existsSync(path.join(second.box.project, 'vendor/bin/phpunit')));
    const [run0, run1] = [calls(first.box.stubs, 'circleci'), calls(second.box.stubs, 'circleci')];
    assert.ok(run0.some((call) => call[1] === 'run' && call.includes('--split-by=timings')));
    assert.ok(run1.some((call) => call[1] === 'glob' && call[2] === 'tests/**/*Test.php'));
    const reports = [first.result.storedTestResults[0] ?? '', second.result.storedTestResults[0] ?? ''];
    const files = reports.flatMap((report) => [...report.matchAll(/file="([^"]+)"/g)].map((match) => match[1]));
    assert.ok(files.length >= 2, reports.join('\n'));
    for (const file of files) assert.match(file ?? '', /^tests\//, 'JUnit paths are relative to the project');
    assert.equal(new Set(files).size, files.length, 'no test file runs in two containers');
  });

  it('untrusted values (branch, tag, parameters) reach the steps as data and never run', async () => {
    const marker = path.join(scratch, 'pwned');
    const hostile = `$(touch ${marker})\`touch ${marker}\`;touch ${marker}`;
    const config = await generate(repo, ['--branch', hostile, '--revision', sha, '--trigger-source', 'api', '--param', 'deploy_env=pre', '--param', `note=${hostile}`]);
    const run = { ...pipeline(), values: { 'pipeline.trigger_source': 'api', 'pipeline.git.base_revision': '' } };
    const workspace = path.join(scratch, `workspace-${counter++}`);
    for (const name of ['build-image', 'deploy-pre']) {
      const box = container();
      stub(box.stubs, 'aws', 'case "$2" in describe-images) echo None ;; esac');
      stub(box.stubs, 'docker', `[ "$1" != inspect ] || echo '${DIGEST}'`);
      stub(box.stubs, 'circleci', ':');
      npmInstalls(box.stubs);
      const result = await runJob(expandJob(config, name, run, { workspace }), run, { ...box, env: circleEnv({ CIRCLE_BRANCH: hostile }) });
      assert.equal(result.status, 0, result.output);
    }
    assert.equal(existsSync(marker), false);
  });
});

describe('Terraform plan and apply run with real terraform, the plan and its lock file travelling to the apply', () => {
  let repo: string;
  let sha: string;
  before(() => {
    repo = initRepo({
      'circle-fargate.config.json': JSON.stringify({
        project: { slug: 'gh/acme/infra', defaultBranch: 'master' },
        terraform: {
          version: '1.9.8',
          roots: [{ dir: 'infra/app', name: 'app', roleArn: 'arn:aws:iam::123456789012:role/infra-apply', region: 'ap-northeast-1', plan: { roleArn: 'arn:aws:iam::123456789012:role/infra-plan' } }],
        },
      }),
      'infra/app/main.tf': 'resource "terraform_data" "release" {\n  input = "one"\n}\n',
    });
    sha = commit(repo, { 'infra/app/main.tf': 'resource "terraform_data" "release" {\n  input = "two"\n}\n' });
  });
  after(() => {
    removeDir(repo);
  });

  it('plans as the plan role, applies the saved plan as the apply role, with the plugin cache keyed on the lock file', async () => {
    const config = await generate(repo, ['--branch', 'master', '--revision', sha, '--changed-files', '-'], 'infra/app/main.tf\n');
    const run = pipeline();
    const workspace = path.join(scratch, `workspace-${counter++}`);
    const env = {
      CIRCLE_SHA1: sha,
      CIRCLE_BRANCH: 'master',
      CIRCLE_REPOSITORY_URL: `file://${repo}`,
      CIRCLE_OIDC_TOKEN_V2: token({ aud: 'org-1', exp: Math.floor(Date.now() / 1000) + 3600 }),
      TF_IN_AUTOMATION: '1',
    };
    const plan = container();
    stub(plan.stubs, 'circleci', ':');
    const planned = await runJob(expandJob(config, 'terraform-plan-app', run, { workspace }), run, { ...plan, env });
    assert.equal(planned.status, 0, planned.output);
    assert.match(readFileSync(path.join(plan.home, '.aws/config'), 'utf8'), /^role_arn = arn:aws:iam::123456789012:role\/infra-plan$/m);
    assert.equal(readFileSync(path.join(workspace, 'terraform/app/changes'), 'utf8'), 'some\n');
    assert.equal(readFileSync(path.join(workspace, 'terraform/app/revision'), 'utf8'), `${sha}\n`);
    assert.ok(existsSync(path.join(workspace, 'terraform/app/.terraform.lock.hcl')), 'the lock file travels with the plan');
    assert.equal(planned.savedCaches.length, 1);
    assert.match(planned.savedCaches[0] ?? '', /^terraform-plugins-v1-arch1-linux-amd64-6_85-/);

    const apply = container();
    stub(apply.stubs, 'circleci', ':');
    const applied = await runJob(expandJob(config, 'terraform-apply-app', run, { workspace }), run, { ...apply, env });
    assert.equal(applied.status, 0, applied.output);
    assert.deepEqual(applied.restoredCaches, [planned.savedCaches[0]], 'the apply restores the cache the plan saved');
    assert.match(applied.output, /Apply complete! Resources: 1 added/);
    assert.match(readFileSync(path.join(apply.home, '.aws/config'), 'utf8'), /^role_arn = arn:aws:iam::123456789012:role\/infra-apply$/m);
    assert.match(readFileSync(path.join(apply.project, 'infra/app/terraform.tfstate'), 'utf8'), /"input":\s*\{\s*"value":\s*"two"/);
  });
});

function createHashOf(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('base64');
}
