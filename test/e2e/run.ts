/**
 * `npm run e2e [-- --keep DIR]`: the bundled example's pipeline run end to end on this machine,
 * as CircleCI would run it, on real tools: three pipelines (a first push, a second code-only
 * push, an API trigger deploying `pre`), then a timing report (printed, and DIR/report.json).
 * What stands in for what the offline machine cannot give is listed in STANDINS and in the
 * report. Needs root (dockerd), Debian's docker.io, docker-registry, php-cli, phpunit, composer,
 * debootstrap, and terraform and moto: .ci/run installs them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, collect, EXAMPLE, ROOT } from '../helpers/cli.js';
import { parseConfig, type Config } from '../helpers/config.js';
import { FakeCircleCI, createThen } from '../helpers/fakeCircleci.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { CIRCLECI_TESTS, killRunningSteps, stub, type Pipeline } from '../helpers/jobRunner.js';
import { startMotoServer, type Moto } from '../helpers/moto.js';
import { packPackage } from '../helpers/pack.js';
import { importBaseImages, phpRootfs } from './baseImages.js';
import { DOCKER, killDaemons, startDockerd, startRegistry, stopDaemons } from './daemons.js';
import { runWorkflow, runWorkflowJob, type JobContext, type JobReport } from './pipeline.js';
import { criticalPath, formatPipeline, pipelineJson, pipelineSummary, stepSeconds, type PipelineReport } from './report.js';
import { STANDINS, standInRoots, writeStandInCommands } from './standins.js';
import { createWorld, readBack, REPOSITORY_NAME, syncEcr, type EnvironmentState } from './world.js';

const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const keep = keepAt >= 0 ? args[keepAt + 1] : undefined;
const unknown = keepAt >= 0 ? args.filter((_, index) => index !== keepAt && index !== keepAt + 1) : args;
if ((keepAt >= 0 && (keep === undefined || keep.startsWith('-'))) || unknown.length > 0) {
  process.stderr.write('e2e: usage: npm run e2e [-- --keep DIR] (DIR keeps the report, registry, aws.json and logs)\n');
  process.exit(2);
}

/** Tools the e2e runs, each with the package that gives it. */
const TOOLS: readonly [string, string][] = [
  ['dockerd', 'docker.io'],
  ['docker-registry', 'docker-registry'],
  ['php', 'php-cli'],
  ['phpunit', 'phpunit'],
  ['composer', 'composer'],
  ['debootstrap', 'debootstrap'],
  ['unshare', 'util-linux'],
  ['terraform', 'terraform (a binary on PATH)'],
  ['moto_server', 'moto[server] (pip)'],
  ['aws', 'awscli'],
];
const missing = TOOLS.filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
if (missing.length > 0 || !existsSync(DOCKER)) {
  process.stderr.write(`e2e: missing ${[...missing.map(([tool, pkg]) => `${tool} (${pkg})`), ...(existsSync(DOCKER) ? [] : [`${DOCKER} (docker.io)`])].join(', ')}: apt-get install docker.io docker-registry php-cli phpunit composer debootstrap (bash .ci/run does)\n`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  process.stderr.write('e2e: must run as root: it starts Docker Engine (dockerd) itself\n');
  process.exit(2);
}
if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
  process.stderr.write('e2e: dist/ is not built: run npm run build (npm run e2e does)\n');
  process.exit(2);
}

const out = keep !== undefined ? path.resolve(keep) : mkdtempSync(path.join(tmpdir(), 'circle-fargate-e2e-'));
mkdirSync(out, { recursive: true });
// A kept directory of an earlier run: what this run writes starts empty.
for (const name of ['registry', 'logs', 'aws.json', 'report.json']) rmSync(path.join(out, name), { recursive: true, force: true });
const logs = path.join(out, 'logs');
const scratch = mkdtempSync(path.join(tmpdir(), 'circle-fargate-e2e-work-'));
const cacheDir = process.env.CF_E2E_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'circle-fargate-e2e');
mkdirSync(logs, { recursive: true });
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const startedAt = Date.now();

let moto: Moto | undefined;
let proxy: FaultProxy | undefined;
let circle: FakeCircleCI | undefined;
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await circle?.stop();
  await proxy?.stop();
  moto?.stop();
  await stopDaemons();
  rmSync(scratch, { recursive: true, force: true });
  if (keep === undefined) rmSync(out, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killRunningSteps();
    killDaemons();
    moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  });
}

function git(cwd: string, ...gitArgs: string[]): string {
  return execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'maintenance.auto=false', ...gitArgs], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function docker(dockerArgs: readonly string[], socket: string): string {
  return execFileSync(DOCKER, dockerArgs, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * What a job's image would carry of its own that this machine gives through its environment:
 * where pyenv keeps the AWS CLI, the certificate authorities TLS trusts here (the npm registry
 * is reached through them), a proxy if one is set.
 */
function machineEnv(): Record<string, string> {
  const wanted = /^(PYENV_ROOT|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|GIT_SSL_CAINFO|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)$/;
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => wanted.test(entry[0]) && entry[1] !== undefined));
}

/** A JWT-shaped OIDC token (unsigned: moto's STS does not check it) valid for an hour. */
function oidcToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'e2e-org', sub: 'org/e2e/project/monolith/user/e2e', exp: Math.floor(Date.now() / 1000) + 3600 })}.e2e`;
}

async function main(): Promise<void> {
  log(`e2e: the example's pipeline, end to end; output in ${out}`);
  const rootfs = phpRootfs(cacheDir, log);

  // Daemons.
  await startRegistry(path.join(out, 'registry'), logs);
  const socket = await startDockerd(path.join(scratch, 'docker'), logs);
  moto = await startMotoServer();
  proxy = new FaultProxy(moto.url);
  proxy.rolloutPolls = 2;
  await proxy.start();
  circle = new FakeCircleCI();
  const api = await circle.start();
  importBaseImages((dockerArgs) => docker(dockerArgs, socket), rootfs, scratch);
  await createWorld(moto.url, EXAMPLE, ['pre', 'prod']);
  const awsStates: { after: string; state: Record<string, EnvironmentState> }[] = [];
  const recordAws = async (after: string) => {
    awsStates.push({ after, state: { pre: await readBack(moto?.url ?? '', 'pre'), prod: await readBack(moto?.url ?? '', 'prod') } });
    writeFileSync(path.join(out, 'aws.json'), `${JSON.stringify(awsStates, null, 2)}\n`);
  };
  await recordAws('seeding (what Terraform made: the bootstrap image everywhere)');

  // The package as users get it, and the example as a repository with its origin.
  const packed = packPackage(scratch);
  const origin = path.join(scratch, 'origin.git');
  const work = path.join(scratch, 'developer');
  git(scratch, 'init', '--quiet', '--bare', '--initial-branch=master', origin);
  cpSync(EXAMPLE, work, { recursive: true });
  git(work, 'init', '--quiet', '--initial-branch=master');
  copyFileSync(packed.tarball, path.join(work, 'circle-fargate.tgz'));
  const description = path.join(work, 'circle-fargate.config.ts');
  writeFileSync(description, readFileSync(description, 'utf8').replace("  checkout: { depth: 1 },\n", "  checkout: { depth: 1 },\n  // e2e: circle-fargate from its packed tarball, committed here (this version is on no registry).\n  install: { source: 'tarball', location: 'circle-fargate.tgz' },\n"));
  standInRoots(work);
  execFileSync(process.execPath, [BIN, 'init'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '--message', 'The monolith, as the team keeps it');
  git(work, 'remote', 'add', 'origin', origin);
  git(work, 'push', '--quiet', 'origin', 'master');
  const setupConfig = parseConfig(readFileSync(path.join(work, '.circleci/config.yml'), 'utf8'));

  // What every job's PATH finds first.
  const stubs = path.join(scratch, 'stubs');
  mkdirSync(stubs, { recursive: true });
  symlinkSync(DOCKER, path.join(stubs, 'docker'));
  stub(stubs, 'circleci', CIRCLECI_TESTS);
  writeStandInCommands(stubs);

  const caches = path.join(scratch, 'caches');
  const npmCache = path.join(scratch, 'npm-cache');
  let build = 0;
  const pipelines: PipelineReport[] = [];

  /** One pipeline: its setup job, the continuation it produced, its workflow. */
  const runPipeline = async (name: string, options: { sha: string; pushedAt: number; triggerSource: string; baseRevision: string; deployEnv: string }): Promise<void> => {
    log(`\n${name}: ${options.sha.slice(0, 12)} (trigger ${options.triggerSource}${options.deployEnv !== '' ? `, deploy_env=${options.deployEnv}` : ''}${options.baseRevision !== '' ? `, base ${options.baseRevision.slice(0, 12)}` : ', no base revision'})`);
    const dir = path.join(scratch, `pipeline-${pipelines.length + 1}`);
    const pipeline: Pipeline = {
      cacheDir: caches,
      workspaceStore: path.join(dir, 'workspace'),
      values: { 'pipeline.trigger_source': options.triggerSource, 'pipeline.git.base_revision': options.baseRevision, 'pipeline.parameters.deploy_env': options.deployEnv },
    };
    const env = (): Record<string, string> => ({
      CIRCLE_SHA1: options.sha,
      CIRCLE_BRANCH: 'master',
      CIRCLE_REPOSITORY_URL: `file://${origin}`,
      CIRCLE_PROJECT_REPONAME: 'monolith',
      CIRCLE_PROJECT_USERNAME: 'acme',
      CIRCLE_BUILD_NUM: String(++build),
      CIRCLE_OIDC_TOKEN_V2: oidcToken(),
      AWS_ENDPOINT_URL: proxy?.url ?? '',
      DOCKER_HOST: `unix://${socket}`,
      npm_config_cache: npmCache,
      ...machineEnv(),
      LANG: 'C.UTF-8',
    });
    const number = pipelines.length + 1;
    const context = (extra: Record<string, string>): JobContext => ({
      dir,
      logDir: path.join(logs, `pipeline-${number}`),
      stubs,
      pipeline,
      env: { ...env(), ...extra },
      log,
      afterJob: async (job: JobReport) => {
        const copied = await syncEcr(moto?.url ?? '', 'http://127.0.0.1:80');
        if (copied.length > 0) log(`    ECR now holds ${copied.map((tag) => `${REPOSITORY_NAME}:${tag}`).join(', ')} (after ${job.name})`);
      },
    });
    let continuation: Config | undefined;
    circle?.always('continuePipeline', (request) => {
      const yaml = (request.body as { configuration?: string }).configuration ?? '';
      writeFileSync(path.join(logs, `pipeline-${number}-continuation.yml`), yaml);
      continuation = parseConfig(yaml);
      return { status: 200, body: { message: 'Pipeline continued.' } };
    });
    const setup = await runWorkflowJob(setupConfig, 'setup', [], { ...context({ CIRCLE_CONTINUATION_KEY: `e2e-continuation-key-${number}`, CIRCLECI_API_URL: api }) });
    if (setup.exitCode !== 0 || continuation === undefined) throw new Error(`e2e: ${name}: the setup job failed (exit ${setup.exitCode}); its log is under ${logs}`);
    const jobs = await runWorkflow(continuation, context({}));
    const report = pipelineSummary(name, options, [setup, ...jobs]);
    pipelines.push(report);
    await recordAws(name);
    const failed = jobs.filter((job) => job.exitCode !== 0);
    if (failed.length > 0) throw new Error(`e2e: ${name}: ${failed.map((job) => job.name).join(', ')} failed; logs under ${logs}`);
  };

  // Pipeline 1: the project's first pipeline (no base revision: everything runs), a code-only change.
  const change = (file: string, line: string) => {
    writeFileSync(path.join(work, file), `${readFileSync(path.join(work, file), 'utf8')}${line}\n`);
    git(work, 'commit', '--quiet', '--all', '--message', `Code-only change to ${file}`);
    const pushedAt = Date.now();
    git(work, 'push', '--quiet', 'origin', 'master');
    return { sha: git(work, 'rev-parse', 'HEAD'), pushedAt };
  };
  const first = change('app/src/Controller/ArticlesController.php', '// e2e: first change');
  await runPipeline('pipeline 1: push to master (the project\'s first pipeline)', { ...first, triggerSource: 'webhook', baseRevision: '', deployEnv: '' });
  const second = change('app/src/Controller/ArticlesController.php', '// e2e: second change');
  await runPipeline('pipeline 2: code-only push to master', { ...second, triggerSource: 'webhook', baseRevision: first.sha, deployEnv: '' });

  // Pipeline 3: `circle-fargate trigger pre`, as a developer runs it, against the fake API.
  circle.login = 'developer';
  circle.always('triggerPipeline', createThen(circle));
  const triggeredAt = Date.now();
  // Not a synchronous call: the fake API that answers it runs in this process.
  const triggered = await collect(process.execPath, [BIN, 'trigger', 'pre'], { cwd: work, env: { ...machineEnv(), PATH: process.env.PATH ?? '', HOME: scratch, CIRCLE_TOKEN: 'e2e-token', CIRCLECI_API_URL: api } });
  if (triggered.code !== 0) throw new Error(`e2e: circle-fargate trigger pre failed (exit ${String(triggered.code)}): ${triggered.stderr.trim()}`);
  log(`\n$ circle-fargate trigger pre\n${triggered.stdout.trim()}`);
  const created = circle.pipelines.at(-1) as { trigger_parameters: Record<string, string> };
  await runPipeline('pipeline 3: API trigger deploying pre', { sha: second.sha, pushedAt: triggeredAt, triggerSource: 'api', baseRevision: '', deployEnv: created.trigger_parameters.deploy_env ?? '' });
  if (circle.violations.length > 0) throw new Error(`e2e: requests broke CircleCI's OpenAPI description: ${circle.violations.join('; ')}`);

  // Production runs exactly what the build pushed: the digest the build wrote to the workspace is
  // in the registry, in ECR, and every service, rule target and schedule of the environment runs it.
  const production = async (pipelineNumber: number, environment: string) => {
    const digestFile = path.join(scratch, `pipeline-${pipelineNumber}`, 'workspace/images/app');
    const image = readFileSync(digestFile, 'utf8').trim();
    const digest = image.slice(image.indexOf('@') + 1);
    const inRegistry = (await fetch(`http://127.0.0.1:80/v2/${REPOSITORY_NAME}/manifests/${digest}`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).status === 200;
    const state = (awsStates[pipelineNumber] as { state: Record<string, EnvironmentState> }).state[environment] as EnvironmentState;
    const images = (group: Record<string, { images: Record<string, string> }>) => Object.values(group).flatMap((item) => Object.values(item.images));
    const all = [...images(state.services), ...images(state.rules), ...images(state.schedules)];
    const check = { environment, builtImage: image, inRegistry, services: Object.keys(state.services).length, rules: Object.keys(state.rules).length, schedules: Object.keys(state.schedules).length, runningTheBuiltImage: all.filter((item) => item === image).length, runningOtherImages: all.filter((item) => item !== image) };
    if (!inRegistry || check.runningOtherImages.length > 0 || all.length === 0) throw new Error(`e2e: ${environment} does not run exactly the pushed image ${image}: ${JSON.stringify(check)}`);
    return check;
  };
  const productionChecks = [await production(1, 'prod'), await production(2, 'prod'), await production(3, 'pre')];

  // The deploy job shows where its time went in one line, and stores the record's redacted
  // summary, timings included, as its artifact (deploy-summaries/ENV.json); the setup job's
  // explanation names the pipeline's critical path.
  const deployTimings = pipelines.map((pipeline, index) => {
    const environment = pipeline.deployEnv !== '' ? pipeline.deployEnv : 'prod';
    const dir = path.join(logs, `pipeline-${index + 1}`);
    const logFile = readdirSync(dir).find((file) => file.endsWith(`-deploy-${environment}.log`));
    const artifacts = path.join(dir, 'artifacts');
    const stored = readdirSync(artifacts).filter((container) => container.endsWith(`-deploy-${environment}`)).map((container) => path.join(artifacts, container, 'deploy-summaries', `${environment}.json`));
    const summaryFile = stored.find((file) => existsSync(file));
    const setupLog = readdirSync(dir).find((file) => file.endsWith('-setup.log'));
    if (logFile === undefined || summaryFile === undefined || setupLog === undefined) throw new Error(`e2e: pipeline ${index + 1}: no deploy-${environment} log, setup log or deploy-summaries/${environment}.json artifact`);
    const summaryText = readFileSync(summaryFile, 'utf8');
    const summary = JSON.parse(summaryText) as { outcome?: string; timings?: { phases?: unknown[] } };
    const line = /^deployed in .*$/m.exec(readFileSync(path.join(dir, logFile), 'utf8'))?.[0];
    const criticalLine = /^critical path.*$/m.exec(readFileSync(path.join(dir, setupLog), 'utf8'))?.[0];
    if (line === undefined || criticalLine === undefined || (summary.timings?.phases ?? []).length === 0) {
      throw new Error(`e2e: pipeline ${index + 1}: the deploy's summary line, its timings artifact or the critical path is missing (${JSON.stringify({ line, criticalLine, timings: summary.timings })})`);
    }
    return { pipeline: index + 1, environment, summaryLine: line, criticalPathLine: criticalLine, timings: summary.timings };
  });

  const buildStep = /^Build and push the image$/;
  const [firstBuild, secondBuild] = [stepSeconds(pipelines[0] as PipelineReport, 'build-image', buildStep), stepSeconds(pipelines[1] as PipelineReport, 'build-image', buildStep)];
  const secondLog = readdirSync(path.join(logs, 'pipeline-2')).find((file) => file.includes('build-image'));
  const cachedSteps = secondLog !== undefined ? (readFileSync(path.join(logs, 'pipeline-2', secondLog), 'utf8').match(/Using cache/g) ?? []).length : 0;
  if (firstBuild === undefined || secondBuild === undefined) throw new Error('e2e: a build step did not run');
  const deployJob = (pipeline: PipelineReport) => `deploy-${pipeline.deployEnv !== '' ? pipeline.deployEnv : 'prod'}`;
  const report = {
    generatedAt: new Date().toISOString(),
    totalSeconds: Math.round(Date.now() - startedAt) / 1000,
    machine: { cpus: availableParallelism(), node: process.version, docker: docker(['version', '--format', '{{.Server.Version}}'], socket).trim() },
    standins: STANDINS,
    pipelines: pipelines.map((pipeline) => ({ ...pipelineJson(pipeline), criticalPath: criticalPath(pipeline, deployJob(pipeline), proxy?.calls ?? []) })),
    layerCache: { firstBuildSeconds: firstBuild, secondBuildSeconds: secondBuild, speedup: Math.round((firstBuild / secondBuild) * 10) / 10, secondBuildStepsFromCache: cachedSteps },
    production: productionChecks,
    deployTimings,
  };
  writeFileSync(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  log('\n== e2e report ==');
  for (const pipeline of pipelines) log(formatPipeline(pipeline));
  for (const item of report.pipelines) {
    const path_ = item.criticalPath;
    if (path_ === undefined) continue;
    log(`\n${item.name}: push to production ${path_.totalSeconds.toFixed(1)} s (${path_.jobs.join(' -> ')})`);
    log(`  circle-fargate's own ${path_.circleFargateSeconds.toFixed(1)} s; the work ${path_.workSeconds.toFixed(1)} s; ECS (migration, rollout) ${path_.ecsSeconds.toFixed(1)} s; between jobs ${path_.betweenJobsSeconds.toFixed(1)} s`);
  }
  log(`\nlayer cache: first build ${firstBuild.toFixed(1)} s, second ${secondBuild.toFixed(1)} s (${report.layerCache.speedup}x; ${cachedSteps} build steps from the cache)`);
  for (const item of deployTimings) log(`pipeline ${item.pipeline}, deploy-${item.environment}: ${item.summaryLine} (artifact deploy-summaries/${item.environment}.json)`);
  for (const check of productionChecks) log(`${check.environment}: its ${check.services} service, ${check.rules} rule targets and ${check.schedules} schedules all run ${check.builtImage} (in the registry: ${check.inRegistry ? 'yes' : 'no'})`);
  log(`stand-ins: ${STANDINS.map((item) => item.what).join('; ')} (report.json says what stands in for each)`);
  if (secondBuild * 2 > firstBuild) throw new Error(`e2e: the second build (${secondBuild} s) was not several times faster than the first (${firstBuild} s): the layer cache was not reused`);
}

let code = 0;
try {
  await main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  code = 1;
} finally {
  await cleanup();
}
log(code === 0 ? `e2e: 1 passed, 0 failed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s` : `e2e: 0 passed, 1 failed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
process.exit(code);
