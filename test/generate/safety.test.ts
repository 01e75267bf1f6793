/**
 * No untrusted value (branch, tag, pipeline parameter) becomes shell code or YAML structure in
 * an emitted config: hostile values go in, and every `run` step of the config, its inline orb
 * included, is checked for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { runCommand } from '../helpers/cli.js';
import { SAMPLE_TERRAFORM, sampleDescription } from '../helpers/descriptions.js';
import { parseConfig } from '../helpers/config.js';
import { exampleRepo, removeDir, writeFiles } from '../helpers/git.js';
import { officialSchemaErrors } from '../helpers/officialSchema.js';

const HOSTILE = [
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  "it's \"quoted\"",
  'line\nversion: 9\nbreak',
  '; rm -rf / #',
  '<< pipeline.parameters.deploy_env >>',
  '${HOME}',
];

let repo: string;
before(async () => {
  repo = await exampleRepo();
  writeFiles(repo, SAMPLE_TERRAFORM); // the sample description's roots and module beside the example's
});
after(() => {
  removeDir(repo);
});

/** Every `run` command anywhere in the config: its jobs, commands and inline orbs. */
function runCommands(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => runCommands(item, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'run') {
        const command = typeof item === 'string' ? item : (item as { command?: unknown }).command;
        found.push(typeof command === 'string' ? command : '');
      }
      else runCommands(item, found);
    }
  }
  return found;
}

describe('values of the description', () => {
  it('reach jobs as data: a `<<` in them is escaped, not interpolated', async () => {
    const description = sampleDescription() as any;
    description.images.app.buildArgs = { NOTE: '<< pipeline.parameters.deploy_env >>' };
    writeFileSync(`${repo}/desc.json`, JSON.stringify(description));
    const escaped = await runCommand(['generate', '--config', 'desc.json', '--branch', 'master', '--changed-files', '-'], { cwd: repo, input: 'app/x.php\n' });
    assert.equal(escaped.code, 0, escaped.stderr);
    const build = parseConfig(escaped.stdout).jobs['build-image'].steps.find((step: any) => typeof step === 'object' && 'circle-fargate/build_and_push_image' in step);
    assert.equal(build['circle-fargate/build_and_push_image'].build_args, 'NOTE=\\<< pipeline.parameters.deploy_env >>');
  });

  it('a value that reads like a reference nothing declares is data too: generate emits it and its checks pass', async () => {
    const description = sampleDescription() as any;
    description.images.app.buildArgs = { A: '<< parameters.nope >>', B: '<< pipeline.parameters.nope >>', C: '<<# parameters.x >>y<</ parameters.x >>' };
    writeFileSync(`${repo}/desc.json`, JSON.stringify(description));
    const result = await runCommand(['generate', '--config', 'desc.json', '--branch', 'master', '--changed-files', '-'], { cwd: repo, input: 'app/x.php\n' });
    assert.equal(result.code, 0, result.stderr);
    const build = parseConfig(result.stdout).jobs['build-image'].steps.find((step: any) => typeof step === 'object' && 'circle-fargate/build_and_push_image' in step);
    assert.equal(build['circle-fargate/build_and_push_image'].build_args, 'A=\\<< parameters.nope >>\nB=\\<< pipeline.parameters.nope >>\nC=\\<<# parameters.x >>y\\<</ parameters.x >>');
    writeFileSync(`${repo}/emitted.yml`, result.stdout);
    const validated = await runCommand(['validate', 'emitted.yml'], { cwd: repo });
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);
  });
});

describe('hostile values', () => {
  for (const value of HOSTILE) {
    it(`stay data: ${JSON.stringify(value)}`, async () => {
      const asBranch = await runCommand(
        ['generate', '--branch', value, '--trigger-source', 'api', '--param', 'deploy_env=pre', '--param', `note=${value}`, '--changed-files', '-'],
        { cwd: repo, input: 'app/x.php\n' },
      );
      const asTag = await runCommand(['generate', '--tag', value, '--changed-files', '-'], { cwd: repo, input: 'app/x.php\n' });
      for (const result of [asBranch, asTag]) {
        assert.equal(result.code, 0, result.stderr);
        const config = parseConfig(result.stdout);
        assert.equal(config.version, 2.1);
        assert.deepEqual(officialSchemaErrors(config), []);
        const commands = runCommands(config);
        assert.ok(commands.length >= 5, 'the inline orb scripts are checked too');
        for (const command of commands) {
          assert.ok(!command.includes(value), `a run command holds ${JSON.stringify(value)}`);
          assert.doesNotMatch(command, /<</, 'a run command interpolates a value');
        }
      }
      // The trigger's parameters are declared, never given values in the config.
      const config = parseConfig(asBranch.stdout);
      assert.deepEqual(config.parameters.note, { type: 'string', default: '', description: 'Sent by the trigger.' });
    });
  }
});
