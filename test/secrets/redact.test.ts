/**
 * The secret registry and the masking edge, on literal values: what is masked, in which forms a
 * server may echo it, and what is deliberately left alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskingIO, type CliIO } from '../../src/cli/io.js';
import { MASK, maskEchoed, SecretRegistry } from '../../src/secrets/redact.js';

const TOKEN = 'sentinel-circle-token-"q"/+ä';

describe('SecretRegistry', () => {
  it('registers the known secret variables and those whose name says secret, nothing else', () => {
    const registry = SecretRegistry.fromEnvironment({
      CIRCLE_TOKEN: 'tok-1111aaaa',
      CIRCLE_CONTINUATION_KEY: 'key-2222bbbb',
      AWS_SESSION_TOKEN: 'sess-3333cccc',
      DB_PASSWORD: 'pw-4444dddd',
      SENTRY_API_KEY: 'api-5555eeee',
      HOME: '/home/someone',
      CIRCLE_BRANCH: 'feature/login',
    });
    const text = 'tok-1111aaaa key-2222bbbb sess-3333cccc pw-4444dddd api-5555eeee /home/someone feature/login';
    assert.equal(registry.mask(text), `${MASK} ${MASK} ${MASK} ${MASK} ${MASK} /home/someone feature/login`);
  });

  it('reads a web identity token from the file its variable names', () => {
    const registry = SecretRegistry.fromEnvironment({ AWS_WEB_IDENTITY_TOKEN_FILE: '/token' }, (file) => (file === '/token' ? 'eyJ.oidc.jwt\n' : undefined));
    assert.equal(registry.mask('token eyJ.oidc.jwt'), `token ${MASK}`);
  });

  it('masks the forms a server echoes: raw, JSON-escaped (once and twice), URL-encoded, base64', () => {
    const registry = new SecretRegistry();
    registry.add(TOKEN);
    const echoes = [
      TOKEN,
      JSON.stringify({ message: `bad token ${TOKEN}` }),
      JSON.stringify({ message: JSON.stringify({ token: TOKEN }) }),
      `https://x/?t=${encodeURIComponent(TOKEN)}`,
      `Basic ${Buffer.from(TOKEN).toString('base64')}`,
    ];
    for (const echo of echoes) assert.ok(!registry.mask(echo).includes('sentinel'), echo);
    assert.equal(registry.mask(JSON.stringify({ message: `bad token ${TOKEN}` })), `{"message":"bad token ${MASK}"}`);
  });

  it('masks the longer of two overlapping secrets whole', () => {
    const registry = new SecretRegistry();
    registry.add('abcd1234');
    registry.add('abcd1234efgh5678');
    assert.equal(registry.mask('x abcd1234efgh5678 y abcd1234'), `x ${MASK} y ${MASK}`);
  });

  it('leaves short values, numbers and true/false/null alone (they would break JSON and words)', () => {
    const registry = new SecretRegistry();
    for (const value of ['abc', 'true', 'False', 'null', '8080', '3.5', '', '   ']) registry.add(value);
    assert.equal(registry.size, 0);
    assert.equal(registry.mask('{"port":8080,"on":true}'), '{"port":8080,"on":true}');
  });

  it('masks each long line of a multi-line secret on its own', () => {
    const registry = new SecretRegistry();
    registry.add('-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----');
    assert.equal(registry.mask('line: MIIEvQIBADANBgkqhkiG9w0B'), `line: ${MASK}`);
  });

  it('redacts every string of a record, keys included, leaving numbers and booleans', () => {
    const registry = new SecretRegistry();
    registry.add('s3cret-value');
    const record = { reason: 'echo: s3cret-value', n: 3, ok: true, list: [{ 's3cret-value': 's3cret-value' }], none: null };
    assert.deepEqual(registry.redact(record), { reason: `echo: ${MASK}`, n: 3, ok: true, list: [{ [MASK]: MASK }], none: null });
    assert.equal(record.reason, 'echo: s3cret-value', 'the original is untouched');
  });

  it('learns secret-named environment values of task definitions, targets\' Input and credentials from AWS shapes, not names', () => {
    const registry = new SecretRegistry();
    registry.addFromAws({
      taskDefinition: {
        family: 'shop-prod-app',
        containerDefinitions: [{ name: 'app', environment: [{ name: 'DB_PASSWORD', value: 'pw-db-4242' }, { name: 'APP_NAME', value: 'shop' }, { name: 'MODE', value: 'batch' }, { name: 'DEBUG', value: 'true' }], secrets: [{ name: 'X', valueFrom: 'arn:aws:ssm:x' }] }],
      },
    });
    registry.addFromAws({ Targets: [{ Id: 't', Input: JSON.stringify({ containerOverrides: [{ name: 'app', environment: [{ name: 'MAIL_PASS', value: 'mail-pass-777' }, { name: 'JOB', value: 'shop-prod-nightly' }] }] }) }] });
    registry.addFromAws({ accessKeyId: 'AKIASENTINEL', secretAccessKey: 'secret-access-sentinel', sessionToken: 'session-sentinel' });
    const masked = registry.mask('pw-db-4242 mail-pass-777 AKIASENTINEL secret-access-sentinel session-sentinel true arn:aws:ssm:x shop-prod-app shop-dev-batch rule shop-prod-nightly');
    assert.equal(masked, `${MASK} ${MASK} ${MASK} ${MASK} ${MASK} true arn:aws:ssm:x shop-prod-app shop-dev-batch rule shop-prod-nightly`);
  });

  it('masks a secret that a server cut short at the end of its text, from 8 characters on', () => {
    const registry = new SecretRegistry();
    registry.add('SENTINELTOKENa1b2c3');
    assert.equal(registry.mask('"circle-token":"SENTINELTOKENa1b2c'), `"circle-token":"${MASK}`);
    assert.equal(registry.mask('token SENTINELTOKEN...\n'), `token ${MASK}...\n`);
    assert.equal(registry.mask('a SENTINE'), 'a SENTINE', 'shorter heads are no secret');
    assert.equal(registry.mask('value "SENTINELTOKENa1..." is not a region'), `value "${MASK}..." is not a region`);
  });

  it('masks first, then cuts: no head of a secret is left by the cut', () => {
    const registry = new SecretRegistry();
    const token = 'SENTINELTOKENa1b2c3';
    registry.add(token);
    const text = `${'x'.repeat(180)}"circle-token":"${token}") and no pipeline was found`;
    const cut = registry.maskAndCut(text, 200);
    assert.ok(cut.length <= 200);
    assert.ok(!cut.includes(token.slice(0, 8)), cut);
    assert.ok(!`${text.slice(0, 197)}...`.includes(token.slice(0, 19)), 'cutting first would have left a head that no longer matches');
  });
});

describe('maskEchoed', () => {
  const request = {
    family: 'shop-prod-app',
    containerDefinitions: [{ name: 'batch', image: 'localhost:5000/shop/app:new', environment: [{ name: 'APP_NAME', value: 'shop' }, { name: 'MODE', value: 'batch' }] }],
  };

  it('masks the environment values of the request it answers, keeping the names the request carries', () => {
    const message = `invalid request: ${JSON.stringify(request)}`;
    const masked = maskEchoed(message, request);
    assert.ok(masked.includes('"family":"shop-prod-app"'), masked);
    assert.ok(masked.includes('"name":"batch"'), masked);
    assert.ok(masked.includes('localhost:5000/shop/app:new'), masked);
    assert.ok(masked.includes(`{"name":"APP_NAME","value":"${MASK}"}`), masked);
    // MODE=batch equals the container's name, and a name is always shown as it is.
    assert.ok(masked.includes('{"name":"MODE","value":"batch"}'), masked);
  });

  it('masks a target\'s Input whole and the values inside it', () => {
    const input = JSON.stringify({ containerOverrides: [{ name: 'batch', environment: [{ name: 'JOB', value: 'reindex-all' }] }] });
    const masked = maskEchoed(`bad input ${input} and reindex-all`, { Rule: 'shop-prod-nightly', Targets: [{ Id: 'batch', Input: input }] });
    assert.equal(masked, `bad input ${MASK} and ${MASK}`);
  });

  it('leaves a message alone when the request carried no environment', () => {
    assert.equal(maskEchoed('service shop-prod-app not found', { cluster: 'shop-prod', services: ['shop-prod-app'] }), 'service shop-prod-app not found');
  });
});

describe('maskingIO', () => {
  it('masks stdout and stderr with the secrets known at the time of writing', () => {
    const written: string[] = [];
    const secrets = new SecretRegistry();
    const base: CliIO = { cwd: '/', env: {}, secrets, stdout: (t) => written.push(`out:${t}`), stderr: (t) => written.push(`err:${t}`), readStdin: () => Promise.resolve('') };
    const io = maskingIO(base);
    io.stdout('late-secret-1');
    secrets.add('late-secret-1');
    io.stdout('late-secret-1');
    io.stderr('x late-secret-1 y');
    assert.deepEqual(written, ['out:late-secret-1', `out:${MASK}`, `err:x ${MASK} y`]);
  });
});
