import { InputError } from '../../errors.js';
import type { Command } from '../command.js';
import { CONFIG_INPUT_OPTIONS, readConfigFile, readConfigInput } from '../configInput.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'process a CircleCI config offline, as `circleci config process` does',
  positionals: { min: 2, max: 2, name: 'a subcommand (process) and FILE' },
  options: { ...CONFIG_INPUT_OPTIONS },
  help: `Usage: circle-fargate config process FILE [--param NAME=VALUE]... [--orb-dir DIR]

The offline counterpart of \`circleci config process\`: prints the config CircleCI would run,
as a 2.0 config (nothing left to process; orbs it could not read stay under orbs:).
  - pipeline values (<< pipeline.git.branch >>...) get stand-in values, pipeline parameters
    their --param value or default, everywhere (orb references included);
  - inline orbs, and published orbs found in --orb-dir, are expanded with the config's own
    commands, executors and jobs; job, command and executor parameters are typed (boolean,
    integer, string, enum, steps, executor, env_var_name) and checked;
  - each matrix becomes one job per combination, named NAME-V1-V2 or by its name:
    (<< matrix.x >> filled in); requires naming a matrix alias require all its jobs;
  - when/unless steps are decided; anchors, aliases and << merge keys are resolved.
A published orb not found in --orb-dir is left as written and noted on stderr.

Options:
  --param NAME=VALUE  a pipeline parameter's value (repeatable), read as YAML (true, 3, text)
  --orb-dir DIR       packed published orbs, as DIR/NAMESPACE/ORB@VERSION.yml or DIR/NAMESPACE/ORB.yml
  --debug             show a stack trace on unexpected errors
  -h, --help          show this help

Exit codes: 0 processed (the config is on stdout); 1 the config cannot be processed (each
problem as FILE:LINE: message on stderr, nothing on stdout); 2 a file cannot be read, or a bad flag.`,
  async run(args, io) {
    const [sub = '', file = ''] = args.positionals;
    if (sub !== 'process') throw new InputError(`config: unknown subcommand ${JSON.stringify(sub)}; expected process; see circle-fargate config --help`);
    const input = await readConfigInput(args, 'config process', io.cwd);
    const text = await readConfigFile(io.cwd, file, 'config process');
    const { readYaml } = await import('../../circleci/check/yamlRead.js');
    const { processConfig } = await import('../../circleci/check/process.js');
    const read = readYaml(text, file);
    const result = read.ok
      ? processConfig(read.value, { file, parameters: input.parameters, ...(input.loadOrb ? { loadOrb: input.loadOrb } : {}) })
      : { config: undefined, problems: read.problems.map((problem) => ({ ...problem, severity: 'error' as const })) };
    const errors = result.problems.filter((problem) => problem.severity === 'error');
    for (const problem of result.problems) {
      io.stderr(`${problem.file}:${problem.line}: ${problem.severity === 'error' ? '' : `${problem.severity}: `}${problem.message}\n`);
    }
    if (errors.length > 0 || !result.config) {
      io.stderr(`config process: ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing printed\n`);
      return 1;
    }
    const { toYaml } = await import('../../circleci/emit/yaml.js');
    io.stdout(toYaml(result.config));
    return 0;
  },
};
