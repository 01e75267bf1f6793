/** The vendored CircleCI files are the unmodified ones their provenance note names. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';

describe('vendored CircleCI reference data', () => {
  const provenance = readFileSync(path.join(ROOT, 'schemas/PROVENANCE.md'), 'utf8');
  for (const file of ['circleci-config.schema.json', 'circleci-api-v2.openapi.json']) {
    it(`${file} has the hash its provenance note records`, () => {
      const hash = createHash('sha256').update(readFileSync(path.join(ROOT, 'schemas', file))).digest('hex');
      const row = provenance.split('\n').find((line) => line.startsWith(`| \`${file}\``));
      assert.ok(row, `no provenance row for ${file}`);
      assert.ok(row.includes(hash), `${file} hash ${hash} is not the recorded one`);
    });
  }
});
