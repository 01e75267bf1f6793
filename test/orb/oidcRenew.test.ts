/**
 * The orb's OIDC token renewal against a fake token source (a stand-in `circleci run oidc get`)
 * and moto's STS: after setup_aws, oidc_renew replaces a token close to expiry with a fresh one
 * of the same audience, and the AWS CLI then assumes the role with the fresh token (seen by a
 * recording proxy in front of moto). CircleCI's rule: the token's "exp ... is one hour after the
 * time of issuance" (https://circleci.com/docs/guides/permissions-authentication/openid-connect-tokens/).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collect, ROOT } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { listenOnLoopback, type Loopback } from '../helpers/loopback.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const SCRIPTS = path.join(ROOT, 'orb/src/scripts');
const ROLE = 'arn:aws:iam::123456789012:role/monolith-prod-circleci-deploy';

function token(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.sig-${String(claims.jti)}`;
}
const now = () => Math.floor(Date.now() / 1000);

let moto: Moto;
let proxy: Loopback;
const seenTokens: string[] = [];
let dir: string;
before(async () => {
  moto = await startMoto();
  // Records the token of every AssumeRoleWithWebIdentity on its way to moto.
  proxy = await listenOnLoopback(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const params = new URLSearchParams(body);
    if (params.get('Action') === 'AssumeRoleWithWebIdentity') seenTokens.push(params.get('WebIdentityToken') ?? '');
    const hopByHop = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'expect']);
    try {
      const forwarded = await fetch(`${moto.url}${request.url ?? '/'}`, {
        method: request.method ?? 'POST',
        headers: Object.fromEntries(Object.entries(request.headers).filter(([key]) => !hopByHop.has(key)).map(([key, value]) => [key, String(value)])),
        ...(body !== '' ? { body } : {}),
      });
      response.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'text/xml' });
      response.end(await forwarded.text());
    } catch (error) {
      response.writeHead(502);
      response.end(String(error));
    }
  });
});
after(async () => {
  await proxy.close();
  moto.stop();
});

describe('OIDC token renewal', () => {
  before(() => {
    dir = tempDir('circle-fargate-oidc-');
  });
  after(() => {
    removeDir(dir);
  });

  const home = () => path.join(dir, 'home');
  const stubs = () => path.join(dir, 'stubs');
  /** A stand-in `circleci` that mints FRESH (a token) and records its arguments. */
  function tokenSource(fresh: string, fails = false): void {
    mkdirSync(stubs(), { recursive: true });
    writeFileSync(
      path.join(stubs(), 'circleci'),
      `#!/bin/sh\nprintf '%s\\n' "$@" >> "${stubs()}/circleci.args"\n${fails ? 'echo "error: not in a job" >&2; exit 1' : `printf '%s' '${fresh}'`}\n`,
      { mode: 0o755 },
    );
  }
  const sh = (script: string, env: Record<string, string>) =>
    spawnSync('sh', [path.join(SCRIPTS, script)], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: `${stubs()}:${process.env.PATH ?? ''}`, HOME: home(), ...env },
    });
  /** `aws sts get-caller-identity` as the profile setup_aws wrote (async: the proxy runs in this process). */
  const aws = async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: home(), AWS_ENDPOINT_URL: proxy.url, AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1' };
    const { code, stdout, stderr } = await collect('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env });
    return { status: code, stdout, stderr };
  };

  it('renews a token close to expiry with the same audience, and the role is assumed with the new one', async () => {
    mkdirSync(home(), { recursive: true });
    const first = token({ aud: 'org-1', exp: now() + 120, jti: 'first' });
    const fresh = token({ aud: 'org-1', exp: now() + 3600, jti: 'second' });
    tokenSource(fresh);
    const setup = sh('setup_aws.sh', { CF_ROLE_ARN: ROLE, CF_REGION: 'ap-northeast-1', CIRCLE_OIDC_TOKEN_V2: first });
    assert.equal(setup.status, 0, setup.stderr);

    const before = await aws();
    assert.equal(before.status, 0, before.stderr);
    assert.equal(seenTokens.at(-1), first);

    const renewed = sh('oidc_renew.sh', { CF_RENEW_ONCE: '1' });
    assert.equal(renewed.status, 0, renewed.stderr);
    assert.match(renewed.stdout, /^oidc_renew: OIDC token renewed at /m);
    assert.ok(!(renewed.stdout + renewed.stderr).includes(fresh) && !(renewed.stdout + renewed.stderr).includes(first), 'no token is printed');
    assert.deepEqual(readFileSync(path.join(stubs(), 'circleci.args'), 'utf8').split('\n').slice(0, -1), ['run', 'oidc', 'get', '--claims', '{"aud":"org-1"}']);
    assert.equal(readFileSync(path.join(home(), '.aws/circleci-oidc-token'), 'utf8'), fresh);

    // The CLI caches the role's credentials until they expire; an hour on, they have: it
    // assumes the role again, reading the token file anew.
    rmSync(path.join(home(), '.aws/cli/cache'), { recursive: true, force: true });
    const afterRenewal = await aws();
    assert.equal(afterRenewal.status, 0, afterRenewal.stderr);
    assert.equal(seenTokens.at(-1), fresh, 'STS got the fresh token');
    assert.match(JSON.parse(afterRenewal.stdout).Arn as string, /assumed-role\/monolith-prod-circleci-deploy\//);
  });

  it('leaves a token that is not due alone', () => {
    const fresh = token({ aud: 'org-1', exp: now() + 3600, jti: 'third' });
    const current = readFileSync(path.join(home(), '.aws/circleci-oidc-token'), 'utf8');
    tokenSource(fresh);
    const result = sh('oidc_renew.sh', { CF_RENEW_ONCE: '1' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /not due for renewal/);
    assert.equal(readFileSync(path.join(home(), '.aws/circleci-oidc-token'), 'utf8'), current);
  });

  it('keeps the old token and says so when minting fails', () => {
    const file = path.join(home(), '.aws/circleci-oidc-token');
    const expiring = token({ aud: 'org-1', exp: now() + 10, jti: 'fourth' });
    writeFileSync(file, expiring);
    tokenSource('', true);
    const result = sh('oidc_renew.sh', { CF_RENEW_ONCE: '1' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /circleci run oidc get failed; trying again in 30s/);
    assert.equal(readFileSync(file, 'utf8'), expiring);
    assert.ok(!result.stderr.includes(expiring));
  });
});
