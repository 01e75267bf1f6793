/**
 * CircleCI's official config schema, compiled here with ajv independently of the product's
 * prebuilt validator, so that a test does not trust the code it checks.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS: its function is the module itself.
const addFormats = formatsPlugin as unknown as typeof formatsPlugin.default;
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/circleci-config.schema.json'), 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

export function officialSchemaErrors(config: unknown): string[] {
  const validate = validator();
  return validate(config) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}
