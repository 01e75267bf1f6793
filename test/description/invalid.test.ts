/**
 * Invalid descriptions: every problem at once, one a line, as
 * `dotted.path: what is wrong (got X; expected Y)`. The messages are a contract.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDescription } from '../../src/description/load.js';
import { InputError } from '../../src/errors.js';
import { edited, sampleDescription } from '../helpers/descriptions.js';

const cases: { name: string; description: unknown; problems: string[] }[] = [
  {
    name: 'not an object',
    description: 42,
    problems: [
      '(top level): not an object (got 42; expected an object with keys project, checkout, images, tests, releases, terraform, orb, install, environments)',
    ],
  },
  {
    name: 'missing project',
    description: {},
    problems: ['project: missing (got nothing; expected an object with keys slug, defaultBranch, tags)'],
  },
  {
    name: 'misspelled key, with the key it resembles',
    description: edited((d) => {
      d.environments.prod.clustr = d.environments.prod.cluster;
      delete d.environments.prod.cluster;
    }),
    problems: [
      'environments.prod.clustr: unknown key; did you mean "cluster"? (got "clustr"; expected one of trigger, region, roleArn, cluster, services, scheduledTasks, tasks, circleciContext, image, plan, deployWhen, waitUntil, notify, promoteFrom, deployMarkers)',
      'environments.prod.cluster: missing (got nothing; expected a non-empty string)',
    ],
  },
  {
    name: 'a resource class the orb\'s jobs do not take (CircleCI would refuse it when it compiles the config)',
    description: edited((d) => {
      d.tests.phpunit.resourceClass = 'huge';
    }),
    problems: ['tests.phpunit.resourceClass: unknown value (got "huge"; expected one of "small", "medium", "medium+", "large", "xlarge", "2xlarge")'],
  },
  {
    name: 'repository outside ECR',
    description: edited((d) => {
      d.images.app.repository = 'docker.io/acme/app';
    }),
    problems: [
      'images.app.repository: malformed (got "docker.io/acme/app"; expected an ECR repository URI such as 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app)',
    ],
  },
  {
    name: 'region and role malformed (both reported)',
    description: edited((d) => {
      d.environments.pre.region = 'tokyo';
      d.environments.pre.roleArn = 'deploy';
    }),
    problems: [
      'environments.pre.region: malformed (got "tokyo"; expected an AWS region such as ap-northeast-1)',
      'environments.pre.roleArn: malformed (got "deploy"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/circleci-deploy)',
    ],
  },
  {
    name: 'a release without tags or command',
    description: edited((d) => {
      d.releases = { npm: { tags: [], image: 'cimg/node:20.19' } };
    }),
    problems: [
      'releases.npm.tags: too few items (got an empty list; expected a list of at least 1 (each a tag name, or a /regular expression/ matching the whole tag, such as /^v\\d+\\.\\d+\\.\\d+$/))',
      'releases.npm.command: missing (got nothing; expected a non-empty string)',
    ],
  },
  {
    name: 'unknown trigger type',
    description: edited((d) => {
      d.environments.pre.trigger = { type: 'push' };
    }),
    problems: ['environments.pre.trigger.type: unknown value (got "push"; expected one of "api", "branch", "tag")'],
  },
  {
    name: 'branch trigger without a branch',
    description: edited((d) => {
      d.environments.prod.trigger = { type: 'branch' };
    }),
    problems: ['environments.prod.trigger.branch: missing (got nothing; expected a non-empty string)'],
  },
  {
    name: 'two roots with the same derived name',
    description: edited((d) => {
      d.terraform.roots = ['terraform/prod', 'infra/prod'];
    }),
    problems: [
      'terraform.roots[1].name: duplicate root name (root 0 has it too); set "name" to tell them apart (got "prod"; expected a name no other root has)',
    ],
  },
  {
    name: 'negated glob inside an include list',
    description: edited((d) => {
      d.images.app.paths = ['app/**', '!app/README.md'];
    }),
    problems: [
      'images.app.paths[1]: negated glob; put it in "exclude" instead (got "!app/README.md"; expected a glob relative to the project root, such as "app/**")',
    ],
  },
  {
    name: 'glob minimatch refuses, in an exclude list',
    description: edited((d) => {
      d.tests.phpunit.paths = { include: ['tests/**'], exclude: ['x'.repeat(65537)] };
    }),
    problems: [
      `tests.phpunit.paths.exclude[0]: not a valid glob (pattern is too long) (got "${'x'.repeat(57)}..."; expected a glob relative to the project root, such as "app/**")`,
    ],
  },
  {
    name: 'parallelism out of range',
    description: edited((d) => {
      d.tests.phpunit.parallelism = 0;
    }),
    problems: ['tests.phpunit.parallelism: out of range (got 0; expected an integer from 1 to 100)'],
  },
  {
    name: 'checkout depth not a number',
    description: edited((d) => {
      d.checkout = { depth: 'full' };
    }),
    problems: ['checkout.depth: not an integer (got "full"; expected an integer of at least 1)'],
  },
  {
    name: 'test suite without a command or preset',
    description: edited((d) => {
      delete d.tests.phpunit.preset;
    }),
    problems: ['tests.phpunit.command: missing (got nothing; expected a command, preset "phpunit", or a testsuite)'],
  },
  {
    name: 'environment deploying an unknown image',
    description: edited((d) => {
      d.environments.pre.image = 'web';
    }),
    problems: ['environments.pre.image: unknown image (got "web"; expected one of "app")'],
  },
  {
    name: 'environment with nothing to deploy',
    description: edited((d) => {
      d.environments.pre.services = [];
    }),
    problems: [
      'environments.pre: nothing to deploy (got no services and no scheduled tasks; expected services, scheduledTasks, or both)',
    ],
  },
  {
    name: 'two environments on one branch',
    description: edited((d) => {
      d.environments.pre.trigger = { type: 'branch', branch: 'master' };
    }),
    problems: [
      'environments.prod.trigger.branch: branch already deploys environment "pre" (got "master"; expected one environment per branch)',
    ],
  },
  {
    name: 'project slug without VCS',
    description: edited((d) => {
      d.project.slug = 'acme/app';
    }),
    problems: ['project.slug: malformed (got "acme/app"; expected a CircleCI project slug such as gh/acme/monolith)'],
  },
  {
    name: 'environment name unusable in a job name',
    description: edited((d) => {
      d.environments.Prod = d.environments.prod;
    }),
    problems: [
      'environments.Prod: malformed name (got "Prod"; expected a lower-case name of letters, digits and "-" that starts with a letter)',
    ],
  },
  {
    name: 'root bound to an unknown environment',
    description: edited((d) => {
      d.terraform.roots = [{ dir: 'terraform/shared', environment: 'staging' }];
    }),
    problems: ['terraform.roots[0].environment: unknown environment (got "staging"; expected one of "pre", "prod")'],
  },
  {
    name: 'root with no role to take',
    description: edited((d) => {
      d.terraform.roots = ['terraform/shared'];
    }),
    problems: ['terraform.roots[0].roleArn: missing (got nothing; expected a value here, or an "environment" to take it from)'],
  },
  {
    name: 'absolute Dockerfile path',
    description: edited((d) => {
      d.images.app.dockerfile = '/docker/Dockerfile';
    }),
    problems: ['images.app.dockerfile: absolute path (got "/docker/Dockerfile"; expected a path relative to the project root)'],
  },
  {
    name: 'build arguments: bad name and non-string value',
    description: edited((d) => {
      d.images.app.buildArgs = { 'PHP-VERSION': '8.3', OK: 3 };
    }),
    problems: [
      'images.app.buildArgs.PHP-VERSION: malformed name (got "PHP-VERSION"; expected a build argument name of letters, digits and "_")',
      'images.app.buildArgs.OK: not a string (got 3; expected a string)',
    ],
  },
  {
    name: 'a service listed twice',
    description: edited((d) => {
      d.environments.pre.services = ['a', { name: 'a' }];
    }),
    problems: ['environments.pre.services[1]: duplicate of item 0 (got "a"; expected each item once)'],
  },
  {
    name: 'a one-off task without a command',
    description: edited((d) => {
      d.environments.pre.tasks = [{ name: 'migrate', command: [] }];
    }),
    problems: ['environments.pre.tasks[0].command: too few items (got an empty list; expected a list of at least 1 (each a string))'],
  },
  {
    name: 'two one-off tasks of the same name',
    description: edited((d) => {
      d.environments.pre.tasks = [
        { name: 'migrate', command: ['bin/cake', 'migrations', 'migrate'] },
        { name: 'migrate', command: ['bin/cake', 'cache', 'clear'] },
      ];
    }),
    problems: ['environments.pre.tasks[1]: duplicate of item 0 (got "migrate"; expected each item once)'],
  },
  {
    name: 'a one-off task naming a service the environment does not deploy',
    description: edited((d) => {
      d.environments.pre.tasks = [{ name: 'migrate', command: ['bin/cake', 'migrations', 'migrate'], service: 'acme-pre-ap' }];
    }),
    problems: ['environments.pre.tasks[0].service: unknown service (got "acme-pre-ap"; expected "acme-pre-app")'],
  },
  {
    name: 'test suite claiming a deploy job name',
    description: edited((d) => {
      d.tests['deploy-pre'] = d.tests.phpunit;
    }),
    problems: [
      'tests.deploy-pre: job name "deploy-pre" is already used by environments.pre (got "deploy-pre"; expected a name of its own)',
    ],
  },
  {
    name: 'services given as a string',
    description: edited((d) => {
      d.environments.pre.services = 'acme-pre-app';
    }),
    problems: [
      'environments.pre.services: not a list (got "acme-pre-app"; expected a list (each a non-empty string, or an object with keys name, containers))',
    ],
  },
  {
    name: 'root directory whose last segment cannot name a job',
    description: edited((d) => {
      d.terraform.roots = ['terraform/Prod_1'];
    }),
    problems: [
      'terraform.roots[0].dir: last segment is not usable in a job name; set "name" (got "Prod_1"; expected a lower-case name of letters, digits and "-")',
    ],
  },
  {
    name: 'several problems in several places, all reported',
    description: edited((d) => {
      d.project.defaultBranch = '';
      d.images.app.paths = [];
      d.environments.prod.deployWhen = 'sometimes';
    }),
    problems: [
      'project.defaultBranch: empty (got ""; expected a non-empty string)',
      'images.app.paths: too few items (got an empty list; expected a list of at least 1 (each a glob relative to the project root, such as "app/**"))',
      'environments.prod.deployWhen: unknown value (got "sometimes"; expected one of "image-changed", "always")',
    ],
  },
];

describe('invalid project descriptions', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      assert.throws(
        () => parseDescription(testCase.description, 'circle-fargate.config.json'),
        (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.equal(error.exitCode, 2);
          const count = testCase.problems.length;
          assert.equal(error.message, `circle-fargate.config.json: ${count} problem${count === 1 ? '' : 's'} in the project description`);
          assert.deepEqual(error.details, testCase.problems);
          return true;
        },
      );
    });
  }

  it('accepts the sample description', () => {
    const description = parseDescription(sampleDescription());
    assert.deepEqual(
      description.terraform?.roots.map((root) => [root.name, root.environment, root.circleciContext]),
      [
        ['pre', 'pre', 'pre'],
        ['prod', 'prod', 'prod'],
      ],
    );
    assert.equal(description.environments.find((env) => env.name === 'pre')?.image, 'app');
    assert.equal(description.tests[0]?.command, 'vendor/bin/phpunit');
    assert.equal(description.checkout.depth, 1);
  });
});
