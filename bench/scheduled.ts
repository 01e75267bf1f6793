/**
 * Scheduled-task updates (part of npm run bench): numbers only. 80 EventBridge rules, one ECS
 * target each, on moto behind a loopback proxy that adds a fixed latency to every call (a real
 * region is tens of milliseconds away). Each deploy reads every rule's targets and puts each
 * rule's target back with the new revision: 80 ListTargetsByRule + 80 PutTargets, since
 * EventBridge takes targets of one rule per call. Measured in one run, same machine, same moto:
 * with 30 ms added per call against none, with bounded concurrency 4 (the default) and 1
 * (serial, as before). The ratio says how much of a deploy's time is spent waiting for AWS.
 */
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { deploy } from '../src/deploy/engine.js';
import { parseImageRef } from '../src/deploy/imageRef.js';
import { FaultProxy } from '../test/helpers/faultProxy.js';
import { startMoto } from '../test/helpers/moto.js';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const region = 'ap-northeast-1';
const RULES = 80;
const ROUNDS = Number(process.env.BENCH_SCHEDULED_ROUNDS ?? 3);

const moto = await startMoto();
const proxy = new FaultProxy(moto.url);
await proxy.start();
try {
  const direct = { endpoint: moto.url, region, credentials };
  const ecs = new ECSClient(direct);
  const events = new EventBridgeClient(direct);
  const cluster = await ecs.send(new CreateClusterCommand({ clusterName: 'bench-scheduled' }));
  const batch = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'bench-batch', containerDefinitions: [{ name: 'batch', image: 'repo.example.com/app:old', memory: 256 }] }));
  for (let i = 0; i < RULES; i++) {
    const rule = `bench-batch-${String(i).padStart(2, '0')}`;
    await events.send(new PutRuleCommand({ Name: rule, ScheduleExpression: 'rate(1 day)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: rule,
        Targets: [{ Id: 'batch', Arn: cluster.cluster?.clusterArn, RoleArn: 'arn:aws:iam::123456789012:role/events', EcsParameters: { TaskDefinitionArn: batch.taskDefinition?.taskDefinitionArn, TaskCount: 1, LaunchType: 'FARGATE' } }],
      }),
    );
  }

  let version = 0;
  const once = async (latencyMs: number, concurrency: number): Promise<number> => {
    proxy.latencyMs = latencyMs;
    const via = { endpoint: proxy.url, region, credentials, maxAttempts: 1 };
    version++;
    const started = performance.now();
    const record = await deploy(
      { ecs: new ECSClient(via), events: new EventBridgeClient(via) },
      { cluster: 'bench-scheduled', services: [], rules: [], rulePrefix: 'bench-batch-', image: parseImageRef(`repo.example.com/app:v${version}`), timeoutMs: 60_000, wait: true, dryRun: false, concurrency },
      { progress: () => undefined },
    );
    const ms = performance.now() - started;
    if (record.targets.filter((target) => target.state === 'applied').length !== RULES) throw new Error(`bench: ${RULES} targets expected to move`);
    return ms;
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const results = new Map<string, number[]>();
  // Interleaved, so that machine load falls on every variant alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const concurrency of [4, 1]) {
      for (const latency of [0, 30]) {
        const key = `${concurrency}/${latency}`;
        results.set(key, [...(results.get(key) ?? []), await once(latency, concurrency)]);
      }
    }
  }
  const fmt = (ms: number) => `${Math.round(ms).toLocaleString('en-US')} ms`;
  for (const concurrency of [4, 1]) {
    const none = median(results.get(`${concurrency}/0`) ?? []);
    const slow = median(results.get(`${concurrency}/30`) ?? []);
    process.stdout.write(
      `${RULES} scheduled rules (80 ListTargetsByRule + 80 PutTargets), concurrency ${concurrency}${concurrency === 4 ? ' (default)' : ' (serial)'}, median of ${ROUNDS}: ${fmt(none)} with no added latency, ${fmt(slow)} with 30 ms per call: ratio ${(slow / none).toFixed(2)}\n`,
    );
  }
  process.stdout.write(`  in flight at once at most: ListTargetsByRule ${proxy.mostInFlight.get('ListTargetsByRule') ?? 0}, PutTargets ${proxy.mostInFlight.get('PutTargets') ?? 0}\n`);
} finally {
  await proxy.stop();
  moto.stop();
}
