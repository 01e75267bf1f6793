/**
 * The plan: which jobs this pipeline runs and why. Pure: description, trigger and change set
 * in; the list of every job the description can produce, each with `runs` and its reasons, out.
 */
import type { ChangeSet } from '../changes/changeSet.js';
import type { Environment, ProjectDescription, TerraformRoot } from '../description/resolve.js';
import { closest } from '../description/schemaKit.js';
import { InputError } from '../errors.js';
import { DEPLOY_ENV_PARAMETER, type TriggerContext } from '../trigger/context.js';
import {
  buildImageJobName,
  deployJobName,
  releaseJobName,
  terraformApplyJobName,
  terraformApprovalJobName,
  terraformPlanJobName,
  testJobName,
} from './jobNames.js';
import { isUnder, NO_IMPACT, versionFileChanges, type TerraformImpact } from '../terraform/graph.js';
import { compileRule, summarizeFiles, type CompiledRule } from './pathRules.js';
import { matchingTagFilter } from './tagFilters.js';

export type JobKind = 'test' | 'build-image' | 'terraform-plan' | 'terraform-approval' | 'terraform-apply' | 'deploy' | 'release';

export interface PlannedJob {
  readonly name: string;
  readonly kind: JobKind;
  /** The image, suite, Terraform root or environment the job is for. */
  readonly subject: string;
  readonly runs: boolean;
  /** Why it runs, or why not, for people. */
  readonly reasons: readonly string[];
  /** Jobs (that run) this one waits for. */
  readonly requires: readonly string[];
  /** build-image only: the base revision whose image may be retagged instead of rebuilt. */
  readonly reuseFrom?: string;
}

export interface Plan {
  readonly trigger: TriggerContext;
  readonly changes: ChangeSet;
  readonly jobs: readonly PlannedJob[];
}

interface Selection {
  runs: boolean;
  reasons: string[];
}

export function planPipeline(
  description: ProjectDescription,
  trigger: TriggerContext,
  changes: ChangeSet,
  terraform: TerraformImpact = NO_IMPACT,
): Plan {
  const everything = changes.selectAll ? `every job is selected: ${changes.selectAllReason ?? 'no usable base'}` : undefined;
  const byRule = (rule: CompiledRule, where: string): Selection => {
    if (everything) return { runs: true, reasons: [everything] };
    const matched = rule.matching(changes.files);
    return matched.length > 0
      ? { runs: true, reasons: [`${where} matched ${summarizeFiles(matched)}`] }
      : { runs: false, reasons: [`no changed file matches ${where}`] };
  };

  const images = description.images.map((image) => {
    const selection = byRule(compileRule(image.paths), `images.${image.name}.paths`);
    return { image, name: buildImageJobName(image.name, description.images.length), selection, byPaths: selection.runs };
  });
  const tests = description.tests.map((suite) => ({
    suite,
    name: testJobName(suite.name),
    selection: byRule(compileRule(suite.paths), `tests.${suite.name}.paths`),
  }));

  const deploys = description.environments.map((environment) => ({
    environment,
    name: deployJobName(environment.name),
    selection: deploySelection(environment, trigger, images),
  }));
  const requestedEnv = trigger.parameters[DEPLOY_ENV_PARAMETER];
  if (requestedEnv !== undefined && requestedEnv !== '') checkRequestedEnvironment(requestedEnv, description.environments);

  // A deploy ships the image built, and tested, at this revision.
  for (const deploy of deploys.filter((d) => d.selection.runs)) {
    const image = images.find((i) => i.image.name === deploy.environment.image);
    if (image) markNeeded(image.selection, `${deploy.name} deploys this revision's image`);
    for (const test of tests) markNeeded(test.selection, `${deploy.name} requires the tests of this revision`);
  }

  const jobs: PlannedJob[] = [];
  for (const test of tests) jobs.push(job(test.name, 'test', test.suite.name, test.selection, []));
  for (const image of images) {
    const built = job(image.name, 'build-image', image.image.name, image.selection, []);
    // Needed only by a deploy, with no input changed since a known base: that base's image will do.
    const onlyForDeploy = image.selection.runs && !image.byPaths && !changes.selectAll;
    const base = changes.base.revision;
    if (onlyForDeploy && image.image.reuse && base !== null) {
      jobs.push({ ...built, reuseFrom: base, reasons: [...built.reasons, `no input changed since ${base.slice(0, 12)}: its image is retagged if ECR has it`] });
    } else {
      jobs.push(built);
    }
  }

  const onDefaultBranch = trigger.tag === undefined && trigger.branch === description.project.defaultBranch;
  const apiDeploy = requestedEnv !== undefined && requestedEnv !== '' ? requestedEnv : undefined;
  for (const root of description.terraform?.roots ?? []) {
    const planName = terraformPlanJobName(root.name);
    let plan = terraformPlanSelection(root, changes, terraform, everything);
    if (plan.runs && apiDeploy !== undefined && root.environment !== apiDeploy) {
      // Asking to deploy one environment touches nothing of another (nor of no environment).
      plan = { runs: false, reasons: [`${DEPLOY_ENV_PARAMETER}=${apiDeploy} runs only what ${apiDeploy} needs; this root belongs to ${root.environment ?? 'no environment'}`] };
    }
    if (plan.runs && root.plan === undefined && !onDefaultBranch) {
      // Plans on other branches would need the apply role: never hand it to any branch's code.
      plan = {
        runs: false,
        reasons: [`no read-only plan role (terraform root ${root.name}: set "plan", or "plan" of its environment): off the default branch a plan never assumes the apply role`],
      };
    }
    jobs.push(job(planName, 'terraform-plan', root.name, plan, []));

    const apply: Selection = !plan.runs
      ? { runs: false, reasons: [`${planName} does not run`] }
      : onDefaultBranch
        ? { runs: true, reasons: [`${planName} runs on the default branch ${description.project.defaultBranch}`] }
        : { runs: false, reasons: [`applies run only on the default branch ${description.project.defaultBranch}`] };
    let applyRequires = [planName];
    if (root.approve) {
      const approval = terraformApprovalJobName(root.name);
      jobs.push(job(approval, 'terraform-approval', root.name, { runs: apply.runs, reasons: apply.runs ? [`terraform root ${root.name} asks for approval before apply`] : apply.reasons }, [planName]));
      applyRequires = [approval];
    }
    jobs.push(job(terraformApplyJobName(root.name), 'terraform-apply', root.name, apply, applyRequires));
  }

  for (const deploy of deploys) {
    const env = deploy.environment;
    const image = images.find((i) => i.image.name === env.image);
    const applies = (description.terraform?.roots ?? [])
      .filter((root) => root.environment === env.name)
      .map((root) => terraformApplyJobName(root.name));
    const requires = [...tests.map((t) => t.name), ...(image ? [image.name] : []), ...applies];
    jobs.push(job(deploy.name, 'deploy', env.name, deploy.selection, requires));
  }

  // A release runs on the push of a matching tag, after every test of the pipeline (and the deploys
  // the tag triggers): it publishes what this revision is.
  for (const release of description.releases) {
    const requires = [...tests.map((t) => t.name), ...deploys.map((d) => d.name)];
    jobs.push(job(releaseJobName(release.name), 'release', release.name, tagSelection(release.tags, trigger, 'releases'), requires));
  }

  // Only running jobs can be waited for.
  const running = new Set(jobs.filter((j) => j.runs).map((j) => j.name));
  return {
    trigger,
    changes,
    jobs: jobs.map((j) => ({ ...j, requires: j.runs ? j.requires.filter((r) => running.has(r)) : [] })),
  };
}

function terraformPlanSelection(root: TerraformRoot, changes: ChangeSet, impact: TerraformImpact, everything: string | undefined): Selection {
  if (everything) return { runs: true, reasons: [everything] };
  const reasons: string[] = [];
  const own = changes.files.filter((file) => isUnder(file, root.dir));
  if (own.length > 0) reasons.push(`files under ${root.dir} changed: ${summarizeFiles(own)}`);
  const versions = versionFileChanges(root.dir, changes.files).filter((file) => !own.includes(file));
  if (versions.length > 0) reasons.push(`Terraform version files changed: ${summarizeFiles(versions)}`);
  for (const hit of impact.viaModules.get(root.name) ?? []) reasons.push(`module ${hit.module}, which it uses, changed: ${summarizeFiles(hit.files)}`);
  const unreadable = impact.unreadable.get(root.name);
  if (unreadable !== undefined) reasons.push(`selected to be safe: ${unreadable}`);
  return reasons.length > 0 ? { runs: true, reasons } : { runs: false, reasons: [`no changed file under ${root.dir} or a module it uses`] };
}

function job(name: string, kind: JobKind, subject: string, selection: Selection, requires: string[]): PlannedJob {
  return { name, kind, subject, runs: selection.runs, reasons: selection.reasons, requires };
}

function markNeeded(selection: Selection, reason: string): void {
  if (!selection.runs) {
    selection.runs = true;
    selection.reasons = [reason];
  } else {
    selection.reasons.push(reason);
  }
}

function deploySelection(
  env: Environment,
  trigger: TriggerContext,
  images: readonly { image: { name: string }; selection: Selection }[],
): Selection {
  const requested = trigger.parameters[DEPLOY_ENV_PARAMETER];
  if (env.trigger.type === 'tag') return tagSelection(env.trigger.tags, trigger, 'deploys');
  if (env.trigger.type === 'api') {
    return requested === env.name
      ? { runs: true, reasons: [`${DEPLOY_ENV_PARAMETER}=${env.name} (${trigger.source} trigger on ${refName(trigger)})`] }
      : { runs: false, reasons: [`deploys only when a trigger sets ${DEPLOY_ENV_PARAMETER}=${env.name}`] };
  }
  const branch = env.trigger.branch;
  if (trigger.tag !== undefined || trigger.branch !== branch) {
    return { runs: false, reasons: [`deploys on pushes to ${branch}`] };
  }
  if (trigger.source !== 'webhook') {
    return { runs: false, reasons: [`deploys on pushes to ${branch}, not on ${trigger.source} triggers`] };
  }
  if (env.deployWhen === 'always') return { runs: true, reasons: [`push to ${branch} (deployWhen: always)`] };
  const image = images.find((i) => i.image.name === env.image);
  if (image?.selection.runs) {
    return { runs: true, reasons: [`push to ${branch} changed image ${image.image.name}: ${image.selection.reasons.join('; ')}`] };
  }
  return { runs: false, reasons: [`push to ${branch} changed no input of the image`] };
}

/** A job that runs on the push of a tag matching one of `tags` (a tag deploy, a release). */
function tagSelection(tags: readonly string[], trigger: TriggerContext, what: 'deploys' | 'releases'): Selection {
  const tag = trigger.tag;
  if (tag === undefined) return { runs: false, reasons: [`${what} on tags matching ${tags.join(', ')}`] };
  const matched = matchingTagFilter(tags, tag);
  if (matched === undefined) return { runs: false, reasons: [`tag ${tag} matches none of ${tags.join(', ')}`] };
  if (trigger.source !== 'webhook') return { runs: false, reasons: [`${what} on tag pushes, not on ${trigger.source} triggers`] };
  return { runs: true, reasons: [`tag ${tag} matches ${matched}`] };
}

function checkRequestedEnvironment(requested: string, environments: readonly Environment[]): void {
  const apiNames = environments.filter((env) => env.trigger.type === 'api').map((env) => env.name);
  const found = environments.find((env) => env.name === requested);
  if (found && found.trigger.type === 'api') return;
  const valid = apiNames.length > 0 ? `one of ${apiNames.join(', ')}` : 'nothing: no environment is API-triggered';
  const meant = found ? undefined : closest(requested, apiNames);
  const what = found ? `environment "${requested}" deploys on pushes to a branch, not by parameter` : `no environment "${requested}"${meant !== undefined ? `; did you mean "${meant}"?` : ''}`;
  throw new InputError(`${DEPLOY_ENV_PARAMETER}: ${what} (expected ${valid})`);
}

function refName(trigger: TriggerContext): string {
  return trigger.tag !== undefined ? `tag ${trigger.tag}` : `branch ${trigger.branch ?? '?'}`;
}
