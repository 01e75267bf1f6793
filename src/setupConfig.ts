/**
 * The setup config (`.circleci/config.yml`) that `circle-fargate init` writes: `setup: true`,
 * the pipeline parameter `deploy_env`, and one job, the orb's `setup`, that runs circle-fargate at
 * this version to generate the pipeline and continue it. Pipeline values reach the generator as
 * environment values of the orb's step, never pasted into shell code.
 */
import type { ConfigShape } from './circleci/emit/shape.js';
import { orbUse } from './circleci/emit/synth.js';
import type { ProjectDescription } from './description/resolve.js';
import type { OrbObject } from './orb/pack.js';
import { installParameters } from './install.js';
import { DEPLOY_ENV_PARAMETER } from './trigger/context.js';
import { SETUP_JOB_NAME, SETUP_WORKFLOW_NAME } from './plan/jobNames.js';

export const SETUP_CONFIG_FILE = '.circleci/config.yml';

export function setupConfigShape(description: ProjectDescription, source: string, version: string, orb: OrbObject): ConfigShape {
  const parameters = {
    depth: description.checkout.depth,
    config: source,
    [DEPLOY_ENV_PARAMETER]: `<< pipeline.parameters.${DEPLOY_ENV_PARAMETER} >>`,
    ...installParameters(description.install, version, 'setup'),
  };
  return {
    header: [
      `Written by circle-fargate ${version} init from ${source}; do not edit.`,
      '`circle-fargate init` rewrites it, and `circle-fargate init --check` fails when it has drifted.',
    ],
    setup: true,
    parameters: [
      {
        name: DEPLOY_ENV_PARAMETER,
        type: 'string',
        default: '',
        description: 'Environment an API trigger deploys (set by `circle-fargate trigger`).',
      },
    ],
    orb: orbUse(description, version, orb, [{ job: 'setup', parameters }]),
    jobs: [],
    workflows: [
      {
        name: SETUP_WORKFLOW_NAME,
        jobs: [
          {
            name: SETUP_JOB_NAME,
            kind: 'orb',
            orbJob: 'setup',
            requires: [],
            context: [],
            // The setup workflow must run for tags too, or a tag pipeline runs nothing.
            ...(description.project.tags.length > 0 ? { filters: { tags: { only: description.project.tags } } } : {}),
            parameters,
          },
        ],
      },
    ],
  };
}
