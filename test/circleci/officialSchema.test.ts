import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOfficialSchema, deepestErrors } from '../../src/circleci/check/officialSchema.js';

const valid = {
  version: 2.1,
  jobs: { build: { docker: [{ image: 'cimg/base:2024.12' }], steps: ['checkout'] } },
  workflows: { main: { jobs: ['build'] } },
};

describe('official schema check (prebuilt validator)', () => {
  it('passes a valid config', () => {
    assert.deepEqual(checkOfficialSchema(valid), []);
  });

  it('names the deepest path of a misspelled step key, not the oneOf cascade above it', () => {
    const broken = structuredClone(valid) as Record<string, any>;
    broken.jobs.build.steps = [{ run: { name: 'x', comand: 'echo' } }];
    assert.deepEqual(checkOfficialSchema(broken), [
      { path: ['jobs', 'build', 'steps', 0, 'run'], message: "must have required property 'command'" },
    ]);
  });

  it('names an unknown key in a job', () => {
    const broken = structuredClone(valid) as Record<string, any>;
    broken.jobs.build.paralelism = 2;
    assert.deepEqual(checkOfficialSchema(broken), [{ path: ['jobs', 'build'], message: 'unknown key "paralelism"', key: 'paralelism' }]);
  });

  it('keeps only errors with nothing below them', () => {
    const errors = [
      { instancePath: '/jobs/a', keyword: 'oneOf', params: {} },
      { instancePath: '/jobs/a', keyword: 'type', params: {}, message: 'must be object' },
      { instancePath: '/jobs/a/steps/0', keyword: 'required', params: {}, message: 'must have required property' },
    ];
    assert.deepEqual(
      deepestErrors(errors).map((e) => e.instancePath),
      ['/jobs/a/steps/0'],
    );
  });
});
