import { loadDescription } from '../../description/load.js';
import { InputError } from '../../errors.js';
import { printable } from '../../printable.js';
import { DEPLOY_ENV_PARAMETER } from '../../trigger/context.js';
import { PROJECT_SLUG } from '../../description/schema.js';
import { circleciClient } from '../circleci.js';
import { DESCRIPTION_OPTIONS, descriptionLoadOptions, secondsFlag, stringFlag, type Command } from '../command.js';

export const triggerCommand: Command = {
  name: 'trigger',
  summary: 'trigger a deploy of an API-triggered environment (pre, private) and follow it',
  positionals: { min: 1, max: 1, name: 'ENV (an API-triggered environment of the description)' },
  options: {
    branch: { type: 'string' },
    tag: { type: 'string' },
    project: { type: 'string' },
    ...DESCRIPTION_OPTIONS,
    follow: { type: 'boolean' },
    json: { type: 'boolean' },
    'poll-interval': { type: 'string' },
    timeout: { type: 'string' },
  },
  help: `Usage: circle-fargate trigger ENV [--branch B | --tag T] [--project SLUG] [--config PATH] [--load-timeout SECONDS]
       [--follow] [--poll-interval SECONDS] [--timeout SECONDS] [--json]

Triggers a pipeline through CircleCI API v2 with the pipeline parameter deploy_env=ENV, which
makes the generated pipeline deploy ENV: an environment of the project description whose
trigger is { type: "api" }. Prints the pipeline's number and web page.

Options:
  --branch B               branch to run (default: the description's default branch)
  --tag T                  tag to run instead of a branch
  --project SLUG           CircleCI project slug, such as gh/acme/monolith (default: project.slug)
  --config PATH            project description (default: circle-fargate.config.* here)
  --load-timeout SECONDS   seconds a .ts/.mjs/.js description may take to load (default 10)
  --follow                 follow the pipeline and its workflows to the end; exit 0 only if every
                           workflow succeeded (a pipeline whose config errored is reported, exit 1)
  --poll-interval SECONDS  seconds between polls while following (default 5)
  --timeout SECONDS        seconds to follow before giving up (default 3600)
  --json                   print one JSON object (pipeline id, number, url, state, outcome, workflows)
  --debug                  show a stack trace on unexpected errors (never the token)
  -h, --help               show this help

Environment:
  CIRCLE_TOKEN          a CircleCI personal API token (sent as Circle-Token; never printed)
  CIRCLECI_API_URL      API base URL (default https://circleci.com/api/v2)

A trigger fires at most once: when its answer is lost (a 5xx, a timeout, a dropped connection),
it is not sent again; the project's recent pipelines are searched for the one it created. Found:
it is reported as triggered. Not found, or several candidates: exit 1, naming where to look.
Retries (429; reads while following) share one budget of 120 s per command.

Exit codes: 0 triggered (with --follow: every workflow succeeded); 1 the API refused or failed,
the trigger's outcome is unknown, or a followed pipeline failed, errored or timed out; 2 bad
flags, environment or description.`,
  async run(args, io) {
    const [environment = ''] = args.positionals;
    const branch = stringFlag(args, 'branch');
    const tag = stringFlag(args, 'tag');
    if (branch !== undefined && tag !== undefined) throw new InputError('trigger: --branch and --tag together; pass one');
    const { description } = await loadDescription(descriptionLoadOptions(args, io, 'trigger'));
    const apiEnvironments = description.environments.filter((env) => env.trigger.type === 'api').map((env) => env.name);
    if (!apiEnvironments.includes(environment)) {
      const known = description.environments.find((env) => env.name === environment);
      const what = known ? `environment "${environment}" deploys on pushes to a branch, not through the API` : `no environment "${environment}"`;
      const valid = apiEnvironments.length > 0 ? `one of ${apiEnvironments.join(', ')}` : 'none: no environment has trigger { type: "api" }';
      throw new InputError(`trigger: ${what} (expected ${valid})`);
    }
    const slug = stringFlag(args, 'project') ?? description.project.slug;
    if (!PROJECT_SLUG.test(slug)) throw new InputError(`trigger: --project: not a project slug (got ${JSON.stringify(slug)}; expected such as gh/acme/monolith)`);
    const pollMs = secondsFlag(args, 'trigger', 'poll-interval', 5);
    const timeoutMs = secondsFlag(args, 'trigger', 'timeout', 3600);

    const client = await circleciClient(io, { by: 'trigger' });
    const { pipelineWebUrl } = await import('../../circleci/api/client.js');
    const target = tag !== undefined ? { tag } : { branch: branch ?? description.project.defaultBranch };
    const triggered = await client.triggerPipeline(slug, target, { [DEPLOY_ENV_PARAMETER]: environment });
    const pipeline = triggered.pipeline;
    const url = pipelineWebUrl(slug, pipeline.number);
    const json = args.values.json === true;
    if (triggered.recoveredFrom !== undefined) {
      io.stderr(`the trigger's answer was lost (${triggered.recoveredFrom}); found the pipeline it created in the project's pipeline list, not triggering again\n`);
    }
    if (!json) io.stdout(`pipeline ${pipeline.number} deploys ${environment} from ${printable(tag !== undefined ? `tag ${tag}` : `branch ${target.branch ?? ''}`)}: ${url}\n`);
    if (args.values.follow !== true) {
      if (json) io.stdout(`${JSON.stringify({ id: pipeline.id, number: pipeline.number, url, state: pipeline.state })}\n`);
      return 0;
    }
    const { followPipeline } = await import('../../circleci/api/follow.js');
    const result = await followPipeline(client, pipeline.id, {
      pollMs,
      timeoutMs,
      settleMs: 3 * pollMs,
      progress: (line) => {
        io.stderr(`${line}\n`);
      },
    });
    const summary = {
      id: pipeline.id,
      number: pipeline.number,
      url,
      state: result.pipeline.state,
      outcome: result.outcome,
      errors: result.pipeline.errors ?? [],
      workflows: result.workflows.map((workflow) => ({ name: workflow.name, status: workflow.status })),
    };
    if (json) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      const ending = {
        success: 'every workflow succeeded',
        failed: `failed: ${result.workflows.filter((w) => w.status !== 'success' && w.status !== 'not_run').map((w) => `${w.name} ${w.status}`).join(', ')}`,
        errored: `errored before any workflow ran: ${(result.pipeline.errors ?? []).map((e) => e.message).join('; ') || 'no message'}`,
        timeout: `still running after ${timeoutMs / 1000} s; gave up following (the pipeline goes on)`,
      }[result.outcome];
      io.stdout(`pipeline ${pipeline.number} ${ending}\n`);
    }
    return result.outcome === 'success' ? 0 : 1;
  },
};

