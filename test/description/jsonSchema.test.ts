/**
 * `circle-fargate schema`: a JSON Schema that agrees with the validator. Valid descriptions
 * pass it and structurally invalid ones fail it, checked with ajv.
 */
import { Ajv } from 'ajv';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCommand } from '../helpers/cli.js';
import { edited, sampleDescription } from '../helpers/descriptions.js';

describe('description JSON Schema', async () => {
  const result = await runCommand(['schema']);
  const schema = JSON.parse(result.stdout) as Record<string, unknown>;
  const ajv = new Ajv({ strict: true, allErrors: true });
  const validate = ajv.compile(schema);

  it('is a strict draft-07 schema with a description on every property', () => {
    assert.equal(result.code, 0);
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const missing: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (node === null || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
      for (const [key, property] of Object.entries(properties ?? {})) {
        if (key !== '$schema' && typeof property.description !== 'string') missing.push(`${where}.${key}`);
      }
      for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`);
    };
    walk(schema, '');
    assert.deepEqual(missing, []);
  });

  it('accepts the sample description, with $schema', () => {
    assert.equal(validate({ $schema: './x.json', ...sampleDescription() }), true, JSON.stringify(validate.errors));
  });

  const invalid: [string, unknown][] = [
    ['unknown key', edited((d) => (d.environments.prod.clustr = 'x'))],
    ['missing project', {}],
    ['bad region', edited((d) => (d.environments.pre.region = 'tokyo'))],
    ['bad trigger type', edited((d) => (d.environments.pre.trigger = { type: 'push' }))],
    ['parallelism 0', edited((d) => (d.tests.phpunit.parallelism = 0))],
    ['bad environment name', edited((d) => (d.environments.Prod = d.environments.prod))],
    ['empty include list', edited((d) => (d.images.app.paths = []))],
  ];
  for (const [name, description] of invalid) {
    it(`rejects ${name}, as the validator does`, () => {
      assert.equal(validate(description), false);
    });
  }
});
