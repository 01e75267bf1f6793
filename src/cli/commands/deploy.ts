import path from 'node:path';
import { InputError } from '../../errors.js';
import type { ImageRef } from '../../deploy/imageRef.js';
import { DESCRIPTION_OPTIONS, listFlag, secondsFlag, stringFlag, type Command } from '../command.js';

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
    'schedule-group': { type: 'string' },
    'schedule-prefix': { type: 'string' },
    'scheduled-container': { type: 'string', multiple: true },
    'keep-revisions': { type: 'string' },
    concurrency: { type: 'string' },
    'no-checks': { type: 'boolean' },
    region: { type: 'string' },
    ...DESCRIPTION_OPTIONS,
    timeout: { type: 'string' },
    'poll-interval': { type: 'string' },
    'no-wait': { type: 'boolean' },
    'max-failed-tasks': { type: 'string' },
    'if-busy': { type: 'string' },
    'wait-until': { type: 'string' },
    'rollback-timeout': { type: 'string' },
    'dry-run': { type: 'boolean' },
    record: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: circle-fargate deploy [ENV] --image REF [--cluster C] [--service S]... [--container NAME]...
       [--scheduled-rule NAME]... [--scheduled-rule-prefix P] [--schedule-group G] [--schedule-prefix P]
       [--scheduled-container NAME]... [--keep-revisions N] [--concurrency N] [--timeout SECONDS] [--no-wait]
       [--max-failed-tasks N] [--if-busy wait|refuse] [--wait-until complete|serving] [--rollback-timeout SECONDS]
       [--dry-run] [--record FILE] [--json] [--no-checks] [--region R] [--config PATH]
       [--load-timeout SECONDS] [--poll-interval SECONDS]

Deploys REF to ECS: a new revision of each task definition in use (from the revision each
service runs, every field kept but those AWS sets), UpdateService with the task definition only
(desired count and capacity provider strategy stay as they are), each deployment watched by its
id until COMPLETED, then the scheduled tasks' EventBridge targets (only those on the cluster).
Every change is written to the record before it is sent. Any failure, timeout or signal puts
services and targets back as they were, waits for the rollback deployments and verifies them.

Before any change, the image (in ECR), the roles and the log groups the new revisions name must
exist. After registering and before any service changes, the environment's one-off tasks
(migrations) run on the new revisions and must exit 0. EventBridge Scheduler schedules are read
whole and written back whole with only the task definition changed.

ENV reads cluster, services, containers, scheduled rules and schedules, one-off tasks and region
from the project description; the flags alone work without one (no one-off tasks then).

Options:
  --image REF                   image to deploy: [REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST]
  --cluster C                   ECS cluster
  --service S                   ECS service (repeatable)
  --container NAME              only these containers (default: those running REF's repository)
  --scheduled-rule NAME         EventBridge rule whose ECS targets run the image (repeatable)
  --scheduled-rule-prefix P     every rule whose name starts with P
  --schedule-group G            EventBridge Scheduler schedules of group G (with --schedule-prefix:
                                only those names)
  --schedule-prefix P           every schedule whose name starts with P
  --scheduled-container NAME    containers of the batch task definitions (rules and schedules) to
                                update, when they differ from the services' (repeatable)
  --keep-revisions N            after success, deregister revisions of the families registered
                                that are unused and older than the newest N (default: keep all)
  --concurrency N               target and schedule reads and writes in flight at once (default 4)
  --no-checks                   skip the checks of the image, roles and log groups
  --region R                    AWS region (default: the environment's, else the SDK's own)
  --config PATH                 project description (default: circle-fargate.config.* here)
  --load-timeout SECONDS        seconds a .ts/.mjs/.js description may take to load (default 10)
  --timeout SECONDS             how long a rollout may take before it is rolled back (default 900)
  --poll-interval SECONDS       first wait before polling a rollout (default 1; grows to twice that)
  --max-failed-tasks N          fail a rollout after N stopped tasks of it (default 3)
  --if-busy wait|refuse         another deployment of a service in progress: wait for it (up to
                                --timeout; the default) or refuse
  --wait-until complete|serving when a rollout counts as done: complete (ECS's COMPLETED, after the
                                old tasks drained; the default, or the environment's waitUntil) or
                                serving (every new task running, healthy, in every target group;
                                the old tasks are left to drain: a later failure of the rollout is
                                not seen)
  --rollback-timeout SECONDS    the one deadline of the restore after a failure: rollback
                                deployments, targets and schedules (default: --timeout); then
                                what is left is named, exit 3
  --no-wait                     update the services without watching their rollouts; scheduled
                                targets are then NOT moved (they move only after verified rollouts)
  --dry-run                     show what would change and write nothing
  --record FILE                 the write-ahead record (mode 0600; holds target inputs) (default
                                .circle-fargate/deploys/TIME-CLUSTER.json; .circle-fargate/ is
                                ignored by git through a .gitignore of its own)
  --json                        print the record's redacted summary on stdout
  --debug                       show a stack trace on unexpected errors
  -h, --help                    show this help

AWS configuration is the SDK's: credentials (web identity for CircleCI OIDC included), region,
and AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> (ECS, EVENTBRIDGE, SCHEDULER,
CLOUDWATCH_LOGS, ECR, IAM) for moto or LocalStack. moto as installed does not roll deployments
out: a service it created stays IN_PROGRESS unless moto runs with MOTO_ECS_SERVICE_RUNNING at
least its desired count, and its UpdateService lists no new deployment, so a deploy of a service
there cannot verify its rollout and puts the service back (exit 1, saying so); --dry-run,
--no-wait and scheduled tasks alone work. The tests give moto rollouts through a proxy.
Environment values and secrets of task definitions, and target inputs, are never printed.

Exit codes: 0 deployed (or planned, with --dry-run); 1 the deploy failed (or was refused, or
superseded by a newer deploy) and everything it changed is verifiably back; 2 bad flags,
description, image reference, scope (CODE_DEPLOY/EXTERNAL controller) or no container to update;
3 the before state could not be fully restored: the message and the record list what is left,
finish with rollback --record FILE.`,
  async run(args, io) {
    const [environment] = args.positionals;
    const imageText = stringFlag(args, 'image');
    if (imageText === undefined) throw new InputError('deploy: --image REF is required; see circle-fargate deploy --help');
    const { parseImageRef } = await import('../../deploy/imageRef.js');
    const image = parseImageRef(imageText);

    const { environmentScope } = await import('../environmentScope.js');
    quietNodeVersionWarning();
    // The engine and the AWS SDK's two packages it starts with (about 0.2 s to load) load while
    // the description runs in its own process; a failure is reported where they are used.
    const preload = () => {
      Promise.all([import('../../deploy/engine.js'), import('@aws-sdk/client-ecs'), import('@aws-sdk/client-eventbridge')]).catch(() => undefined);
    };
    const scope = await environmentScope(args, io, 'deploy', environment, { whileLoading: preload });
    if (scope.environment !== undefined && environment !== undefined) {
      const { env, description } = scope.environment;
      refuseOtherRepository(image, environment, description.images.find((candidate) => candidate.name === env.image));
    }
    const { cluster, rules, rulePrefix, scheduleGroup, schedulePrefix, scheduledContainers, tasks, region } = scope;
    let services = scope.services;
    const { waitUntil } = scope;
    if (cluster === undefined) throw new InputError('deploy: no cluster: pass ENV (from the project description) or --cluster C');
    if (services.length === 0 && rules.length === 0 && rulePrefix === undefined && scheduleGroup === undefined && schedulePrefix === undefined) {
      throw new InputError('deploy: nothing to deploy: pass --service, --scheduled-rule, --scheduled-rule-prefix, --schedule-group or --schedule-prefix, or an ENV that has them');
    }
    const keepRevisions = stringFlag(args, 'keep-revisions') !== undefined ? countFlag(args, 'keep-revisions', 1) : undefined;
    const concurrency = countFlag(args, 'concurrency', 4);
    const timeoutMs = secondsFlag(args, 'deploy', 'timeout', 900);
    const pollMs = secondsFlag(args, 'deploy', 'poll-interval', 1);
    const rollbackTimeoutMs = secondsFlag(args, 'deploy', 'rollback-timeout', timeoutMs / 1000);
    const maxFailedTasks = countFlag(args, 'max-failed-tasks', 3);
    const ifBusy = stringFlag(args, 'if-busy') ?? 'wait';
    if (ifBusy !== 'wait' && ifBusy !== 'refuse') throw new InputError(`deploy: --if-busy: expected wait or refuse (got ${JSON.stringify(ifBusy)})`);
    const containers = listFlag(args, 'container');
    if (containers.length > 0) services = services.map((service) => ({ ...service, containers }));
    // Batches (rules and schedules) take their own container names, else those of --container.
    const batchContainers = scheduledContainers.length > 0 ? scheduledContainers : containers;
    const dryRun = args.values['dry-run'] === true;
    const recordFile = path.resolve(io.cwd, stringFlag(args, 'record') ?? defaultRecordPath(cluster));
    if (!dryRun && stringFlag(args, 'record') === undefined) await ignoreRecords(path.resolve(io.cwd, RECORDS_DIRECTORY));

    const [{ deploy, DeployFailure }, { summarize }, { deployClients }] = await Promise.all([
      import('../../deploy/engine.js'),
      import('../../deploy/record.js'),
      import('../../deploy/sdk.js'),
    ]);
    const clients = await deployClients(region, io.secrets, { loadBalancers: waitUntil === 'serving' });

    const controller = new AbortController();
    const onSignal = (signal: string) => {
      if (controller.signal.aborted) {
        io.stderr(`received ${signal} again: the rollback goes on and is not interrupted; the record is ${recordFile}\n`);
        return;
      }
      io.stderr(`received ${signal}: no new changes; restoring what was changed, then exiting\n`);
      controller.abort(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // On a terminal, the rollout counts are one live line redrawn in place, under the events.
    const live = io.stderrIsTTY === true && io.env.TERM !== 'dumb';
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
        clients,
        {
          cluster,
          services,
          rules: [...rules],
          ...(rulePrefix !== undefined ? { rulePrefix } : {}),
          ...(scheduleGroup !== undefined ? { scheduleGroup } : {}),
          ...(schedulePrefix !== undefined ? { schedulePrefix } : {}),
          ...(tasks.length > 0 ? { tasks: [...tasks] } : {}),
          ...(keepRevisions !== undefined ? { keepRevisions } : {}),
          concurrency,
          check: args.values['no-checks'] !== true,
          image,
          ...(batchContainers.length > 0 ? { containers: batchContainers } : {}),
          timeoutMs,
          rollbackTimeoutMs,
          maxFailedTasks,
          ifBusy,
          ...(waitUntil !== undefined ? { waitUntil } : {}),
          wait: args.values['no-wait'] !== true,
          dryRun,
          ...(dryRun ? {} : { recordFile }),
        },
        { progress, ...(status ? { status } : {}), signal: controller.signal, pollMs: { first: pollMs, max: pollMs * 2 } },
      );
      if (screen.statusShown) io.stderr('\n');
      if (args.values.json === true) io.stdout(`${JSON.stringify(io.secrets.redact(summarize(result)))}\n`);
      else {
        const moved = result.targets.filter((target) => target.state === 'applied').length;
        const verb = result.outcome === 'planned' ? 'planned' : result.services.some((service) => service.rollout === 'not-waited') ? 'started (rollouts not watched)' : 'deployed';
        const schedulesMoved = (result.schedules ?? []).filter((item) => dryRun || item.state === 'applied').length;
        io.stdout(
          `${verb} ${image.text} to ${cluster}: ${result.services.length} service(s), ${dryRun ? result.targets.length : moved} scheduled target(s)${schedulesMoved > 0 ? `, ${schedulesMoved} schedule(s)` : ''}${result.tasks ? `, ${result.tasks.length} task(s) ${dryRun ? 'to run' : 'run'}` : ''}${dryRun ? '' : `; record ${recordFile}`}\n`,
        );
      }
      return 0;
    } catch (error) {
      if (screen.statusShown) io.stderr('\n');
      if (error instanceof DeployFailure && args.values.json === true) io.stdout(`${JSON.stringify(io.secrets.redact(summarize(error.record)))}\n`);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/**
 * `deploy ENV` deploys the environment's image: an --image of another repository is refused
 * (exit 2) before anything is read. Flags alone (--cluster, --service...) deploy any repository.
 */
function refuseOtherRepository(image: ImageRef, environment: string, expected: { readonly name: string; readonly repository: string } | undefined): void {
  if (expected === undefined) return;
  const given = `${image.registry !== undefined ? `${image.registry}/` : ''}${image.repository}`;
  if (given === expected.repository) return;
  throw new InputError(
    `deploy: --image ${image.text} is not of the repository environment ${environment} deploys (images.${expected.name}: ${expected.repository}); pass an image of that repository, or deploy another repository with flags alone (--cluster, --service, ...)`,
  );
}

/** The folder of the default records, ignored by git (`ignoreRecords`). */
const RECORDS_DIRECTORY = '.circle-fargate';

/** Where a deploy's record goes without --record: one file per deploy, never overwritten. */
function defaultRecordPath(cluster: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return path.join(RECORDS_DIRECTORY, 'deploys', `${stamp}-${cluster.split('/').pop()?.replace(/[^A-Za-z0-9_.-]/g, '_') ?? 'cluster'}.json`);
}

/**
 * A `.gitignore` of `*` in the records' folder, so that neither `git status` shows the records
 * nor `git add -A` commits them (they hold targets' inputs): written once, never overwritten.
 */
async function ignoreRecords(directory: string): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, '.gitignore'), '# deploy records of circle-fargate (they hold targets\' inputs): kept for rollback, never committed\n*\n', { flag: 'wx' }).catch((error: unknown) => {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  });
}

/** A flag holding a whole number of at least 1, or `fallback`. */
function countFlag(args: Parameters<Command['run']>[0], name: string, fallback: number): number {
  const value = stringFlag(args, name);
  if (value === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(value)) throw new InputError(`deploy: --${name}: not a whole number of at least 1 (got ${JSON.stringify(value)})`);
  return Number(value);
}

let quieted = false;

/** The AWS SDK warns about the Node.js version on every run; that is not the user's business here. */
export function quietNodeVersionWarning(): void {
  if (quieted) return;
  quieted = true;
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const name = warning instanceof Error ? warning.name : typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (name === 'NodeVersionSupportWarning' || String(warning).includes('AWS SDK for JavaScript (v3)')) return;
    (emit as (...args: unknown[]) => void)(warning, ...rest);
  });
}
