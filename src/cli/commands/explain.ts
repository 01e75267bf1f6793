import { explanationOf, formatExplanation } from '../../explain.js';
import { planPipeline } from '../../plan/plan.js';
import { pipelineWarnings } from '../warnings.js';
import type { Command } from '../command.js';
import { PIPELINE_OPTIONS, PIPELINE_OPTIONS_HELP, PIPELINE_USAGE, readPipelineInput } from '../pipelineInput.js';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'show which jobs this pipeline runs and why, without emitting config',
  positionals: { min: 0, max: 0, name: '' },
  options: { ...PIPELINE_OPTIONS, json: { type: 'boolean' } },
  help: `Usage: circle-fargate explain ${PIPELINE_USAGE} [--json]

Shows what generate would decide, for a person: the trigger, the base revision and how it
was chosen, the changed files, the local Terraform modules each root uses, and for each job
whether it runs and why. Warns about globs that match no file in the repository, declared
Terraform modules that no root uses, and branches (defaultBranch, trigger.branch) that the
repository does not have. Takes the same flags as generate.

Options:
${PIPELINE_OPTIONS_HELP}
  --json                      print one JSON object instead: trigger, base {revision, strategy, how},
                              selectAll, selectAllReason, changedFiles, jobs [{name, runs, reasons,
                              requires}], terraformModules, warnings
  --debug                     show a stack trace on unexpected errors
  -h, --help                  show this help

Exit codes: 0 explained; 2 bad flags, description or git state.`,
  async run(args, io) {
    const input = await readPipelineInput(args, io, { command: 'explain' });
    const plan = planPipeline(input.description, input.trigger, input.changes, input.terraform);
    const warnings = await pipelineWarnings(input);
    const explanation = explanationOf(plan, input.terraform, warnings);
    if (args.values.json === true) io.stdout(`${JSON.stringify(explanation, null, 2)}\n`);
    else io.stdout(formatExplanation(explanation, { allFiles: true }));
    return 0;
  },
};
