/**
 * The project description: what users write in `circle-fargate.config.ts`. This one definition
 * gives the TypeScript types, the validation and the JSON Schema (`circle-fargate schema`).
 * Every field carries its documentation; README's reference is written from the same text.
 */
import {
  array,
  boolean,
  defaulted,
  integer,
  literalUnion,
  object,
  optional,
  record,
  required,
  shorthand,
  string,
  tagged,
  isPlainObject,
  type Input,
  type Output,
} from './schemaKit.js';
import { globProblem, type PathRule } from '../plan/pathRules.js';
import { tagFilterPattern } from '../plan/tagFilters.js';

const NAME = /^[a-z][a-z0-9-]*$/;

/** A CircleCI project slug: `gh/ORG/REPO`, `bb/ORG/REPO` or `circleci/ORG_ID/PROJECT_ID`. */
export const PROJECT_SLUG = /^(gh|github|bb|bitbucket|circleci)\/[^/\s]+\/[^/\s]+$/;
const NAME_EXPECTED = 'a lower-case name of letters, digits and "-" that starts with a letter';

/** A path inside the repository, relative to its root, without `./` or `..`. */
const repoPath = (description?: string) =>
  string({
    expected: 'a path relative to the project root',
    check: (value) => {
      if (value === '.') return undefined;
      if (value.startsWith('/')) return 'absolute path';
      if (value.split('/').some((segment) => segment === '..' || segment === '.')) return 'path with "." or ".." segments';
      if (value.includes('\\')) return 'path with a backslash';
      return undefined;
    },
    ...(description ? { description } : {}),
  });

const glob = string({
  expected: 'a glob relative to the project root, such as "app/**"',
  check: globProblem,
});

const globList = array(glob, { minItems: 1 });

export const pathRuleSchema = shorthand(
  globList,
  object({
    include: required(globList, 'Globs (minimatch, `dot: true`) of files whose change selects the job.'),
    exclude: defaulted(array(glob), [], 'Globs of files that never select the job, even when an include matches.'),
  }),
  {
    short: (include): PathRule => ({ include, exclude: [] }),
    full: (rule): PathRule => rule,
  },
  (input) => (Array.isArray(input) ? 'short' : isPlainObject(input) ? 'full' : undefined),
);
export type { PathRule };

const ecrRepository = string({
  pattern: /^\d{12}\.dkr\.ecr\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?\/[a-z0-9]+([._/-][a-z0-9]+)*$/,
  expected: 'an ECR repository URI such as 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app',
});

const awsRegion = string({
  pattern: /^[a-z]{2}(-[a-z]+)+-\d$/,
  expected: 'an AWS region such as ap-northeast-1',
});

const iamRoleArn = string({
  pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
  expected: 'an IAM role ARN such as arn:aws:iam::123456789012:role/circleci-deploy',
});

/**
 * A CircleCI tag filter value: a tag name, or `/regex/` that must match the whole tag
 * (https://circleci.com/docs/reference/configuration-reference/#tags: "Regular expressions
 * must match the entire string").
 */
export const tagFilter = string({
  expected: 'a tag name, or a /regular expression/ matching the whole tag, such as /^v\\d+\\.\\d+\\.\\d+$/',
  check: (value) => {
    const pattern = tagFilterPattern(value);
    if (pattern === undefined) return value.startsWith('/') ? 'starts with "/" but does not end with it' : undefined;
    try {
      new RegExp(pattern);
    } catch (error) {
      return `not a valid regular expression (${error instanceof Error ? error.message : String(error)})`;
    }
    return undefined;
  },
});

/** What Terraform plans run as: a read-only role and its context, apart from what applies and deploys use. */
const planAccess = (where: string) =>
  optional(
    object({
      roleArn: required(iamRoleArn, 'Read-only IAM role Terraform plans assume through OIDC (state read and lock, no changes).'),
      circleciContext: optional(string(), 'CircleCI context of the plan jobs: one open to every branch, holding nothing an apply needs.'),
    }),
    `What Terraform plans of ${where} run as. Plans run on every branch, so they never get the role or context of an apply or deploy; without this, plans on branches other than the default are skipped.`,
  );

const dockerImage = string({
  pattern: /^[^\s]+$/,
  expected: 'a Docker image reference such as cimg/php:8.3',
});

const imageSchema = object({
  repository: required(ecrRepository, 'ECR repository URI the image is pushed to, tagged with the revision.'),
  dockerfile: defaulted(repoPath(), 'Dockerfile', 'Dockerfile path, relative to the project root.'),
  context: defaulted(repoPath(), '.', 'Build context directory, relative to the project root.'),
  buildArgs: defaulted(
    record(string({ minLength: 0, expected: 'a string' }), {
      keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      keyExpected: 'a build argument name of letters, digits and "_"',
    }),
    {},
    'Build arguments (`--build-arg NAME=VALUE`). Values are passed as data, never run by a shell.',
  ),
  paths: required(
    pathRuleSchema,
    'Files that affect the image: a list of globs, or `{ include, exclude }`. A change to any selects `build-image`.',
  ),
  reuse: defaulted(
    boolean(),
    true,
    'When a deploy needs the image but none of its paths changed since the base revision, retag the base revision\'s image in ECR (if it exists) instead of building it again.',
  ),
  roleArn: required(iamRoleArn, 'IAM role assumed through CircleCI OIDC to push to the repository.'),
  circleciContext: optional(
    string(),
    'CircleCI context of the build job. CircleCI gives an OIDC token only to jobs that use a context.',
  ),
  buildCache: defaulted(
    literalUnion(['docker-layer-caching', 'registry', 'none']),
    'docker-layer-caching',
    'Build cache: `docker-layer-caching` (CircleCI\'s, paid per job, not guaranteed to hit), `registry` (BuildKit cache stored in the ECR repository under tag `buildcache`), or `none`.',
  ),
});

/**
 * The Docker resource classes the orb's jobs accept (their `resource_class` enum): CircleCI
 * would refuse any other value when it compiles the config, so it is refused here, by name.
 */
export const RESOURCE_CLASSES = ['small', 'medium', 'medium+', 'large', 'xlarge', '2xlarge'] as const;
const resourceClass = literalUnion(RESOURCE_CLASSES);

/** A release: a command run on tag pipelines whose tag matches, after the pipeline's tests. */
const releaseSchema = object({
  tags: required(array(tagFilter, { minItems: 1 }), 'Tags whose pipelines run this release: names or /regex/ (whole tag), such as `/^v\\d+\\.\\d+\\.\\d+$/`.'),
  image: required(dockerImage, 'Docker image the release runs in, such as `cimg/node:24.18`.'),
  command: required(string(), 'Command that releases, such as `npm publish`; it runs after every test job of the tag pipeline passed.'),
  circleciContext: optional(string(), 'CircleCI context holding the release credentials (restrict it to tags); only the release job references it.'),
  resourceClass: optional(resourceClass, 'CircleCI resource class of the job, such as `medium`.'),
});

const testSuiteSchema = object({
  preset: optional(
    literalUnion(['phpunit']),
    'Fills in defaults: for "phpunit", command `vendor/bin/phpunit`, JUnit report `build/logs/junit.xml`, test files `tests/**/*Test.php`.',
  ),
  image: required(dockerImage, 'Docker image the suite runs in, such as `cimg/php:8.3`.'),
  command: optional(string(), 'Command that runs the tests (required without a preset or testsuite).'),
  testsuite: optional(
    string(),
    'Name of a suite in `.circleci/test-suites.yml`, run with `circleci testsuite run` (CircleCI\'s testing tool: it discovers the tests, splits them by timings and reruns only the failed ones; https://circleci.com/docs/guides/test/getting-started-with-circleci-testing-tool/). Without it, `testFiles` go through `circleci tests run`, which CircleCI now calls legacy but still runs.',
  ),
  parallelism: defaulted(integer({ min: 1, max: 100 }), 1, 'Parallel containers; tests are split between them by timings.'),
  testFiles: optional(glob, 'Glob of test files to split between parallel containers by timings.'),
  paths: required(pathRuleSchema, 'Files that affect the tests: a list of globs, or `{ include, exclude }`.'),
  junit: optional(repoPath(), 'Path of the JUnit XML report the command writes; stored as test results.'),
  resourceClass: optional(resourceClass, 'CircleCI resource class of the job, such as `large`.'),
  services: defaulted(
    array(
      object({
        image: required(dockerImage, 'Docker image of the service, such as `cimg/mysql:8.0`.'),
        environment: defaulted(
          record(string({ minLength: 0, expected: 'a string' }), { keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/, keyExpected: 'an environment variable name' }),
          {},
          'Environment of the service container (test settings only: it is written into the config).',
        ),
      }),
    ),
    [],
    'Service containers (databases, caches) the tests reach on localhost, such as MySQL and Redis.',
  ),
});

const terraformRootObject = object({
  dir: required(repoPath(), 'Root module directory, relative to the project root.'),
  name: optional(
    string({ pattern: NAME, expected: NAME_EXPECTED }),
    'Name in job names (`terraform-plan-<name>`); defaults to the last segment of `dir`.',
  ),
  environment: optional(
    string(),
    'Environment whose AWS role, region and CircleCI context the Terraform jobs use; defaults to the environment named like the root, if any.',
  ),
  approve: defaulted(boolean(), false, 'Hold `terraform-apply-<name>` for a manual approval in CircleCI.'),
  roleArn: optional(iamRoleArn, 'IAM role for this root; defaults to its environment\'s role.'),
  region: optional(awsRegion, 'AWS region for this root; defaults to its environment\'s region.'),
  circleciContext: optional(string(), 'CircleCI context of the Terraform jobs; defaults to its environment\'s context.'),
  plan: planAccess('this root; defaults to its environment\'s `plan`'),
});

export interface TerraformRoot {
  readonly dir: string;
  readonly name?: string;
  readonly environment?: string;
  readonly approve: boolean;
  readonly roleArn?: string;
  readonly region?: string;
  readonly circleciContext?: string;
  readonly plan?: { readonly roleArn: string; readonly circleciContext?: string };
}

const terraformSchema = object({
  version: required(
    string({ pattern: /^\d+\.\d+\.\d+$/, expected: 'a Terraform version such as 1.9.8' }),
    'Terraform version the plan and apply jobs run.',
  ),
  roots: required(
    array(
      shorthand(
        repoPath(),
        terraformRootObject,
        {
          short: (dir): TerraformRoot => ({ dir, approve: false }),
          full: (root): TerraformRoot => root,
        },
        (input) => (typeof input === 'string' ? 'short' : isPlainObject(input) ? 'full' : undefined),
      ),
      { minItems: 1 },
    ),
    'Root modules: directories, or `{ dir, name, environment, approve }`. Each gets `terraform-plan-<name>` and, on the default branch, `terraform-apply-<name>`.',
  ),
  modules: defaulted(
    array(repoPath()),
    [],
    'Shared module directories, as a check: `explain` warns when no root uses one. Which roots a module change selects comes from the roots\' local `module` blocks, read transitively.',
  ),
});

const serviceSchema = shorthand(
  string(),
  object({
    name: required(string(), 'ECS service name.'),
    containers: optional(
      array(string(), { minItems: 1 }),
      'Containers whose image is replaced; by default every container running an image of the same repository.',
    ),
  }),
  {
    short: (name): Service => ({ name }),
    full: (service): Service => service,
  },
  (input) => (typeof input === 'string' ? 'short' : isPlainObject(input) ? 'full' : undefined),
);

export interface Service {
  readonly name: string;
  readonly containers?: readonly string[];
}

const oneOffTaskSchema = object({
  name: required(string({ pattern: NAME, expected: NAME_EXPECTED }), 'Name of the task, such as `migrate` (`circle-fargate run ENV NAME`).'),
  command: required(
    array(string({ minLength: 0, expected: 'a string' }), { minItems: 1 }),
    'Command run in the container instead of its own, as a list of arguments (no shell), such as `["bin/cake", "migrations", "migrate"]`.',
  ),
  service: optional(string(), 'Service whose task definition (its new revision) and network configuration the task uses; defaults to the environment\'s first service.'),
  container: optional(
    string(),
    'Container whose command is replaced and whose exit code must be 0; defaults to the service\'s first named container, else the task definition\'s first essential container.',
  ),
  timeout: defaulted(integer({ min: 1, max: 86400 }), 1800, 'Seconds the task may run before it is stopped and counted as failed.'),
});

export interface OneOffTaskSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly service?: string;
  readonly container?: string;
  readonly timeout: number;
}

const environmentSchema = object({
  trigger: required(
    tagged('type', {
      api: object({}),
      branch: object({ branch: required(string(), 'Branch whose pushes deploy this environment.') }),
      tag: object({ tags: required(array(tagFilter, { minItems: 1 }), 'Tags whose pipelines deploy this environment: names or /regex/ (whole tag).') }),
    }, '`api`: deployed when a trigger sets pipeline parameter `deploy_env` to this name; `branch`: on pushes to `branch`; `tag`: on tags matching `tags`.'),
    'How a deploy starts: `{ type: "api" }` (pipeline parameter `deploy_env` set to this name), `{ type: "branch", branch: "master" }` or `{ type: "tag", tags: ["/^v\\d+\\.\\d+\\.\\d+$/"] }`.',
  ),
  region: required(awsRegion, 'AWS region of the ECS cluster.'),
  roleArn: required(iamRoleArn, 'IAM role assumed through CircleCI OIDC; no long-lived keys.'),
  cluster: required(string(), 'ECS cluster name.'),
  services: defaulted(
    array(serviceSchema, { uniqueBy: (service) => service.name }),
    [],
    'ECS services to deploy: names, or `{ name, containers }`.',
  ),
  scheduledTasks: optional(
    object({
      rules: defaulted(array(string(), { uniqueBy: (rule) => rule }), [], 'EventBridge rule names whose ECS targets run batch tasks.'),
      rulePrefix: optional(string(), 'Every EventBridge rule whose name starts with this prefix.'),
      scheduleGroup: optional(
        string(),
        'EventBridge Scheduler schedule group whose schedules run batch tasks (with `schedulePrefix`: only those names). Each schedule is read whole and written back with only the task definition changed.',
      ),
      schedulePrefix: optional(string(), 'Every EventBridge Scheduler schedule whose name starts with this prefix (in `scheduleGroup`, or in every group).'),
      containers: optional(
        array(string(), { minItems: 1 }),
        'Containers of the batch task definitions whose image is replaced, when batches name their container differently from the service (default: every container running an image of the same repository).',
      ),
    }),
    'Scheduled tasks (EventBridge rules and EventBridge Scheduler schedules targeting task definitions) updated after the services. Only targets whose ECS cluster is this environment\'s are changed.',
  ),
  tasks: defaulted(
    array(oneOffTaskSchema, { uniqueBy: (task) => task.name }),
    [],
    'One-off tasks (database migrations) run with RunTask before any service changes, in order, each on the new revision of its service\'s task definition with the service\'s network configuration; a task whose container does not exit with code 0 stops the deploy before anything changed. `circle-fargate run ENV NAME` runs one alone.',
  ),
  circleciContext: optional(
    string(),
    'CircleCI context the jobs of this environment run in. CircleCI gives an OIDC token only to jobs that use a context.',
  ),
  image: optional(
    string({ pattern: NAME, expected: NAME_EXPECTED }),
    'Name of the image (under `images`) to deploy; defaults to the only image.',
  ),
  plan: planAccess('this environment\'s roots'),
  deployWhen: defaulted(
    literalUnion(['image-changed', 'always']),
    'image-changed',
    'For branch-triggered environments: deploy only when an input of the image changed, or on every push.',
  ),
  waitUntil: defaulted(
    literalUnion(['complete', 'serving']),
    'complete',
    'When a deploy counts as done: `complete` waits for ECS\'s COMPLETED (the old tasks drained); `serving` ends once every new task runs, healthy, in every target group, and leaves the old tasks to drain (`deploy --wait-until`).',
  ),
  notify: optional(
    object({
      webhook: required(
        literalUnion(['slack', 'json']),
        '`slack`: a Slack incoming webhook (the message as `text`); `json`: any webhook (Datadog events, Teams, a chat bot) gets the message as JSON.',
      ),
      on: defaulted(
        array(literalUnion(['failure', 'rollback', 'success']), { minItems: 1, uniqueBy: (event) => event }),
        ['failure', 'rollback'],
        'When to send: `failure` (a deploy that failed, whether rolled back or not) and `rollback` (a rollback from the Deploys timeline that succeeded), the default; `success` (any other deploy that succeeded) opt-in.',
      ),
      urlVariable: defaulted(
        string({ pattern: /^([A-Z][A-Z0-9_]*_)?WEBHOOK_URL$/, expected: 'an environment variable name ending in WEBHOOK_URL, such as SLACK_WEBHOOK_URL' }),
        'CIRCLE_FARGATE_WEBHOOK_URL',
        'Environment variable of the environment\'s CircleCI context holding the webhook URL. The URL is a secret: it is never in the config and never printed (names ending in WEBHOOK_URL are masked).',
      ),
    }),
    'A message when a deploy of this environment ends: environment, version, services and batches, result, cause, timing and the job link. A webhook that fails never changes the deploy\'s result.',
  ),
  promoteFrom: optional(
    string({ pattern: NAME, expected: NAME_EXPECTED }),
    'The environment whose versions CircleCI\'s Deploys timeline may promote into this one (`init` writes .circleci/promote.yml for it): the digest that ran there is the digest deployed here, no rebuild. Both deploy the same image.',
  ),
  deployMarkers: defaulted(
    boolean(),
    true,
    'Log each deploy of this environment in CircleCI\'s Deploys timeline with deploy markers (https://circleci.com/docs/guides/deploy/configure-deploy-markers/): environment = this name, component = the image, version = the commit and the image digest. `false` leaves them out.',
  ),
});

export const projectDescriptionSchema = object(
  {
    project: required(
      object({
        slug: required(
          string({
            pattern: PROJECT_SLUG,
            expected: 'a CircleCI project slug such as gh/acme/monolith',
          }),
          'CircleCI project slug: `gh/ORG/REPO`, `bb/ORG/REPO` or `circleci/ORG_ID/PROJECT_ID`.',
        ),
        defaultBranch: required(
          string(),
          'The default branch (such as `master`): Terraform applies and branch-less bases are taken from it.',
        ),
        tags: defaulted(
          array(tagFilter),
          [],
          'Tags that start pipelines (CircleCI runs no workflow for a tag without tag filters): names or /regex/ (whole tag). A tag pipeline compares with the previous tag and runs the tests, image builds and plans its changes select, and the deploys of environments triggered by the tag. Tags of `tag`-triggered environments start pipelines too.',
        ),
      }),
      'The CircleCI project.',
    ),
    checkout: defaulted(
      object({
        depth: defaulted(integer({ min: 1 }), 1, 'Commits fetched by every job checkout.'),
      }),
      { depth: 1 },
      'How jobs check out the repository.',
    ),
    images: defaulted(
      record(imageSchema, { keyPattern: NAME, keyExpected: NAME_EXPECTED }),
      {},
      'Container images to build and push, by name.',
    ),
    tests: defaulted(
      record(testSuiteSchema, { keyPattern: NAME, keyExpected: NAME_EXPECTED }),
      {},
      'Test suites by job name, such as `phpunit`.',
    ),
    releases: defaulted(
      record(releaseSchema, { keyPattern: NAME, keyExpected: NAME_EXPECTED }),
      {},
      'Releases by name (job `release-<name>`): a command run on the pipelines of matching tags, after their tests, such as publishing a package. Their tags start pipelines too.',
    ),
    terraform: optional(terraformSchema, 'Terraform root modules planned on every branch and applied on the default branch.'),
    orb: defaulted(
      tagged(
        'source',
        {
          inline: object({}),
          published: object({
            namespace: required(string({ pattern: /^[a-z0-9][a-z0-9-]*$/, expected: 'an orb namespace such as circle-fargate' }), 'Namespace the orb is published in.'),
            version: optional(string({ pattern: /^\d+\.\d+\.\d+$/, expected: 'a version such as 1.2.3' }), 'Published version; by default the version of circle-fargate that generates.'),
          }),
        },
        '`inline`: the orb itself is written into the emitted config, so a pipeline never depends on a published version; `published`: the config names `NAMESPACE/circle-fargate@VERSION`.',
      ),
      { source: 'inline' },
      'How the emitted config gets the circle-fargate orb whose jobs it runs.',
    ),
    install: defaulted(
      tagged(
        'source',
        {
          registry: object({
            version: optional(
              string({ pattern: /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, expected: 'an exact version such as 1.2.3' }),
              'Exact version; by default the version of circle-fargate that runs `init`.',
            ),
          }),
          lockfile: object({
            path: optional(
              string({ pattern: /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml)$/, expected: 'a path to package-lock.json, yarn.lock or pnpm-lock.yaml' }),
              'The lockfile; by default the first of package-lock.json, yarn.lock, pnpm-lock.yaml in the repository root.',
            ),
          }),
          tarball: object({
            location: required(
              string({ pattern: /^(https:\/\/\S+|[^\s-][^\s]*\.tgz)$/, expected: 'a repository path or https URL of a .tgz package' }),
              'The package tarball (`npm pack` output): a path in the repository or an https URL.',
            ),
          }),
        },
        '`registry`: an exact version from the registry npm is configured with (a private registry or mirror included); `lockfile`: the version the repository\'s own lockfile pins; `tarball`: a package tarball.',
      ),
      { source: 'registry' },
      'How the setup and deploy jobs get circle-fargate: always one exact version, installed with --ignore-scripts and cached by version.',
    ),
    environments: defaulted(
      record(environmentSchema, { keyPattern: NAME, keyExpected: NAME_EXPECTED }),
      {},
      'Deploy environments by name, such as `pre`, `private`, `prod`.',
    ),
  },
  {
    title: 'circle-fargate project description',
    description: 'Describes a project for circle-fargate: https://github.com/circle-fargate/circle-fargate#project-description',
    ignoredKeys: ['$schema'],
  },
);

/** What users write (defaults may be left out). */
export type ProjectDescriptionInput = Input<typeof projectDescriptionSchema>;
/** The structurally valid description with defaults filled in. */
export type ParsedDescription = Output<typeof projectDescriptionSchema>;
export type ImageSpec = ParsedDescription['images'][string];
export type TestSuiteSpec = ParsedDescription['tests'][string];
export type EnvironmentSpec = ParsedDescription['environments'][string];
export type EnvironmentTrigger = EnvironmentSpec['trigger'];

/** The JSON Schema for editors. */
export function descriptionJsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...projectDescriptionSchema.toJsonSchema() };
}
