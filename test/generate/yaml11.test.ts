/**
 * Values that a YAML 1.1 reader (CircleCI's among them) would turn into booleans, octal numbers
 * or sexagesimals must reach it unchanged. Read back by two independent YAML 1.1 readers:
 * the `yaml` package in 1.1 mode and Python's PyYAML.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { changeSetFromList } from '../../src/changes/changeSet.js';
import { parseDescription } from '../../src/description/load.js';
import { generateContinuation } from '../../src/generate.js';
import { triggerFromInput } from '../../src/trigger/context.js';
import { parseConfig } from '../helpers/config.js';
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
      d.environments.on = { ...d.environments.pre, circleciContext: 'yes', cluster: 'off' };
      d.environments.y = { ...d.environments.pre, circleciContext: 'no', cluster: 'y' };
    }),
  );
  const trigger = triggerFromInput({ branch: 'on', source: 'api', params: ['deploy_env=on'] }, {});
  const { yaml } = generateContinuation({ description, trigger, changes: changeSetFromList(['app/x.php']), source: 'x.json' });

  for (const [reader, read] of [
    ['yaml (1.1 mode)', parseConfig],
    ['PyYAML', readWithPyYaml],
  ] as const) {
    it(`round-trips through ${reader}`, () => {
      const config = read(yaml) as Record<string, any>;
      const build = config.jobs['build-image'].steps.find((step: any) => step.run?.name === 'Build and push image').run.environment;
      HAZARDS.forEach((value, index) => {
        assert.equal(build[`CF_BUILD_ARG_ARG_${index}`], value, `build arg ${index}`);
      });
      const workflowJobs = config.workflows['circle-fargate'].jobs as Record<string, any>[];
      const deployOn = workflowJobs.find((entry) => typeof entry === 'object' && 'deploy-on' in entry)?.['deploy-on'];
      assert.deepEqual(deployOn.context, ['yes']);
      const deployStep = config.jobs['deploy-on'].steps.find((step: any) => step.run?.name === 'Deploy on').run.environment;
      assert.equal(deployStep.CF_ENVIRONMENT, 'on');
      assert.equal(config.parameters.deploy_env.default, '');
    });
  }
});
