import { readFile } from 'node:fs/promises';
import path from 'node:path';
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
    await restore(new ECSClient(options), new EventBridgeClient(options), record as Parameters<typeof restore>[2], {
      progress: (line) => {
        io.stderr(`${line}\n`);
      },
    });
    io.stdout(`restored the before state recorded in ${file}\n`);
    return 0;
  },
};
