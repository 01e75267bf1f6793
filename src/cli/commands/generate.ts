import path from 'node:path';
import { InputError } from '../../errors.js';
import { explanationOf, formatExplanation } from '../../explain.js';
import { prepareFileAtomic } from '../../writeFile.js';
import { stringFlag, type Command } from '../command.js';
import { circleciClient } from '../circleci.js';
import { PIPELINE_OPTIONS, PIPELINE_OPTIONS_HELP, PIPELINE_USAGE, readPipelineInput } from '../pipelineInput.js';
import { pipelineWarnings } from '../warnings.js';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'emit the continuation config for this pipeline',
  positionals: { min: 0, max: 0, name: '' },
  options: { ...PIPELINE_OPTIONS, out: { type: 'string' }, continue: { type: 'boolean' } },
  help: `Usage: circle-fargate generate ${PIPELINE_USAGE}
       [--out FILE] [--continue]

Reads the project description, the trigger and the changed files, decides which jobs this
pipeline needs, and emits the CircleCI continuation config. The config is checked against
CircleCI's official schema before it is written. Why each job runs, and the warnings explain
prints, are written to stderr.

Options:
${PIPELINE_OPTIONS_HELP}
  --out FILE                  write the config to FILE (atomically) instead of stdout; with
                              --continue, only once the pipeline continued
  --continue                  continue this setup pipeline with the config (CircleCI's
                              pipeline/continue, with CIRCLE_CONTINUATION_KEY; API base from
                              CIRCLECI_API_URL); prints no YAML unless --out is given
  --debug                     show a stack trace on unexpected errors
  -h, --help                  show this help

Exit codes: 0 written (and continued); 1 the emitted config failed validation, or CircleCI refused
to continue; 2 bad flags, description or git state, or --continue without a continuation key.`,
  async run(args, io) {
    const continuing = args.values.continue === true;
    const key = io.env.CIRCLE_CONTINUATION_KEY;
    if (continuing && (key === undefined || key === '')) {
      throw new InputError(
        'generate --continue: CIRCLE_CONTINUATION_KEY is not set: --continue runs in the setup job of a CircleCI setup workflow (setup: true); elsewhere, leave it out',
      );
    }
    // Loaded here, not at start-up: the config SDK, the schema validator and the orb serve
    // generate only. They load while the description loads in its own process and git reads
    // the changes: on two cores, at the same time.
    const emitter = import('../../generate.js').then((module) => {
      module.prepareGenerate();
      return module;
    });
    const orb = import('../../orb/pack.js').then(({ bundledOrb }) => bundledOrb());
    emitter.catch(() => undefined);
    orb.catch(() => undefined);
    const input = await readPipelineInput(args, io, { command: 'generate' });
    const { generateContinuation } = await emitter;
    // git lists the repository's files for the warnings while the config is emitted.
    const warnings = pipelineWarnings(input);
    warnings.catch(() => undefined);
    const output = generateContinuation({ ...input, orb: await orb });
    io.stderr(formatExplanation(explanationOf(output.plan, input.terraform, await warnings)));
    const out = stringFlag(args, 'out');
    // Written beside its place first (a path that cannot be written fails before continuing);
    // put in place only once the pipeline continued: a failed command writes nothing.
    const prepared = out !== undefined ? await prepareFileAtomic(path.resolve(io.cwd, out), output.yaml) : undefined;
    try {
      if (continuing && key !== undefined) {
        // The continuation key authorizes this call: no token.
        const client = await circleciClient(io);
        // No parameters: those the trigger sent reach the continuation already, and sending one
        // again is refused ("Conflicting pipeline parameters").
        const result = await client.continuePipeline(key, output.yaml);
        io.stderr(result.alreadyContinued ? 'the pipeline was already continued by an earlier attempt\n' : 'continued the pipeline\n');
      }
    } catch (error) {
      await prepared?.discard();
      throw error;
    }
    if (prepared !== undefined && out !== undefined) {
      await prepared.commit();
      io.stderr(`wrote ${out}\n`);
    } else if (!continuing) {
      io.stdout(output.yaml);
    }
    return 0;
  },
};
