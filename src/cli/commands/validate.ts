import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { Command } from '../command.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check CircleCI configs and packed orbs offline: schema and references',
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER, name: 'FILE (a config or packed orb)' },
  options: {},
  help: `Usage: circle-fargate validate FILE...

Checks each CircleCI config (or packed orb) offline, and prints FILE:LINE: message for each
problem:
  - CircleCI's official schema, showing the deepest error of each cascade;
  - workflow jobs, and their requires, that name no job;
  - steps, executors and jobs that are not defined, locally or in an inline orb (alias/name),
    with required parameters supplied and unknown ones rejected;
  - << parameters.x >> that the job, command or executor does not declare, and
    << pipeline.parameters.x >> that the config does not declare.
Jobs and commands of published orbs (namespace/orb@version) cannot be read offline: they are
noted on stderr, not counted as errors. YAML anchors, aliases and merge keys are understood.

Options:
  --debug        show a stack trace on unexpected errors
  -h, --help     show this help

Exit codes: 0 every file valid; 1 problems found; 2 a file cannot be read.`,
  async run(args, io) {
    const { validateConfigText } = await import('../../circleci/check/validate.js');
    let problems = 0;
    for (const file of args.positionals) {
      let text: string;
      try {
        text = await readFile(path.resolve(io.cwd, file), 'utf8');
      } catch (error) {
        const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
        throw new InputError(`validate: cannot read ${file} (${code})`);
      }
      for (const finding of validateConfigText(text)) {
        if (finding.note === true) io.stderr(`${file}:${finding.line}: note: ${finding.message}\n`);
        else {
          io.stdout(`${file}:${finding.line}: ${finding.message}\n`);
          problems++;
        }
      }
    }
    const files = args.positionals.length;
    io.stderr(problems === 0 ? `validate: ${files === 1 ? 'the file is' : `all ${files} files are`} valid\n` : `validate: ${problems} problem${problems === 1 ? '' : 's'}\n`);
    return problems === 0 ? 0 : 1;
  },
};
