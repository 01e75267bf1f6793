/**
 * --keep-revisions on moto: the newest N and everything in use stay, other families untouched.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { pruneRevisions, revisionsInUseByServices } from '../../src/deploy/revisions.js';
import type { Send } from '../../src/deploy/schedules.js';
import { startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let ecs: ECSClient;
const run = randomBytes(3).toString('hex');
const FAMILY = `app-${run}`;
const CLUSTER = `prune-${run}`;
const send: Send = (_what, call) => call();
const arns: string[] = [];

before(async () => {
  moto = await startMoto();
  ecs = new ECSClient({ endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  for (let i = 1; i <= 7; i++) {
    const registered = await ecs.send(new RegisterTaskDefinitionCommand({ family: FAMILY, containerDefinitions: [{ name: 'app', image: `repo.example.com/app:v${i}`, memory: 256 }] }));
    arns.push(registered.taskDefinition?.taskDefinitionArn ?? '');
  }
  await ecs.send(new RegisterTaskDefinitionCommand({ family: `${FAMILY}-worker`, containerDefinitions: [{ name: 'w', image: 'repo.example.com/app:v1', memory: 256 }] }));
  await ecs.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'app', taskDefinition: arns[1], desiredCount: 1 }));
});

after(() => {
  moto.stop();
});

const active = async (family: string) =>
  ((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' }))).taskDefinitionArns ?? []).filter((arn) => arn.includes(`/${family}:`)).map((arn) => arn.split('/').pop());

describe('--keep-revisions', () => {
  it('deregisters what is neither among the newest N nor in use', async () => {
    const inUse = await revisionsInUseByServices(ecs, CLUSTER, send);
    assert.deepEqual([...inUse], [arns[1]]);
    // A record's before revision (rollback target) is in use too.
    const kept = new Set([...inUse, arns[3] ?? '']);
    const lines: string[] = [];
    const gone = await pruneRevisions(ecs, [FAMILY], 2, kept, send, 4, (line) => lines.push(line));
    assert.deepEqual(gone.map((arn) => arn.split('/').pop()).sort(), [`${FAMILY}:1`, `${FAMILY}:3`, `${FAMILY}:5`]);
    assert.deepEqual((await active(FAMILY)).sort(), [`${FAMILY}:2`, `${FAMILY}:4`, `${FAMILY}:6`, `${FAMILY}:7`]);
    assert.deepEqual(await active(`${FAMILY}-worker`), [`${FAMILY}-worker:1`]);
    assert.equal(lines.length, 3);
  });

  it('does nothing a second time', async () => {
    const gone = await pruneRevisions(ecs, [FAMILY], 2, new Set([arns[1] ?? '', arns[3] ?? '']), send, 4, () => undefined);
    assert.deepEqual(gone, []);
  });
});
