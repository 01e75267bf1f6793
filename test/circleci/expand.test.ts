/**
 * An inline orb's job expanded into a job of the config runs the same steps as the orb's job
 * called with the same values: CircleCI's parameter substitution (a whole reference keeps its
 * type, `\<<` and pipeline values are left), the orb executor written out, `when`/`unless`
 * decided, and only the command arguments that differ from the defaults.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { expandOrbJob } from '../../src/circleci/emit/expand.js';
import { RESOURCE_CLASSES } from '../../src/description/schema.js';
import type { OrbObject } from '../../src/orb/pack.js';
import { EXAMPLE, runCommand } from '../helpers/cli.js';
import { parseConfig, workflowJobNames, type Config } from '../helpers/config.js';
import { removeDir, repoFromDirectory } from '../helpers/git.js';
import { expandJob, type Pipeline } from '../helpers/jobRunner.js';

const ORB: OrbObject = {
  version: 2.1,
  executors: {
    base: { parameters: { image: { type: 'string', default: 'cimg/base:2024.12' } }, docker: [{ image: '<< parameters.image >>' }], resource_class: 'small' },
  },
  commands: {
    greet: {
      parameters: { who: { type: 'string', default: 'world' }, loud: { type: 'boolean', default: false }, times: { type: 'integer', default: 1 } },
      steps: [{ run: { environment: { WHO: '<< parameters.who >>' }, command: 'echo "$WHO"' } }],
    },
  },
  jobs: {
    hello: {
      parameters: {
        image: { type: 'string', default: 'cimg/base:2024.12' },
        who: { type: 'string' },
        loud: { type: 'boolean', default: false },
        parallelism: { type: 'integer', default: 1 },
        note: { type: 'string', default: '' },
      },
      executor: { name: 'base', image: '<< parameters.image >>' },
      parallelism: '<< parameters.parallelism >>',
      steps: [
        { greet: { who: '<< parameters.who >>', loud: '<< parameters.loud >>' } },
        { when: { condition: '<< parameters.loud >>', steps: [{ greet: { who: 'LOUD << parameters.who >>' } }] } },
        { unless: { condition: { equal: ['', '<< parameters.note >>'] }, steps: [{ run: { name: 'Note << parameters.note >>', command: 'true' } }] } },
        { when: { condition: '<< pipeline.parameters.flag >>', steps: ['greet'] } },
      ],
    },
    suite: {
      parameters: { executor: { type: 'executor', default: 'base' } },
      executor: '<< parameters.executor >>',
      steps: ['greet'],
    },
  },
};

describe('expandOrbJob', () => {
  it('puts the values in with their types, writes the executor out, decides conditions, drops default arguments', () => {
    const job = expandOrbJob(ORB, 'o', 'hello', { who: 'team \\<< pipeline.id >>', loud: true, parallelism: 3, note: 'n' }, new Set());
    assert.deepEqual(job, {
      docker: [{ image: 'cimg/base:2024.12' }],
      resource_class: 'small',
      parallelism: 3,
      steps: [
        { 'o/greet': { who: 'team \\<< pipeline.id >>', loud: true } },
        { 'o/greet': { who: 'LOUD team \\<< pipeline.id >>' } },
        { run: { name: 'Note n', command: 'true' } },
        { when: { condition: '<< pipeline.parameters.flag >>', steps: ['o/greet'] } },
      ],
    });
    const quiet = expandOrbJob(ORB, 'o', 'hello', { who: 'world', image: 'cimg/base:2025.01' }, new Set());
    assert.deepEqual(quiet.docker, [{ image: 'cimg/base:2025.01' }]);
    assert.deepEqual(quiet.steps, ['o/greet', { when: { condition: '<< pipeline.parameters.flag >>', steps: ['o/greet'] } }]);
  });

  it('merges the environment of the job and its orb executor, the job\'s values winning', () => {
    const orb: OrbObject = {
      ...ORB,
      executors: { env: { docker: [{ image: 'cimg/base:2024.12' }], environment: { A: 'executor', B: 'executor' }, resource_class: 'small' } },
      jobs: { job: { executor: 'env', environment: { B: 'job', C: 'job' }, resource_class: 'large', steps: ['greet'] } },
    };
    assert.deepEqual(expandOrbJob(orb, 'o', 'job', {}, new Set()), {
      docker: [{ image: 'cimg/base:2024.12' }],
      environment: { A: 'executor', B: 'job', C: 'job' },
      resource_class: 'large',
      steps: ['o/greet'],
    });
  });

  it('names an executor of the config, writes an orb executor out', () => {
    assert.deepEqual(expandOrbJob(ORB, 'o', 'suite', { executor: 'phpunit' }, new Set(['phpunit'])), { executor: 'phpunit', steps: ['o/greet'] });
    assert.deepEqual(expandOrbJob(ORB, 'o', 'suite', {}, new Set(['phpunit'])), { docker: [{ image: 'cimg/base:2024.12' }], resource_class: 'small', steps: ['o/greet'] });
    assert.throws(() => expandOrbJob(ORB, 'o', 'suite', { executor: 'nowhere' }, new Set()), /executor nowhere, which neither the orb nor the config has/);
    // The job's default names the orb's executor even when the config has one of the same name.
    assert.deepEqual(expandOrbJob(ORB, 'o', 'suite', {}, new Set(['base'])).docker, [{ image: 'cimg/base:2024.12' }]);
    assert.deepEqual(expandOrbJob(ORB, 'o', 'suite', { executor: 'base' }, new Set(['base'])), { executor: 'base', steps: ['o/greet'] });
  });

  it('refuses what CircleCI would refuse: an undeclared parameter, a required one missing, a job the orb lacks', () => {
    assert.throws(() => expandOrbJob(ORB, 'o', 'hello', { who: 'x', colour: 'red' }, new Set()), /declares no parameter colour/);
    assert.throws(() => expandOrbJob(ORB, 'o', 'hello', {}, new Set()), /parameter who has no value and no default/);
    assert.throws(() => expandOrbJob(ORB, 'o', 'goodbye', {}, new Set()), /no job goodbye/);
    const unsupported: OrbObject = { ...ORB, jobs: { spliced: { parameters: { extra: { type: 'steps', default: [] } }, docker: [{ image: 'x' }], steps: ['<< parameters.extra >>'] }, section: { docker: [{ image: 'x' }], steps: [{ run: '<<# parameters.a >>x<</ parameters.a >>' }] } } };
    assert.throws(() => expandOrbJob(unsupported, 'o', 'spliced', {}, new Set()), /a steps parameter is not expanded/);
    assert.throws(() => expandOrbJob(unsupported, 'o', 'section', {}, new Set()), /<<# or <<\^ section is not expanded/);
    assert.throws(() => expandOrbJob(ORB, 'o', 'hello', { who: 'x', parallelism: 'many' }, new Set()), /parameter parallelism is an integer, not "many"/);
  });

  it('the description takes exactly the resource classes every job of the orb takes', async () => {
    const packed = parseConfig((await runCommand(['orb', 'pack'])).stdout);
    for (const [name, job] of Object.entries<Config>(packed.jobs)) assert.deepEqual(job.parameters.resource_class?.enum, [...RESOURCE_CLASSES], name);
  });
});

describe('the bundled example, expanded', () => {
  it('runs the same steps in the same containers as the published orb\'s jobs called with the same values', async () => {
    const dir = repoFromDirectory(EXAMPLE);
    try {
      const file = `${dir}/circle-fargate.config.ts`;
      const changes = 'terraform/pre/main.tf\napp/x.php\n';
      const inline = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: dir, input: changes });
      assert.equal(inline.code, 0, inline.stderr);
      writeFileSync(file, readFileSync(file, 'utf8').replace('checkout: { depth: 1 },', "checkout: { depth: 1 },\n  orb: { source: 'published', namespace: 'acme' },"));
      const published = await runCommand(['generate', '--branch', 'master', '--changed-files', '-'], { cwd: dir, input: changes });
      assert.equal(published.code, 0, published.stderr);
      const packed = await runCommand(['orb', 'pack']);
      assert.equal(packed.code, 0, packed.stderr);

      const expanded = parseConfig(inline.stdout);
      // The published config with the whole packed orb in place of the reference: the orb's jobs,
      // called by the workflow with every value.
      const called: Config = { ...parseConfig(published.stdout), orbs: { 'circle-fargate': parseConfig(packed.stdout) } };
      const names = workflowJobNames(expanded).filter((name) => !name.startsWith('approve-'));
      assert.deepEqual(names, workflowJobNames(called).filter((name) => !name.startsWith('approve-')));
      assert.deepEqual(names, ['phpunit', 'build-image', 'terraform-plan-pre', 'terraform-apply-pre', 'deploy-prod']);
      const pipeline: Pipeline = { cacheDir: '', workspaceStore: '', values: { 'pipeline.parameters.deploy_env': '', 'pipeline.git.branch': 'master' } };
      for (const name of names) {
        const a = expandJob(expanded, name, pipeline);
        const b = expandJob(called, name, pipeline);
        // The inline orb's scripts are the packed ones without comment lines.
        const comparable = (job: typeof a) => ({ ...job, steps: job.steps.map((step) => ({ ...step, body: { ...step.body, ...(typeof step.body.command === 'string' ? { command: withoutComments(step.body.command) } : {}) } })) });
        assert.deepEqual(comparable(a), comparable(b), name);
      }
    } finally {
      removeDir(dir);
    }
  });
});

function withoutComments(script: string): string {
  return script
    .split('\n')
    .filter((line, index) => index === 0 || (line.trim() !== '' && !/^\s*#/.test(line)))
    .join('\n')
    .trimEnd();
}
