/**
 * Values that a YAML 1.1 reader (CircleCI's among them) would turn into booleans, octal numbers
 * or sexagesimals must reach it unchanged. Read back by two independent YAML 1.1 readers:
 * the `yaml` package in 1.1 mode and Python's PyYAML.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { changeSetFromList } from '../../src/changes/changeSet.js';
import { parseDescription } from '../../src/description/load.js';
import { generateContinuation } from '../../src/generate.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { triggerFromInput } from '../../src/trigger/context.js';
import { parseConfig, workflowEntry, workflowInvocation } from '../helpers/config.js';
import { edited } from '../helpers/descriptions.js';

const HAZARDS = ['on', 'off', 'yes', 'no', 'y', 'n', 'true', 'False', '0777', '12:30', '1_000', '~', 'null', '.inf', '0x1F', '1e3'];

function readWithPyYaml(yaml: string): unknown {
  const script = 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))';
  try {
    return JSON.parse(execFileSync('python3', ['-c', script], { input: yaml, encoding: 'utf8' })) as unknown;
  } catch (error) {
    throw new Error(`python3 with PyYAML is needed for this test (it comes with the AWS CLI and moto): ${String(error)}`, { cause: error });
  }
}

describe('YAML 1.1 hazards', () => {
  const description = parseDescription(
    edited((d) => {
      d.images.app.buildArgs = Object.fromEntries(HAZARDS.map((value, index) => [`ARG_${index}`, value]));
      d.tests.phpunit = { image: 'cimg/php:8.3', command: 'yes', testFiles: 'off', paths: ['app/**'] };
      d.environments.on = { ...d.environments.pre, circleciContext: 'yes' };
      d.environments.y = { ...d.environments.pre, circleciContext: 'no' };
    }),
  );
  const trigger = triggerFromInput({ branch: 'on', source: 'api', params: ['deploy_env=on'] }, {});
  const { yaml } = generateContinuation({
    description,
    trigger,
    changes: changeSetFromList(['app/x.php']),
    source: 'x.json',
    orb: parse(execFileSync(process.execPath, [BIN, 'orb', 'pack'], { cwd: ROOT, encoding: 'utf8' })) as Record<string, unknown>,
  });

  for (const [reader, read] of [
    ['yaml (1.1 mode)', parseConfig],
    ['PyYAML', readWithPyYaml],
  ] as const) {
    it(`round-trips through ${reader}`, () => {
      const config = read(yaml) as Record<string, any>;
      // The values as the jobs pass them to the orb's commands, and the entries' contexts.
      const values = (name: string) => workflowInvocation(config, name).parameters;
      const args = HAZARDS.map((value, index) => [`ARG_${index}`, value] as const).sort(([a], [b]) => a.localeCompare(b));
      assert.equal(values('build-image').build_args, args.map(([name, value]) => `${name}=${value}`).join('\n'));
      assert.deepEqual(workflowEntry(config, 'deploy-on').context, ['yes']);
      assert.equal(values('deploy-on').environment, 'on');
      assert.equal(values('phpunit').command, 'yes');
      assert.equal(values('phpunit').test_files, 'off');
      assert.equal(config.parameters.deploy_env.default, '');
    });
  }
});
