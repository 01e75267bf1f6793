/**
 * The emitted jobs run: each job of the bundled example's configs is expanded and its steps run
 * under `sh` with CircleCI's environment (test/helpers/jobRunner.ts), with stand-ins for
 * `circleci`, `aws`, `docker` and `npm` (whose install puts a recording `circle-fargate` where the
 * orb's install command expects it), real git and real terraform. What the tools are called
 * with, what the workspace and caches carry from step to step and job to job, and that no
 * untrusted value runs, are checked on the result.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.js';
import { BIN, EXAMPLE, runCommand } from '../helpers/cli.js';
import { parseConfig, workflowEntry, type Config } from '../helpers/config.js';
import { officialSchemaErrors } from '../helpers/officialSchema.js';
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

  /**
   * The deploy job with the workspace holding the digest, a `circleci` stand-in recording `run
   * release` calls (exit `circleciExit`) and the installed circle-fargate running `deploy` (sh).
   */
  async function deployWithMarkers(deployBody: string, options: { circleciExit?: number; cwd?: string; env?: Record<string, string> } = {}) {
    const { circleciExit = 0, cwd = repo } = options;
    const config = await generate(cwd, ['--branch', 'master', '--revision', sha, '--changed-files', '-'], 'app/src/Controller/ArticlesController.php\n');
    const run = pipeline();
    const workspace = path.join(scratch, `workspace-${counter++}`);
    mkdirSync(path.join(run.workspaceStore, 'images'), { recursive: true });
    writeFileSync(path.join(run.workspaceStore, 'images/app'), `${DIGEST}\n`);
    const box = container();
    npmInstalls(box.stubs);
    // `notify` is the real command (built in dist/); `deploy` is the stand-in's body.
    stub(box.stubs, 'circle-fargate', `[ "$1" != notify ] || exec '${process.execPath}' '${BIN}' "$@"\n[ "$1" = deploy ] || exit 0\n${deployBody}`);
    stub(box.stubs, 'circleci', `exit ${circleciExit}`);
    const result = await runJob(expandJob(config, 'deploy-prod', run, { workspace }), run, { ...box, env: circleEnv(options.env) });
    const releases = calls(box.stubs, 'circleci').filter((call) => call[0] === 'run' && call[1] === 'release').map((call) => call.slice(2));
    return { result, releases, workspace, stubs: box.stubs };
  }

  it('a failed deploy-prod rolls back from its record with the same installed circle-fargate, and the job fails', async () => {
    // The installed circle-fargate: deploy writes its record, then fails as a failed rollout does.
    const { result, workspace, stubs } = await deployWithMarkers(`while [ $# -gt 0 ]; do [ "$1" != --record ] || echo '{}' > "$2"; shift; done
exit 1`);
    assert.equal(result.status, 1, 'the job fails even when the rollback succeeds');
    assert.ok(result.ran.includes('Roll back from the deploy record'), result.ran.join(', '));
    const record = `${workspace}/deploy-records/prod.json`;
    assert.deepEqual(calls(stubs, 'circle-fargate').map((call) => call.slice(0, 3)), [['--version'], ['deploy', 'prod', '--image'], ['rollback', '--record', record]]);
  });

  // CircleCI's deploy markers (https://circleci.com/docs/guides/deploy/configure-deploy-markers/):
  // `circleci run release plan NAME --environment-name --component-name --target-version` creates
  // the pending deploy; `circleci run release update NAME --status=...` moves it.
  const PLAN = ['plan', 'circle-fargate-prod', '--environment-name=prod', '--component-name=app'];

  it('a deploy is planned as a marker before it changes anything, RUNNING while it runs and SUCCESS when it exits 0', async () => {
    const { result, releases } = await deployWithMarkers(
      // The deploy starts only after the marker was planned and set RUNNING (the stand-in's record).
      `grep -qx -- --status=RUNNING "$(command -v circleci).args" || { echo 'deployed before the marker' >&2; exit 9; }\necho '{"outcome":"deployed"}'`,
    );
    assert.equal(result.status, 0, result.output);
    const [plan, ...updates] = releases;
    assert.ok(plan, 'a plan call');
    assert.deepEqual(plan.slice(0, 4), PLAN);
    // The version: the commit, readable, and the digest, exact.
    assert.equal(plan[4], `--target-version=${sha.slice(0, 12)} sha256:${'ab'.repeat(32)}`);
    assert.equal(plan.length, 5, 'not a rollback');
    assert.deepEqual(updates, [['update', 'circle-fargate-prod', '--status=RUNNING'], ['update', 'circle-fargate-prod', '--status=SUCCESS']]);
  });

  it('a failed deploy whose record says everything is back is FAILED, and the job says so in one line', async () => {
    const { result, releases } = await deployWithMarkers(`echo '{"outcome":"rolled-back","reason":"service web: tasks stopped"}'\nexit 1`);
    assert.equal(result.status, 1);
    assert.deepEqual(releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=FAILED']);
    assert.match(result.output, /^deploy: failed \(exit 1\); the record says rolled-back \(rolled-back: everything it changed is back; /m);
  });

  it('a failed deploy that could not restore everything is FAILED, and the job names what the record says', async () => {
    const { result, releases } = await deployWithMarkers(`echo '{"outcome":"not-restored"}'\nexit 3`);
    assert.equal(result.status, 3);
    assert.deepEqual(releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=FAILED']);
    assert.match(result.output, /^deploy: failed \(exit 3\); the record says not-restored \(/m);
    assert.ok(result.ran.includes('Roll back from the deploy record'), 'the rollback step finishes it');
  });

  it('a deploy step that receives SIGTERM passes it on, waits for the restore, and marks the deploy CANCELED', async () => {
    // The deploy: signals its parent (the step's shell), then, on the SIGTERM passed on, restores and exits 143.
    const { result, releases } = await deployWithMarkers(`trap 'echo "{\\"outcome\\":\\"rolled-back\\"}"; exit 143' TERM
kill -TERM "$PPID"
sleep 5 & wait $!
exit 0`);
    assert.equal(result.status, 143, result.output);
    assert.deepEqual(releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=CANCELED']);
  });

  it('a marker call that fails is one line of output and the deploy goes on and succeeds', async () => {
    const { result, releases } = await deployWithMarkers(`echo '{"outcome":"deployed"}'`, { circleciExit: 7 });
    assert.equal(result.status, 0, result.output);
    assert.equal(releases.length, 3);
    assert.match(result.output, /^deploy marker: circleci run release plan failed \(exit 7\): the deploy goes on$/m);
    assert.match(result.output, /^deploy marker: circleci run release update failed \(exit 7\): the deploy goes on$/m);
  });

  /** A copy of the example whose prod environment has `fields` added. */
  function exampleWithProd(fields: string): string {
    const other = repoFromDirectory(EXAMPLE);
    const source = readFileSync(path.join(other, 'circle-fargate.config.ts'), 'utf8');
    assert.ok(source.includes("prod: environment('prod'),"));
    commit(other, { 'circle-fargate.config.ts': source.replace("prod: environment('prod'),", `prod: { ...environment('prod'), ${fields} },`) });
    return other;
  }

  it('an environment whose description says deployMarkers: false deploys with no marker call', async () => {
    const other = exampleWithProd('deployMarkers: false');
    try {
      const { result, releases } = await deployWithMarkers(`echo '{"outcome":"deployed"}'`, { cwd: other });
      assert.equal(result.status, 0, result.output);
      assert.deepEqual(releases, []);
    } finally {
      removeDir(other);
    }
  });

  it('with notify in the description, a failed deploy sends one Slack message to the context\'s webhook, and the job result is the deploy\'s', async () => {
    const other = exampleWithProd("notify: { webhook: 'slack' }");
    // The receiver runs in its own process: runJob blocks this one while the job runs.
    const inbox = path.join(scratch, `inbox-${counter++}`);
    const server = spawn(process.execPath, ['-e', `const fs = require('node:fs');
require('node:http').createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => { fs.appendFileSync(${JSON.stringify(inbox)}, JSON.stringify({ url: request.url, body }) + '\\n'); response.end('ok'); });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve) => server.stdout.once('data', (chunk: Buffer) => { resolve(chunk.toString().trim()); }));
      const url = `http://127.0.0.1:${port}/services/T0/B0/job-secret-0024`;
      const { result, releases } = await deployWithMarkers(`echo '{"outcome":"rolled-back","image":"${DIGEST}","reason":"service monolith-prod-app: tasks stopped","services":[{"name":"monolith-prod-app"}]}'\nexit 1`, {
        cwd: other,
        env: { CIRCLE_FARGATE_WEBHOOK_URL: url, CIRCLE_BUILD_URL: 'https://app.circleci.com/jobs/7' },
      });
      assert.equal(result.status, 1, 'the deploy failed, and the job with it');
      assert.ok(result.ran.includes('Notify about the deploy'), result.ran.join(', '));
      assert.deepEqual(releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=FAILED']);
      const received = readFileSync(inbox, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { url: string; body: string });
      const [message, ...more] = received;
      assert.ok(message && more.length === 0, `one message: ${received.length}`);
      assert.equal(message.url, '/services/T0/B0/job-secret-0024');
      const text = (JSON.parse(message.body) as { text: string }).text;
      for (const part of ['deploy of prod failed and was rolled back', 'Services: monolith-prod-app', 'Cause: service monolith-prod-app: tasks stopped', 'Pipeline: https://app.circleci.com/jobs/7', `Version: ${sha.slice(0, 12)} ${DIGEST}`]) {
        assert.ok(text.includes(part), `${part} in ${text}`);
      }
      assert.ok(!result.output.includes('job-secret-0024'), 'the webhook URL is not in the job output');
    } finally {
      server.kill();
      removeDir(other);
    }
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

describe('the rollback and promote pipelines init writes run the chosen version with the same deploy', () => {
  let repo: string;
  let sha: string;
  before(() => {
    repo = repoFromDirectory(EXAMPLE);
    // prod may get the versions that ran in private, promoted, and tells a JSON webhook.
    const file = path.join(repo, 'circle-fargate.config.ts');
    commit(repo, { 'circle-fargate.config.ts': readFileSync(file, 'utf8').replace("prod: environment('prod'),", "prod: { ...environment('prod'), promoteFrom: 'private', notify: { webhook: 'json' } },") });
    sha = git(repo, 'rev-parse', 'HEAD').trim();
  });
  after(() => {
    removeDir(repo);
  });

  const VERSION_CHOSEN = `${'c0ffee12'.repeat(5).slice(0, 12)} sha256:${'cd'.repeat(32)}`;

  async function initConfigs(): Promise<{ rollback: Config; promote: Config; check: number | null; validate: number | null }> {
    const result = await runCommand(['init'], { cwd: repo });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /wrote \.circleci\/rollback\.yml\nwrote \.circleci\/promote\.yml/);
    const check = (await runCommand(['init', '--check'], { cwd: repo })).code;
    const validate = (await runCommand(['validate', '.circleci/rollback.yml', '.circleci/promote.yml'], { cwd: repo })).code;
    const read = (file: string) => parseConfig(readFileSync(path.join(repo, file), 'utf8'));
    return { rollback: read('.circleci/rollback.yml'), promote: read('.circleci/promote.yml'), check, validate };
  }

  /** Runs workflow job `name` of `config` as the Deploys timeline starts it, with `version`. */
  async function runVersionJob(config: Config, name: string, version: string, awsBody = ':', deployBody = `echo '{"outcome":"deployed"}'`) {
    const run: Pipeline = {
      ...(() => {
        const dir = path.join(scratch, `pipeline-${counter++}`);
        return { cacheDir: path.join(dir, 'caches'), workspaceStore: path.join(dir, 'workspace-store') };
      })(),
      values: { 'pipeline.deploy.environment_name': 'prod', 'pipeline.deploy.component_name': 'app', 'pipeline.deploy.target_version': version },
    };
    const box = container();
    npmInstalls(box.stubs);
    stub(box.stubs, 'circle-fargate', `[ "$1" = deploy ] || exit 0\n${deployBody}`);
    stub(box.stubs, 'circleci', ':');
    stub(box.stubs, 'aws', awsBody);
    const env = { CIRCLE_SHA1: sha, CIRCLE_BRANCH: 'master', CIRCLE_REPOSITORY_URL: `file://${repo}`, CIRCLE_OIDC_TOKEN_V2: token({ aud: 'org-1', exp: Math.floor(Date.now() / 1000) + 3600 }) };
    const result = await runJob(expandJob(config, name, run), run, { ...box, env });
    return { result, stubs: box.stubs, deploys: calls(box.stubs, 'circle-fargate').filter((call) => call[0] === 'deploy'), releases: calls(box.stubs, 'circleci').filter((call) => call[1] === 'release').map((call) => call.slice(2)) };
  }

  it('init writes both beside the setup config; init --check, validate and the official schema accept them; only environments of the description run', async () => {
    const { rollback, promote, check, validate } = await initConfigs();
    assert.equal(check, 0);
    assert.equal(validate, 0);
    assert.deepEqual(officialSchemaErrors(rollback), []);
    assert.deepEqual(officialSchemaErrors(promote), []);
    assert.deepEqual(Object.keys(rollback.workflows), ['rollback-pre', 'rollback-private', 'rollback-prod']);
    assert.deepEqual(Object.keys(promote.workflows), ['promote-prod'], 'only where the description allows it');
    // Each workflow runs only for its environment and image, decided by CircleCI at compile time.
    assert.deepEqual(rollback.workflows['rollback-prod'].when, { and: [{ equal: ['prod', '<< pipeline.deploy.environment_name >>'] }, { equal: ['app', '<< pipeline.deploy.component_name >>'] }] });
    const entry = workflowEntry(rollback, 'rollback-prod');
    assert.deepEqual(entry.context, ['monolith-prod']);
    assert.equal(entry['serial-group'], 'gh/acme/monolith/deploy-prod', 'the deploy job\'s serial group');
    // pipeline.deploy.* never reaches a command: only the job's environment.
    const job = rollback.orbs['circle-fargate'].jobs.deploy_version;
    assert.equal(job.environment.CF_TARGET_VERSION, '<< parameters.target_version >>');
    assert.doesNotMatch(JSON.stringify(job.steps), /target_version/);
    // init --check sees a drifted rollback config.
    writeFileSync(path.join(repo, '.circleci/rollback.yml'), `${readFileSync(path.join(repo, '.circleci/rollback.yml'), 'utf8')}# edited\n`);
    const drifted = await runCommand(['init', '--check'], { cwd: repo });
    assert.equal(drifted.code, 1);
    assert.match(drifted.stderr, /^\.circleci\/rollback\.yml differs from what init writes: run circle-fargate init$/m);
  });

  it('a rollback resolves the chosen version to the image in the registry and deploys that digest, marked as a rollback', async () => {
    const { rollback } = await initConfigs();
    const { result, deploys, releases, stubs } = await runVersionJob(rollback, 'rollback-prod', VERSION_CHOSEN);
    assert.equal(result.status, 0, result.output);
    assert.deepEqual(deploys.map((call) => call.slice(0, 4)), [['deploy', 'prod', '--image', `${REPOSITORY}@sha256:${'cd'.repeat(32)}`]]);
    const describe = calls(stubs, 'aws').find((call) => call.includes('describe-images'));
    assert.deepEqual(describe, ['ecr', 'describe-images', '--region', 'ap-northeast-1', '--repository-name', 'monolith/app', '--image-ids', `imageDigest=sha256:${'cd'.repeat(32)}`]);
    assert.deepEqual(releases[0], ['plan', 'circle-fargate-prod', '--environment-name=prod', '--component-name=app', `--target-version=${VERSION_CHOSEN}`, '--rollback']);
    assert.deepEqual(releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=SUCCESS']);
    // The environment's webhook hears of the rollback (a succeeded rollback is sent by default).
    const notify = calls(stubs, 'circle-fargate').find((call) => call[0] === 'notify');
    assert.ok(notify && result.ran.includes('Notify about the deploy'), result.ran.join(', '));
    assert.deepEqual([notify[notify.indexOf('--webhook') + 1], notify[notify.indexOf('--on') + 1], notify[notify.indexOf('--kind') + 1]], ['json', 'failure,rollback', 'rollback']);
  });

  it('a rollback that fails (restored) is FAILED, and one stopped by a signal CANCELED, each planned with --rollback', async () => {
    const { rollback } = await initConfigs();
    const failed = await runVersionJob(rollback, 'rollback-prod', VERSION_CHOSEN, ':', `echo '{"outcome":"rolled-back"}'\nexit 1`);
    assert.equal(failed.result.status, 1);
    assert.ok(failed.result.ran.includes('Roll back from the deploy record'));
    assert.equal(failed.releases[0]?.at(-1), '--rollback');
    assert.deepEqual(failed.releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=FAILED']);
    const stopped = await runVersionJob(rollback, 'rollback-prod', VERSION_CHOSEN, ':', `trap 'echo "{\\"outcome\\":\\"rolled-back\\"}"; exit 143' TERM\nkill -TERM "$PPID"\nsleep 5 & wait $!`);
    assert.equal(stopped.result.status, 143, stopped.result.output);
    assert.deepEqual(stopped.releases.slice(1).map((call) => call[2]), ['--status=RUNNING', '--status=CANCELED']);
  });

  it('a version the registry does not have, or with no digest, or hostile, is refused before anything changes', async () => {
    const { rollback } = await initConfigs();
    const missing = await runVersionJob(rollback, 'rollback-prod', VERSION_CHOSEN, 'case "$2" in describe-images) echo "ImageNotFoundException" >&2; exit 254 ;; esac');
    assert.notEqual(missing.result.status, 0);
    assert.match(missing.result.output, /resolve version: no image .*monolith\/app@sha256:cdcd.* in the registry \(or it cannot be read\): nothing was changed/);
    const pwned = path.join(scratch, 'pwned-version');
    for (const version of ['v1.2.3', `$(touch ${pwned}) \`touch ${pwned}\`;touch ${pwned}`]) {
      const refused = await runVersionJob(rollback, 'rollback-prod', version);
      assert.notEqual(refused.result.status, 0);
      assert.match(refused.result.output, /resolve version: the version names no image digest/);
      assert.deepEqual([refused.deploys, refused.releases], [[], []], 'no deploy, no marker');
    }
    assert.equal(existsSync(pwned), false);
    for (const run of [missing]) assert.deepEqual([run.deploys, run.releases], [[], []]);
  });

  it('a promotion deploys the exact digest that ran in the source environment, marked as a deploy', async () => {
    const { promote } = await initConfigs();
    const { result, deploys, releases } = await runVersionJob(promote, 'promote-prod', VERSION_CHOSEN);
    assert.equal(result.status, 0, result.output);
    assert.equal(deploys[0]?.[3], `${REPOSITORY}@sha256:${'cd'.repeat(32)}`);
    assert.deepEqual(releases[0], ['plan', 'circle-fargate-prod', '--environment-name=prod', '--component-name=app', `--target-version=${VERSION_CHOSEN}`]);
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
