import { explanationOf, formatExplanation } from '../../explain.js';
import { planPipeline } from '../../plan/plan.js';
import { pipelineWarnings } from '../warnings.js';
import { readDurations } from '../durations.js';
import { stringFlag, type Command } from '../command.js';
import { PIPELINE_OPTIONS, PIPELINE_OPTIONS_HELP, PIPELINE_USAGE, readPipelineInput } from '../pipelineInput.js';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'show which jobs this pipeline runs and why, without emitting config',
  positionals: { min: 0, max: 0, name: '' },
  options: { ...PIPELINE_OPTIONS, durations: { type: 'string' }, json: { type: 'boolean' } },
  help: `Usage: circle-fargate explain ${PIPELINE_USAGE} [--durations FILE|insights] [--json]

Shows what generate would decide, for a person: the trigger, the base revision and how it
was chosen, the changed files, the local Terraform modules each root uses, and for each job
whether it runs and why. Warns about globs that match no file in the repository, declared
Terraform modules that no root uses, and branches (defaultBranch, trigger.branch) that the
repository does not have. Takes the same flags as generate.

Ends with the pipeline's critical path: the chain of jobs, from the setup job on, that decides
how long the pipeline takes (CircleCI starts a job once the jobs it requires are done), so the
jobs worth making faster. Without durations it is the longest chain by number of jobs (jobs as
long are shown as a | b); with --durations, the chain that takes longest, its length, and how
much time each job off it has to spare. An approval job counts as 0 s (its wait for a person is
named, not counted); queueing for an executor and serial groups are not modelled.

Options:
${PIPELINE_OPTIONS_HELP}
  --durations FILE|insights   seconds per job for the critical path: FILE is a JSON object
                              {"JOB": SECONDS, ...} (the setup job as "setup") or an answer of
                              CircleCI Insights' job metrics saved as is; insights reads the
                              median of each job from CircleCI Insights (needs CIRCLE_TOKEN;
                              project.slug; the pipeline's branch, else all branches)
  --json                      print one JSON object instead: trigger, base {revision, strategy, how},
                              selectAll, selectAllReason, changedFiles, jobs [{name, runs, reasons,
                              requires}], terraformModules, warnings, criticalPath {unit (seconds
                              or jobs), length, stages, alsoCritical, approvals, jobs [{name,
                              weight, start, slack}], unknown, source} (null when no job runs)
  --debug                     show a stack trace on unexpected errors
  -h, --help                  show this help

Environment (--durations insights):
  CIRCLE_TOKEN                a CircleCI personal API token (never printed)
  CIRCLECI_API_URL            API base URL (default https://circleci.com/api/v2)

Exit codes: 0 explained; 1 CircleCI Insights could not be read; 2 bad flags, description,
durations file or git state.`,
  async run(args, io) {
    const input = await readPipelineInput(args, io, { command: 'explain' });
    const plan = planPipeline(input.description, input.trigger, input.changes, input.terraform);
    const warnings = await pipelineWarnings(input);
    const flag = stringFlag(args, 'durations');
    const running = plan.jobs.filter((job) => job.runs).map((job) => job.name);
    // No job runs: no critical path, nothing to read.
    const durations =
      flag === undefined || running.length === 0
        ? undefined
        : await readDurations(flag, io, { slug: input.description.project.slug, branch: input.trigger.branch, jobs: running, known: plan.jobs.map((job) => job.name) }, 'explain');
    const explanation = explanationOf(plan, input.terraform, [...warnings, ...(durations?.warnings ?? [])], durations);
    if (args.values.json === true) io.stdout(`${JSON.stringify(explanation, null, 2)}\n`);
    else io.stdout(formatExplanation(explanation, { allFiles: true }));
    return 0;
  },
};
