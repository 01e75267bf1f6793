/**
 * Deploy output a person can read and trust (issue 21), through the real CLI against moto:
 * names stay readable (environment values are not secrets unless their name says so), no
 * message contradicts itself or the state, restores are bounded by one deadline, the region
 * comes from the record, the record stays out of the commit, and what can be known from the
 * state now is said before waiting for another deployment.
 *
 * The world is the one a new user built: a Fargate service whose task definition has
 * APP_NAME=shop, scheduled rules whose target input holds JOB=<rule name>, a batch task
 * definition with MODE=batch.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { createWorld, type World, type WorldOptions } from './world.js';
import { collect, BIN, cleanEnv, runCommand, type CliResult } from '../helpers/cli.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const REGION = 'ap-northeast-1';
const REGISTRY = 'localhost:5000';
const IMAGE = `${REGISTRY}/monolith/app@sha256:${'c'.repeat(64)}`;
/** A value whose variable's name says it is secret: masked wherever it appears. */
const PASSWORD = 'pw-3f9a1c77e2';

let moto: Moto;
let proxy: FaultProxy;
let dir: string;
let ecs: ECSClient;
let events: EventBridgeClient;

/** Cluster `NAME-cluster`, services `NAME-svc0`..., rules `NAME-batch-00`...: APP_NAME=shop, MODE=batch, JOB=<rule>. */
function world(name: string, options: Pick<WorldOptions, 'rules' | 'services' | 'desiredCount'> = {}): Promise<World> {
  return createWorld(moto.url, {
    name,
    rules: options.rules ?? 2,
    services: options.services ?? 1,
    desiredCount: options.desiredCount ?? 2,
    appEnvironment: [
      { name: 'APP_NAME', value: 'shop' },
      { name: 'DB_PASSWORD', value: PASSWORD },
    ],
    batchEnvironment: [{ name: 'MODE', value: 'batch' }],
    inputEnvironment: (rule) => [{ name: 'JOB', value: rule }],
  });
}

let records = 0;
function recordPath(): string {
  records++;
  return path.join(dir, `record-${records}.json`);
}

/** deploy through the proxy (real rollouts), or straight at moto (`plain`: no new deployments). */
function deploy(w: World, args: readonly string[], options: { plain?: boolean; record?: string; services?: boolean } = {}): Promise<CliResult> {
  const env = options.plain === true ? moto.env : proxy.env();
  const services = options.services === false ? [] : ['--service', w.services[0] ?? ''];
  return runCommand(['deploy', '--cluster', w.cluster, ...services, '--scheduled-rule-prefix', w.prefix, '--poll-interval', '0.05', '--timeout', '60', '--no-checks', '--record', options.record ?? recordPath(), ...args], {
    env: { ...env, DB_PASSWORD: PASSWORD },
  });
}

function rollback(record: string, args: readonly string[] = [], options: { plain?: boolean; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env = options.plain === true ? moto.env : proxy.env();
  return runCommand(['rollback', '--record', record, '--timeout', '30', ...args], { env: { ...env, ...options.env } });
}

async function taskDefinitionOf(w: World): Promise<string> {
  const described = await ecs.send(new DescribeServicesCommand({ cluster: w.cluster, services: [...w.services.slice(0, 1)] }));
  return described.services?.[0]?.taskDefinition?.split('/').pop() ?? '?';
}

function output(result: CliResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

before(async () => {
  moto = await startMoto();
  proxy = new FaultProxy(moto.url);
  await proxy.start();
  dir = tempDir();
  const config = { endpoint: moto.url, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  ecs = new ECSClient(config);
  events = new EventBridgeClient(config);
});

after(async () => {
  await proxy.stop();
  moto.stop();
  removeDir(dir);
});

describe('names are printed as they are; secrets are masked', () => {
  it('deploy --dry-run and --json show families, rules, images and the cluster, with environment values and secrets never shown', async () => {
    const w = await world('trustshop-dry');
    const result = await deploy(w, ['--image', IMAGE, '--dry-run']);
    assert.equal(result.code, 0, output(result));
    const text = output(result);
    assert.ok(!text.includes('********'), `nothing here is a secret:\n${text}`);
    assert.match(text, /trustshop-dry-app:1/);
    assert.match(text, /rule trustshop-dry-batch-00 target t0/);
    assert.match(text, /rule trustshop-dry-batch-01 target t0/);
    assert.match(text, /trustshop-dry-batch:1/);
    assert.match(text, /monolith\/app:old/);
    assert.ok(!text.includes(PASSWORD));
    const json = await deploy(w, ['--image', IMAGE, '--dry-run', '--json']);
    const summary = JSON.parse(json.stdout) as { cluster: string; targets: { rule: string }[] };
    assert.equal(summary.cluster, 'trustshop-dry-cluster');
    assert.deepEqual(
      summary.targets.map((target) => target.rule),
      ['trustshop-dry-batch-00', 'trustshop-dry-batch-01'],
    );
  });

  it('an error about the image names the family, the rules and the repository', async () => {
    const w = await world('trustshop-img');
    const result = await deploy(w, ['--image', `${REGISTRY}/other/app:new`, '--dry-run'], { services: false });
    assert.equal(result.code, 2, output(result));
    assert.ok(!output(result).includes('********'), output(result));
    assert.match(result.stderr, /trustshop-img-batch:1/);
    assert.match(result.stderr, /trustshop-img-batch-00/);
    assert.match(result.stderr, /other\/app/);
    const services = await deploy(w, ['--image', `${REGISTRY}/other/app:new`, '--dry-run']);
    assert.equal(services.code, 2, output(services));
    assert.match(services.stderr, /no container of trustshop-img-app:1 \(used by service trustshop-img-svc0\) runs an image of localhost:5000\/other\/app \(containers: app=localhost:5000\/monolith\/app:old\)/);
  });

  it('a server that echoes a request with environment values in its error: the values are masked, the names are not', async () => {
    const w = await world('trustshop-echo');
    proxy.faults = [{ operation: 'RegisterTaskDefinition', kind: 'echo' }];
    const result = await deploy(w, ['--image', IMAGE]);
    proxy.faults = [];
    assert.equal(result.code, 1, output(result));
    const text = output(result);
    assert.ok(!text.includes(PASSWORD), 'a secret by name');
    assert.ok(!/"value":"shop"|"value":"batch"|\\"value\\":\\"(shop|batch)\\"/.test(text), `environment values echoed back are masked:\n${text}`);
    assert.match(text, /trustshop-echo-app/);
  });

  it('rollback prints names as they are, in its text and --json', async () => {
    const w = await world('trustshop-rb');
    const record = recordPath();
    const deployed = await deploy(w, ['--image', IMAGE], { record });
    assert.equal(deployed.code, 0, output(deployed));
    const result = await rollback(record, ['--json']);
    assert.equal(result.code, 0, output(result));
    assert.ok(!output(result).includes('********'), output(result));
    assert.equal((JSON.parse(result.stdout) as { cluster: string }).cluster, 'trustshop-rb-cluster');
    assert.equal(await taskDefinitionOf(w), 'trustshop-rb-app:1');
  });
});

describe('never contradict the state', () => {
  it('rollback --record after deploy --no-wait restores and exits 0, and never says "X, expected X"', async () => {
    // moto keeps CreateService's one deployment (with desiredCount 0 it is COMPLETED) whatever
    // UpdateService sends: after one deploy, that deployment names neither revision of the next.
    const w = await world('trustshop-nowait', { desiredCount: 0 });
    const first = await deploy(w, ['--image', `${REGISTRY}/monolith/app:v1`, '--no-wait'], { plain: true });
    assert.equal(first.code, 0, output(first));
    const record = recordPath();
    const deployed = await deploy(w, ['--image', IMAGE, '--no-wait'], { record, plain: true });
    assert.equal(deployed.code, 0, output(deployed));
    assert.equal(await taskDefinitionOf(w), 'trustshop-nowait-app:3');
    const result = await rollback(record, [], { plain: true });
    assert.doesNotMatch(output(result), /(\S+:\d+)(?: \([^)]*\))?, expected \1\b/);
    assert.equal(result.code, 0, output(result));
    assert.equal(await taskDefinitionOf(w), 'trustshop-nowait-app:2');
  });

  it('a deploy that cannot find its own deployment says what the service runs, and rollback puts it back', async () => {
    // moto with desiredCount 0: UpdateService moves the service to the new revision but lists
    // only CreateService's deployment, of the old one. Nothing is superseded, something changed.
    const w = await world('trustshop-lost', { desiredCount: 0 });
    const record = recordPath();
    const result = await deploy(w, ['--image', IMAGE], { record, plain: true });
    const text = output(result);
    assert.doesNotMatch(text, /nothing had been changed|superseded|deployment \? /);
    assert.match(text, /the service runs trustshop-lost-app:2, but ECS lists no deployment of it/);
    assert.equal(result.code, 1, text);
    assert.match(result.stderr, /rolled back: 1 service\(s\) and 0 scheduled target\(s\) verified back/);
    assert.equal(await taskDefinitionOf(w), 'trustshop-lost-app:1');
    const back = await rollback(record, [], { plain: true });
    assert.equal(back.code, 0, output(back));
    assert.match(back.stdout, /restored and verified the before state recorded in .*: 1 service\(s\)/);
    assert.equal(await taskDefinitionOf(w), 'trustshop-lost-app:1');
  });
});

describe('bounded restores', () => {
  it('PutTargets failing from the 3rd call on, 2 services and 18 rules: exit 3 within --rollback-timeout + 30 s, naming the rules left', async () => {
    const w = await world('trustshop-down', { rules: 18, services: 2 });
    const record = recordPath();
    proxy.faults = [{ operation: 'PutTargets', kind: 'error-before', skip: 2, times: 10_000 }];
    const started = Date.now();
    const result = await runCommand(
      ['deploy', '--cluster', w.cluster, '--service', w.services[0] ?? '', '--service', w.services[1] ?? '', '--scheduled-rule-prefix', w.prefix, '--image', IMAGE, '--no-checks', '--poll-interval', '0.05', '--timeout', '30', '--rollback-timeout', '10', '--record', record],
      { env: proxy.env() },
    );
    const elapsed = (Date.now() - started) / 1000;
    proxy.faults = [];
    const text = output(result);
    assert.equal(result.code, 3, text);
    // The forward phase retries its failing call for at most about 16 s; then one deadline of 10 s, and 20 s to read back.
    assert.ok(elapsed < 16 + 10 + 30, `took ${elapsed} s`);
    const saved = JSON.parse(readFileSync(record, 'utf8')) as { outcome: string; services: { state: string }[]; targets: { rule: string; state: string; left?: string }[] };
    assert.equal(saved.outcome, 'not-restored');
    assert.deepEqual(saved.services.map((item) => item.state), ['restored', 'restored'], 'the services are back');
    const left = saved.targets.filter((item) => item.state === 'left');
    assert.ok(left.length >= 2, text);
    const lastLine = result.stderr.trim().split('\n').at(-1) ?? '';
    for (const item of left) {
      assert.match(lastLine, new RegExp(`rule ${item.rule} target t0: still on trustshop-down-batch:2 \\(this deploy's revision\\)`));
    }
    assert.match(lastLine, new RegExp(`finish with: circle-fargate rollback --record ${record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const back = await rollback(record);
    assert.equal(back.code, 0, output(back));
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: left[0]?.rule ?? '' }));
    assert.match(targets.Targets?.[0]?.EcsParameters?.TaskDefinitionArn ?? '', /trustshop-down-batch:1$/);
  });
});

describe('the request is checked before waiting', () => {
  it('an image no container runs is refused at once, not after waiting for another deployment', async () => {
    const w = await world('trustshop-busy');
    proxy.hang.add(w.services[0] ?? '');
    const started = await deploy(w, ['--image', `${REGISTRY}/monolith/app:v1`, '--no-wait'], { services: true });
    assert.equal(started.code, 0, output(started));
    const began = Date.now();
    const result = await deploy(w, ['--image', `${REGISTRY}/other/app:new`, '--timeout', '120']);
    proxy.hang.delete(w.services[0] ?? '');
    assert.equal(result.code, 2, output(result));
    assert.match(result.stderr, /no container of trustshop-busy-app:2 \(used by service trustshop-busy-svc0\) runs an image of localhost:5000\/other\/app/);
    assert.doesNotMatch(result.stderr, /waiting for another deployment/);
    assert.ok(Date.now() - began < 20_000, 'no wait for the deployment in progress');
  });
});

describe('the record', () => {
  it('rollback without --record says where deploys write their records', async () => {
    const result = await runCommand(['rollback'], {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--record FILE is required: the record a deploy wrote \(deploy --record FILE, else \.circle-fargate\/deploys\/TIME-CLUSTER\.json/);
  });

  it('the default record directory is ignored by git', async () => {
    const w = await world('trustshop-git');
    const cwd = tempDir();
    const result = await runCommand(['deploy', '--cluster', w.cluster, '--service', w.services[0] ?? '', '--image', IMAGE, '--no-checks', '--poll-interval', '0.05'], { cwd, env: proxy.env() });
    assert.equal(result.code, 0, output(result));
    const ignore = path.join(cwd, '.circle-fargate', '.gitignore');
    assert.ok(existsSync(ignore));
    assert.equal(readFileSync(ignore, 'utf8').trim().split('\n').at(-1), '*');
    removeDir(cwd);
  });
});

describe('region', () => {
  it('rollback takes the region from the record; a command with no region says so at once', async () => {
    const w = await world('trustshop-region');
    const record = recordPath();
    const deployed = await deploy(w, ['--image', IMAGE], { record });
    assert.equal(deployed.code, 0, output(deployed));
    const env = cleanEnv({ AWS_ENDPOINT_URL: proxy.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    const started = Date.now();
    const noRegion = await collect(process.execPath, [BIN, 'deploy', '--cluster', w.cluster, '--service', w.services[0] ?? '', '--image', IMAGE, '--dry-run'], { env: { ...env, AWS_CONFIG_FILE: '/nonexistent' } });
    assert.equal(noRegion.code, 2, output(noRegion));
    assert.match(noRegion.stderr, /--region/);
    assert.match(noRegion.stderr, /AWS_REGION/);
    assert.equal(noRegion.stderr.trim().split('\n').length, 1, noRegion.stderr);
    assert.ok(Date.now() - started < 5000);
    const bad = await collect(process.execPath, [BIN, 'deploy', '--cluster', w.cluster, '--service', w.services[0] ?? '', '--image', IMAGE, '--dry-run', '--region', 'tokyo'], { env: { ...env, AWS_CONFIG_FILE: '/nonexistent' } });
    assert.equal(bad.code, 2, output(bad));
    assert.equal(bad.stderr, 'circle-fargate: deploy: not an AWS region: "tokyo" (expected a code such as ap-northeast-1 or us-east-1, from --region or AWS_REGION)\n');
    const back = await collect(process.execPath, [BIN, 'rollback', '--record', record], { env: { ...env, AWS_CONFIG_FILE: '/nonexistent' } });
    assert.equal(back.code, 0, output(back));
    assert.equal(await taskDefinitionOf(w), 'trustshop-region-app:1');
  });
});

