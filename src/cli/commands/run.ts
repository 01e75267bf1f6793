import { InputError } from '../../errors.js';
import { DESCRIPTION_OPTIONS, descriptionLoadOptions, secondsFlag, stringFlag, type Command } from '../command.js';
import { quietNodeVersionWarning } from './deploy.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a one-off task of an environment (run prod migrate) and wait for its exit code',
  positionals: { min: 2, max: 2, name: 'ENV NAME' },
  options: {
    ...DESCRIPTION_OPTIONS,
    region: { type: 'string' },
    timeout: { type: 'string' },
    'poll-interval': { type: 'string' },
  },
  help: `Usage: circle-fargate run ENV NAME [--config PATH] [--load-timeout SECONDS] [--region R] [--timeout SECONDS]
       [--poll-interval SECONDS]

Runs the one-off task NAME of environment ENV (its "tasks" in the project description), such as
a database migration, alone: RunTask with the revision the task's service runs now, the
service's network configuration and the task's command; the container's log lines are shown
as they arrive (CloudWatch Logs, from the container's awslogs configuration), and the command
waits until the task has STOPPED. Success is exit code 0 from the task's container; a task
that never ran to an exit code (image pull, secrets, log group) is a failure, with the reasons
ECS gives. \`deploy ENV\` runs the same tasks on the new revision before any service changes.

Options:
  --config PATH            project description (default: circle-fargate.config.* here)
  --load-timeout SECONDS   seconds a .ts/.mjs/.js description may take to load (default 10)
  --region R               AWS region (default: the environment's)
  --timeout SECONDS        stop the task and fail after this long (default: the task's timeout)
  --poll-interval SECONDS  first wait between polls (default 1; grows to twice that)
  --debug                  show a stack trace on unexpected errors
  -h, --help               show this help

AWS configuration is the SDK's (AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_ECS,
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS for moto or LocalStack).

Exit codes: 0 the task's container exited with 0; 1 it did not (or did not start, or timed out,
or an AWS call failed); 2 no such environment or task, bad flags or description.`,
  async run(args, io) {
    const [environment = '', name = ''] = args.positionals;
    const { loadDescription } = await import('../../description/load.js');
    const { description } = await loadDescription(descriptionLoadOptions(args, io, 'run'));
    const env = description.environments.find((candidate) => candidate.name === environment);
    if (!env) throw new InputError(`run: no environment "${environment}" in the project description (expected one of ${description.environments.map((e) => e.name).join(', ') || 'none'})`);
    const spec = env.tasks.find((task) => task.name === name);
    if (!spec) throw new InputError(`run: environment ${environment} has no task "${name}" (its tasks: ${env.tasks.map((task) => task.name).join(', ') || 'none'}; add one under environments.${environment}.tasks)`);
    const timeoutMs = secondsFlag(args, 'run', 'timeout', spec.timeout);
    const pollMs = secondsFlag(args, 'run', 'poll-interval', 1);
    const region = stringFlag(args, 'region') ?? env.region;

    quietNodeVersionWarning();
    const [{ ECSClient }, { CloudWatchLogsClient }, { runOneOff, oneOffTask }, { retrying }, { describeService, describeTaskDefinition }] = await Promise.all([
      import('@aws-sdk/client-ecs'),
      import('@aws-sdk/client-cloudwatch-logs'),
      import('../../deploy/runTask.js'),
      import('../../deploy/calls.js'),
      import('../../deploy/state.js'),
    ]);
    const { watchAwsClient } = await import('../../secrets/aws.js');
    // Secret-named environment values join the secrets output masks; the log lines shown mask
    // every environment value of the task definition (runTask.ts).
    const { requireRegion } = await import('../../deploy/sdk.js');
    const ecsClient = new ECSClient({ region, maxAttempts: 1 });
    await requireRegion(ecsClient);
    const ecs = watchAwsClient(ecsClient, io.secrets);
    const logs = watchAwsClient(new CloudWatchLogsClient({ region, maxAttempts: 1 }), io.secrets);
    const controller = new AbortController();
    const onSignal = (signal: string) => {
      io.stderr(`received ${signal}: stopping the task\n`);
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const progress = (line: string) => {
      io.stderr(`${line}\n`);
    };
    const hooks = { signal: controller.signal };
    const send = <T>(what: string, call: () => Promise<T>) => retrying(what, call, hooks);
    try {
      const service = await describeService(ecs, env.cluster, spec.service, hooks);
      if (service?.taskDefinition === undefined) throw new InputError(`run: service ${spec.service} is not in cluster ${env.cluster}; nothing was run`);
      const definition = await describeTaskDefinition(ecs, service.taskDefinition, hooks);
      const serviceContainers = env.services.find((candidate) => candidate.name === spec.service)?.containers;
      const task = oneOffTask(spec, env.cluster, service, service.taskDefinition, definition.taskDefinition.containerDefinitions ?? [], serviceContainers);
      const result = await runOneOff(ecs, logs, { ...task, timeoutMs }, send, { progress, signal: controller.signal, pollMs: { first: pollMs, max: pollMs * 2 } });
      io.stdout(`task ${name} of ${environment} succeeded: ${result.taskArn}\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
