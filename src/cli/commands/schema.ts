import { descriptionJsonSchema } from '../../description/schema.js';
import type { Command } from '../command.js';

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of the project description, for editors',
  positionals: { min: 0, max: 0, name: '' },
  options: {},
  help: `Usage: circle-fargate schema

Prints the JSON Schema (draft-07) of the project description. Point your editor at it to get
completion and checks in circle-fargate.config.json or .yaml, for example:

  circle-fargate schema > circle-fargate.schema.json
  # then in circle-fargate.config.json: { "$schema": "./circle-fargate.schema.json", ... }

Options:
  -h, --help   show this help`,
  run(_args, io) {
    io.stdout(`${JSON.stringify(descriptionJsonSchema(), null, 2)}\n`);
    return Promise.resolve(0);
  },
};
