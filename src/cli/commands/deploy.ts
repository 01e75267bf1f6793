import path from 'node:path';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../writeFile.js';
import { listFlag, secondsFlag, stringFlag, type Command } from '../command.js';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy an image to ECS services and scheduled tasks, watch it, roll back on failure',
  positionals: { min: 0, max: 1, name: 'ENV' },
  options: {
    image: { type: 'string' },
    cluster: { type: 'string' },
    service: { type: 'string', multiple: true },
    container: { type: 'string', multiple: true },
    'scheduled-rule': { type: 'string', multiple: true },
    'scheduled-rule-prefix': { type: 'string' },
    region: { type: 'string' },
    config: { type: 'string' },
    timeout: { type: 'string' },
    'poll-interval': { type: 'string' },
    'no-wait': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    record: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: circle-fargate deploy [ENV] --image REF [--cluster C] [--service S]... [--container NAME]...
       [--scheduled-rule NAME]... [--scheduled-rule-prefix P] [--timeout SECONDS] [--no-wait]
       [--dry-run] [--record FILE] [--json]

Deploys REF to ECS: a new revision of each task definition in use (from the revision each
service runs, every field kept but those AWS sets), UpdateService with the task definition only
(desired count and capacity provider strategy stay as they are), each deployment watched by its
id until COMPLETED, then the scheduled tasks' EventBridge targets. Any failure, timeout or
signal puts services and targets back as they were before, and exits 1.

ENV reads cluster, services, containers, scheduled rules and region from the project
description; the flags alone work without one.

Options:
  --image REF                   image to deploy: [REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST]
  --cluster C                   ECS cluster
  --service S                   ECS service (repeatable)
  --container NAME              only these containers (default: those running REF's repository)
  --scheduled-rule NAME         EventBridge rule whose ECS targets run the image (repeatable)
  --scheduled-rule-prefix P     every rule whose name starts with P
  --region R                    AWS region (default: the environment's, else the SDK's own)
  --config PATH                 project description (default: circle-fargate.config.* here)
  --timeout SECONDS             how long a rollout may take before it is rolled back (default 900)
  --poll-interval SECONDS       first wait before polling a rollout (default 1; grows to twice that)
  --no-wait                     update and return without watching the rollouts
  --dry-run                     show what would change and write nothing
  --record FILE                 write a JSON record of the deploy (before and after, timings)
  --json                        print the record on stdout
  --debug                       show a stack trace on unexpected errors
  -h, --help                    show this help

AWS configuration is the SDK's: credentials (web identity for CircleCI OIDC included), region,
and AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL_EVENTBRIDGE (moto, LocalStack).
Environment values and secrets of task definitions are never printed.

Exit codes: 0 deployed (or planned, with --dry-run); 1 the deploy failed and was rolled back, or
an AWS call failed; 2 bad flags, description, image reference, or no container to update.`,
  async run(args, io) {
    const [environment] = args.positionals;
    const imageText = stringFlag(args, 'image');
    if (imageText === undefined) throw new InputError('deploy: --image REF is required; see circle-fargate deploy --help');
    const { parseImageRef } = await import('../../deploy/imageRef.js');
    const image = parseImageRef(imageText);

    let cluster = stringFlag(args, 'cluster');
    let services = listFlag(args, 'service').map((name) => ({ name }));
    let rules = listFlag(args, 'scheduled-rule');
    let rulePrefix = stringFlag(args, 'scheduled-rule-prefix');
    let region = stringFlag(args, 'region');
    if (environment !== undefined) {
      const { loadDescription } = await import('../../description/load.js');
      const config = stringFlag(args, 'config');
      const { description } = await loadDescription({ cwd: io.cwd, ...(config !== undefined ? { file: config } : {}) });
      const env = description.environments.find((candidate) => candidate.name === environment);
      if (!env) {
        throw new InputError(`deploy: no environment "${environment}" in the project description (expected one of ${description.environments.map((e) => e.name).join(', ') || 'none'})`);
      }
      cluster ??= env.cluster;
      if (services.length === 0) services = env.services.map((service) => ({ name: service.name, ...(service.containers ? { containers: service.containers } : {}) }));
      if (rules.length === 0) rules = [...env.scheduledTasks.rules];
      rulePrefix ??= env.scheduledTasks.rulePrefix;
      region ??= env.region;
    }
    if (cluster === undefined) throw new InputError('deploy: no cluster: pass ENV (from the project description) or --cluster C');
    if (services.length === 0 && rules.length === 0 && rulePrefix === undefined) {
      throw new InputError('deploy: nothing to deploy: pass --service, --scheduled-rule or --scheduled-rule-prefix, or an ENV that has them');
    }
    const timeoutMs = secondsFlag(args, 'deploy', 'timeout', 900);
    const pollMs = secondsFlag(args, 'deploy', 'poll-interval', 1);
    const containers = listFlag(args, 'container');
    if (containers.length > 0) services = services.map((service) => ({ ...service, containers }));

    quietNodeVersionWarning();
    const [{ ECSClient }, { EventBridgeClient }, { deploy, DeployFailure }] = await Promise.all([
      import('@aws-sdk/client-ecs'),
      import('@aws-sdk/client-eventbridge'),
      import('../../deploy/engine.js'),
    ]);
    const clientOptions = region !== undefined ? { region } : {};
    const { watchAwsClient } = await import('../../secrets/aws.js');
    // Credentials and task definitions' environment values join the secrets that output masks.
    const ecs = watchAwsClient(new ECSClient({ ...clientOptions, maxAttempts: 1 }), io.secrets);
    const events = watchAwsClient(new EventBridgeClient({ ...clientOptions, maxAttempts: 1 }), io.secrets);

    const controller = new AbortController();
    const onSignal = (signal: string) => {
      io.stderr(`received ${signal}: stopping, rolling back what was changed\n`);
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const record = stringFlag(args, 'record');
    // On a terminal, the rollout counts are one live line redrawn in place, under the events.
    const live = process.stderr.isTTY && io.env.TERM !== 'dumb';
    const screen = { statusShown: false };
    const progress = (line: string) => {
      io.stderr(`${screen.statusShown ? '\r\x1b[K' : ''}${line}\n`);
      screen.statusShown = false;
    };
    const status = live
      ? (_service: string, line: string) => {
          io.stderr(`\r\x1b[K${line}`);
          screen.statusShown = true;
        }
      : undefined;
    try {
      const result = await deploy(
        ecs,
        events,
        {
          cluster,
          services,
          rules,
          ...(rulePrefix !== undefined ? { rulePrefix } : {}),
          image,
          ...(containers.length > 0 ? { containers } : {}),
          timeoutMs,
          wait: args.values['no-wait'] !== true,
          dryRun: args.values['dry-run'] === true,
        },
        { progress, ...(status ? { status } : {}), signal: controller.signal, pollMs: { first: pollMs, max: pollMs * 2 } },
      );
      if (record !== undefined && args.values['dry-run'] !== true) await writeFileAtomic(path.resolve(io.cwd, record), `${JSON.stringify(io.secrets.redact(result), null, 2)}\n`);
      if (screen.statusShown) io.stderr('\n');
      if (args.values.json === true) io.stdout(`${JSON.stringify(io.secrets.redact(result))}\n`);
      else io.stdout(`${result.outcome === 'planned' ? 'planned' : 'deployed'} ${image.text} to ${cluster}: ${result.services.length} service(s), ${result.targets.length} scheduled target(s)\n`);
      return 0;
    } catch (error) {
      if (error instanceof DeployFailure) {
        if (record !== undefined) await writeFileAtomic(path.resolve(io.cwd, record), `${JSON.stringify(io.secrets.redact(error.record), null, 2)}\n`);
        if (args.values.json === true) io.stdout(`${JSON.stringify(io.secrets.redact(error.record))}\n`);
      }
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/** The AWS SDK warns about the Node.js version on every run; that is not the user's business here. */
function quietNodeVersionWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const name = warning instanceof Error ? warning.name : typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (name === 'NodeVersionSupportWarning' || String(warning).includes('AWS SDK for JavaScript (v3)')) return;
    (emit as (...args: unknown[]) => void)(warning, ...rest);
  });
}
