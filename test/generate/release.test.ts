/**
 * Releases: this repository's own pipeline publishes the npm package and the orb from a version
 * tag (its description's `releases`, the `.circleci/config.yml` that init writes from it). What can
 * be checked here is: the release jobs appear for a matching tag, after the tests, with the
 * release context and tag filters, and the config validates; they appear for nothing else; the
 * release script refuses a tag that does not name package.json's version.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.js';
import { ROOT, runCommand } from '../helpers/cli.js';
import { parseConfig, workflowEntry, workflowInvocation, workflowJobNames, type Config } from '../helpers/config.js';
import { removeDir, tempDir } from '../helpers/git.js';

const TAG = /^v\d+\.\d+\.\d+$/;

let scratch: string;
before(() => {
  scratch = tempDir('circle-fargate-release-');
});
after(() => {
  removeDir(scratch);
});

async function generate(args: string[]): Promise<{ config: Config; yaml: string }> {
  const result = await runCommand(['generate', '--config', 'circle-fargate.config.ts', '--changed-files', '-', ...args], { cwd: ROOT, input: 'src/index.ts\n' });
  assert.equal(result.code, 0, result.stderr);
  return { config: parseConfig(result.stdout), yaml: result.stdout };
}

describe("this repository's release on a version tag", () => {
  it('a vX.Y.Z tag runs the tests, then release-npm and release-orb in the release context; the config validates', async () => {
    assert.ok(TAG.test(`v${VERSION}`));
    const { config, yaml } = await generate(['--tag', `v${VERSION}`]);
    assert.deepEqual(workflowJobNames(config), ['npm-test', 'release-npm', 'release-orb']);
    for (const [name, what] of [['release-npm', 'npm'], ['release-orb', 'orb']] as const) {
      const entry = workflowEntry(config, name);
      assert.deepEqual(entry.requires, ['npm-test']);
      assert.deepEqual(entry.context, ['circle-fargate-release']);
      assert.equal(workflowInvocation(config, name).parameters.command, `bash scripts/release.sh ${what}`);
      // CircleCI runs no job of a tag pipeline without tag filters that match the tag.
      assert.deepEqual(entry.filters, { tags: { only: [String(TAG)] } });
    }
    const file = path.join(scratch, 'tag.yml');
    writeFileSync(file, yaml);
    const validated = await runCommand(['validate', file]);
    assert.equal(validated.code, 0, validated.stderr);
  });

  it('no release, and no release context, on a push to main, on another tag, or on an API trigger', async () => {
    for (const args of [['--branch', 'main'], ['--tag', 'nightly-1'], ['--tag', `v${VERSION}`, '--trigger-source', 'api']]) {
      const { config, yaml } = await generate(args);
      assert.ok(!workflowJobNames(config).some((name) => name.startsWith('release-')), `${args.join(' ')}: ${workflowJobNames(config).join(', ')}`);
      assert.ok(!yaml.includes('circle-fargate-release'), args.join(' '));
    }
  });

  it('the setup config init writes starts pipelines for version tags', () => {
    const setup = parseConfig(readFileSync(path.join(ROOT, '.circleci/config.yml'), 'utf8'));
    const workflow = Object.values<Config>(setup.workflows)[0] as Config;
    const entry = Object.values<Config>(workflow.jobs[0] as Config)[0] as Config;
    assert.deepEqual(entry.filters.tags.only, [String(TAG)]);
  });
});

describe('one version source', () => {
  it('npm version runs scripts/sync-version.mjs, which writes package.json\'s version into the orb', () => {
    const copy = path.join(scratch, 'version');
    cpSync(path.join(ROOT, 'orb/src'), path.join(copy, 'orb/src'), { recursive: true });
    cpSync(path.join(ROOT, 'scripts/sync-version.mjs'), path.join(copy, 'scripts/sync-version.mjs'));
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };
    assert.equal(manifest.scripts.version, 'node scripts/sync-version.mjs');
    writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...manifest, version: '9.8.7' }));
    const synced = spawnSync(process.execPath, [path.join(copy, 'scripts/sync-version.mjs')], { cwd: copy, encoding: 'utf8' });
    assert.equal(synced.status, 0, synced.stderr);
    for (const file of ['commands/install.yml', 'jobs/setup.yml', 'jobs/deploy.yml']) {
      assert.match(readFileSync(path.join(copy, 'orb/src', file), 'utf8'), /\n {2}version:\n {4}type: string\n {4}default: 9\.8\.7\n/, file);
    }
    assert.notEqual(VERSION, '9.8.7');
    assert.ok(!readFileSync(path.join(copy, 'orb/src/commands/install.yml'), 'utf8').includes(`default: ${VERSION}\n`), 'the old version is gone');
  });
});

describe('scripts/release.sh', () => {
  const release = (args: string[], env: Record<string, string>) =>
    spawnSync('bash', [path.join(ROOT, 'scripts/release.sh'), ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: scratch, ...env } });

  it('refuses a tag that does not name package.json\'s version, in one line, before anything is published', () => {
    const result = release(['npm'], { CIRCLE_TAG: 'v99.0.0', NPM_TOKEN: 'npm_secret' });
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `release: tag v99.0.0 does not name package.json's version ${VERSION}: release with a v${VERSION} tag (npm version X.Y.Z makes both)\n`);
  });

  it('says which token is missing from the release context', () => {
    const npm = release(['npm'], { CIRCLE_TAG: `v${VERSION}` });
    assert.equal(npm.status, 1);
    assert.equal(npm.stderr, 'release: NPM_TOKEN is not set: add an npm automation token to the release context\n');
    const orb = release(['orb'], { CIRCLE_TAG: `v${VERSION}` });
    assert.equal(orb.status, 1);
    assert.match(orb.stderr, /^release: CIRCLE_TOKEN is not set/);
    const usage = release([], { CIRCLE_TAG: `v${VERSION}` });
    assert.equal(usage.stderr, 'release: usage: scripts/release.sh npm|orb\n');
  });
});
