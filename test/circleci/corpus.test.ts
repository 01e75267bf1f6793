// The corpus: real public configs and orb sources (test/fixtures/circleci-corpus/index.json
// names each one's repository, commit, path and license). None may raise a false alarm; every
// orb packs, validates and passes review with the excludes its own CI passes to orb-tools.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { processConfig } from '../../src/circleci/check/process.js';
import { validateConfigText } from '../../src/circleci/check/validate.js';
import { findStrayTags } from '../../src/circleci/check/tags.js';
import { readYaml } from '../../src/circleci/check/yamlRead.js';
import { toYaml } from '../../src/circleci/emit/yaml.js';
import { packOrb, readOrbSource, type OrbSource } from '../../src/orb/pack.js';
import { parseExclude, parseOrbToolsVersion, reviewOrb } from '../../src/orb/review.js';

const corpus = path.join(import.meta.dirname, '../fixtures/circleci-corpus');
interface Entry { fixture: string; repository: string; commit: string; path: string; license: string }
const entries = (JSON.parse(readFileSync(path.join(corpus, 'index.json'), 'utf8')) as { entries: Entry[] }).entries;
const configs = entries.filter((entry) => entry.fixture.startsWith('configs/'));
const orbs = entries.filter((entry) => entry.fixture.startsWith('orbs/'));

interface PackedOrb { source: OrbSource; yaml: string; value: unknown }
const packed = new Map<string, PackedOrb>();

/** The orb-tools jobs of an orb's own CI (its .circleci/config.yml): what they are given. */
function orbToolsEntries(repository: string, job: string): Record<string, unknown>[] {
  const config = configs.find((entry) => entry.repository === repository && entry.path === '.circleci/config.yml');
  if (!config) return [];
  const read = readYaml(readFileSync(path.join(corpus, config.fixture), 'utf8'), config.fixture);
  const workflows = read.ok ? ((read.value as { workflows?: Record<string, { jobs?: unknown[] }> }).workflows ?? {}) : {};
  return Object.values(workflows).flatMap((workflow) => (Array.isArray(workflow.jobs) ? workflow.jobs : []))
    .flatMap((item) => (typeof item === 'object' && item !== null ? Object.entries(item) : []))
    .filter(([name]) => name === job)
    .map(([, options]) => (typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : {}));
}

/** The orb-tools release an orb's own CI imports (`orb-tools: circleci/orb-tools@12.0`). */
function orbToolsVersion(repository: string): [number, number, number] {
  const config = configs.find((entry) => entry.repository === repository && entry.path === '.circleci/config.yml');
  const text = config ? readFileSync(path.join(corpus, config.fixture), 'utf8') : '';
  const version = parseOrbToolsVersion(/circleci\/orb-tools@([\d.]+)/.exec(text)?.[1] ?? '');
  assert.ok(version, `${repository}: its CI names no orb-tools version`);
  return version;
}

/** The name orb-tools' continue job injects the packed orb under in .circleci/test-deploy.yml. */
function injectedNames(repository: string): string[] {
  return orbToolsEntries(repository, 'orb-tools/continue')
    .map((options) => options.orb_name ?? options['orb-name'])
    .filter((name): name is string => typeof name === 'string')
    .map((name) => name.split('/').pop() ?? '');
}

before(async () => {
  for (const orb of orbs) {
    const source = await readOrbSource(path.join(corpus, orb.fixture));
    const yaml = toYaml(await packOrb(source));
    const read = readYaml(yaml, `${orb.repository} (packed)`);
    assert.ok(read.ok);
    packed.set(orb.repository, { source, yaml, value: read.value });
  }
});

describe('corpus of real configs and orbs', () => {
  it('holds at least 40 configs and 10 orbs, each with its repository, commit and license', () => {
    assert.ok(configs.length >= 40, `${configs.length} configs`);
    assert.ok(orbs.length >= 10, `${orbs.length} orbs`);
    for (const entry of entries) {
      assert.match(entry.commit, /^[0-9a-f]{40}$/);
      assert.match(entry.repository, /^[\w.-]+\/[\w.-]+$/);
      assert.ok(entry.license !== '');
    }
  });

  it('raises no false alarm on any config (test configs get their packed orb, as orb-tools gives it)', () => {
    const alarms: string[] = [];
    for (const entry of configs) {
      let text = readFileSync(path.join(corpus, entry.fixture), 'utf8');
      const orb = packed.get(entry.repository);
      const names = orb ? injectedNames(entry.repository) : [];
      if (orb && entry.path === '.circleci/test-deploy.yml') {
        // orb-tools' continue job sets .orbs[orb_name] to the packed orb; older test configs
        // name it ns/orb@dev:<< pipeline.git.revision >> instead, which --orb-dir would supply.
        // The orb goes in as one line of JSON (which is YAML), so the config's lines stay put.
        const json = JSON.stringify(orb.value);
        for (const name of names) {
          const empty = new RegExp(`^(\\s+)${name}:\\s*\\{\\}\\s*$`, 'm');
          if (empty.test(text)) text = text.replace(empty, (_all, indent: string) => `${indent}${name}: ${json}`);
          else if (!/@dev:/.test(text)) text = text.replace(/^orbs:\s*$/m, `orbs:\n  ${name}: ${json}`);
        }
      }
      const loadOrb = (reference: string) => (orb && names.some((name) => reference.includes(`/${name}@dev:`)) ? orb.value : undefined);
      for (const finding of validateConfigText(text, { file: entry.fixture, loadOrb })) {
        if (finding.severity === 'error') alarms.push(`${finding.file}:${finding.line}: ${finding.message}`);
      }
    }
    assert.deepEqual(alarms, []);
  });

  it('prints, for every config, a processed config that itself validates clean', () => {
    const alarms: string[] = [];
    for (const entry of configs) {
      const read = readYaml(readFileSync(path.join(corpus, entry.fixture), 'utf8'), entry.fixture);
      assert.ok(read.ok, entry.fixture);
      const processed = processConfig(read.value, { file: entry.fixture });
      assert.ok(processed.config, entry.fixture);
      for (const finding of validateConfigText(toYaml(processed.config), { file: `${entry.fixture} (processed)` })) {
        if (finding.severity === 'error') alarms.push(`${finding.file}:${finding.line}: ${finding.message}`);
      }
    }
    assert.deepEqual(alarms, []);
  });

  it("passes what this project's own generator emits: the golden configs and .circleci/", () => {
    const root = path.join(import.meta.dirname, '../..');
    const golden = path.join(root, 'test/golden/example');
    const files = [...readdirSync(golden).filter((name) => name.endsWith('.yml')).map((name) => path.join(golden, name)), path.join(root, '.circleci/config.yml')];
    const alarms = files.flatMap((file) => validateConfigText(readFileSync(file, 'utf8'), { file: path.relative(root, file) }).filter((finding) => finding.severity === 'error').map((finding) => `${finding.file}:${finding.line}: ${finding.message}`));
    assert.ok(files.length >= 5);
    assert.deepEqual(alarms, []);
  });

  it('packs every orb without a gate, and the packed orb validates clean', () => {
    const problems: string[] = [];
    for (const [repository, orb] of packed) {
      for (const finding of validateConfigText(orb.yaml, { file: `${repository} orb.yml` })) {
        if (finding.severity === 'error') problems.push(`${finding.file}:${finding.line}: ${finding.message}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  // Scripts with heredocs (<<EOF) and here-strings (<<<) are common in real orbs; packed as
  // `circleci orb pack` packs them, each << is escaped, so CircleCI reads no tag in them.
  it('packs the orbs whose scripts hold << with every one escaped, as circleci orb pack does', () => {
    const withHeredocs = [...packed].filter(([, orb]) => orb.yaml.includes('\\<<'));
    assert.ok(withHeredocs.length >= 5, `${withHeredocs.length} orbs`);
    for (const [repository, orb] of withHeredocs) assert.deepEqual(findStrayTags(orb.value, repository), [], repository);
  });

  it('reviews every orb clean with the exclude and max_command_length its own CI passes to orb-tools review', () => {
    const findings: string[] = [];
    let withSettings = 0;
    for (const [repository, orb] of packed) {
      const review = orbToolsEntries(repository, 'orb-tools/review')[0] ?? {};
      const exclude = parseExclude(typeof review.exclude === 'string' ? review.exclude : '');
      const max = typeof review.max_command_length === 'number' ? review.max_command_length : undefined;
      const orbTools = orbToolsVersion(repository);
      if (exclude.size > 0 || max !== undefined) withSettings++;
      for (const finding of reviewOrb(orb.source, { exclude, orbToolsVersion: orbTools, ...(max !== undefined ? { maxCommandLength: max } : {}) })) {
        findings.push(`${repository}: ${finding.code} ${finding.file}: ${finding.message}`);
      }
    }
    assert.deepEqual(findings, []);
    assert.ok(withSettings >= 3, 'several orbs pass their own excludes');
  });
});

describe('mistakes planted in real configs are caught at their line', () => {
  const plant = (fixture: string, from: string, to: string): string => {
    const text = readFileSync(path.join(corpus, 'configs', fixture), 'utf8');
    assert.ok(text.includes(from), `${fixture} holds ${from}`);
    return text.replace(from, to);
  };
  const errorsOf = (text: string) => validateConfigText(text, { file: 'planted.yml' }).filter((finding) => finding.severity === 'error').map((finding) => `${finding.line}: ${finding.message}`);
  const cases: [string, string, string, string, RegExp][] = [
    // numpy escapes its here-string (`\<<<`); unescaped, CircleCI refuses the config.
    ['numpy+numpy--config.yml', '\\<<< "${changed}"', '<<< "${changed}"', 'an unescaped here-string', /^51: ".*<<< "\$\{changed\}"; then": CircleCI reads every << .* write it as \\<</],
    ['nilearn+nilearn--config.yml', '    host_docs:\n', '    host_docs:\n        docker: [{ image: cimg/base:current }]\n', 'a docker image beside the machine', /^15: job host_docs has docker and machine: a job runs in one executor; keep one of them$/],
    ['nilearn+nilearn--config.yml', '        type: string\n', '        typ: string\n', 'a misspelled parameter declaration key', /^9: pipeline parameter GITHUB_RUN_URL: unknown key "typ" \(did you mean "type"\?\); CircleCI refuses the config$/],
    [
      'CircleCI-Public+kubernetes-orb--test-deploy.yml',
      '      - integration-test-docker:\n          filters: *filters\n',
      '      - integration-test-docker:\n          filters: *filters\n          requires: [orb-tools/publish]\n',
      'a requires cycle',
      /^199: workflow test-deploy: integration-test-docker requires orb-tools\/publish requires integration-test-docker: a requires cycle/,
    ],
  ];
  for (const [fixture, from, to, name, expected] of cases) {
    it(`${name} (${fixture})`, () => {
      const found = errorsOf(plant(fixture, from, to));
      assert.ok(found.some((line) => expected.test(line)), found.join('\n'));
    });
  }
});
