/**
 * circle-fargate as a library. The CLI is a thin layer over these.
 */
export { defineConfig } from './description/define.js';
export type { ProjectDescriptionInput } from './description/schema.js';
export type { ProjectDescription } from './description/resolve.js';
export { loadDescription, parseDescription } from './description/load.js';
export { descriptionJsonSchema } from './description/schema.js';
export { triggerFromInput, type TriggerContext } from './trigger/context.js';
export { changeSetFromGit, changeSetFromList, type ChangeSet } from './changes/changeSet.js';
export { gitIn } from './changes/git.js';
export { planPipeline, type Plan, type PlannedJob } from './plan/plan.js';
export { generateContinuation } from './generate.js';
export { formatExplanation } from './explain.js';
export { InputError, OperationError, EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT } from './errors.js';
export { VERSION } from './version.js';
