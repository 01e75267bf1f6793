import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffLines, differences, registrable } from '../../src/deploy/diff.js';

const SECRET = 'hunter2-db-password';

const running = {
  taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app:7',
  revision: 7,
  family: 'app',
  cpu: '512',
  memory: '1024',
  registeredAt: new Date('2026-01-01T00:00:00Z'),
  containerDefinitions: [
    { name: 'log-router', image: 'amazon/aws-for-fluent-bit:2.32.0' },
    {
      name: 'app',
      image: 'repo.example.com/app:old',
      environment: [{ name: 'DB_PASSWORD', value: SECRET }, { name: 'APP_ENV', value: 'prod' }],
      secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/api-key' }],
    },
  ],
};

describe('dry-run differences', () => {
  it('shows every changed field by container name, ignoring order and read-only fields', () => {
    const next = {
      family: 'app',
      cpu: '1024',
      memory: '1024',
      containerDefinitions: [
        {
          name: 'app',
          image: 'repo.example.com/app@sha256:abc',
          environment: [{ name: 'APP_ENV', value: 'prod' }, { name: 'DB_PASSWORD', value: SECRET }],
          secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/api-key-v2' }],
        },
        { name: 'log-router', image: 'amazon/aws-for-fluent-bit:2.32.0' },
      ],
    };
    assert.deepEqual(diffLines(differences(registrable(running), next)), [
      '  containerDefinitions[app].image: "repo.example.com/app:old" -> "repo.example.com/app@sha256:abc"',
      '  containerDefinitions[app].secrets[API_KEY].valueFrom: "arn:aws:ssm:ap-northeast-1:123456789012:parameter/api-key" -> "arn:aws:ssm:ap-northeast-1:123456789012:parameter/api-key-v2"',
      '  cpu: "512" -> "1024"',
    ]);
  });

  it('never shows an environment value, changed, added or removed', () => {
    const next = structuredClone(registrable(running)) as typeof running;
    const app = next.containerDefinitions[1];
    assert.ok(app);
    app.environment = [{ name: 'DB_PASSWORD', value: `${SECRET}-rotated` }, { name: 'NEW_TOKEN', value: 'tok-secret' }];
    const lines = diffLines(differences(registrable(running), next));
    assert.deepEqual(lines, [
      '  containerDefinitions[app].environment[DB_PASSWORD].value: (hidden) -> (hidden)',
      '  containerDefinitions[app].environment[APP_ENV]: (hidden) -> (none)',
      '  containerDefinitions[app].environment[NEW_TOKEN]: (none) -> (hidden)',
    ]);
    assert.ok(!lines.join('\n').includes('secret') && !lines.join('\n').includes(SECRET));
  });

  it('shows a target or schedule change without its input', () => {
    const before = { Id: 'batch', Input: JSON.stringify({ environment: [{ name: 'T', value: SECRET }] }), EcsParameters: { TaskDefinitionArn: 'arn:td/batch:3', TaskCount: 1 } };
    const after = { ...before, Input: JSON.stringify({ environment: [{ name: 'T', value: 'other' }] }), EcsParameters: { ...before.EcsParameters, TaskDefinitionArn: 'arn:td/batch:4' } };
    assert.deepEqual(diffLines(differences(before, after)), ['  EcsParameters.TaskDefinitionArn: "arn:td/batch:3" -> "arn:td/batch:4"', '  Input: (hidden) -> (hidden)']);
  });
});
