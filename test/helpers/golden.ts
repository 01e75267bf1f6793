/**
 * Golden files compared by meaning: both sides are parsed and deep-compared, so formatting
 * churn breaks nothing. `UPDATE_GOLDEN=1` rewrites them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './cli.js';

/** The tool's version appears in emitted configs; goldens hold this instead. */
const VERSION_MARK = '0.0.0-golden';

function withoutVersion(value: unknown, version: string): unknown {
  if (typeof value === 'string') return value.replaceAll(version, VERSION_MARK);
  if (Array.isArray(value)) return value.map((item) => withoutVersion(item, version));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutVersion(item, version)]));
  }
  return value;
}

export function assertGolden(name: string, yaml: string, version: string): void {
  const file = path.join(ROOT, 'test/golden', `${name}.yml`);
  const actual = withoutVersion(parse(yaml, { version: '1.1' }), version);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, yaml.replaceAll(version, VERSION_MARK));
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing: run with UPDATE_GOLDEN=1 once and review it`);
  const expected = parse(readFileSync(file, 'utf8'), { version: '1.1' }) as unknown;
  assert.deepEqual(actual, expected, `emitted config differs from ${path.relative(ROOT, file)} (UPDATE_GOLDEN=1 rewrites it)`);
}
