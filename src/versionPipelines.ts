/**
 * The rollback and promote pipelines' configs that `circle-fargate init` writes beside the setup
 * config. CircleCI's Deploys timeline offers **Rollback** (to an earlier version of a component in
 * an environment) and **Promote** (a version of one environment into another); each runs a
 * pipeline the project configures, which gets `pipeline.deploy.*` values: "COMPONENT_NAME: <<
 * pipeline.deploy.component_name >>, ENVIRONMENT_NAME: << pipeline.deploy.environment_name >>,
 * TARGET_VERSION: << pipeline.deploy.target_version >>" (CircleCI's rollback template), and
 * "rollback pipelines require deploy markers"
 * (https://circleci.com/docs/guides/deploy/set-up-rollbacks/).
 *
 * One workflow per environment, run only when the pipeline's environment and component are that
 * environment and its image (a compile-time comparison: CircleCI decides `when` before any shell
 * runs), so only environments of the description can be deployed. The version reaches the orb's
 * deploy_version job as a parameter used only in `environment:`, never in a command; the job
 * finds the digest in it, refuses a version whose digest is not in the image's repository, and
 * deploys it with the same engine, record, checks and markers as every deploy, in the
 * environment's context and serial group.
 */
import type { ConfigShape, WorkflowShape } from './circleci/emit/shape.js';
import { deployParameters, orbUse } from './circleci/emit/synth.js';
import type { Environment, ProjectDescription } from './description/resolve.js';
import { installParameters } from './install.js';
import type { OrbObject } from './orb/pack.js';

export const ROLLBACK_CONFIG_FILE = '.circleci/rollback.yml';
export const PROMOTE_CONFIG_FILE = '.circleci/promote.yml';

export type VersionPipeline = 'rollback' | 'promote';

/** The environments a pipeline of `kind` may deploy: promote only where the description allows it. */
export function versionPipelineEnvironments(description: ProjectDescription, kind: VersionPipeline): Environment[] {
  return description.environments.filter((env) => env.image !== undefined && (kind === 'rollback' || env.promoteFrom !== undefined));
}

export function versionPipelineShape(kind: VersionPipeline, description: ProjectDescription, source: string, version: string, orb: OrbObject): ConfigShape {
  const workflows: WorkflowShape[] = versionPipelineEnvironments(description, kind).map((env) => {
    const image = description.images.find((item) => item.name === env.image);
    const parameters = {
      ...deployParameters(env, source),
      ...installParameters(description.install, version, 'generated'),
      depth: description.checkout.depth,
      repository: image?.repository ?? '',
      target_version: '<< pipeline.deploy.target_version >>',
      // Its notify parameters (deployParameters) send the rollback's or promotion's outcome too.
      kind,
    };
    return {
      name: `${kind}-${env.name}`,
      when: {
        and: [{ equal: [env.name, '<< pipeline.deploy.environment_name >>'] }, { equal: [env.image ?? '', '<< pipeline.deploy.component_name >>'] }],
      },
      jobs: [
        {
          name: `${kind}-${env.name}`,
          kind: 'orb',
          orbJob: 'deploy_version',
          requires: [],
          context: env.circleciContext !== undefined ? [env.circleciContext] : [],
          // The deploy job's serial group: a rollback or promote never runs beside a deploy.
          serialGroup: `${description.project.slug}/deploy-${env.name}`,
          parameters,
        },
      ],
    };
  });
  const what = kind === 'rollback' ? 'Rollback pipeline (Deploys → Rollback)' : 'Deploy pipeline for promotions (Deploys → Promote)';
  return {
    header: [
      `${what}: written by circle-fargate ${version} init from ${source}; do not edit.`,
      '`circle-fargate init` rewrites it, and `circle-fargate init --check` fails when it has drifted.',
    ],
    parameters: [],
    orb: orbUse(description, version, orb, workflows.flatMap((workflow) => workflow.jobs.map((job) => ({ job: 'deploy_version', parameters: job.kind === 'orb' ? job.parameters : {} })))),
    jobs: [],
    workflows,
  };
}
