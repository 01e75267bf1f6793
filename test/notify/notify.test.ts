/**
 * Deploy notifications: the message built from a deploy summary (pure), and `circle-fargate
 * notify` posting it to a webhook receiver on loopback, as a Slack incoming webhook or as JSON.
 * A webhook that fails, or is not configured, never changes the exit code; its URL (a secret:
 * Slack's carries its token in the path) never reaches output.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deployMessage, duration, messageText } from '../../src/notify/message.js';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { listenOnLoopback, type Loopback } from '../helpers/loopback.js';

const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/monolith/app@sha256:${'ab'.repeat(32)}`;
const SHA = 'c0ffee1234567890c0ffee1234567890c0ffee12';

/** A redacted summary as `deploy --json` prints it (src/deploy/record.ts summarize). */
function summary(outcome: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'circle-fargate/deploy-record@1',
    id: 'd-1',
    cluster: 'monolith-prod',
    image: IMAGE,
    startedAt: '2026-12-07T08:00:00.000Z',
    finishedAt: '2026-12-07T08:03:12.000Z',
    phase: 'done',
    outcome,
    registered: [],
    services: [{ name: 'monolith-prod-web', before: 'web:1', after: 'web:2', state: 'restored', changes: [] }, { name: 'monolith-prod-worker', before: 'w:1', after: 'w:2', state: 'restored', changes: [] }],
    targets: [{ rule: 'monolith-prod-batch-daily', id: 't1', before: 'batch:1', after: 'batch:2', state: 'restored' }],
    schedules: [{ group: 'batches', name: 'nightly-report', before: 'r:1', after: 'r:2', state: 'restored' }],
    ...extra,
  };
}

describe('the message of a deploy', () => {
  const context = { environment: 'prod', commit: SHA, url: 'https://app.circleci.com/pipelines/gh/acme/monolith/42/workflows/w/jobs/7' };
  const cases: { name: string; summary: unknown; recordExists?: boolean; kind?: 'rollback' | 'promote'; event: string; result: string; headline: RegExp }[] = [
    { name: 'deployed', summary: summary('deployed'), event: 'success', result: 'deployed', headline: /^deploy of prod succeeded$/ },
    { name: 'failed and rolled back', summary: summary('rolled-back', { reason: 'service monolith-prod-web: 3 tasks stopped (exit 1)' }), event: 'failure', result: 'rolled-back', headline: /failed and was rolled back/ },
    { name: 'failed, not everything back', summary: summary('not-restored'), event: 'failure', result: 'not-restored', headline: /NOT everything/ },
    { name: 'killed mid-way', summary: summary('in-progress'), event: 'failure', result: 'interrupted', headline: /interrupted/ },
    { name: 'no summary, no record', summary: undefined, event: 'failure', result: 'failed-before-changes', headline: /before it changed anything/ },
    { name: 'no summary, a record', summary: undefined, recordExists: true, event: 'failure', result: 'failed', headline: /before its record said how it ended/ },
    { name: 'a rollback pipeline\'s deploy that succeeded', summary: summary('deployed'), kind: 'rollback', event: 'rollback', result: 'deployed', headline: /^rollback of prod succeeded$/ },
    { name: 'a rollback pipeline\'s deploy that failed', summary: summary('rolled-back'), kind: 'rollback', event: 'failure', result: 'rolled-back', headline: /^rollback of prod failed and was rolled back/ },
    { name: 'a promotion that succeeded', summary: summary('deployed'), kind: 'promote', event: 'success', result: 'deployed', headline: /^promotion of prod succeeded$/ },
  ];
  for (const item of cases) {
    it(item.name, () => {
      const message = deployMessage(item.summary, { ...context, ...(item.recordExists ? { recordExists: true } : {}), ...(item.kind ? { kind: item.kind } : {}) });
      assert.equal(message.event, item.event);
      assert.equal(message.result, item.result);
      assert.match(message.headline, item.headline);
    });
  }

  it('names the environment, version, services, batches, cause, timing and link', () => {
    const text = messageText(deployMessage(summary('rolled-back', { reason: 'service monolith-prod-web: 3 tasks stopped (exit 1)', timings: { seconds: 154, phases: [{ phase: 'services', seconds: 150 }, { phase: 'targets', seconds: 4 }], services: [] } }), context));
    assert.equal(
      text,
      [
        'circle-fargate: deploy of prod failed and was rolled back: everything it changed is back',
        'Environment: prod',
        `Version: c0ffee123456 ${IMAGE}`,
        'Services: monolith-prod-web, monolith-prod-worker',
        'Batches: monolith-prod-batch-daily/t1, batches/nightly-report',
        'Cause: service monolith-prod-web: 3 tasks stopped (exit 1)',
        'Timing: took 3m 12s; services 2m 30s, targets 4s',
        `Pipeline: ${context.url}`,
      ].join('\n'),
    );
  });

  it('durations read as people say them', () => {
    assert.deepEqual([duration(400), duration(59_600), duration(192_000), duration(3_780_000)], ['0s', '1m 0s', '3m 12s', '1h 3m']);
  });
});

describe('circle-fargate notify, to a webhook on loopback', () => {
  let dir: string;
  let receiver: Loopback;
  let status = 200;
  const received: { path: string; type: string; body: string }[] = [];
  // Slack's incoming webhook URLs carry their secret in the path.
  const secretPath = '/services/T000/B000/notify-secret-token-0024';

  before(async () => {
    dir = tempDir('circle-fargate-notify-');
    receiver = await listenOnLoopback(async (request: IncomingMessage, response) => {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      received.push({ path: request.url ?? '', type: request.headers['content-type'] ?? '', body });
      response.statusCode = status;
      response.end(status === 200 ? 'ok' : `no_service: ${request.url ?? ''}`);
    });
  });
  after(async () => {
    await receiver.close();
    removeDir(dir);
  });

  let counter = 0;
  function summaryFile(content: unknown): string {
    const file = path.join(dir, `summary-${counter++}.json`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, content === undefined ? '' : `${JSON.stringify(content)}\n`);
    return file;
  }
  const env = (extra: Record<string, string> = {}) => ({ CIRCLE_SHA1: SHA, CIRCLE_BUILD_URL: 'https://app.circleci.com/jobs/7', CIRCLE_FARGATE_WEBHOOK_URL: `${receiver.url}${secretPath}`, ...extra });

  it('a failed, rolled-back deploy sends one Slack message naming it, and prints no URL', async () => {
    received.length = 0;
    const file = summaryFile(summary('rolled-back', { reason: 'service monolith-prod-web: tasks stopped' }));
    const result = await runCli(['notify', 'prod', '--summary', file, '--webhook', 'slack'], { env: env() });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(received.length, 1);
    const [message] = received;
    assert.ok(message);
    assert.equal(message.path, secretPath);
    assert.match(message.type, /^application\/json/);
    const body = JSON.parse(message.body) as { text: string };
    assert.deepEqual(Object.keys(body), ['text']);
    for (const part of ['deploy of prod failed and was rolled back', 'Services: monolith-prod-web, monolith-prod-worker', 'Batches: monolith-prod-batch-daily/t1', 'Cause: service monolith-prod-web: tasks stopped', 'Timing: took 3m 12s', 'Pipeline: https://app.circleci.com/jobs/7', `Version: c0ffee123456 ${IMAGE}`]) {
      assert.ok(body.text.includes(part), `${part} in ${body.text}`);
    }
    assert.match(result.stderr, /^notify: sent to the slack webhook \(HTTP 200\)$/m);
    assert.ok(!(result.stdout + result.stderr).includes('notify-secret-token-0024'), result.stderr);
  });

  it('a JSON webhook gets the message as fields', async () => {
    received.length = 0;
    const result = await runCli(['notify', 'pre', '--summary', summaryFile(summary('not-restored')), '--webhook', 'json', '--url-variable', 'TEAMS_WEBHOOK_URL'], { env: env({ TEAMS_WEBHOOK_URL: `${receiver.url}/teams` }) });
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(received[0]?.body ?? '') as Record<string, unknown>;
    assert.equal(body.source, 'circle-fargate');
    assert.equal(body.environment, 'pre');
    assert.equal(body.result, 'not-restored');
    assert.equal(body.event, 'failure');
    assert.deepEqual(body.services, ['monolith-prod-web', 'monolith-prod-worker']);
    assert.deepEqual(body.version, { commit: SHA, image: IMAGE });
  });

  it('a success is sent only when asked for', async () => {
    received.length = 0;
    const quiet = await runCli(['notify', 'prod', '--summary', summaryFile(summary('deployed')), '--webhook', 'slack'], { env: env() });
    assert.equal(quiet.code, 0);
    assert.equal(received.length, 0);
    assert.match(quiet.stderr, /^notify: deploy of prod succeeded; no message \(sent on failure, rollback\)$/m);
    const loud = await runCli(['notify', 'prod', '--summary', summaryFile(summary('deployed')), '--webhook', 'slack', '--on', 'failure,success'], { env: env() });
    assert.equal(loud.code, 0);
    assert.equal(received.length, 1);
    assert.match(received[0]?.body ?? '', /deploy of prod succeeded/);
  });

  it('a webhook that fails, is unreachable or is not set is one line and exit 0', async () => {
    status = 500;
    try {
      const failed = await runCli(['notify', 'prod', '--summary', summaryFile(undefined), '--webhook', 'slack'], { env: env() });
      assert.equal(failed.code, 0);
      assert.match(failed.stderr, /^notify: no message sent: the webhook answered HTTP 500; the deploy's result stands$/m);
      assert.ok(!(failed.stdout + failed.stderr).includes('notify-secret-token-0024'), 'the echoed URL is not printed');
    } finally {
      status = 200;
    }
    const closed = await listenOnLoopback(async () => {});
    const url = `${closed.url}${secretPath}`;
    await closed.close();
    const unreachable = await runCli(['notify', 'prod', '--summary', summaryFile(undefined), '--webhook', 'json'], { env: env({ CIRCLE_FARGATE_WEBHOOK_URL: url }) });
    assert.equal(unreachable.code, 0);
    assert.match(unreachable.stderr, /^notify: no message sent: the webhook could not be reached \(ECONNREFUSED\); the deploy's result stands$/m);
    const unset = await runCli(['notify', 'prod', '--summary', summaryFile(undefined), '--webhook', 'slack', '--url-variable', 'SLACK_WEBHOOK_URL'], { env: env() });
    assert.equal(unset.code, 0);
    assert.equal(unset.stderr, "notify: SLACK_WEBHOOK_URL is not set: add the webhook URL to the environment's CircleCI context; no message sent\n");
  });

  it('bad flags exit 2 with one line', async () => {
    const result = await runCli(['notify', 'prod', '--summary', summaryFile(undefined), '--webhook', 'teams'], { env: env() });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'circle-fargate: notify: --webhook: must be slack or json (got "teams")\n');
  });
});
