import type { Command } from '../command.js';
import { CONFIG_INPUT_OPTIONS, readConfigFile, readConfigInput } from '../configInput.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check CircleCI configs and packed orbs offline, after processing them as CircleCI does',
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER, name: 'FILE (a config or packed orb)' },
  options: { ...CONFIG_INPUT_OPTIONS },
  help: `Usage: circle-fargate validate FILE... [--param NAME=VALUE]... [--orb-dir DIR]

Processes each CircleCI config as CircleCI does (see circle-fargate config --help), then checks
the result, and prints FILE:LINE: message for each problem, at the line of the source to fix:
  - CircleCI's official schema, one line per problem (the deepest error of a cascade);
  - jobs, commands, executors and orbs that are not defined; parameters unknown, missing or of
    the wrong type (boolean, integer, enum, steps, executor, env_var_name);
  - workflows: requires naming no job (matrix aliases and names understood) or a name two
    jobs share, requires cycles, approval jobs given steps, misspelled logic operators;
  - misspelled keys, with the key meant: errors where CircleCI refuses them (commands,
    executors, jobs, parameter declarations, a missing version), warnings where it ignores
    them (workflows, filters, schedules, the top level); a job with two of docker, machine,
    macos;
  - << parameters.x >> and << pipeline.parameters.x >> that are not declared;
  - a << that is not a parameter tag (a heredoc cat <<EOF, a here-string <<<): CircleCI
    refuses a 2.1 config holding one; write it \\<<.
Keys CircleCI ignores in built-in steps (restore_cache with paths...) are warnings. What a
published orb (namespace/orb@version) defines cannot be read offline: it is noted on stderr, not
counted, unless --orb-dir holds the packed orb. A packed orb (no workflows) is checked as written.
YAML is read as CircleCI reads it (YAML 1.1 as SnakeYAML resolves it: \`.\` is a string, \`on\`
and \`yes\` are booleans, \`y\` is a string, \`0755\` is octal, \`1_000\` is 1000).

Options:
  --param NAME=VALUE  a pipeline parameter's value for this run (repeatable); else its default
  --orb-dir DIR       packed published orbs, as DIR/NAMESPACE/ORB@VERSION.yml or DIR/NAMESPACE/ORB.yml
  --debug             show a stack trace on unexpected errors
  -h, --help          show this help

Exit codes: 0 every file valid (warnings and notes allowed); 1 problems found; 2 a file cannot
be read, or a bad flag.`,
  async run(args, io) {
    const input = await readConfigInput(args, 'validate', io.cwd);
    const { validateConfigText } = await import('../../circleci/check/validate.js');
    let problems = 0;
    for (const file of args.positionals) {
      const text = await readConfigFile(io.cwd, file, 'validate');
      for (const finding of validateConfigText(text, { file, parameters: input.parameters, ...(input.loadOrb ? { loadOrb: input.loadOrb } : {}) })) {
        if (finding.severity === 'error') {
          io.stdout(`${finding.file}:${finding.line}: ${finding.message}\n`);
          problems++;
        } else io.stderr(`${finding.file}:${finding.line}: ${finding.severity}: ${finding.message}\n`);
      }
    }
    const files = args.positionals.length;
    io.stderr(problems === 0 ? `validate: ${files === 1 ? 'the file is' : `all ${files} files are`} valid\n` : `validate: ${problems} problem${problems === 1 ? '' : 's'}\n`);
    return problems === 0 ? 0 : 1;
  },
};
