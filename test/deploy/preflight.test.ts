/**
 * Checks before a deploy changes anything, on moto: the image digest in ECR, the roles, the log
 * groups; one line per problem.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { parseImageRef } from '../../src/deploy/imageRef.js';
import { preflight, type PreflightClients } from '../../src/deploy/preflight.js';
import { lazyClient } from '../../src/deploy/sdk.js';
import type { Send } from '../../src/deploy/schedules.js';
import { startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let clients: { ecr: ECRClient; iam: IAMClient; logs: CloudWatchLogsClient };
const run = randomBytes(3).toString('hex');
const REGISTRY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';
const REPOSITORY = `monolith-${run}/app`;
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: `sha256:${'1'.repeat(64)}`, size: 1, mediaType: 'application/vnd.docker.container.image.v1+json' }, layers: [] });
let DIGEST = '';
const send: Send = (_what, call) => call();

before(async () => {
  moto = await startMoto();
  const config = { endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  clients = { ecr: new ECRClient(config), iam: new IAMClient(config), logs: new CloudWatchLogsClient(config) };
  await clients.ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  const pushed = await clients.ecr.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: MANIFEST, imageTag: 'v2' }));
  DIGEST = pushed.image?.imageId?.imageDigest ?? '';
  assert.match(DIGEST, /^sha256:[0-9a-f]{64}$/);
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  await clients.iam.send(new CreateRoleCommand({ RoleName: `exec-${run}`, Path: '/ecs/', AssumeRolePolicyDocument: trust }));
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: `/ecs/app-${run}` }));
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: `/ecs/app-${run}-longer` }));
});

after(() => {
  moto.stop();
});

function definition(family: string, extra: { executionRoleArn?: string; taskRoleArn?: string; groups: string[] }): RegisterTaskDefinitionCommandInput {
  return {
    family,
    ...(extra.executionRoleArn !== undefined ? { executionRoleArn: extra.executionRoleArn } : {}),
    ...(extra.taskRoleArn !== undefined ? { taskRoleArn: extra.taskRoleArn } : {}),
    containerDefinitions: extra.groups.map((group, i) => ({
      name: `c${i}`,
      image: `${REGISTRY}/${REPOSITORY}@${DIGEST}`,
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-stream-prefix': 'ecs', 'awslogs-region': 'ap-northeast-1' } },
    })),
  };
}

describe('preflight', () => {
  it('passes when the digest, the roles and the log groups exist', async () => {
    const result = await preflight(
      clients,
      parseImageRef(`${REGISTRY}/${REPOSITORY}@${DIGEST}`),
      [definition('app', { executionRoleArn: `arn:aws:iam::123456789012:role/ecs/exec-${run}`, groups: [`/ecs/app-${run}`] })],
      send,
      4,
    );
    assert.deepEqual(result, { problems: [], notes: [] });
  });

  it('finds a tag too', async () => {
    const result = await preflight(clients, parseImageRef(`${REGISTRY}/${REPOSITORY}:v2`), [], send, 4);
    assert.deepEqual(result.problems, []);
  });

  it('names every missing thing, one line each, and only those', async () => {
    const missingDigest = `sha256:${'e'.repeat(64)}`;
    const result = await preflight(
      clients,
      parseImageRef(`${REGISTRY}/${REPOSITORY}@${missingDigest}`),
      [
        definition('app', { executionRoleArn: `arn:aws:iam::123456789012:role/ecs/exec-${run}`, taskRoleArn: `arn:aws:iam::123456789012:role/app-${run}`, groups: [`/ecs/app-${run}`, `/ecs/app-${run}-gone`] }),
        definition('batch', { executionRoleArn: `arn:aws:iam::123456789012:role/ecs/exec-${run}-typo`, groups: [`/ecs/app-${run}-long`] }),
      ],
      send,
      2,
    );
    assert.deepEqual(result.problems, [
      `app container c1: log group /ecs/app-${run}-gone does not exist; create it, or set awslogs-create-group`,
      `batch container c0: log group /ecs/app-${run}-long does not exist; create it, or set awslogs-create-group`,
      `execution role of batch: IAM role arn:aws:iam::123456789012:role/ecs/exec-${run}-typo does not exist`,
      `image ${REGISTRY}/${REPOSITORY}@${missingDigest}: no such digest in ECR repository ${REPOSITORY}; push it first`,
      `task role of app: IAM role arn:aws:iam::123456789012:role/app-${run} does not exist`,
    ]);
  });

  it('names a missing repository, and does not check images outside ECR', async () => {
    const missing = await preflight(clients, parseImageRef(`${REGISTRY}/absent-${run}:v1`), [], send, 4);
    assert.deepEqual(missing.problems, [`image ${REGISTRY}/absent-${run}:v1: ECR repository absent-${run} does not exist in registry 123456789012`]);
    const elsewhere = await preflight(clients, parseImageRef('registry.example.com:8443/app:v1'), [], send, 4);
    assert.deepEqual(elsewhere, { problems: [], notes: ['image registry.example.com:8443/app:v1: not in an ECR registry, its existence was not checked'] });
  });

  it('makes a lazy client (as deploy passes ECR, IAM and Logs) only for a check that calls it, once', async () => {
    const made = { ecr: 0, iam: 0, logs: 0 };
    const counted = <K extends keyof typeof made>(name: K) => () => {
      made[name]++;
      return Promise.resolve(clients[name]);
    };
    const lazy = (): PreflightClients => ({ ecr: lazyClient(counted('ecr')), iam: lazyClient(counted('iam')), logs: lazyClient(counted('logs')) });
    const nothing = await preflight(lazy(), parseImageRef('registry.example.com:8443/app:v1'), [{ family: 'plain', containerDefinitions: [{ name: 'app', image: 'registry.example.com:8443/app:v1' }] }], send, 4);
    assert.deepEqual(nothing.problems, []);
    assert.deepEqual(made, { ecr: 0, iam: 0, logs: 0 });
    const twoGroups = await preflight(lazy(), parseImageRef(`${REGISTRY}/${REPOSITORY}:v2`), [definition('app', { groups: [`/ecs/app-${run}`, `/ecs/app-${run}-longer`] })], send, 4);
    assert.deepEqual(twoGroups.problems, []);
    assert.deepEqual(made, { ecr: 1, iam: 0, logs: 1 });
  });
});
