/**
 * Processing as CircleCI does, and validating the result: YAML as CircleCI's parser reads it,
 * a minimal test for each false-alarm cause A-G of issue 14, a table of planted mistakes each
 * caught at its line, and `config process` on the command line.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { processConfig } from '../../src/circleci/check/process.js';
import { validateConfigText } from '../../src/circleci/check/validate.js';
import { readYaml } from '../../src/circleci/check/yamlRead.js';
import { runCommand } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';

const dir = tempDir();
after(() => {
  removeDir(dir);
});

const errors = (text: string) => validateConfigText(text, { file: 'c.yml' }).filter((finding) => finding.severity === 'error').map((finding) => `${finding.line}: ${finding.message}`);
const warnings = (text: string) => validateConfigText(text, { file: 'c.yml' }).filter((finding) => finding.severity === 'warning').map((finding) => `${finding.line}: ${finding.message}`);
const value = (scalar: string) => {
  const read = readYaml(`a: ${scalar}\n`, 'v.yml');
  assert.ok(read.ok);
  return (read.value as { a: unknown }).a;
};

const JOB = `jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
`;

describe('YAML as CircleCI reads it (SnakeYAML, YAML 1.1)', () => {
  // CircleCI compiles configs with clj-yaml over SnakeYAML (github.com/CircleCI-Archived/clj-yaml).
  const table: [string, unknown][] = [
    ['.', '.'], // SnakeYAML's float needs a digit; the yaml package's 1.1 schema says NaN
    ['on', true], ['On', true], ['ON', true], ['off', false],
    ['yes', true], ['no', false], ['NO', false],
    ['y', 'y'], ['n', 'n'], // SnakeYAML's BOOL has no single letters
    ['0755', 493], ['0o17', '0o17'], ['0x1F', 31], ['0b101', 5],
    ['1_000', 1000], ['1:30', 90], ['1.5', 1.5], ['1e3', 1000], ['-.5', -0.5],
    ['2024-12-01', '2024-12-01'], ['"on"', 'on'], ["'.'", '.'],
  ];
  for (const [scalar, expected] of table) {
    it(`reads ${scalar} as ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(value(scalar), expected);
    });
  }

  it('resolves anchors and merge keys, keys written beside << winning', () => {
    const read = readYaml('base: &b\n  x: 1\n  y: 2\nc:\n  <<: *b\n  y: 3\n', 'm.yml');
    assert.ok(read.ok);
    assert.deepEqual((read.value as Record<string, unknown>).c, { y: 3, x: 1 });
  });

  it('refuses duplicate keys and a flood of aliases, with a line', () => {
    const duplicate = readYaml('a: 1\na: 2\n', 'd.yml');
    assert.equal(duplicate.ok, false);
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    assert.equal(readYaml(`${laughs}\n`, 'l.yml').ok, false);
  });
});

describe('each false-alarm cause of issue 14 (A-G) passes', () => {
  it('A: `root: .` and `at: .` are paths', () => {
    assert.deepEqual(errors(`version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - attach_workspace: { at: . }
      - persist_to_workspace: { root: ., paths: [x] }
workflows:
  main: { jobs: [build] }
`), []);
  });

  it('B: values that parameters decide are checked after expansion', () => {
    const config = `version: 2.1
executors:
  sized:
    parameters:
      size: { type: enum, enum: [small, medium, large], default: medium }
      dlc: { type: boolean, default: false }
    machine: { image: ubuntu-2204:2024.01.1, docker_layer_caching: << parameters.dlc >> }
    resource_class: << parameters.size >>
jobs:
  build:
    parameters:
      t: { type: string, default: 20m }
      condition: { type: enum, enum: [always, on_success, on_fail], default: always }
    executor: { name: sized, size: large }
    steps:
      - run: { name: Build, command: make, no_output_timeout: << parameters.t >>, when: << parameters.condition >> }
workflows:
  main: { jobs: [build] }
`;
    assert.deepEqual(errors(config), []);
    const processed = processConfig((readYaml(config, 'c.yml') as { value: unknown }).value, { file: 'c.yml' });
    const job = (processed.config?.jobs as Record<string, Record<string, unknown>>).build;
    assert.ok(job);
    assert.equal(job.resource_class, 'large');
    assert.deepEqual(job.machine, { image: 'ubuntu-2204:2024.01.1', docker_layer_caching: false });
    // Wrong values are still caught, once expanded, at the line that gave them.
    assert.deepEqual(errors(config.replace('size: large', 'size: huge')), ['14: executor sized: parameter "size" must be one of "small", "medium", "large", not "huge"']);
  });

  it('C: `executor: << parameters.e >>` takes the executor the caller names', () => {
    assert.deepEqual(errors(`version: 2.1
executors:
  node: { docker: [{ image: cimg/node:20.19 }] }
jobs:
  test:
    parameters:
      e: { type: executor, default: node }
    executor: << parameters.e >>
    steps: [checkout]
workflows:
  main: { jobs: [test, { test: { name: test-2, e: node } }] }
`), []);
  });

  it('D: resource classes CircleCI offers are accepted inside executors', () => {
    assert.deepEqual(errors(`version: 2.1
executors:
  win: { machine: { image: windows-server-2022-gui:current }, resource_class: windows.medium, shell: bash.exe }
  mac: { macos: { xcode: 15.4.0 }, resource_class: macos.m1.medium.gen1 }
  m2: { macos: { xcode: 16.0.0 }, resource_class: m2pro.medium }
  big: { docker: [{ image: cimg/base:2024.12 }], resource_class: large.gen3 }
jobs:
  a: { executor: win, steps: [checkout] }
  b: { executor: mac, steps: [checkout] }
  c: { executor: m2, steps: [checkout] }
  d: { executor: big, steps: [checkout] }
workflows:
  main: { jobs: [a, b, c, d] }
`), []);
  });

  it("E: orb-tools' test pattern ns/orb@dev:<<pipeline.git.revision>> is an orb that cannot be read offline", () => {
    const config = `version: 2.1
orbs:
  x: ns/orb@dev:<<pipeline.git.revision>>
workflows:
  main: { jobs: [x/test] }
`;
    assert.deepEqual(errors(config), []);
    const notes = validateConfigText(config, { file: 'c.yml' }).filter((finding) => finding.severity === 'note');
    assert.deepEqual(notes.map((note) => note.line), [5]);
  });

  it('F: a matrix alias and names with << matrix.x >> can be required', () => {
    const config = `version: 2.1
jobs:
  test:
    parameters:
      v: { type: integer }
    docker: [{ image: cimg/base:2024.12 }]
    steps: [{ run: { name: Test, command: "echo << parameters.v >>" } }]
  report: { docker: [{ image: cimg/base:2024.12 }], steps: [checkout] }
workflows:
  main:
    jobs:
      - test: { name: test-<< matrix.v >>, matrix: { alias: all-tests, parameters: { v: [1, 2] } } }
      - report: { name: after-all, requires: [all-tests] }
      - report: { name: after-one, requires: [test-1] }
`;
    assert.deepEqual(errors(config), []);
    const processed = processConfig((readYaml(config, 'c.yml') as { value: unknown }).value, { file: 'c.yml' });
    assert.deepEqual(Object.keys(processed.config?.jobs as object).sort(), ['after-all', 'after-one', 'test-1', 'test-2']);
    const entries = ((processed.config?.workflows as Record<string, { jobs: Record<string, { requires?: string[] }>[] }>).main?.jobs ?? []);
    assert.deepEqual(entries.find((entry) => 'after-all' in entry)?.['after-all']?.requires, ['test-1', 'test-2']);
    assert.deepEqual(errors(config.replace('[test-1]', '[test-3]')), ['14: after-one requires "test-3", which no job of workflow main is named (did you mean "test-1"?)']);
  });

  it('G: keys CircleCI has long accepted in built-in steps are warnings, not errors', () => {
    const config = `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - restore_cache:
          keys: [v1-deps]
          paths: [node_modules]
      - restore_cache:
          keys: [v1-other]
          when: always
workflows:
  main: { jobs: [build] }
`;
    assert.deepEqual(errors(config), []);
    assert.deepEqual(warnings(config), [
      '8: jobs.build.steps[0].restore_cache: unknown key "paths" (CircleCI ignores keys its restore_cache step does not know)',
      '11: jobs.build.steps[1].restore_cache: unknown key "when" (CircleCI ignores keys its restore_cache step does not know)',
    ]);
  });
});

// What CircleCI accepts though the official schema or an older reading of ours did not (issue
// 25, found on a second set of 77 real configs and 22 orbs): each a minimal config.
describe('no false alarm on what CircleCI accepts', () => {
  it('a job parameter of type executor handed on to a command parameter of type executor', () => {
    // Two real configs of the issue's second set run this on CircleCI: the job's executor
    // parameter, once expanded, is an executor for the command too.
    assert.deepEqual(errors(`version: 2.1
executors:
  linux: { docker: [{ image: cimg/base:2024.12 }] }
commands:
  setup_environment:
    parameters:
      platform: { type: executor }
    steps: [{ run: { name: Setup, command: "true" } }]
jobs:
  build:
    parameters:
      platform: { type: executor, default: linux }
    executor: << parameters.platform >>
    steps:
      - setup_environment: { platform: << parameters.platform >> }
workflows:
  main: { jobs: [build] }
`), []);
  });

  it('add_ssh_keys fingerprints and save_cache paths given as one string; process makes them lists', () => {
    // CircleCI takes one string where its schema says list, as for persist_to_workspace paths
    // (cause B of issue 14); a published orb has shipped `save_cache: {paths: STRING}` since 2019.
    const config = `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - add_ssh_keys: { fingerprints: "bf:aa:00:11" }
      - save_cache: { key: v1, paths: /tmp/cache }
workflows:
  main: { jobs: [build] }
`;
    assert.deepEqual(errors(config), []);
    const processed = processConfig((readYaml(config, 'c.yml') as { value: unknown }).value, { file: 'c.yml' });
    assert.deepEqual((processed.config?.jobs as Record<string, { steps: unknown[] }>).build?.steps, [{ add_ssh_keys: { fingerprints: ['bf:aa:00:11'] } }, { save_cache: { key: 'v1', paths: ['/tmp/cache'] } }]);
  });

  it('an orb job parameter with an empty description:', () => {
    // Published orbs carry `description:` with nothing after it; the registry took them.
    const orb = `version: 2.1
description: An orb whose parameter description is empty.
jobs:
  hello:
    parameters:
      who:
        type: string
        default: world
        description:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
`;
    assert.deepEqual(errors(orb), []);
    assert.deepEqual(errors(`version: 2.1
orbs:
  tools:
${orb.split('\n').map((line) => `    ${line}`).join('\n')}
workflows:
  main: { jobs: [tools/hello] }
`), []);
  });

  it('the same job twice in one workflow without name: (CircleCI names the second itself)', async () => {
    const config = `version: 2.1
${JOB}workflows:
  main:
    jobs:
      - build
      - build
`;
    assert.deepEqual(errors(config), []);
    writeFileSync(path.join(dir, 'twice.yml'), config);
    const result = await runCommand(['config', 'process', 'twice.yml'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const processed = readYaml(result.stdout, 'out.yml') as { value: { jobs: object; workflows: { main: { jobs: object[] } } } };
    assert.deepEqual(Object.keys(processed.value.jobs), ['build', 'build-2']);
    assert.deepEqual(processed.value.workflows.main.jobs.map((entry) => Object.keys(entry)[0]), ['build', 'build-2']);
  });
});

// Each planted mistake, the line it is on, and the one line that must name it.
const PLANTED: [string, string, string[]][] = [
  ['a boolean parameter given "sometimes"', `version: 2.1
jobs:
  build:
    parameters:
      fast: { type: boolean, default: false }
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
workflows:
  main:
    jobs:
      - build:
          fast: sometimes
`, ['12: job build: parameter "fast" is a boolean (true or false), not "sometimes"']],
  ['an integer parameter given a string', `version: 2.1
jobs:
  build:
    parameters:
      shards: { type: integer, default: 1 }
    docker: [{ image: cimg/base:2024.12 }]
    parallelism: << parameters.shards >>
    steps: [checkout]
workflows:
  main:
    jobs:
      - build: { shards: four }
`, ['12: job build: parameter "shards" is an integer, not "four"']],
  ['a requires naming a job that runs twice without name:', `version: 2.1
${JOB}workflows:
  main:
    jobs:
      - build
      - build
      - build: { name: report, requires: [build] }
`, ['11: report requires "build", which 2 jobs of workflow main are named: give each its own name: and require that']],
  ['an approval job given steps', `version: 2.1
${JOB}workflows:
  main:
    jobs:
      - build
      - hold:
          type: approval
          steps: [checkout]
`, ['12: hold is an approval job: it runs nothing, so "steps" has no meaning; remove it']],
  ['when: {equals: ...} for equal', `version: 2.1
parameters:
  env: { type: string, default: pre }
${JOB}workflows:
  main:
    when:
      equals: [prod, << pipeline.parameters.env >>]
    jobs: [build]
`, ['11: "equals" is not a logic operator; use one of and, or, not, equal, matches (did you mean "equal"?)']],
  ['a misspelled condition in a when step', `version: 2.1
jobs:
  build:
    parameters:
      lint: { type: boolean, default: true }
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - when:
          conditon: << parameters.lint >>
          steps: [checkout]
workflows:
  main: { jobs: [build] }
`, ['8: when needs a condition', '9: when takes only condition and steps, not "conditon" (did you mean "condition"?)']],
  ['an enum value not in the list', `version: 2.1
commands:
  ship:
    parameters:
      to: { type: enum, enum: [pre, prod] }
    steps: [{ run: { name: Deploy, command: "echo << parameters.to >>" } }]
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - ship: { to: staging }
workflows:
  main: { jobs: [build] }
`, ['11: command ship: parameter "to" must be one of "pre", "prod", not "staging"']],
  ['an env_var_name that is not one', `version: 2.1
commands:
  login:
    parameters:
      token: { type: env_var_name, default: TOKEN }
    steps: [{ run: { name: Login, command: "echo $<< parameters.token >>" } }]
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - login: { token: MY-TOKEN }
workflows:
  main: { jobs: [build] }
`, ['11: command login: parameter "token" is the name of an environment variable (letters, digits, _), not "MY-TOKEN"']],
  ['a typo inside a command, reported where the command is written', `version: 2.1
commands:
  test:
    steps:
      - run:
          name: Test
          comand: make test
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [test]
workflows:
  main: { jobs: [build] }
`, ["5: jobs.build.steps[0].run: must have required property 'command'"]],
  ['an undefined pipeline parameter in a workflow condition', `version: 2.1
${JOB}workflows:
  main:
    when: << pipeline.parameters.run_main >>
    jobs: [build]
`, ['8: << pipeline.parameters.run_main >> is not declared under the config\'s parameters']],
  ['a steps parameter given a string', `version: 2.1
commands:
  wrap:
    parameters:
      inner: { type: steps, default: [] }
    steps: [{ steps: << parameters.inner >> }]
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - wrap: { inner: checkout }
workflows:
  main: { jobs: [build] }
`, ['11: command wrap: parameter "inner" is a list of steps, not "checkout"']],
  ['a bad default in a declaration', `version: 2.1
jobs:
  build:
    parameters:
      retries: { type: integer, default: "three" }
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
workflows:
  main: { jobs: [build] }
`, ['5: parameter "retries": default is an integer, not "three"']],
];

// Issue 25's planted kinds: each at the line of the mistake, naming what to change.
PLANTED.push(
  ['a requires cycle between two jobs', `version: 2.1
jobs:
  a: { docker: [{ image: cimg/base:2024.12 }], steps: [checkout] }
  b: { docker: [{ image: cimg/base:2024.12 }], steps: [checkout] }
  c: { docker: [{ image: cimg/base:2024.12 }], steps: [checkout] }
workflows:
  main:
    jobs:
      - c
      - a:
          requires: [c, b]
      - b:
          requires:
            - a
`, ['14: workflow main: a requires b requires a: a requires cycle, so none of them can start; remove one of these requires']],
  ['a misspelled key in a command, an executor and a parameter declaration (refused by CircleCI)', `version: 2.1
parameters:
  env: { type: string, defualt: pre }
executors:
  small:
    docker: [{ image: cimg/base:2024.12 }]
    resource_clas: small
commands:
  greet:
    paramters:
      who: { type: string, default: x }
    steps: [{ run: { name: Greet, command: echo hi } }]
jobs:
  build: { executor: small, steps: [greet] }
workflows:
  main: { jobs: [build] }
`, [
    '3: pipeline parameter env: unknown key "defualt" (did you mean "default"?); CircleCI refuses the config',
    '3: pipeline parameter "env" has no default and was not given: give it with --param env=VALUE',
    '7: executor small: unknown key "resource_clas" (did you mean "resource_class"?); CircleCI refuses the config',
    '10: command greet: unknown key "paramters" (did you mean "parameters"?); CircleCI refuses the config',
  ]],
  ['a misspelled version', `versoin: 2.1
${JOB}workflows:
  main: { jobs: [build] }
`, ['1: unknown key "versoin" (did you mean "version"?): the config has no version, so CircleCI refuses it']],
  ['a misspelled job key and workflow entry key', `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    paralelism: 2
    steps: [checkout]
workflows:
  main:
    jobs:
      - build:
          contxt: org
`, ['5: jobs.build: unknown key "paralelism" (did you mean "parallelism"?)', '11: job build has no parameter "contxt" (did you mean "context"?)']],
  ['a matrix parameter the job does not declare, at its own line', `version: 2.1
jobs:
  test:
    parameters:
      v: { type: integer }
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
workflows:
  main:
    jobs:
      - test:
          matrix:
            parameters:
              v: [1, 2]
              os: [linux, macos]
`, ['15: job test has no parameter "os" (did you mean "v"?)']],
  ['a job with both docker and machine', `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    machine: { image: ubuntu-2204:current }
    steps: [checkout]
workflows:
  main: { jobs: [build] }
`, ['5: job build has docker and machine: a job runs in one executor; keep one of them']],
);

describe('misspelled keys CircleCI ignores: warnings at their line, with the key meant', () => {
  it('whne: in a workflow, branchs: in filters, filter: in a schedule, versoin: beside version:', () => {
    const config = `versoin: 2.1
version: 2.1
${JOB}workflows:
  main:
    whne: true
    jobs:
      - build:
          filters:
            branchs: { only: main }
  nightly:
    triggers:
      - schedule:
          cron: "0 0 * * *"
          filter: { branches: { only: main } }
    jobs: [build]
`;
    assert.deepEqual(errors(config), []);
    assert.deepEqual(warnings(config), [
      '1: the config: unknown key "versoin" (did you mean "version"?); CircleCI ignores it',
      '9: workflow main: unknown key "whne" (did you mean "when"?); CircleCI ignores it',
      '13: workflow main: filters: unknown key "branchs" (did you mean "branches"?); CircleCI ignores it',
      '18: workflow nightly: schedule: unknown key "filter" (did you mean "filters"?); CircleCI ignores it',
    ]);
  });

  it('leaves alone top-level keys that hold anchors (references:, defaults:)', () => {
    assert.deepEqual(warnings(`version: 2.1
references:
  image: &image cimg/base:2024.12
defaults: {}
jobs:
  build: { docker: [{ image: *image }], steps: [checkout] }
workflows:
  main: { jobs: [build] }
`), []);
  });
});

describe('planted mistakes: each caught once, at its line', () => {
  for (const [name, config, expected] of PLANTED) {
    it(name, () => {
      assert.deepEqual(errors(config), expected);
    });
  }
});

describe('circle-fargate config process', () => {
  const write = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };

  it('prints the processed config: parameters filled in, orb expanded, matrix named, --param read as YAML', async () => {
    const file = write('p.yml', `version: 2.1
parameters:
  run_e2e: { type: boolean, default: false }
orbs:
  tools:
    commands:
      hello:
        parameters:
          who: { type: string, default: world }
        steps: [{ run: { name: Hello, command: "echo << parameters.who >>" } }]
jobs:
  test:
    parameters:
      v: { type: string }
    docker: [{ image: "cimg/node:<< parameters.v >>" }]
    steps:
      - tools/hello: { who: << parameters.v >> }
      - when:
          condition: << pipeline.parameters.run_e2e >>
          steps: [{ run: { name: E2E, command: npm run e2e } }]
workflows:
  main:
    jobs:
      - test: { matrix: { parameters: { v: ["20.19", "22.12"] } } }
`);
    const plain = await runCommand(['config', 'process', file], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    const processed = readYaml(plain.stdout, 'out.yml');
    assert.ok(processed.ok);
    const jobs = (processed.value as { jobs: Record<string, { docker: { image: string }[]; steps: unknown[] }> }).jobs;
    assert.deepEqual(Object.keys(jobs), ['test-20.19', 'test-22.12']);
    assert.equal(jobs['test-22.12']?.docker[0]?.image, 'cimg/node:22.12');
    assert.deepEqual(jobs['test-20.19']?.steps, [{ run: { name: 'Hello', command: 'echo 20.19' } }]);
    const e2e = await runCommand(['config', 'process', file, '--param', 'run_e2e=true'], { cwd: dir });
    assert.equal(e2e.code, 0, e2e.stderr);
    assert.match(e2e.stdout, /npm run e2e/);
  });

  it('expands a published orb from --orb-dir, and notes it without', async () => {
    const file = write('o.yml', `version: 2.1
orbs:
  greet: acme/greet@1.2.3
workflows:
  main: { jobs: [greet/hello] }
`);
    const orbs = path.join(dir, 'orbs');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(orbs, 'acme'), { recursive: true });
    writeFileSync(path.join(orbs, 'acme', 'greet@1.2.3.yml'), `version: 2.1
description: Greets.
jobs:
  hello:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [{ run: { name: Hello, command: echo hello } }]
`);
    const without = await runCommand(['config', 'process', file], { cwd: dir });
    assert.equal(without.code, 0);
    assert.match(without.stderr, /^o\.yml:5: note: greet\/hello is from the orb acme\/greet@1\.2\.3, which cannot be read offline/);
    const withDir = await runCommand(['config', 'process', file, '--orb-dir', 'orbs'], { cwd: dir });
    assert.equal(withDir.code, 0, withDir.stderr);
    assert.match(withDir.stdout, /command: echo hello/);
    assert.equal(withDir.stderr, '');
  });

  it('fails with FILE:LINE lines and prints nothing when the config cannot be processed (exit 1)', async () => {
    const file = write('bad.yml', `version: 2.1
${JOB}workflows:
  main: { jobs: [biuld] }
`);
    const result = await runCommand(['config', 'process', file], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'bad.yml:7: job "biuld" is not defined (did you mean "build"?)\nconfig process: 1 problem; nothing printed\n');
  });

  it('refuses bad input with one line (exit 2)', async () => {
    for (const [args, message] of [
      [['config', 'proces', 'x.yml'], 'circle-fargate: config: unknown subcommand "proces"; expected process; see circle-fargate config --help\n'],
      [['config', 'process', 'missing.yml'], 'circle-fargate: config process: cannot read missing.yml: no such file; give the path of a CircleCI config file\n'],
      [['config', 'process', 'p.yml', '--param', 'novalue'], 'circle-fargate: config process: --param "novalue": expected NAME=VALUE, such as --param deploy_env=pre\n'],
      [['config', 'process', 'p.yml', '--orb-dir', 'nowhere'], 'circle-fargate: config process: --orb-dir nowhere: not a directory; it holds packed orbs as NAMESPACE/ORB@VERSION.yml\n'],
    ] as const) {
      const result = await runCommand([...args], { cwd: dir });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr, message);
    }
  });
});
