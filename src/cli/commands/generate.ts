import path from 'node:path';
import { explanationOf, formatExplanation } from '../../explain.js';
import { writeFileAtomic } from '../../writeFile.js';
import { stringFlag, type Command } from '../command.js';
import { PIPELINE_OPTIONS, PIPELINE_OPTIONS_HELP, readPipelineInput } from '../pipelineInput.js';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'emit the continuation config for this pipeline',
  positionals: { min: 0, max: 0, name: '' },
  options: { ...PIPELINE_OPTIONS, out: { type: 'string' } },
  help: `Usage: circle-fargate generate [options]

Reads the project description, the trigger and the changed files, decides which jobs this
pipeline needs, and emits the CircleCI continuation config. The config is checked against
CircleCI's official schema before it is written. Why each job runs is written to stderr.

Options:
${PIPELINE_OPTIONS_HELP}
  --out FILE                  write the config to FILE (atomically) instead of stdout
  --debug                     show a stack trace on unexpected errors
  -h, --help                  show this help

Exit codes: 0 written; 1 the emitted config failed validation; 2 bad flags, description or git state.`,
  async run(args, io) {
    const input = await readPipelineInput(args, io);
    // Loaded here, not at start-up: the config SDK and the schema validator serve generate only.
    const { generateContinuation } = await import('../../generate.js');
    const { bundledOrb } = await import('../../orb/pack.js');
    const output = generateContinuation({ ...input, orb: await bundledOrb() });
    io.stderr(formatExplanation(explanationOf(output.plan, input.terraform)));
    const out = stringFlag(args, 'out');
    if (out === undefined) {
      io.stdout(output.yaml);
    } else {
      await writeFileAtomic(path.resolve(io.cwd, out), output.yaml);
      io.stderr(`wrote ${out}\n`);
    }
    return 0;
  },
};
