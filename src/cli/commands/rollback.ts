import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotRestoredError, OperationError, unreadable } from '../../errors.js';
import { secondsFlag, stringFlag, type Command } from '../command.js';
import { quietNodeVersionWarning } from './deploy.js';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'restore the before state a deploy record holds (services and scheduled targets), verified',
  positionals: { min: 0, max: 0, name: '' },
  options: {
    record: { type: 'string' },
    region: { type: 'string' },
    force: { type: 'boolean' },
    timeout: { type: 'string' },
    'if-incomplete': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  help: `Usage: circle-fargate rollback --record FILE [--force] [--timeout SECONDS] [--if-incomplete]
       [--region R] [--json]

Reads the record a deploy wrote (deploy --record FILE, or its default path) and puts every
service and scheduled target the deploy touched back as it was before: UpdateService to the
before revision and a wait for that deployment, PutTargets with each target as it was; then
reads everything again and compares. Works on the record of a finished deploy and on one a
killed deploy left behind (changes whose outcome is unknown count as made).

It first checks that each service and target is still what the deploy left (its after state,
or the before state): if something changed since (a later deploy), it refuses and names it,
changing nothing, unless --force.

Options:
  --record FILE      the deploy record
  --force            restore even what changed since the deploy
  --timeout SECONDS  the one deadline of the whole rollback: services' rollback deployments,
                     targets and schedules (default 900); then what is left is named, exit 3
  --if-incomplete    do nothing when the record says the deploy completed or was verifiably
                     rolled back; for the orb's step that runs when a deploy step fails
  --region R         AWS region (default: the one the record's ARNs name, else the SDK's own)
  --json             print the record's redacted summary on stdout
  --debug            show a stack trace on unexpected errors
  -h, --help         show this help

Exit codes: 0 restored and verified (or nothing to do); 1 refused: something changed since the
deploy (see --force), or an AWS call failed before anything was changed; 2 no or unreadable
record; 3 not everything could be restored: the message and the record list what is left.`,
  async run(args, io) {
    const file = stringFlag(args, 'record');
    if (file === undefined) throw new InputError('rollback: --record FILE is required: the record a deploy wrote (deploy --record FILE, else .circle-fargate/deploys/TIME-CLUSTER.json; ls -t .circle-fargate/deploys | head -1 is the newest)');
    const full = path.resolve(io.cwd, file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(full, 'utf8'));
    } catch (error) {
      throw new InputError(`rollback: cannot read the record ${file}: ${error instanceof SyntaxError ? 'not JSON' : unreadable(error)}; give the file deploy --record wrote`);
    }
    const [{ recordProblems, summarize }, { openJournal }, { restore }, { changedSince, describeDifferences }] = await Promise.all([
      import('../../deploy/record.js'),
      import('../../deploy/journal.js'),
      import('../../deploy/restore.js'),
      import('../../deploy/verify.js'),
    ]);
    const problems = recordProblems(parsed);
    if (problems.length > 0) throw new InputError(`rollback: ${file} is not a deploy record (as deploy --record writes): ${problems.join('; ')}`);
    const record = parsed as import('../../deploy/record.js').DeployRecord;
    if (args.values['if-incomplete'] === true && (record.outcome === 'deployed' || record.outcome === 'rolled-back' || record.outcome === 'planned')) {
      const said = { deployed: 'completed', 'rolled-back': 'was verifiably rolled back', planned: 'was a dry run' }[record.outcome];
      io.stderr(`nothing to do: the record ${file} says the deploy ${said}\n`);
      if (args.values.json === true) io.stdout(`${JSON.stringify(io.secrets.redact(summarize(record)))}\n`);
      return 0;
    }
    const timeoutMs = secondsFlag(args, 'rollback', 'timeout', 900);
    quietNodeVersionWarning();
    const { deployClients, regionOfArn } = await import('../../deploy/sdk.js');
    // The record's ARNs name the region its resources are in: that one, unless --region says otherwise.
    const region = stringFlag(args, 'region') ?? regionOfArn(record.clusterArn) ?? record.services.map((item) => regionOfArn(item.before)).find((found) => found !== undefined);
    // The full record's target and schedule inputs and the credentials join the secrets that output masks.
    io.secrets.addFromAws([...record.targets.map((target) => target.before), ...(record.schedules ?? []).map((item) => item.before)]);
    // The Scheduler's package is loaded only when the record has schedules to check or put back.
    const clients = await deployClients(region, io.secrets);
    const progress = (line: string) => {
      io.stderr(`${line}\n`);
    };
    const force = args.values.force === true;
    if (!force) {
      const changed = await changedSince(clients, record, {});
      if (changed.length > 0) {
        throw new OperationError(
          `rollback: refused: ${changed.length} item(s) changed since this deploy (a later deploy owns them): ${describeDifferences(changed).join('; ')}; nothing was changed; pass --force to put the before state back anyway`,
        );
      }
    }
    // Signals do not interrupt a rollback half-way: they are acknowledged and it goes on.
    const onSignal = (signal: string) => {
      io.stderr(`received ${signal}: the rollback goes on and is not interrupted; the record is ${file}\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const journal = await openJournal(record, full);
      const result = await restore(clients, journal, { progress, pollMs: { first: 1000, max: 2000 } }, { timeoutMs, maxFailedTasks: 3, force });
      if (args.values.json === true) io.stdout(`${JSON.stringify(io.secrets.redact(summarize(record)))}\n`);
      const superseded = result.superseded.map((item) => `service ${item.name}: superseded by a newer deployment (${item.left ?? '?'}), left to it`);
      if (!result.restored) {
        throw new NotRestoredError(`rollback: the before state could NOT be fully restored: ${describeDifferences(result.left).join('; ')}; the record ${file} lists what is left; run rollback again once the cause is fixed`, superseded);
      }
      const services = record.services.filter((item) => item.state === 'restored').length;
      const targets = record.targets.filter((item) => item.state === 'restored').length;
      const schedules = (record.schedules ?? []).filter((item) => item.state === 'restored').length;
      for (const line of superseded) io.stderr(`${line}\n`);
      if (args.values.json !== true) io.stdout(`restored and verified the before state recorded in ${file}: ${services} service(s), ${targets} scheduled target(s)${schedules > 0 ? `, ${schedules} schedule(s)` : ''}\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
