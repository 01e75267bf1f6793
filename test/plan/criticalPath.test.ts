/**
 * The critical path method on pipelines: hand-checked graphs (fan-out and fan-in, ties, an
 * approval, unknown durations), and random graphs checked against a brute force over every
 * chain of requires.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { criticalPathOf, type PathJob } from '../../src/plan/criticalPath.js';

const job = (name: string, requires: string[] = [], kind: PathJob['kind'] = 'test'): PathJob => ({ name, kind, requires });

/** The example's master push: phpunit and build-image side by side, then deploy-prod. */
const MASTER_PUSH = [job('phpunit'), job('build-image', [], 'build-image'), job('deploy-prod', ['phpunit', 'build-image'], 'deploy')];

describe('criticalPathOf', () => {
  it('without durations: the longest chain by number of jobs, the setup job first, ties side by side', () => {
    const path = criticalPathOf(MASTER_PUSH);
    assert.equal(path.unit, 'jobs');
    assert.equal(path.length, 3);
    assert.deepEqual(path.stages, [['setup'], ['phpunit', 'build-image'], ['deploy-prod']]);
    assert.ok(path.jobs.every((item) => item.slack === 0));
  });

  it('with durations: the slower side of a fan-in is on the path, the faster has the difference to spare', () => {
    const path = criticalPathOf(MASTER_PUSH, new Map([['setup', 20], ['phpunit', 70], ['build-image', 100], ['deploy-prod', 130]]));
    assert.equal(path.unit, 'seconds');
    assert.equal(path.length, 250);
    assert.deepEqual(path.stages, [['setup'], ['build-image'], ['deploy-prod']]);
    const phpunit = path.jobs.find((item) => item.name === 'phpunit');
    assert.ok(phpunit);
    assert.equal(phpunit.slack, 30);
    assert.equal(phpunit.start, 20);
    assert.deepEqual(path.unknown, []);
  });

  it('an approval weighs nothing; a chain of Terraform jobs can outweigh a deploy', () => {
    const jobs = [
      job('terraform-plan-prod', [], 'terraform-plan'),
      job('approve-terraform-apply-prod', ['terraform-plan-prod'], 'terraform-approval'),
      job('terraform-apply-prod', ['approve-terraform-apply-prod'], 'terraform-apply'),
      job('build-image', [], 'build-image'),
      job('deploy-prod', ['build-image', 'terraform-apply-prod'], 'deploy'),
    ];
    const path = criticalPathOf(jobs, new Map([['setup', 10], ['terraform-plan-prod', 40], ['approve-terraform-apply-prod', 3600], ['terraform-apply-prod', 50], ['build-image', 80], ['deploy-prod', 60]]));
    assert.equal(path.length, 10 + 40 + 0 + 50 + 60);
    assert.deepEqual(path.stages, [['setup'], ['terraform-plan-prod'], ['approve-terraform-apply-prod'], ['terraform-apply-prod'], ['deploy-prod']]);
    assert.deepEqual(path.approvals, ['approve-terraform-apply-prod']);
    assert.equal(path.jobs.find((item) => item.name === 'build-image')?.slack, 10);
  });

  it('jobs of 0 s (no duration known) follow one another, never side by side with what they require', () => {
    const path = criticalPathOf(MASTER_PUSH, new Map());
    assert.equal(path.length, 0);
    for (const stage of path.stages) assert.equal(stage.length, 1, JSON.stringify(path.stages));
    assert.deepEqual(path.stages.flat().slice(0, 1), ['setup']);
    assert.equal(path.stages.flat().at(-1), 'deploy-prod');
  });

  it('jobs with no duration known weigh 0 and are named', () => {
    const path = criticalPathOf(MASTER_PUSH, new Map([['build-image', 100]]));
    assert.deepEqual(path.unknown, ['setup', 'phpunit', 'deploy-prod']);
    assert.equal(path.length, 100);
    assert.deepEqual(path.stages, [['setup'], ['build-image'], ['deploy-prod']]);
  });

  it('on random pipelines: the length is the longest chain, the stages are one such chain, and every job with no slack is named', () => {
    let seed = 7;
    const random = (below: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % below;
    };
    for (let round = 0; round < 300; round++) {
      const count = 1 + random(9);
      const jobs: PathJob[] = [];
      const durations = new Map<string, number>([['setup', random(5)]]);
      for (let index = 0; index < count; index++) {
        const requires = jobs.filter(() => random(3) === 0).map((item) => item.name);
        jobs.push(job(`j${index}`, requires));
        durations.set(`j${index}`, random(6));
      }
      // Brute force: the heaviest chain ending at each job.
      const heaviest = new Map<string, number>();
      const weigh = (name: string): number => {
        const found = heaviest.get(name);
        if (found !== undefined) return found;
        const requires = jobs.find((item) => item.name === name)?.requires ?? [];
        const before = requires.length > 0 ? Math.max(...requires.map(weigh)) : (durations.get('setup') ?? 0);
        const total = before + (durations.get(name) ?? 0);
        heaviest.set(name, total);
        return total;
      };
      const longest = Math.max(...jobs.map((item) => weigh(item.name)));
      const path = criticalPathOf(jobs, durations);
      assert.equal(path.length, longest, `round ${round}`);
      // Walking the stages, each stage's jobs start when the stage before ends, and the last ends at the length.
      let at = 0;
      for (const stage of path.stages) {
        const ends = stage.map((name) => {
          const item = path.jobs.find((candidate) => candidate.name === name);
          assert.ok(item, name);
          assert.equal(item.start, at, `round ${round}: ${name} starts where the stage before ended`);
          return at + item.weight;
        });
        assert.equal(new Set(ends).size, 1, `round ${round}: the jobs of a stage are as long`);
        at = ends[0] ?? at;
      }
      assert.equal(at, longest, `round ${round}: the stages add up to the length`);
      // Every job with no slack is in a stage or named as also critical; no other job is.
      const noSlack = path.jobs.filter((item) => item.slack === 0).map((item) => item.name).sort();
      assert.deepEqual([...path.stages.flat(), ...path.alsoCritical].sort(), noSlack, `round ${round}`);
      for (const item of path.jobs) assert.ok(item.start + item.weight + item.slack <= longest, `round ${round}: ${item.name} ends in time`);
      // Jobs side by side in a stage never require one another (directly or not).
      const requiresOf = (name: string): string[] => (jobs.find((item) => item.name === name)?.requires ?? []).flatMap((required) => [required, ...requiresOf(required)]);
      for (const stage of path.stages) for (const name of stage) assert.ok(!requiresOf(name).some((required) => stage.includes(required)), `round ${round}: ${stage.join(' | ')}`);
    }
  });
});
