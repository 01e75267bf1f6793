/**
 * `validate` on configs of our own: real-world shapes that must pass without a false alarm, and
 * a table of broken configs, each with the exact line and message it must get.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCommand } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';

const dir = tempDir();
after(() => {
  removeDir(dir);
});

async function validate(name: string, yaml: string) {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return runCommand(['validate', name], { cwd: dir });
}

const INLINE_ORB = `
orbs:
  tools:
    version: 2.1
    executors:
      small:
        parameters:
          image: { type: string, default: cimg/base:2024.12 }
        docker:
          - image: << parameters.image >>
    commands:
      greet:
        parameters:
          who: { type: string }
          loud: { type: boolean, default: false }
        steps:
          - run:
              name: Greet
              environment:
                WHO: << parameters.who >>
              command: echo "$WHO"
    jobs:
      hello:
        parameters:
          who: { type: string }
        executor: small
        steps:
          - greet:
              who: << parameters.who >>
`;

const VALID: Record<string, string> = {
  'anchors and merge keys, with an anchor holder at the top level': `version: 2.1
references:
  defaults: &defaults
    docker:
      - image: cimg/node:20.19
    resource_class: small
  steps: &steps
    - checkout
    - run: { name: Test, command: npm test }
jobs:
  test:
    <<: *defaults
    steps: *steps
  lint:
    <<: *defaults
    steps:
      - checkout
workflows:
  main:
    jobs: [test, { lint: { requires: [test] } }]
`,
  'a setup config with pipeline parameters': `version: 2.1
setup: true
parameters:
  deploy_env: { type: string, default: "" }
jobs:
  generate:
    docker: [{ image: cimg/node:20.19 }]
    steps:
      - run:
          name: Generate
          environment:
            DEPLOY_ENV: << pipeline.parameters.deploy_env >>
          command: echo "$DEPLOY_ENV"
workflows:
  setup:
    jobs: [generate]
`,
  'a matrix, required by its expanded names and by its name': `version: 2.1
jobs:
  test:
    parameters:
      node: { type: string }
    docker: [{ image: "cimg/node:<< parameters.node >>" }]
    steps: [checkout]
  report:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
workflows:
  main:
    jobs:
      - test:
          name: test
          matrix:
            parameters:
              node: ["18.20", "20.19"]
      - report:
          requires: [test-18.20, test]
`,
  'an inline orb with its own commands, executors and jobs': `version: 2.1
${INLINE_ORB}
jobs:
  local:
    executor:
      name: tools/small
      image: cimg/base:2024.12
    steps:
      - tools/greet:
          who: local
workflows:
  main:
    jobs:
      - tools/hello:
          name: hello-world
          who: world
      - local:
          requires: [hello-world]
      - hold:
          type: approval
          requires: [local]
`,
  'steps given as a parameter': `version: 2.1
commands:
  wrap:
    parameters:
      steps: { type: steps }
    steps:
      - run: { name: Before, command: "true" }
      - steps: << parameters.steps >>
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - wrap:
          steps: [checkout]
workflows:
  main:
    jobs: [build]
`,
};

describe('validate accepts real-world shapes', () => {
  for (const [name, yaml] of Object.entries(VALID)) {
    it(name, async () => {
      const result = await validate('valid.yml', yaml);
      assert.equal(result.stdout, '');
      assert.equal(result.code, 0, result.stderr);
    });
  }

  it('notes, without failing, what it cannot read offline: a published orb', async () => {
    const result = await validate(
      'published.yml',
      `version: 2.1
orbs:
  node: circleci/node@5.2.0
workflows:
  main:
    jobs:
      - node/test
`,
    );
    assert.equal(result.code, 0);
    assert.equal(
      result.stderr,
      'published.yml:7: note: node/test is from the orb circleci/node@5.2.0, which cannot be read offline; not checked (give packed orbs with --orb-dir)\nvalidate: the file is valid\n',
    );
  });
});

const BROKEN: [string, string, string[]][] = [
  [
    'a misspelled key (schema, deepest error only)',
    `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - run:
          name: Build
          comand: make
      - store_test_results:
          pth: results
workflows:
  main:
    jobs: [build]
`,
    [
      "broken.yml:6: jobs.build.steps[0].run: must have required property 'command'",
      "broken.yml:9: jobs.build.steps[1].store_test_results: must have required property 'path'",
    ],
  ],
  [
    'a workflow job that is not defined',
    `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
workflows:
  main:
    jobs:
      - buld
`,
    ['broken.yml:9: job "buld" is not defined (did you mean "build"?)'],
  ],
  [
    'a requires that names no job',
    `version: 2.1
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
  deploy:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [checkout]
workflows:
  main:
    jobs:
      - build
      - deploy:
          requires: [test]
`,
    ['broken.yml:14: deploy requires "test", which no job of workflow main is named'],
  ],
  [
    'a command that does not exist, and an orb job missing from its inline orb',
    `version: 2.1
${INLINE_ORB}
jobs:
  local:
    executor: tools/small
    steps:
      - tools/great:
          who: x
workflows:
  main:
    jobs:
      - local
      - tools/goodbye
`,
    [
      'broken.yml:36: step "tools/great" is not defined (did you mean "tools/greet"?)',
      'broken.yml:42: job "tools/goodbye" is not defined',
    ],
  ],
  [
    'an unknown parameter and a missing required one',
    `version: 2.1
${INLINE_ORB}
workflows:
  main:
    jobs:
      - tools/hello:
          whom: world
`,
    [
      'broken.yml:35: job tools/hello needs parameter "who" (it has no default)',
      'broken.yml:36: job tools/hello has no parameter "whom" (did you mean "who"?)',
    ],
  ],
  [
    'an executor that does not exist',
    `version: 2.1
jobs:
  build:
    executor: nodejs
    steps: [checkout]
workflows:
  main:
    jobs: [build]
`,
    ['broken.yml:4: executor "nodejs" is not defined'],
  ],
  [
    'undeclared parameters, of a job and of the pipeline',
    `version: 2.1
parameters:
  deploy_env: { type: string, default: "" }
jobs:
  build:
    parameters:
      target: { type: string, default: app }
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - run:
          name: Build
          environment:
            TARGET: << parameters.targte >>
            ENV: << pipeline.parameters.deploy_enb >>
          command: make
workflows:
  main:
    jobs: [build]
`,
    [
      'broken.yml:13: << parameters.targte >> is not a parameter of job build (did you mean "target"?)',
      'broken.yml:14: << pipeline.parameters.deploy_enb >> is not declared under the config\'s parameters (did you mean "deploy_env"?)',
    ],
  ],
  [
    'invalid YAML',
    'version: 2.1\njobs:\n  build: [unclosed\n',
    ['broken.yml:4: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ],
];

describe('validate finds planted errors', () => {
  for (const [name, yaml, expected] of BROKEN) {
    it(name, async () => {
      const result = await validate('broken.yml', yaml);
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(result.stdout.trimEnd().split('\n'), expected);
    });
  }

  it('checks several files and exits 2 on one it cannot read', async () => {
    const result = await runCommand(['validate', 'missing.yml'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'circle-fargate: validate: cannot read missing.yml: no such file; give the path of a CircleCI config file\n');
  });
});
