/**
 * How a pipeline gets circle-fargate, end to end against a real npm registry: Verdaccio on
 * loopback (its `circle-fargate` is only what we publish; every other package is proxied from
 * the registry npm is configured with). The package is published to it, then the orb's own
 * scripts run from fresh directories as CircleCI's setup and deploy jobs run them: install
 * (install_lockfile.sh or install_tarball.sh, install_resolve.sh, install.sh), `generate --continue` against the fake CircleCI API
 * (generate_and_continue.sh), `deploy --dry-run` against moto. Also the lockfile and tarball
 * sources, a warm (cached) install, and a version that cannot be installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collect, ROOT, type CliResult } from '../helpers/cli.js';
import { parseConfig, workflowInvocation } from '../helpers/config.js';
import { FakeCircleCI } from '../helpers/fakeCircleci.js';
import { git, initRepo, removeDir, tempDir } from '../helpers/git.js';
import { freePort, startMoto, type Moto } from '../helpers/moto.js';
import { fargateServiceOnMoto, npm, type Packed, packPackage, runInstalled } from '../helpers/pack.js';

const SCRIPTS = path.join(ROOT, 'orb/src/scripts');
let work: string;
let registry: string;
let npmrc: string;
let verdaccio: ChildProcess;
let packed: Packed;

/** Runs an orb script with sh, as a CircleCI `run` step does, with only the environment given. */
function orbScript(script: string, cwd: string, env: Record<string, string>): Promise<CliResult> {
  const base: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) base[key] = value;
  }
  return collect('sh', [path.join(SCRIPTS, script)], { cwd, env: { ...base, npm_config_userconfig: npmrc, ...env } });
}

/** The install command of a job (for source tarball its fetch step first), in one state directory. */
async function install(cwd: string, state: string, env: Record<string, string>): Promise<string> {
  if (env.CF_INSTALL_SOURCE === 'tarball') {
    const fetched = await orbScript('install_tarball.sh', cwd, { CF_STATE: state, ...env });
    assert.equal(fetched.code, 0, fetched.stderr);
  }
  const resolved = await orbScript('install_resolve.sh', cwd, { CF_STATE: state, ...env });
  assert.equal(resolved.code, 0, resolved.stderr);
  const installed = await orbScript('install.sh', cwd, { CF_STATE: state });
  assert.equal(installed.code, 0, installed.stderr);
  return installed.stdout;
}

before(async () => {
  work = tempDir('circle-fargate-verdaccio-');
  packed = packPackage(work);
  const port = await freePort();
  registry = `http://127.0.0.1:${port}/`;
  const upstream = npm(work, ['config', 'get', 'registry']).trim();
  const config = path.join(work, 'verdaccio.yaml');
  writeFileSync(
    config,
    [
      `storage: ${path.join(work, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(work, 'htpasswd')}`,
      'uplinks:',
      '  upstream:',
      `    url: ${upstream}`,
      'packages:',
      // circle-fargate is only what we publish here: never proxied, never someone else's.
      "  'circle-fargate':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    proxy: upstream',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  verdaccio = spawn(process.execPath, [path.join(ROOT, 'node_modules/verdaccio/bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    assert.ok(i < 300 && verdaccio.exitCode === null, 'Verdaccio did not start');
    try {
      if ((await fetch(`${registry}-/ping`)).ok) break;
    } catch {
      // not listening yet: Verdaccio has no other readiness signal
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const user = await fetch(`${registry}-/user/org.couchdb.user:ci`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', password: 'ci-password-0123', email: 'ci@example.invalid' }),
  });
  const { token } = (await user.json()) as { token: string };
  npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  npm(work, ['publish', '--ignore-scripts', packed.tarball], { npm_config_userconfig: npmrc });
});

after(() => {
  verdaccio.kill();
  removeDir(work);
});

describe('the orb installs circle-fargate from a registry (Verdaccio)', () => {
  let moto: Moto;
  let fake: FakeCircleCI;
  let repo: string;
  const cluster = `verdaccio-${process.pid}`;

  before(async () => {
    moto = await startMoto();
    fake = new FakeCircleCI();
    await fake.start();
    // The service runs the description's image (deploy ENV deploys only that repository).
    await fargateServiceOnMoto(moto.url, cluster, '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop/app:old');
    repo = initRepo({
      'circle-fargate.config.json': JSON.stringify({
        project: { slug: 'gh/acme/shop', defaultBranch: 'master' },
        install: { source: 'registry', version: packed.version },
        images: { app: { repository: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop/app', paths: { include: ['**'] }, roleArn: 'arn:aws:iam::123456789012:role/ecr-push' } },
        environments: {
          pre: {
            trigger: { type: 'api' },
            region: 'ap-northeast-1',
            roleArn: 'arn:aws:iam::123456789012:role/deploy',
            image: 'app',
            cluster,
            services: [{ name: `${cluster}-app`, containers: ['app'] }],
          },
        },
      }),
    });
  });
  after(async () => {
    moto.stop();
    await fake.stop();
    removeDir(repo);
  });

  it('setup job: installs the published version without the AWS SDK, generates and continues', async () => {
    const state = path.join(work, 'setup');
    const output = await install(repo, state, { CF_INSTALL_SOURCE: 'registry', CF_VERSION: packed.version, CF_INSTALL_DEPLOY: 'false' });
    assert.match(output, new RegExp(`circle-fargate ${packed.version.replace(/\./g, '\\.')}: installed \\(${packed.version.replace(/\./g, '\\.')}\\)`));
    assert.ok(!existsSync(path.join(state, 'install/node_modules/@aws-sdk')), 'the setup job installs no AWS SDK');
    fake.next('continuePipeline', { status: 200, body: { message: 'Pipeline continued.' } });
    const result = await orbScript('generate_and_continue.sh', repo, {
      CF_STATE: state,
      CF_BIN: path.join(state, 'install/node_modules/.bin/circle-fargate'),
      // What CircleCI sets in a setup job.
      CIRCLE_BRANCH: 'master',
      CIRCLE_SHA1: git(repo, 'rev-parse', 'HEAD').trim(),
      CIRCLE_CONTINUATION_KEY: 'continuation-key-0123456789',
      CIRCLECI_API_URL: fake.baseUrl,
      CF_TRIGGER_SOURCE: 'api',
      CF_DEPLOY_ENV: 'pre',
      CF_OUT: path.join(state, 'continue.yml'),
    });
    assert.equal(result.code, 0, result.stderr);
    const body = fake.requests.find((request) => request.operation === 'continuePipeline')?.body as { configuration?: string } | undefined;
    assert.match(body?.configuration ?? '', /deploy-pre/);
    // The deploy job the setup job generated installs the same version from the same source.
    const continued = parseConfig(body?.configuration ?? '');
    const { parameters } = workflowInvocation(continued, 'deploy-pre');
    const declared = continued.orbs['circle-fargate'].commands.install.parameters;
    assert.equal(parameters.source ?? declared.source.default, 'registry');
    assert.equal(parameters.version ?? declared.version.default, packed.version);
    assert.deepEqual(fake.violations, []);
  });

  it('setup job, warm: the restored install is used, npm is not run', async () => {
    const state = path.join(work, 'setup');
    const output = await install(repo, state, { CF_INSTALL_SOURCE: 'registry', CF_VERSION: packed.version, CF_INSTALL_DEPLOY: 'false' });
    assert.equal(output, `circle-fargate ${packed.version}: from the cache\n`);
  });

  it('deploy job: installs with the AWS SDK and plans the deploy against moto', async () => {
    const state = path.join(work, 'deploy');
    await install(repo, state, { CF_INSTALL_SOURCE: 'registry', CF_VERSION: packed.version, CF_INSTALL_DEPLOY: 'true' });
    const bin = path.join(state, 'install/node_modules/.bin/circle-fargate');
    // --no-checks: moto's ECR has no such repository; the checks are tested on their own.
    const result = await runInstalled(bin, ['deploy', 'pre', '--image', '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop/app:new', '--dry-run', '--no-checks'], { cwd: repo, env: moto.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout + result.stderr, new RegExp(`${cluster}-app`));
  });

  it('a version the registry does not have: one line naming the version and the registry, exit 1', async () => {
    const state = path.join(work, 'missing');
    const resolved = await orbScript('install_resolve.sh', repo, { CF_STATE: state, CF_INSTALL_SOURCE: 'registry', CF_VERSION: '99.0.0' });
    assert.equal(resolved.code, 0, resolved.stderr);
    const result = await orbScript('install.sh', repo, { CF_STATE: state });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `install: cannot install circle-fargate 99.0.0 from the registry ${registry} (code ETARGET); npm's log: ${state}/npm.log\n`);
  });
});

describe('the orb installs circle-fargate from the other sources', () => {
  it('lockfile: the version a project\'s package-lock.json pins, from its registry', async () => {
    const project = path.join(work, 'lockfile-project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), '{ "private": true }\n');
    npm(project, ['install', '--package-lock-only', '--save-exact', '--save-dev', '--ignore-scripts', `circle-fargate@${packed.version}`], { npm_config_userconfig: npmrc });
    // The install command with source lockfile: its lockfile step, then the rest.
    const state = path.join(work, 'lockfile');
    const read = await orbScript('install_lockfile.sh', project, { CF_STATE: state });
    assert.equal(read.code, 0, read.stderr);
    const output = await install(project, state, { CF_INSTALL_SOURCE: 'lockfile' });
    assert.match(output, new RegExp(`from package-lock\\.json\\): installed \\(${packed.version.replace(/\./g, '\\.')}\\)`));
  });

  it('tarball: a path, and a URL', async () => {
    const output = await install(work, path.join(work, 'tarball'), { CF_INSTALL_SOURCE: 'tarball', CF_INSTALL_FROM: packed.tarball });
    assert.match(output, new RegExp(`installed \\(${packed.version.replace(/\./g, '\\.')}\\)`));
    const url = `${registry}circle-fargate/-/circle-fargate-${packed.version}.tgz`;
    const fromUrl = await install(work, path.join(work, 'tarball-url'), { CF_INSTALL_SOURCE: 'tarball', CF_INSTALL_FROM: url });
    assert.match(fromUrl, new RegExp(`installed \\(${packed.version.replace(/\./g, '\\.')}\\)`));
  });
});

describe('README "Install", every command as written', () => {
  it('runs in a fresh repository against the registry and moto', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = /\n## Install\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
    assert.ok(blocks.length >= 4, 'the Install section has its commands');
    const moto = await startMoto();
    const repo = initRepo({});
    try {
      for (const block of blocks) {
        const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
          cwd: repo,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_userconfig: npmrc, ...moto.env, AWS_DEFAULT_REGION: 'ap-northeast-1' },
        });
        assert.equal(result.status, 0, `${block}\n${result.stderr}`);
      }
      assert.ok(existsSync(path.join(repo, '.circleci/config.yml')));
      assert.match(readFileSync(path.join(repo, 'package-lock.json'), 'utf8'), new RegExp(`"node_modules/circle-fargate": \\{\\n\\s+"version": "${packed.version.replace(/\./g, '\\.')}"`));
      assert.match(readFileSync(path.join(repo, '.circleci/config.yml'), 'utf8'), /install_source: lockfile/);
    } finally {
      moto.stop();
      removeDir(repo);
    }
  });
});
