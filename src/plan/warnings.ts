/**
 * Warnings for `explain` and `generate`: parts of the description that look wrong against the repository,
 * though not wrong enough to refuse (a glob that matches no file may be for a file to come).
 */
import type { ProjectDescription } from '../description/resolve.js';
import type { PathRule } from '../description/schema.js';
import type { TerraformImpact } from '../terraform/graph.js';
import type { TriggerContext } from '../trigger/context.js';
import { compileGlob, matchesAny } from './pathRules.js';
import { deployJobName, terraformApplyJobName, terraformPlanJobName } from './jobNames.js';
import { matchingTagFilter } from './tagFilters.js';

/** Globs that match no file of the repository (`files`: every tracked path, relative to the project root). */
export function globWarnings(description: ProjectDescription, files: readonly string[]): string[] {
  const warnings: string[] = [];
  const check = (where: string, pattern: string) => {
    const glob = compileGlob(pattern);
    if (!matchesAny(glob, files)) warnings.push(`${where}: ${JSON.stringify(pattern)} matches no file in the repository`);
  };
  const checkRule = (where: string, rule: PathRule) => {
    rule.include.forEach((pattern, index) => {
      check(`${where}.include[${index}]`, pattern);
    });
    rule.exclude.forEach((pattern, index) => {
      check(`${where}.exclude[${index}]`, pattern);
    });
  };
  for (const image of description.images) checkRule(`images.${image.name}.paths`, image.paths);
  for (const suite of description.tests) {
    checkRule(`tests.${suite.name}.paths`, suite.paths);
    // A preset's testFiles is not the user's to fix: only what the description says is warned about.
    if (suite.testFiles !== undefined && suite.testFilesFromPreset !== true) check(`tests.${suite.name}.testFiles`, suite.testFiles);
  }
  return warnings;
}

/** Declared shared modules that no root module uses (the graph, not the list, decides what a change selects). */
export function moduleWarnings(description: ProjectDescription, impact: TerraformImpact): string[] {
  if (!impact.parsed) return [];
  const used = new Set([...impact.modulesUsed.values()].flat());
  return (description.terraform?.modules ?? []).flatMap((module, index) =>
    used.has(module) ? [] : [`terraform.modules[${index}]: ${JSON.stringify(module)} is used by no root module (no local module block names it)`],
  );
}

/**
 * Jobs that assume an AWS role without a CircleCI context: "OIDC tokens are only available to jobs
 * that use at least one context" (https://circleci.com/docs/openid-connect-tokens/), so setup_aws
 * would fail in CircleCI though every offline check passes.
 */
export function contextWarnings(description: ProjectDescription): string[] {
  const warnings: string[] = [];
  const check = (where: string, access: { readonly roleArn: string; readonly circleciContext?: string }, jobs: string) => {
    if (access.circleciContext === undefined) {
      warnings.push(`${where}: roleArn without circleciContext: CircleCI gives an OIDC token only to jobs with a context, so ${jobs} cannot assume the role; name the context`);
    }
  };
  for (const image of description.images) check(`images.${image.name}`, image, 'its build job');
  for (const env of description.environments) {
    check(`environments.${env.name}`, env, deployJobName(env.name));
    if (env.plan) check(`environments.${env.name}.plan`, env.plan, 'its Terraform plans');
  }
  for (const root of description.terraform?.roots ?? []) {
    // A root's own role and context, or its environment's: warned at the environment when inherited.
    const env = description.environments.find((candidate) => candidate.name === root.environment);
    if (env === undefined || root.roleArn !== env.roleArn || root.circleciContext !== env.circleciContext) check(`terraform root ${root.name}`, root, terraformApplyJobName(root.name));
    if (root.plan && root.plan !== env?.plan) check(`terraform root ${root.name} plan`, root.plan, terraformPlanJobName(root.name));
  }
  return warnings;
}

/** A tag pipeline whose tag no filter of the description matches: CircleCI would not start it. */
export function tagWarnings(description: ProjectDescription, trigger: TriggerContext): string[] {
  const tag = trigger.tag;
  if (tag === undefined || matchingTagFilter(description.project.tags, tag) !== undefined) return [];
  const filters = description.project.tags.length > 0 ? `none of project.tags (${description.project.tags.join(', ')})` : 'no project.tags (there are none)';
  return [`tag ${JSON.stringify(tag)} matches ${filters}: CircleCI starts no pipeline for it; add a filter to project.tags to build it`];
}
