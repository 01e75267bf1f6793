/**
 * Deploy benchmarks (part of npm run bench): numbers only.
 * - Detection lag: from a rollout completing at the (scripted) ECS endpoint to the deploy
 *   returning, ours against the AWS SDK's waitUntilServicesStable, both in-process.
 * - 1 service and 80 scheduled targets on moto_server: our deploy's wall time and API calls,
 *   against one `aws events put-targets` call per rule in a shell loop.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { deploy } from '../src/deploy/engine.js';
import { parseImageRef } from '../src/deploy/imageRef.js';
import { FakeEcs } from '../test/helpers/fakeEcs.js';
import { startMoto } from '../test/helpers/moto.js';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const region = 'ap-northeast-1';
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

function counted<T extends ECSClient | EventBridgeClient>(client: T, counter: { calls: number }): T {
  (client as ECSClient).middlewareStack.add(
    (next) => (args) => {
      counter.calls++;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return client;
}

async function detectionLag(rounds: number): Promise<void> {
  const ours: number[] = [];
  const sdk: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const which of ['ours', 'sdk'] as const) {
      const fake = new FakeEcs();
      const url = await fake.start();
      const ecs = new ECSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
      const events = new EventBridgeClient({ endpoint: url, region, credentials, maxAttempts: 1 });
      // The rollout completes a while after it starts, at a moment unrelated to any poll.
      const settle = 2000 + Math.floor(Math.random() * 5000);
      if (which === 'ours') {
        fake.rollout = { kind: 'hang' };
        const started = Date.now();
        fake.rollout = { kind: 'complete-at', at: started + settle };
        await deploy({ ecs, events }, { cluster: 'cluster', services: [{ name: 'app' }], rules: [], image: parseImageRef(`repo.example.com/app@sha256:${'c'.repeat(64)}`), timeoutMs: 120_000, wait: true, dryRun: false }, { progress: () => undefined });
        ours.push(Date.now() - (started + settle));
      } else {
        const started = Date.now();
        fake.rollout = { kind: 'complete-at', at: started + settle };
        await ecs.send(new UpdateServiceCommand({ cluster: 'cluster', service: 'app', taskDefinition: 'app:1' }));
        await waitUntilServicesStable({ client: ecs, maxWaitTime: 120 }, { cluster: 'cluster', services: ['app'] });
        sdk.push(Date.now() - (started + settle));
      }
      await fake.stop();
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  process.stdout.write(
    `deploy detection lag (rollout completed -> deploy returned), ${rounds} rounds: ours median ${fmt(median(ours))} (max ${fmt(Math.max(...ours))}); SDK waitUntilServicesStable median ${fmt(median(sdk))} (max ${fmt(Math.max(...sdk))})\n`,
  );
}

/**
 * `--wait-until serving` against `complete`: the new tasks serve at T (2-4 s after the deploy
 * starts, at no particular poll) and the deployment completes at T + D (D = 6 s of draining).
 * How long after T (serving) and after T + D (complete) the deploy returns, polling as the CLI
 * does (1 s, then up to 2 s).
 */
async function servingAgainstComplete(rounds: number): Promise<void> {
  const drainMs = 6000;
  const lags: Record<'serving' | 'complete', number[]> = { serving: [], complete: [] };
  for (let round = 0; round < rounds; round++) {
    for (const until of ['serving', 'complete'] as const) {
      const fake = new FakeEcs();
      const url = await fake.start();
      const ecs = new ECSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
      const events = new EventBridgeClient({ endpoint: url, region, credentials, maxAttempts: 1 });
      const started = Date.now();
      const serving = started + 2000 + Math.floor(Math.random() * 2000);
      fake.tasksRunAt = serving;
      fake.rollout = { kind: 'complete-at', at: serving + drainMs };
      await deploy(
        { ecs, events },
        { cluster: 'cluster', services: [{ name: 'app' }], rules: [], image: parseImageRef(`repo.example.com/app@sha256:${'e'.repeat(64)}`), timeoutMs: 120_000, wait: true, dryRun: false, waitUntil: until },
        { progress: () => undefined, pollMs: { first: 1000, max: 2000 } },
      );
      lags[until].push(Date.now() - (until === 'serving' ? serving : serving + drainMs));
      await fake.stop();
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  process.stdout.write(
    `--wait-until serving (tasks serve at T, the deployment completes at T + ${drainMs / 1000} s), ${rounds} rounds: serving returned ${fmt(median(lags.serving))} after T (max ${fmt(Math.max(...lags.serving))}); complete returned ${fmt(median(lags.complete))} after T + ${drainMs / 1000} s (max ${fmt(Math.max(...lags.complete))})\n`,
  );
}

async function scheduledTargets(): Promise<void> {
  const moto = await startMoto();
  const work = mkdtempSync(path.join(tmpdir(), 'circle-fargate-bench-deploy-'));
  try {
    const config = { endpoint: moto.url, region, credentials };
    const ecs = new ECSClient(config);
    const events = new EventBridgeClient(config);
    await ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    const app = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'app', containerDefinitions: [{ name: 'app', image: 'repo.example.com/app:old', memory: 256 }] }));
    await ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'app', taskDefinition: app.taskDefinition?.taskDefinitionArn, desiredCount: 1 }));
    const batch = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'batch', containerDefinitions: [{ name: 'batch', image: 'repo.example.com/app:old', memory: 256 }] }));
    const target = (arn: string | undefined) => ({
      Id: 'batch',
      Arn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/c',
      RoleArn: 'arn:aws:iam::123456789012:role/events',
      EcsParameters: { TaskDefinitionArn: arn, TaskCount: 1, LaunchType: 'FARGATE' as const },
    });
    for (let i = 0; i < 80; i++) {
      await events.send(new PutRuleCommand({ Name: `batch-${String(i).padStart(2, '0')}`, ScheduleExpression: 'rate(1 day)' }));
      await events.send(new PutTargetsCommand({ Rule: `batch-${String(i).padStart(2, '0')}`, Targets: [target(batch.taskDefinition?.taskDefinitionArn)] }));
    }
    const counter = { calls: 0 };
    const started = Date.now();
    // Scheduled targets only: with a service, targets move only after its rollout is verified,
    // and moto does not progress rollouts.
    const record = await deploy(
      { ecs: counted(new ECSClient({ ...config, maxAttempts: 1 }), counter), events: counted(new EventBridgeClient({ ...config, maxAttempts: 1 }), counter) },
      { cluster: 'c', services: [], rules: [], rulePrefix: 'batch-', image: parseImageRef(`repo.example.com/app@sha256:${'d'.repeat(64)}`), timeoutMs: 60_000, wait: true, dryRun: false, recordFile: path.join(work, 'record.json') },
      { progress: () => undefined },
    );
    const ourMs = Date.now() - started;
    process.stdout.write(`deploy of ${record.targets.length} scheduled targets on moto (in-process, journaled): ${fmt(ourMs)}, ${counter.calls} API calls\n`);

    if (spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).status !== 0) {
      process.stdout.write('aws CLI not found: the shell-loop comparison is skipped\n');
      return;
    }
    const file = path.join(work, 'targets.json');
    writeFileSync(file, JSON.stringify([target(batch.taskDefinition?.taskDefinitionArn)]));
    const loop = `for i in $(seq -w 0 79); do aws --endpoint-url "$ENDPOINT" events put-targets --rule "batch-$i" --targets "file://$FILE" > /dev/null; done`;
    const loopStart = Date.now();
    execFileSync('bash', ['-c', loop], { env: { ...process.env, ...moto.env, ENDPOINT: moto.url, FILE: file, AWS_DEFAULT_REGION: region }, stdio: 'ignore' });
    process.stdout.write(`the same 80 targets with one \`aws events put-targets\` per rule in a shell loop: ${fmt(Date.now() - loopStart)}, 80 API calls (plus 80 process starts)\n`);
  } finally {
    moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await detectionLag(Number(process.env.BENCH_DEPLOY_ROUNDS ?? 3));
await servingAgainstComplete(Number(process.env.BENCH_DEPLOY_ROUNDS ?? 3));
await scheduledTargets();
