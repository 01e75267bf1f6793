/**
 * `init`: the setup config, written and checked, on the bundled example and on this repository.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EXAMPLE, ROOT, runCommand } from '../helpers/cli.js';
import { VERSION as PACKAGE_VERSION } from '../../src/version.js';
import { parseConfig, workflowInvocation, workflowJobNames } from '../helpers/config.js';
import { removeDir, repoFromDirectory } from '../helpers/git.js';
import { officialSchemaErrors } from '../helpers/officialSchema.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

describe('init', () => {
  it('keeps this repository\'s own .circleci/config.yml in step with its description', async () => {
    const result = await runCommand(['init', '--check'], { cwd: ROOT });
    assert.equal(result.stderr, '.circleci/config.yml is up to date\n');
    assert.equal(result.code, 0);
  });

  it('writes a setup config that runs the orb\'s setup job with deploy_env, and validates', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    dirs.push(dir);
    const result = await runCommand(['init'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, 'wrote .circleci/config.yml\nwrote .circleci/rollback.yml\n', 'and the rollback pipeline (every environment deploys an image; none promotes)');
    const text = readFileSync(path.join(dir, '.circleci/config.yml'), 'utf8');
    const config = parseConfig(text);
    assert.equal(config.setup, true);
    assert.deepEqual(config.parameters, { deploy_env: { type: 'string', default: '', description: 'Environment an API trigger deploys (set by `circle-fargate trigger`).' } });
    assert.deepEqual(workflowJobNames(config), ['setup']);
    assert.deepEqual(workflowInvocation(config, 'setup'), {
      commands: [],
      job: 'circle-fargate/setup',
      parameters: { depth: 1, config: 'circle-fargate.config.ts', deploy_env: '<< pipeline.parameters.deploy_env >>', install_source: 'registry', version: PACKAGE_VERSION, install_from: '' },
    });
    assert.equal(typeof config.orbs['circle-fargate'], 'object');
    assert.deepEqual(officialSchemaErrors(config), []);
    const validated = await runCommand(['validate', '.circleci/config.yml'], { cwd: dir });
    assert.equal(validated.code, 0, validated.stdout);
  });

  it('--check exits 1 when the file is missing or has drifted, and writes nothing', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    dirs.push(dir);
    const missing = await runCommand(['init', '--check'], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, '.circleci/config.yml does not exist: run circle-fargate init\n.circleci/rollback.yml does not exist: run circle-fargate init\n');
    assert.equal(existsSync(path.join(dir, '.circleci/config.yml')), false);
    await runCommand(['init'], { cwd: dir });
    const file = path.join(dir, '.circleci/config.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('deploy_env:', 'deploy_environment:'));
    const drifted = await runCommand(['init', '--check'], { cwd: dir });
    assert.equal(drifted.code, 1);
    assert.equal(drifted.stderr, '.circleci/config.yml differs from what init writes: run circle-fargate init\n.circleci/rollback.yml is up to date\n');
  });

  it('names the published orb when the description asks for it', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    dirs.push(dir);
    const file = path.join(dir, 'circle-fargate.config.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('checkout: { depth: 1 },', "checkout: { depth: 1 },\n  orb: { source: 'published', namespace: 'acme', version: '1.2.3' },"));
    const result = await runCommand(['init'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const config = parseConfig(readFileSync(path.join(dir, '.circleci/config.yml'), 'utf8'));
    assert.deepEqual(config.orbs, { 'circle-fargate': 'acme/circle-fargate@1.2.3' });
  });
});
