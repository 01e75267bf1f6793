import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventBridgeClient, Target } from '@aws-sdk/client-eventbridge';
import type { DeployRecord } from '../../deploy/engine.js';
import { InputError } from '../../errors.js';
import { stringFlag, type Command } from '../command.js';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'restore what a deploy record says was before (services and scheduled targets)',
  positionals: { min: 0, max: 0, name: '' },
  options: { record: { type: 'string' }, region: { type: 'string' } },
  help: `Usage: circle-fargate rollback --record FILE [--region R]

Reads a record written by \`circle-fargate deploy --record FILE\` and puts every service it
changed back on its before task definition, and every scheduled target it changed back as it
was. Does not wait for the services' rollouts.

Options:
  --record FILE   the deploy record
  --region R      AWS region (default: the SDK's own)
  --debug         show a stack trace on unexpected errors
  -h, --help      show this help

Exit codes: 0 restored; 1 an AWS call failed; 2 no or unreadable record.`,
  async run(args, io) {
    const file = stringFlag(args, 'record');
    if (file === undefined) throw new InputError('rollback: --record FILE is required (written by deploy --record)');
    let record: unknown;
    try {
      record = JSON.parse(await readFile(path.resolve(io.cwd, file), 'utf8'));
    } catch (error) {
      const why = error instanceof SyntaxError ? 'not JSON' : error instanceof Error && 'code' in error ? String(error.code) : String(error);
      throw new InputError(`rollback: cannot read the record ${file} (${why})`);
    }
    const shaped = record as { cluster?: unknown; services?: unknown; targets?: unknown };
    if (typeof shaped.cluster !== 'string' || !Array.isArray(shaped.services) || !Array.isArray(shaped.targets)) {
      throw new InputError(`rollback: ${file} is not a deploy record (expected cluster, services and targets, as deploy --record writes)`);
    }
    const region = stringFlag(args, 'region');
    const [{ ECSClient }, { EventBridgeClient }, { restore }] = await Promise.all([
      import('@aws-sdk/client-ecs'),
      import('@aws-sdk/client-eventbridge'),
      import('../../deploy/engine.js'),
    ]);
    const options = region !== undefined ? { region, maxAttempts: 1 } : { maxAttempts: 1 };
    const { watchAwsClient } = await import('../../secrets/aws.js');
    const events = watchAwsClient(new EventBridgeClient(options), io.secrets);
    const restorable = await unmaskTargets(events, record as DeployRecord);
    await restore(watchAwsClient(new ECSClient(options), io.secrets), events, restorable, {
      progress: (line) => {
        io.stderr(`${line}\n`);
      },
    });
    io.stdout(`restored the before state recorded in ${file}\n`);
    return 0;
  },
};

/**
 * A record is written with its secrets masked (a target's Input holds the task's environment
 * values), so a recorded target is not sent back as it is: deploy changed only its task
 * definition, so the target as it is now, with the recorded task definition, is the before state.
 */
async function unmaskTargets(events: EventBridgeClient, record: DeployRecord): Promise<DeployRecord> {
  const { MASK } = await import('../../secrets/redact.js');
  const { ListTargetsByRuleCommand } = await import('@aws-sdk/client-eventbridge');
  const live = new Map<string, Target[]>();
  const targets = [];
  for (const target of record.targets) {
    if (target.after === undefined || !JSON.stringify(target.before).includes(MASK)) {
      targets.push(target);
      continue;
    }
    const arn = target.before.EcsParameters?.TaskDefinitionArn;
    if (arn === undefined || arn.includes(MASK)) throw new InputError(`rollback: the record's target ${target.id} of rule ${target.rule} has no readable task definition`);
    if (!live.has(target.rule)) {
      const listed = await events.send(new ListTargetsByRuleCommand({ Rule: target.rule }));
      live.set(target.rule, listed.Targets ?? []);
    }
    const now = live.get(target.rule)?.find((candidate) => candidate.Id === target.id);
    if (now?.EcsParameters === undefined) throw new InputError(`rollback: target ${target.id} of rule ${target.rule} no longer exists; nothing to restore it on`);
    targets.push({ ...target, before: { ...now, EcsParameters: { ...now.EcsParameters, TaskDefinitionArn: arn } } });
  }
  return { ...record, targets };
}
