/**
 * The secrets sweep: every command, in its success and failure paths, runs with sentinel secrets
 * in its environment (CircleCI token, continuation key, OIDC tokens, AWS credentials), in a task
 * definition's environment and in a scheduled target's input, against servers that echo the
 * request back in their error messages (CircleCI API: JSON and plain text; AWS: through a proxy
 * in front of moto). No sentinel may appear in any stdout, stderr, or written file; the one
 * exception is the deploy's write-ahead record, which holds target inputs by design (rollback
 * needs them) and must be private (mode 0600).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { EXAMPLE, runCli, type CliResult } from '../helpers/cli.js';
import { createThen, FakeCircleCI, pipeline, type ReceivedRequest } from '../helpers/fakeCircleci.js';
import { FaultProxy } from '../helpers/faultProxy.js';
import { removeDir, repoFromDirectory, tempDir, writeFiles } from '../helpers/git.js';
import { listenOnLoopback } from '../helpers/loopback.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const MARK = 'SENTINEL';
const ENV_SECRETS = {
  CIRCLE_TOKEN: `${MARK}-circle-token-0001`,
  CIRCLE_CONTINUATION_KEY: `${MARK}-continuation-key-0002`,
  CIRCLE_OIDC_TOKEN: `${MARK}-oidc-token-0003`,
  CIRCLE_OIDC_TOKEN_V2: `${MARK}-oidc-token-v2-0004`,
  AWS_ACCESS_KEY_ID: `${MARK}AKID0005`,
  AWS_SECRET_ACCESS_KEY: `${MARK}-secret-access-key-0006`,
  AWS_SESSION_TOKEN: `${MARK}-session-token-0007`,
};
const TASK_SECRET = `${MARK}-task-definition-env-0008`;
const TARGET_SECRET = `${MARK}-target-input-env-0009`;
/** An environment value whose name says nothing secret: never printed as a value, and masked where a server echoes it. */
const PLAIN_VALUE = `${MARK}-plain-env-0010`;
const IMAGE = `localhost:5000/monolith/app@sha256:${'b'.repeat(64)}`;

let moto: Moto;
let proxy: FaultProxy;
let circle: FakeCircleCI;
let repo: string;
let work: string;
const runs: { name: string; result: CliResult }[] = [];

/** Echoes everything a request carried: headers (the token), body (the key, the config). */
function echo(request: ReceivedRequest): string {
  return `rejected ${JSON.stringify(request.headers)} ${JSON.stringify(request.body)}`;
}

async function run(name: string, args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const result = await runCli(args, {
    cwd: options.cwd ?? repo,
    input: options.input ?? 'app/src/Controller/ArticlesController.php\n',
    env: { ...ENV_SECRETS, CIRCLECI_API_URL: circle.baseUrl, AWS_ENDPOINT_URL: proxy.url, AWS_REGION: 'ap-northeast-1', ...options.env },
  });
  runs.push({ name, result });
  return result;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => path.join(dir, entry))
    .filter((file) => !file.includes(`${path.sep}.git${path.sep}`) && statSync(file).isFile());
}

before(async () => {
  moto = await startMoto();
  proxy = new FaultProxy(moto.url);
  await proxy.start();
  circle = new FakeCircleCI();
  await circle.start();
  repo = repoFromDirectory(EXAMPLE);
  work = tempDir();
  const aws = { endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const ecs = new ECSClient(aws);
  const events = new EventBridgeClient(aws);
  await ecs.send(new CreateClusterCommand({ clusterName: 'sweep' }));
  const app = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'sweep-app',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'localhost:5000/monolith/app:old', essential: true, environment: [{ name: 'DB_PASSWORD', value: TASK_SECRET }, { name: 'APP_MODE', value: PLAIN_VALUE }] }],
    }),
  );
  await ecs.send(new CreateServiceCommand({ cluster: 'sweep', serviceName: 'sweep-app', taskDefinition: app.taskDefinition?.taskDefinitionArn, desiredCount: 1 }));
  await events.send(new PutRuleCommand({ Name: 'sweep-batch', ScheduleExpression: 'cron(0 3 * * ? *)' }));
  await events.send(
    new PutTargetsCommand({
      Rule: 'sweep-batch',
      Targets: [
        {
          Id: 'batch',
          Arn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/sweep',
          RoleArn: 'arn:aws:iam::123456789012:role/events-run-task',
          Input: JSON.stringify({ containerOverrides: [{ name: 'app', environment: [{ name: 'MAIL_PASSWORD', value: TARGET_SECRET }] }] }),
          EcsParameters: { TaskDefinitionArn: app.taskDefinition?.taskDefinitionArn, TaskCount: 1, LaunchType: 'FARGATE' },
        },
      ],
    }),
  );
});

after(async () => {
  await circle.stop();
  await proxy.stop();
  moto.stop();
  removeDir(repo);
  removeDir(work);
});

describe('the secrets sweep', () => {
  it('generate, explain, init, validate, schema, orb: success and failure', async () => {
    assert.equal((await run('generate', ['generate', '--branch', 'master', '--changed-files', '-'])).code, 0);
    assert.equal((await run('generate --out', ['generate', '--branch', 'master', '--changed-files', '-', '--out', path.join(work, 'continuation.yml')])).code, 0);
    assert.equal((await run('explain --json', ['explain', '--branch', 'master', '--changed-files', '-', '--json'])).code, 0);
    assert.equal((await run('init', ['init'])).code, 0);
    assert.equal((await run('validate', ['validate', path.join(work, 'continuation.yml')])).code, 0);
    assert.equal((await run('schema', ['schema'])).code, 0);
    const broken = tempDir();
    writeFiles(broken, { 'circle-fargate.config.mjs': `console.log(process.env.CIRCLE_TOKEN, process.env.AWS_SECRET_ACCESS_KEY);\nthrow new Error("cannot reach " + process.env.CIRCLE_CONTINUATION_KEY);\n` });
    const failed = await run('generate with a description that prints and throws secrets', ['generate', '--branch', 'master', '--changed-files', '-'], { cwd: broken });
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /circle-fargate\.config\.mjs: failed to load: cannot reach \*{8}\n$/);
    removeDir(broken);
    assert.equal((await run('validate a missing file', ['validate', path.join(work, 'nothing.yml')])).code, 2);
  });

  it('generate --continue against a CircleCI that echoes the request, failing then succeeding', async () => {
    circle.next('continuePipeline', (request) => ({ status: 502, text: echo(request) }));
    circle.next('continuePipeline', (request) => ({ status: 400, body: { message: echo(request) } }));
    const refused = await run('generate --continue refused', ['generate', '--branch', 'master', '--changed-files', '-', '--continue', '--debug']);
    assert.equal(refused.code, 1);
    circle.next('continuePipeline', { status: 200, body: { message: 'Pipeline continued.' } });
    assert.equal((await run('generate --continue --out', ['generate', '--branch', 'master', '--changed-files', '-', '--continue', '--out', path.join(work, 'continued.yml')])).code, 0);
  });

  it('trigger: refused with an echo, lost answer with an echo, followed to an error that echoes', async () => {
    circle.next('triggerPipeline', (request) => ({ status: 403, body: { message: echo(request) } }));
    assert.equal((await run('trigger refused', ['trigger', 'pre', '--debug'])).code, 1);
    circle.next('triggerPipeline', (request) => createThen(circle, { status: 502, text: echo(request) })(request));
    circle.next('getPipelineById', (request) => ({ status: 200, body: pipeline('errored', [{ type: 'config', message: echo(request) }], 100) }));
    const followed = await run('trigger --follow', ['trigger', 'pre', '--follow', '--json', '--poll-interval', '0.1']);
    assert.equal(followed.code, 1);
    assert.equal(circle.createdCount, 1);
    // A 500 whose plain-text body echoes the token where the message is cut to length: masked
    // first, then cut, so not even a head of the token is shown (it was 18 of its characters).
    const head = 'x'.repeat(185);
    circle.next('triggerPipeline', { status: 500, text: `${head}"circle-token":"${ENV_SECRETS.CIRCLE_TOKEN}" and the rest of the request` });
    const cut = await run('trigger: a 500 cut in the middle of the echoed token', ['trigger', 'pre']);
    assert.notEqual(cut.code, 0);
    assert.ok(!(cut.stdout + cut.stderr).includes(ENV_SECRETS.CIRCLE_TOKEN.slice(0, 8)), cut.stderr);
  });

  it('deploy and rollback against AWS that echoes the request (credentials, task definition environment)', async () => {
    const deployArgs = ['deploy', '--cluster', 'sweep', '--service', 'sweep-app', '--scheduled-rule', 'sweep-batch', '--image', IMAGE, '--poll-interval', '0.05'];
    assert.equal((await run('deploy --dry-run', [...deployArgs, '--dry-run'], { cwd: work })).code, 0);
    const deployed = await run('deploy --json', [...deployArgs, '--json', '--record', path.join(work, 'deployed.json')], { cwd: work });
    assert.equal(deployed.code, 0, deployed.stderr);
    proxy.faults = [{ operation: 'RegisterTaskDefinition', kind: 'echo' }];
    const another = deployArgs.map((arg) => (arg === IMAGE ? IMAGE.replace(/b{64}$/, 'c'.repeat(64)) : arg));
    const echoed = await run('deploy refused with an echo', [...another, '--json', '--record', path.join(work, 'refused.json')], { cwd: work });
    assert.notEqual(echoed.code, 0);
    assert.match(echoed.stderr, /invalid request: /);
    const restored = await run('rollback --record', ['rollback', '--record', path.join(work, 'deployed.json'), '--json'], { cwd: work });
    assert.equal(restored.code, 0, restored.stderr);
    // Restoring from the record put the real input back, not a mask.
    const events = new EventBridgeClient({ endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: 'sweep-batch' }));
    assert.ok(targets.Targets?.[0]?.Input?.includes(TARGET_SECRET));
    proxy.faults = ['UpdateService', 'DescribeServices', 'PutTargets', 'ListTargetsByRule', 'DescribeTaskDefinition'].map((operation) => ({ operation, kind: 'echo' as const, times: 20 }));
    assert.notEqual((await run('rollback refused with an echo', ['rollback', '--record', path.join(work, 'deployed.json')], { cwd: work })).code, 0);
    assert.equal((await run('rollback without a record', ['rollback', '--record', path.join(work, 'none.json')], { cwd: work })).code, 2);
  });

  it('notify: the webhook URL (a secret in its path) is never printed, whether the webhook answers or echoes it in a 500', async () => {
    const hits: string[] = [];
    let answer = 500;
    const receiver = await listenOnLoopback(async (request, response) => {
      for await (const _chunk of request) { /* drained */ }
      hits.push(request.url ?? '');
      response.statusCode = answer;
      response.end(`echo: ${request.url ?? ''}`);
    });
    try {
      const summary = path.join(work, 'notify-summary.json');
      writeFileSync(summary, JSON.stringify({ outcome: 'rolled-back', image: IMAGE, services: [{ name: 'sweep-app' }], reason: 'sweep' }));
      const env = { SLACK_WEBHOOK_URL: `${receiver.url}/services/${MARK}-webhook-url-0011` };
      const args = ['notify', 'prod', '--summary', summary, '--webhook', 'slack', '--url-variable', 'SLACK_WEBHOOK_URL'];
      assert.equal((await run('notify, the webhook echoing its URL in a 500', args, { env })).code, 0);
      answer = 200;
      assert.equal((await run('notify', args, { env })).code, 0);
      assert.equal(hits.length, 2, 'the webhook did receive the URL (the test would prove nothing otherwise)');
      assert.ok(hits.every((hit) => hit.includes(MARK)));
    } finally {
      await receiver.close();
    }
  });

  it('no sentinel in any output or written file (the write-ahead records aside, which are private)', () => {
    assert.equal(runs.length, 21, `${runs.length} runs`);
    const leaks = runs.filter(({ result }) => result.stdout.includes(MARK) || result.stderr.includes(MARK)).map(({ name, result }) => `${name}: ${(result.stdout + result.stderr).slice(0, 300)}`);
    assert.deepEqual(leaks, []);
    // The servers did receive the secrets (the test would prove nothing otherwise).
    assert.ok(circle.requests.some((request) => JSON.stringify(request).includes(ENV_SECRETS.CIRCLE_TOKEN)));
    assert.ok(runs.some(({ result }) => result.stderr.includes('********')), 'something was masked');
    const written = [...filesUnder(work), ...filesUnder(repo)];
    const records = written.filter((file) => /\/(deployed|refused)\.json$|\.circle-fargate\/deploys\//.test(file));
    assert.ok(records.length >= 2);
    for (const record of records) assert.equal(statSync(record).mode & 0o777, 0o600, record);
    const leakedFiles = written.filter((file) => !records.includes(file) && readFileSync(file, 'utf8').includes(MARK));
    assert.deepEqual(leakedFiles, []);
  });
});
