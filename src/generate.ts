/**
 * The generator as a library: description, trigger and change set in; the plan, the config
 * and its YAML out, checked against CircleCI's schema. No I/O beyond loading the validator.
 */
import type { ChangeSet } from './changes/changeSet.js';
import { checkOfficialSchema, preloadOfficialSchema } from './circleci/check/officialSchema.js';
import { checkReferences } from './circleci/check/references.js';
import { renderConfig, type ConfigObject } from './circleci/emit/render.js';
import type { ConfigShape } from './circleci/emit/shape.js';
import { synthesize } from './circleci/emit/synth.js';
import { toYaml } from './circleci/emit/yaml.js';
import type { ProjectDescription } from './description/resolve.js';
import { formatPath } from './description/schemaKit.js';
import { OperationError } from './errors.js';
import type { OrbObject } from './orb/pack.js';
import { planPipeline, type Plan } from './plan/plan.js';
import type { TerraformImpact } from './terraform/graph.js';
import type { TriggerContext } from './trigger/context.js';
import { VERSION } from './version.js';

export interface GenerateInput {
  readonly description: ProjectDescription;
  readonly trigger: TriggerContext;
  readonly changes: ChangeSet;
  /** Roots reached through the modules they use (from src/terraform/graph.ts). */
  readonly terraform?: TerraformImpact;
  /** The description file as named in the config's header. */
  readonly source: string;
  /** The packed circle-fargate orb (`bundledOrb()`). */
  readonly orb: OrbObject;
}

export interface GenerateOutput {
  readonly plan: Plan;
  readonly shape: ConfigShape;
  readonly config: ConfigObject;
  readonly yaml: string;
}

/** Loads what generating will need (the schema validator) before the input is ready. */
export function prepareGenerate(): void {
  preloadOfficialSchema();
}

export function generateContinuation(input: GenerateInput): GenerateOutput {
  const plan = planPipeline(input.description, input.trigger, input.changes, input.terraform);
  const shape = synthesize({ description: input.description, plan, source: input.source, version: VERSION, orb: input.orb });
  const config = renderConfig(shape);
  const findings = [...checkOfficialSchema(config), ...checkReferences(config).filter((finding) => finding.note !== true)];
  if (findings.length > 0) {
    throw new OperationError(
      `the emitted config fails validation (${findings.length} problem${findings.length === 1 ? '' : 's'}); nothing was written. This is a circle-fargate bug: please report it`,
      findings.map((finding) => `${formatPath(finding.path)}: ${finding.message}`),
    );
  }
  return { plan, shape, config, yaml: toYaml(config, shape.header) };
}
