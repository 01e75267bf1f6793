/**
 * `trigger` and `generate --continue` through the real CLI against a fake CircleCI API whose
 * every request and response is checked against the official OpenAPI description.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { runCommand, type CliResult } from '../helpers/cli.js';
import { freePort } from '../helpers/moto.js';
import { exampleRepo, removeDir } from '../helpers/git.js';
import { created, createThen, FakeCircleCI, pipeline, PIPELINE_ID, workflows } from '../helpers/fakeCircleci.js';

const TOKEN = 'circle-token-secret-0123456789';
const KEY = 'continuation-key-secret-9876543210';
let repo: string;
let fake: FakeCircleCI;

before(async () => {
  repo = await exampleRepo();
});
after(() => {
  removeDir(repo);
});
beforeEach(async () => {
  fake = new FakeCircleCI();
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
  assert.deepEqual(fake.violations, [], 'requests and responses follow the OpenAPI description');
});

function trigger(args: string[]): Promise<CliResult> {
  return runCommand(['trigger', ...args], { cwd: repo, env: { CIRCLE_TOKEN: TOKEN, CIRCLECI_API_URL: fake.baseUrl } });
}

function assertSecretsKept(result: CliResult): void {
  for (const secret of [TOKEN, KEY]) {
    assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), 'a secret reached the output');
  }
}

describe('trigger', () => {
  it('triggers deploy_env=ENV on the branch, with the token as Circle-Token, and prints the page', async () => {
    fake.next('triggerPipeline', { status: 201, body: created(42) });
    const result = await trigger(['pre', '--branch', 'feature/login', '--debug']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'pipeline 42 deploys pre from branch feature/login: https://app.circleci.com/pipelines/github/acme/monolith/42\n');
    const [request] = fake.requests.filter((r) => r.operation === 'triggerPipeline');
    assert.equal(request?.params['project-slug'], 'gh/acme/monolith');
    assert.deepEqual(request.body, { branch: 'feature/login', parameters: { deploy_env: 'pre' } });
    assert.equal(request.headers['circle-token'], TOKEN);
    assertSecretsKept(result);
  });

  it('escapes a slug\'s segments, keeping its slashes', async () => {
    fake.next('triggerPipeline', { status: 201, body: created(7) });
    const result = await trigger(['private', '--tag', 'v1.2.0', '--project', 'gh/acme&co/mono.lith', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const [request] = fake.requests.filter((r) => r.operation === 'triggerPipeline');
    assert.equal(request?.path, '/project/gh/acme%26co/mono.lith/pipeline');
    assert.equal(request.params['project-slug'], 'gh/acme&co/mono.lith');
    assert.deepEqual(request.body, { tag: 'v1.2.0', parameters: { deploy_env: 'private' } });
    assert.deepEqual(JSON.parse(result.stdout), {
      id: PIPELINE_ID,
      number: 7,
      url: 'https://app.circleci.com/pipelines/github/acme%26co/mono.lith/7',
      state: 'setup-pending',
    });
  });

  const refused: [string, { status: number; body?: unknown; text?: string }, RegExp][] = [
    ['401', { status: 401, body: { message: 'Invalid token provided.' } }, /^circle-fargate: trigger: CircleCI refused to trigger a pipeline of gh\/acme\/monolith \(HTTP 401: Invalid token provided\.\): the token in CIRCLE_TOKEN is not valid\n$/],
    ['404', { status: 404, body: { message: 'Project not found.' } }, /\(HTTP 404: Project not found\.\): the project does not exist, or the token in CIRCLE_TOKEN has no access to it\n$/],
    ['400', { status: 400, body: { message: 'Branch not found' } }, /\(HTTP 400: Branch not found\)\n$/],
  ];
  for (const [name, answer, message] of refused) {
    it(`reports a ${name} in one line, exit 1`, async () => {
      fake.next('triggerPipeline', answer);
      const result = await trigger(['pre']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split('\n').length, 2);
      assertSecretsKept(result);
    });
  }

  it('retries 429 (Retry-After, none, plain text), then succeeds', async () => {
    fake
      .next('triggerPipeline', { status: 429, body: { message: 'Too many requests' }, headers: { 'Retry-After': '1' } })
      .next('triggerPipeline', { status: 429, text: 'Rate limited.' })
      .next('triggerPipeline', createThen(fake));
    const started = Date.now();
    const result = await trigger(['pre']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fake.requests.filter((r) => r.operation === 'triggerPipeline').length, 3);
    assert.equal(fake.createdCount, 1);
    assert.ok(Date.now() - started >= 1000, 'Retry-After was honoured');
    assert.match(result.stdout, /^pipeline 100 /);
  });

  it('gives up at once when Retry-After is beyond the retry budget (one budget per command, not per attempt)', async () => {
    fake.next('triggerPipeline', { status: 429, body: { message: 'Too many requests' }, headers: { 'Retry-After': '3600' } });
    const started = Date.now();
    const result = await trigger(['pre']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\(HTTP 429: Too many requests\)\n$/);
    assert.ok(Date.now() - started < 60_000, 'did not wait the hour');
    assert.equal(fake.createdCount, 0);
  });
});

describe('a trigger fires at most once', () => {
  const triggers = () => fake.requests.filter((request) => request.operation === 'triggerPipeline').length;

  it('created, then 502: finds the pipeline it created, reports it, exactly one pipeline', async () => {
    fake.next('triggerPipeline', createThen(fake, { status: 502, body: { message: 'Bad gateway' } }));
    const result = await trigger(['pre', '--branch', 'feature/login', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fake.createdCount, 1);
    assert.equal(triggers(), 1);
    assert.equal((JSON.parse(result.stdout) as { number: number }).number, 100);
    assert.match(result.stderr, /^the trigger's answer was lost \(HTTP 502: Bad gateway\); found the pipeline it created in the project's pipeline list, not triggering again\n$/);
  });

  it('created, then the connection dropped: the same', async () => {
    fake.next('triggerPipeline', (request) => {
      fake.createPipeline(request);
      return { status: 201, drop: true };
    });
    const result = await trigger(['pre']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fake.createdCount, 1);
    assert.equal(triggers(), 1);
    assert.match(result.stdout, /^pipeline 100 deploys pre from branch master: /);
  });

  it('ignores older pipelines, other users\' and other environments\' when looking', async () => {
    fake.createPipeline({ operation: 'triggerPipeline', method: 'POST', path: '', params: {}, query: {}, headers: {}, body: { branch: 'master', parameters: { deploy_env: 'pre' } } });
    fake.next('triggerPipeline', (request) => {
      fake.createPipeline({ ...request, body: { branch: 'master', parameters: { deploy_env: 'pre' } } }, 'someone-else');
      fake.createPipeline({ ...request, body: { branch: 'master', parameters: { deploy_env: 'private' } } });
      fake.createPipeline(request);
      return { status: 503, body: { message: 'Service unavailable' } };
    });
    const result = await trigger(['pre', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { number: number }).number, 103);
    assert.equal(triggers(), 1);
  });

  it('a 5xx and nothing created: exit 1, says so and where to look, never sent again', async () => {
    fake.next('triggerPipeline', { status: 502, body: { message: 'Bad gateway' } });
    const result = await trigger(['pre', '--branch', 'feature/login']);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "circle-fargate: trigger: the trigger's outcome is unknown (HTTP 502: Bad gateway) and no pipeline it created is listed; it was not sent again, so as not to deploy twice: look at https://app.circleci.com/pipelines/github/acme/monolith?branch=feature%2Flogin before triggering again\n",
    );
    assert.equal(triggers(), 1);
    assert.equal(fake.createdCount, 0);
  });

  it('two pipelines that could be it: exit 1 naming both, never sent again', async () => {
    fake.next('triggerPipeline', (request) => {
      fake.createPipeline(request);
      fake.createPipeline(request);
      return { status: 500, body: { message: 'Internal error' } };
    });
    const result = await trigger(['pre']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /and 2 new pipelines could be the one it created \(101, 100\); it was not sent again: look at https:\/\/app\.circleci\.com\/pipelines\/github\/acme\/monolith\?branch=master\n$/);
    assert.equal(triggers(), 1);
  });
});

describe('an API that cannot be reached', () => {
  it('trigger: a refused connection means nothing was sent; one line within seconds, not the whole retry budget', async () => {
    const port = await freePort(); // nothing listens on it
    const started = Date.now();
    const result = await runCommand(['trigger', 'pre'], { cwd: repo, env: { CIRCLE_TOKEN: TOKEN, CIRCLECI_API_URL: `http://127.0.0.1:${port}/api/v2` } });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^circle-fargate: trigger: CircleCI API at http://127\\.0\\.0\\.1:${port}/api/v2 cannot be reached \\(connect ECONNREFUSED [^)]*\\): the request was not sent and no pipeline was triggered; check CIRCLECI_API_URL and the network, then trigger again\n$`));
    assert.doesNotMatch(result.stderr, /outcome is unknown/);
    assert.ok(seconds < 20, `took ${seconds} s (the retry budget is 120 s)`);
  });

  it('generate --continue: refused connections are tried 3 times, then one line', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-', '--continue'], {
      cwd: repo,
      input: 'app/src/Controller/ArticlesController.php\n',
      env: { CIRCLE_CONTINUATION_KEY: KEY, CIRCLECI_API_URL: `http://127.0.0.1:${port}/api/v2` },
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /did not answer \(connect ECONNREFUSED/);
    assert.ok((Date.now() - started) / 1000 < 20);
  });
});

describe('trigger input', () => {
  it('refuses bad input before calling the API (exit 2)', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['prod'], { CIRCLE_TOKEN: TOKEN }, 'circle-fargate: trigger: environment "prod" deploys on pushes to a branch, not through the API (expected one of pre, private)\n'],
      [['qa'], { CIRCLE_TOKEN: TOKEN }, 'circle-fargate: trigger: no environment "qa" (expected one of pre, private)\n'],
      [['pre', '--branch', 'a', '--tag', 'b'], { CIRCLE_TOKEN: TOKEN }, 'circle-fargate: trigger: --branch and --tag together; pass one\n'],
      [['pre'], {}, 'circle-fargate: trigger: CIRCLE_TOKEN is not set: create a personal API token in CircleCI (User Settings, Personal API Tokens) and export it\n'],
      [['pre', '--project', 'acme/monolith'], { CIRCLE_TOKEN: TOKEN }, 'circle-fargate: trigger: --project: not a project slug (got "acme/monolith"; expected such as gh/acme/monolith)\n'],
    ];
    for (const [args, env, stderr] of cases) {
      const result = await runCommand(['trigger', ...args], { cwd: repo, env: { ...env, CIRCLECI_API_URL: fake.baseUrl } });
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr, stderr);
    }
    assert.equal(fake.requests.length, 0);
  });
});

describe('trigger --follow', () => {
  const follow = ['pre', '--follow', '--poll-interval', '0.05'];

  it('follows the setup workflow and the continuation through running and on hold to success', async () => {
    fake.next('triggerPipeline', { status: 201, body: created(42) });
    fake.always('getPipelineById', { status: 200, body: pipeline('created') });
    for (const page of [
      workflows(['setup', 'running']),
      workflows(['setup', 'success']),
      workflows(['setup', 'success'], ['circle-fargate', 'running']),
      workflows(['setup', 'success'], ['circle-fargate', 'on_hold']),
      workflows(['setup', 'success'], ['circle-fargate', 'running']),
    ]) {
      fake.next('listWorkflowsByPipelineId', { status: 200, body: page });
    }
    fake.always('listWorkflowsByPipelineId', { status: 200, body: workflows(['setup', 'success'], ['circle-fargate', 'success']) });
    const result = await trigger([...follow]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n')[1], 'pipeline 42 every workflow succeeded');
    assert.match(result.stderr, /workflow setup: running\nworkflow setup: success\nworkflow circle-fargate: running\nworkflow circle-fargate: on hold \(waiting for an approval\)\nworkflow circle-fargate: running\nworkflow circle-fargate: success\n/);
  });

  it('exits 1 when a workflow fails, naming it', async () => {
    fake.next('triggerPipeline', { status: 201, body: created(42) });
    fake.always('getPipelineById', { status: 200, body: pipeline('created') });
    fake.always('listWorkflowsByPipelineId', { status: 200, body: workflows(['setup', 'success'], ['circle-fargate', 'failed']) });
    const result = await trigger([...follow, '--json']);
    assert.equal(result.code, 1);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.outcome, 'failed');
    assert.deepEqual(summary.workflows, [{ name: 'setup', status: 'success' }, { name: 'circle-fargate', status: 'failed' }]);
  });

  it('reports a pipeline whose config errored instead of waiting for workflows', async () => {
    fake.next('triggerPipeline', { status: 201, body: created(42) });
    fake.next('getPipelineById', { status: 200, body: pipeline('setup-pending') });
    fake.always('getPipelineById', {
      status: 200,
      body: pipeline('errored', [{ type: 'config', message: 'Unexpected argument(s): deploy_env' }]),
    });
    const result = await trigger([...follow]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /pipeline error \(config\): Unexpected argument\(s\): deploy_env\n/);
    assert.match(result.stdout, /pipeline 42 errored before any workflow ran: Unexpected argument\(s\): deploy_env\n$/);
    assert.equal(fake.requests.filter((r) => r.operation === 'listWorkflowsByPipelineId').length, 0);
  });

  it('gives up at --timeout, exit 1, saying the pipeline goes on', async () => {
    fake.next('triggerPipeline', { status: 201, body: created(42) });
    fake.always('getPipelineById', { status: 200, body: pipeline('created') });
    fake.always('listWorkflowsByPipelineId', { status: 200, body: workflows(['setup', 'running']) });
    const result = await trigger([...follow, '--timeout', '0.3']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /still running after 0\.3 s; gave up following \(the pipeline goes on\)\n$/);
  });
});

describe('servers that echo the request', () => {
  it('trigger: a refusal whose JSON message quotes the token is printed masked', async () => {
    fake.next('triggerPipeline', (request) => ({ status: 400, body: { message: `bad request from ${String(request.headers['circle-token'])}: ${JSON.stringify(request.body)}` } }));
    const result = await trigger(['pre', '--debug']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CircleCI refused to trigger a pipeline of gh\/acme\/monolith \(HTTP 400: bad request from \*{8}: /);
    assertSecretsKept(result);
  });

  it('generate --continue: a plain-text 5xx echoing the key, then a JSON refusal echoing it', async () => {
    fake.next('continuePipeline', (request) => ({ status: 502, text: `upstream said: ${JSON.stringify(request.body)}` }));
    fake.next('continuePipeline', (request) => ({ status: 400, body: { message: `invalid key ${String((request.body as Record<string, unknown>)['continuation-key'])}` } }));
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-', '--continue', '--debug'], {
      cwd: repo,
      input: 'app/src/Controller/ArticlesController.php\n',
      env: { CIRCLE_CONTINUATION_KEY: KEY, CIRCLECI_API_URL: fake.baseUrl },
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /HTTP 400: invalid key \*{8}\)/);
    assertSecretsKept(result);
  });
});

describe('generate --continue', () => {
  function continueRun(env: Record<string, string> = {}): Promise<CliResult> {
    return runCommand(['generate', '--branch', 'master', '--changed-files', '-', '--continue'], {
      cwd: repo,
      input: 'app/src/Controller/ArticlesController.php\n',
      env: { CIRCLE_CONTINUATION_KEY: KEY, CIRCLECI_API_URL: fake.baseUrl, ...env },
    });
  }

  it('posts the config with the key, no token and no parameters', async () => {
    fake.next('continuePipeline', { status: 200, body: { message: 'Pipeline continued.' } });
    const result = await continueRun({ CIRCLE_TOKEN: TOKEN });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /continued the pipeline\n$/);
    const body = fake.requests[0]?.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['configuration', 'continuation-key']);
    assert.equal(body['continuation-key'], KEY);
    assert.match(String(body.configuration), /^# Generated by circle-fargate/);
    assert.equal(fake.requests[0]?.headers['circle-token'], undefined);
    assertSecretsKept(result);
  });

  it('counts "not in setup state" after a dropped connection as already continued', async () => {
    fake.next('continuePipeline', { status: 200, drop: true });
    fake.next('continuePipeline', { status: 400, body: { message: 'Pipeline is not in setup state.' } });
    const result = await continueRun();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /the pipeline was already continued by an earlier attempt\n$/);
    assert.equal(fake.requests.length, 2);
  });

  it('retries a 5xx, then continues', async () => {
    fake.next('continuePipeline', { status: 500, body: { message: 'Internal error' } });
    fake.next('continuePipeline', { status: 200, body: { message: 'Pipeline continued.' } });
    const result = await continueRun();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fake.requests.length, 2);
  });

  it('reports a second continue, answered at once, as a refusal', async () => {
    fake.next('continuePipeline', { status: 400, body: { message: 'Pipeline is not in setup state.' } });
    const result = await continueRun();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CircleCI refused to continue the pipeline \(HTTP 400: Pipeline is not in setup state\.\)\n$/);
  });

  it('reports an expired key (409), exit 1, without printing it', async () => {
    fake.next('continuePipeline', { status: 409, body: { message: 'Continuation key has expired. Please run a new pipeline.' } });
    const result = await continueRun();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\(HTTP 409: Continuation key has expired\. Please run a new pipeline\.\): the continuation key has expired \(6 hours\); run a new pipeline\n$/);
    assertSecretsKept(result);
  });

  it('--out: writes the file only once the continuation succeeded; a refusal leaves no file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cf-out-'));
    try {
      const run = () =>
        runCommand(['generate', '--branch', 'master', '--changed-files', '-', '--continue', '--out', path.join(dir, 'continued.yml')], {
          cwd: repo,
          input: 'app/src/Controller/ArticlesController.php\n',
          env: { CIRCLE_CONTINUATION_KEY: KEY, CIRCLECI_API_URL: fake.baseUrl },
        });
      fake.next('continuePipeline', { status: 409, body: { message: 'Continuation key has expired. Please run a new pipeline.' } });
      const refused = await run();
      assert.equal(refused.code, 1);
      assert.deepEqual(readdirSync(dir), [], 'nothing written, no temporary file left');
      fake.next('continuePipeline', { status: 200, body: { message: 'Pipeline continued.' } });
      const continued = await run();
      assert.equal(continued.code, 0, continued.stderr);
      assert.deepEqual(readdirSync(dir), ['continued.yml']);
      assert.equal(readFileSync(path.join(dir, 'continued.yml'), 'utf8'), String((fake.requests.at(-1)?.body as Record<string, unknown>).configuration));
      assert.match(continued.stderr, /continued the pipeline\nwrote .*continued\.yml\n$/);
    } finally {
      removeDir(dir);
    }
  });

  it('says what to do without a key (exit 2) and calls nothing', async () => {
    const result = await runCommand(['generate', '--branch', 'master', '--changed-files', '-', '--continue'], { cwd: repo, input: '', env: { CIRCLECI_API_URL: fake.baseUrl } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^circle-fargate: generate --continue: CIRCLE_CONTINUATION_KEY is not set: /);
    assert.equal(fake.requests.length, 0);
  });
});

describe('the fake CircleCI API', () => {
  it('catches a request that breaks the OpenAPI description', async () => {
    fake.always('triggerPipeline', { status: 201, body: created(1) });
    await fetch(`${fake.baseUrl}/project/gh/a/b/pipeline`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ branch: 5 }) });
    assert.equal(fake.violations.length, 1);
    assert.match(fake.violations[0] ?? '', /^triggerPipeline: request breaks the OpenAPI schema/);
    fake.violations.length = 0;
  });

  it('catches a scripted response that breaks it', async () => {
    fake.always('getPipelineById', { status: 200, body: { id: PIPELINE_ID } });
    await fetch(`${fake.baseUrl}/pipeline/${PIPELINE_ID}`);
    assert.match(fake.violations[0] ?? '', /^getPipelineById: scripted 200 response breaks the OpenAPI schema/);
    fake.violations.length = 0;
  });
});

/** Insights' answer for a workflow's jobs (getProjectWorkflowJobMetrics): median seconds per job. */
function jobMetrics(medians: Record<string, number | null>, nextPageToken: string | null = null): Record<string, unknown> {
  return {
    items: Object.entries(medians).map(([name, median]) => ({
      name,
      metrics: {
        total_runs: 12,
        failed_runs: 1,
        successful_runs: 11,
        duration_metrics: { min: median, mean: median, median, p95: median, max: median, standard_deviation: 0 },
        success_rate: 0.92,
        total_credits_used: 400,
        throughput: 1.5,
      },
      window_start: '2026-09-08T00:00:00Z',
      window_end: '2026-12-06T00:00:00Z',
    })),
    next_page_token: nextPageToken,
  };
}

describe('explain --durations: the critical path weighed by time', () => {
  const EXPLAIN = ['explain', '--branch', 'master', '--changed-files', '-'];
  const CHANGED = 'app/src/Controller/ArticlesController.php\ntests/TestCase/Controller/ArticlesControllerTest.php\n';
  const explain = (extra: string[], env: Record<string, string> = { CIRCLE_TOKEN: TOKEN, CIRCLECI_API_URL: fake.baseUrl }) =>
    runCommand([...EXPLAIN, ...extra], { cwd: repo, input: CHANGED, env });

  it('insights: the medians of the branch, then of all branches for a job the branch has not run; pages followed; the token never shown', async () => {
    fake.always('getProjectWorkflowJobMetrics', (request) => {
      const all = request.query['all-branches'] === 'true';
      if (request.params['workflow-name'] === 'setup') return { status: 200, body: jobMetrics(all ? { setup: 30 } : {}) };
      if (all) return { status: 200, body: jobMetrics({ 'deploy-prod': 140, phpunit: 999 }) };
      // Two pages on the branch: build-image on the first, phpunit on the second (a null median: no finished run).
      if (request.query['page-token'] === undefined) return { status: 200, body: jobMetrics({ 'build-image': 100, 'terraform-plan-prod': 5 }, 'page-2') };
      return { status: 200, body: jobMetrics({ phpunit: 60, 'deploy-prod': null }) };
    });
    const result = await explain(['--durations', 'insights', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { criticalPath } = JSON.parse(result.stdout);
    assert.equal(criticalPath.unit, 'seconds');
    assert.deepEqual(criticalPath.stages, [['setup'], ['build-image'], ['deploy-prod']]);
    assert.equal(criticalPath.length, 30 + 100 + 140);
    assert.equal(criticalPath.jobs.find((job: { name: string }) => job.name === 'phpunit').slack, 40, 'the branch median (60), not all branches (999)');
    assert.match(criticalPath.source, /CircleCI Insights .*branch master.*; of all branches for setup, deploy-prod/);
    const asked = fake.requests.filter((request) => request.operation === 'getProjectWorkflowJobMetrics');
    assert.ok(asked.every((request) => request.params['project-slug'] === 'gh/acme/monolith' && request.headers['circle-token'] === TOKEN));
    assert.deepEqual([...new Set(asked.map((request) => request.params['workflow-name']))].sort(), ['circle-fargate', 'setup']);
    assert.ok(asked.some((request) => request.query['page-token'] === 'page-2'), 'the second page was read');
    assertSecretsKept(result);

    const text = await explain(['--durations', 'insights']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^critical path: 4m30s from the start of the setup job to the end of the last job \(durations: CircleCI Insights/m);
    assert.match(text.stdout, /^ {2}setup 30s -> build-image 1m40s -> deploy-prod 2m20s$/m);
    assert.match(text.stdout, /^ {2}not on it: phpunit \(1m00s; 40s to spare\)$/m);
  });

  it('insights that know no run of a job: counted as 0 s and named; a workflow Insights has never seen (404) is no error', async () => {
    fake.always('getProjectWorkflowJobMetrics', (request) =>
      request.params['workflow-name'] === 'setup' ? { status: 404, body: { message: 'Workflow not found' } } : { status: 200, body: jobMetrics({ 'build-image': 100 }) },
    );
    const result = await explain(['--durations', 'insights']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ {2}no duration known for: setup, phpunit, deploy-prod \(counted as 0s\)$/m);
  });

  it('insights refused or down: exit 1 in one line, the token masked even where the server echoes it', async () => {
    fake.always('getProjectWorkflowJobMetrics', { status: 403, body: { message: `Permission denied for token ${TOKEN}` } });
    const refused = await explain(['--durations', 'insights']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^circle-fargate: explain: .*read the job durations of workflow (circle-fargate|setup) of gh\/acme\/monolith from Insights.*403/m);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assertSecretsKept(refused);

    // A project Insights does not know (a wrong project.slug, a token without access): refused, not "no runs".
    fake.always('getProjectWorkflowJobMetrics', { status: 404, body: { message: 'Project not found' } });
    const unknown = await explain(['--durations', 'insights']);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /^circle-fargate: explain: .*from Insights.*Project not found/m);
    // A workflow never run (404) and no duration for any job: nothing to weigh, said in one line.
    fake.always('getProjectWorkflowJobMetrics', { status: 404, body: { message: 'Workflow not found' } });
    const none = await explain(['--durations', 'insights']);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /^circle-fargate: explain: --durations insights: CircleCI Insights has no duration for any job of this pipeline \(workflow circle-fargate of gh\/acme\/monolith, branch master or any\): .*pass --durations FILE\n$/);
    // A page token handed out twice is not followed forever.
    fake.always('getProjectWorkflowJobMetrics', { status: 200, body: jobMetrics({ 'build-image': 1 }, 'same-token') });
    const looping = await explain(['--durations', 'insights']);
    assert.equal(looping.code, 1, looping.stderr);
    assert.match(looping.stderr, /answered the page token "same-token" twice/);
    assert.ok(fake.requests.length < 40, `${fake.requests.length} requests`);

    // A 200 that is not JSON (a proxy's page, a wrong URL): one line naming where to look.
    fake.always('getProjectWorkflowJobMetrics', { status: 200, text: '<html>sign in</html>' });
    const html = await explain(['--durations', 'insights']);
    assert.equal(html.code, 1, html.stderr);
    assert.match(html.stderr, /^circle-fargate: explain: http:\/\/127\.0\.0\.1:\d+\/api\/v2 answered the Insights request for workflow \S+ with something that is not JSON: check CIRCLECI_API_URL\n$/);

    const missing = await explain(['--durations', 'insights'], { CIRCLECI_API_URL: fake.baseUrl });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^circle-fargate: explain: --durations insights: CIRCLE_TOKEN is not set: .*or pass --durations FILE\n$/);
  });

  it('a durations file: seconds per job, or an Insights answer saved as is; anything else refused in one line (exit 2)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'durations-'));
    try {
      const plain = path.join(dir, 'plain.json');
      writeFileSync(plain, JSON.stringify({ setup: 20, phpunit: 130, 'build-image': 100, 'deploy-prod': 60 }));
      const fromFile = await explain(['--durations', plain, '--json']);
      assert.equal(fromFile.code, 0, fromFile.stderr);
      const { criticalPath } = JSON.parse(fromFile.stdout);
      assert.deepEqual(criticalPath.stages, [['setup'], ['phpunit'], ['deploy-prod']]);
      assert.equal(criticalPath.length, 210);
      assert.equal(criticalPath.source, plain);

      // A name no job has (a typo) is warned about, and the job it meant weighs nothing.
      const typo = path.join(dir, 'typo.json');
      writeFileSync(typo, JSON.stringify({ setup: 20, phpunit: 60, build_image: 100, 'deploy-prod': 60 }));
      const typed = await explain(['--durations', typo]);
      assert.equal(typed.code, 0, typed.stderr);
      assert.match(typed.stdout, /^warning: --durations .*typo\.json: no job is named "build_image" \(did you mean "build-image"\?\); the jobs: setup, phpunit, build-image, /m);
      assert.match(typed.stdout, /^ {2}no duration known for: build-image \(counted as 0s\)$/m);

      const saved = path.join(dir, 'insights.json');
      writeFileSync(saved, JSON.stringify(jobMetrics({ setup: 10, phpunit: 50, 'build-image': 200, 'deploy-prod': 60 })));
      const fromInsights = await explain(['--durations', saved, '--json']);
      assert.equal(fromInsights.code, 0, fromInsights.stderr);
      assert.equal(JSON.parse(fromInsights.stdout).criticalPath.length, 270);
      assert.doesNotMatch(fromInsights.stdout, /first page/);
      // A saved first page of several: used, and said.
      const firstPage = path.join(dir, 'first-page.json');
      writeFileSync(firstPage, JSON.stringify(jobMetrics({ setup: 10, phpunit: 50, 'build-image': 200, 'deploy-prod': 60 }, 'page-2')));
      const partial = await explain(['--durations', firstPage]);
      assert.equal(partial.code, 0, partial.stderr);
      assert.match(partial.stdout, /^warning: --durations .*first-page\.json: an answer of CircleCI Insights with a next_page_token: only its first page is here/m);

      const cases: [string, RegExp][] = [
        ['{"phpunit": "fast"}', /--durations .*bad-0\.json: "phpunit": expected seconds \(a number, 0 or more\), got "fast"$/],
        ['[1, 2]', /--durations .*bad-1\.json: expected a JSON object/],
        ['{"items": [{"metrics": {}}]}', /--durations .*bad-2\.json: items\[0\] has no name/],
        ['not json', /--durations .*bad-3\.json: not JSON/],
        ['{"setup": 1e400}', /--durations .*bad-4\.json: "setup": expected seconds \(a number, 0 or more\), got Infinity$/],
      ];
      for (const [index, [text, expected]] of cases.entries()) {
        const file = path.join(dir, `bad-${index}.json`);
        writeFileSync(file, text);
        const result = await explain(['--durations', file]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr.trim(), expected);
        assert.equal(result.stderr.trim().split('\n').length, 1);
        assert.equal(result.stdout, '', 'nothing explained half-way');
      }
    } finally {
      removeDir(dir);
    }
  });
});
