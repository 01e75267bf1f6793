/**
 * The inline orb's `when`/`unless` steps are decided as CircleCI decides them when it compiles a
 * config, from the values this config passes: a step kept for every value replaces its `when`, a
 * step kept for none goes, anything that depends on a pipeline value or on a statement not
 * evaluated here stays for CircleCI.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orbSubset } from '../../src/circleci/emit/orbSubset.js';
import type { OrbObject } from '../../src/orb/pack.js';

const run = (name: string) => ({ run: { name, command: `echo ${name}` } });

const ORB: OrbObject = {
  version: 2.1,
  commands: {
    fetch: {
      parameters: { source: { type: 'enum', enum: ['registry', 'tarball'], default: 'registry' }, cache: { type: 'boolean', default: true } },
      steps: [
        { when: { condition: { equal: ['tarball', '<< parameters.source >>'] }, steps: [run('download')] } },
        { unless: { condition: '<< parameters.cache >>', steps: [run('no-cache')] } },
        { when: { condition: { matches: { pattern: '^v', value: '<< parameters.source >>' } }, steps: [run('matched')] } },
        run('install'),
      ],
    },
    unused: { steps: [run('never')] },
  },
  jobs: {
    build: {
      parameters: { source: { type: 'string', default: 'registry' }, cache: { type: 'boolean', default: true }, branch: { type: 'string', default: '' } },
      docker: [{ image: 'cimg/base:2024.12' }],
      steps: [
        { fetch: { source: '<< parameters.source >>', cache: '<< parameters.cache >>' } },
        { when: { condition: { and: ['<< parameters.cache >>', { not: { equal: ['', '<< parameters.branch >>'] } }] }, steps: [run('branch-cache')] } },
      ],
    },
  },
};

const names = (steps: unknown): unknown[] => (steps as Record<string, unknown>[]).map((step) => {
  const [key, body] = Object.entries(step)[0] as [string, Record<string, unknown>];
  return key === 'run' ? body.name : key;
});

describe('orbSubset decides conditions', () => {
  it('keeps what holds for every value, drops what holds for none, leaves matches to CircleCI', () => {
    const subset = orbSubset(ORB, [{ job: 'build', parameters: {} }]) as { commands: Record<string, { steps: unknown }>; jobs: Record<string, { steps: unknown }> };
    assert.deepEqual(names(subset.commands.fetch?.steps), ['when', 'install']);
    // `and` of the cache (true) and a branch given (no: "" by default): false, so the step goes.
    assert.deepEqual(names(subset.jobs.build?.steps), ['fetch']);
    assert.deepEqual(Object.keys(subset.commands), ['fetch']);
  });

  it('a value passed for one invocation decides it; two different values leave it to CircleCI', () => {
    const tarball = orbSubset(ORB, [{ job: 'build', parameters: { source: 'tarball', cache: false, branch: 'main' } }]) as { commands: Record<string, { steps: unknown }>; jobs: Record<string, { steps: unknown }> };
    assert.deepEqual(names(tarball.commands.fetch?.steps), ['download', 'no-cache', 'when', 'install']);
    assert.deepEqual(names(tarball.jobs.build?.steps), ['fetch']);
    const both = orbSubset(ORB, [
      { job: 'build', parameters: { source: 'tarball', branch: 'main' } },
      { job: 'build', parameters: { source: 'registry', branch: 'main' } },
    ]) as { commands: Record<string, { steps: unknown }>; jobs: Record<string, { steps: unknown }> };
    assert.deepEqual(names(both.commands.fetch?.steps), ['when', 'when', 'install']);
    assert.deepEqual(names(both.jobs.build?.steps), ['fetch', 'branch-cache']);
  });

  it('a pipeline value is left to CircleCI', () => {
    const piped = orbSubset(ORB, [{ job: 'build', parameters: { source: '<< pipeline.parameters.source >>' } }]) as { commands: Record<string, { steps: unknown }> };
    assert.deepEqual(names(piped.commands.fetch?.steps), ['when', 'when', 'install']);
  });

  it('a command called by a command gets the values its callers pass, decided after them', () => {
    const nested: OrbObject = {
      version: 2.1,
      commands: {
        // Listed before its caller: the order of the orb does not matter.
        inner: { parameters: { mode: { type: 'string', default: 'slow' } }, steps: [{ when: { condition: { equal: ['fast', '<< parameters.mode >>'] }, steps: [run('fast')] } }, run('always')] },
        outer: {
          parameters: { mode: { type: 'string', default: 'slow' }, debug: { type: 'boolean', default: false } },
          steps: [{ inner: { mode: '<< parameters.mode >>' } }, { when: { condition: '<< parameters.debug >>', steps: [{ inner: { mode: 'slow' } }] } }],
        },
      },
      jobs: { job: { parameters: { mode: { type: 'string', default: 'slow' } }, docker: [{ image: 'cimg/base:2024.12' }], steps: [{ outer: { mode: '<< parameters.mode >>' } }] } },
    };
    const fast = orbSubset(nested, [{ job: 'job', parameters: { mode: 'fast' } }]) as { commands: Record<string, { steps: unknown }> };
    // debug is false: outer's second call of inner goes, so inner only ever gets "fast".
    assert.deepEqual(names(fast.commands.outer?.steps), ['inner']);
    assert.deepEqual(names(fast.commands.inner?.steps), ['fast', 'always']);
    const slow = orbSubset(nested, [{ job: 'job', parameters: {} }]) as { commands: Record<string, { steps: unknown }> };
    assert.deepEqual(names(slow.commands.inner?.steps), ['always']);
  });

  it('for jobs expanded into the config (jobs: false): the commands they reach, decided, and no jobs or executors', () => {
    const withExecutor: OrbObject = { ...ORB, executors: { base: { docker: [{ image: 'cimg/base:2024.12' }] } }, jobs: { build: { ...(ORB.jobs as Record<string, object>).build, executor: 'base' } } };
    const kept = orbSubset(withExecutor, [{ job: 'build', parameters: { source: 'tarball' } }]) as Record<string, Record<string, unknown>>;
    assert.deepEqual([Object.keys(kept.jobs ?? {}), Object.keys(kept.executors ?? {})], [['build'], ['base']]);
    const expanded = orbSubset(withExecutor, [{ job: 'build', parameters: { source: 'tarball' } }], { jobs: false }) as Record<string, Record<string, { steps: unknown }>>;
    assert.deepEqual([expanded.jobs, expanded.executors], [undefined, undefined]);
    assert.deepEqual(Object.keys(expanded.commands ?? {}), ['fetch']);
    assert.deepEqual(names(expanded.commands?.fetch?.steps), ['download', 'when', 'install']);
  });
});
