/**
 * From a structurally valid description to the resolved one the rest of the code reads:
 * presets applied, names derived, cross-references checked. Problems are collected, never
 * thrown one at a time, so a person sees every one at once.
 */
import {
  buildImageJobName,
  defaultRootName,
  deployJobName,
  releaseJobName,
  terraformApplyJobName,
  terraformApprovalJobName,
  terraformPlanJobName,
  testJobName,
} from '../plan/jobNames.js';
import type { EnvironmentTrigger, OneOffTaskSpec, ParsedDescription, PathRule, Service } from './schema.js';
import { Described, describeValue, type Problem } from './schemaKit.js';

export interface Image {
  readonly name: string;
  readonly repository: string;
  readonly dockerfile: string;
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly paths: PathRule;
  /** Retag the base revision's image when no path of the image changed (see the schema). */
  readonly reuse: boolean;
  readonly roleArn: string;
  readonly circleciContext?: string;
  readonly buildCache: 'docker-layer-caching' | 'registry' | 'none';
}

/** A read-only role (and context) for Terraform plans. */
export interface PlanAccess {
  readonly roleArn: string;
  readonly circleciContext?: string;
}

export interface ServiceContainer {
  readonly image: string;
  readonly environment: Readonly<Record<string, string>>;
}

export interface TestSuite {
  readonly name: string;
  /** The preset the suite started from: `phpunit` runs the orb's PHPUnit job. */
  readonly preset?: 'phpunit';
  readonly image: string;
  /** The command; empty with a testsuite, whose run command is in .circleci/test-suites.yml. */
  readonly command: string;
  /** A suite of .circleci/test-suites.yml, run with `circleci testsuite run`. */
  readonly testsuite?: string;
  readonly parallelism: number;
  readonly testFiles?: string;
  /** testFiles is the preset's, not written in the description (warnings are about what was written). */
  readonly testFilesFromPreset?: true;
  readonly paths: PathRule;
  readonly junit?: string;
  readonly resourceClass?: string;
  readonly services: readonly ServiceContainer[];
}

export interface TerraformRoot {
  readonly name: string;
  readonly dir: string;
  /** Name of the environment the root belongs to (its deploy waits for the apply). */
  readonly environment?: string;
  readonly approve: boolean;
  readonly roleArn: string;
  readonly region: string;
  readonly circleciContext?: string;
  /** What its plans run as; without it, plans run only where its apply may (the default branch). */
  readonly plan?: PlanAccess;
}

export interface Terraform {
  readonly version: string;
  readonly roots: readonly TerraformRoot[];
  readonly modules: readonly string[];
}

export interface Environment {
  readonly name: string;
  readonly trigger: EnvironmentTrigger;
  readonly region: string;
  readonly roleArn: string;
  readonly cluster: string;
  readonly services: readonly Service[];
  readonly scheduledTasks: {
    readonly rules: readonly string[];
    readonly rulePrefix?: string;
    readonly scheduleGroup?: string;
    readonly schedulePrefix?: string;
    readonly containers?: readonly string[];
  };
  /** One-off tasks run before the services change, each with its service resolved. */
  readonly tasks: readonly (OneOffTaskSpec & { readonly service: string })[];
  readonly circleciContext?: string;
  /** Name of the image this environment deploys (under `images`), if it deploys one. */
  readonly image?: string;
  readonly deployWhen: 'image-changed' | 'always';
  /** When a deploy counts as done (`deploy --wait-until`). */
  readonly waitUntil: 'complete' | 'serving';
  /** CircleCI deploy markers on its deploy jobs. */
  readonly deployMarkers: boolean;
  /** The environment whose versions may be promoted into this one (same image). */
  readonly promoteFrom?: string;
  /** A message to a webhook when a deploy ends. */
  readonly notify?: { readonly webhook: 'slack' | 'json'; readonly on: readonly ('failure' | 'rollback' | 'success')[]; readonly urlVariable: string };
  readonly plan?: PlanAccess;
}

/** The resolved project description. */
export interface ProjectDescription {
  /** `tags`: CircleCI tag filter values (names or /regex/) of every tag that starts a pipeline. */
  readonly project: { readonly slug: string; readonly defaultBranch: string; readonly tags: readonly string[] };
  readonly checkout: { readonly depth: number };
  readonly images: readonly Image[];
  readonly tests: readonly TestSuite[];
  readonly terraform?: Terraform;
  readonly environments: readonly Environment[];
  /** Commands run on tag pipelines whose tag matches, after the tests. */
  readonly releases: readonly Release[];
  /** Where the emitted config gets the orb: written inline, or a published reference. */
  readonly orb: { readonly source: 'inline' } | { readonly source: 'published'; readonly namespace: string; readonly version?: string };
  /** Where the setup and deploy jobs get circle-fargate (see src/install.ts). */
  readonly install: InstallSource;
}

export interface Release {
  readonly name: string;
  readonly tags: readonly string[];
  readonly image: string;
  readonly command: string;
  readonly circleciContext?: string;
  readonly resourceClass?: string;
}

export type InstallSource =
  | { readonly source: 'registry'; readonly version?: string }
  | { readonly source: 'lockfile'; readonly path?: string }
  | { readonly source: 'tarball'; readonly location: string };

const PRESETS = {
  phpunit: { command: 'vendor/bin/phpunit', junit: 'build/logs/junit.xml', testFiles: 'tests/**/*Test.php' },
} as const;

const NAME = /^[a-z][a-z0-9-]*$/;

type Path = readonly (string | number)[];

export function resolveDescription(parsed: ParsedDescription): { description?: ProjectDescription; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (path: Path, what: string, got: unknown, expected: string) =>
    problems.push({ path, message: `${what} (got ${describeValue(got)}; expected ${expected})` });

  const images: Image[] = Object.entries(parsed.images).map(([name, image]) => ({ name, ...image }));

  const tests: TestSuite[] = [];
  for (const [name, suite] of Object.entries(parsed.tests)) {
    const preset = suite.preset ? PRESETS[suite.preset] : undefined;
    const command = suite.command ?? preset?.command;
    if (command === undefined && suite.testsuite === undefined) {
      problem(['tests', name, 'command'], 'missing', undefined, 'a command, preset "phpunit", or a testsuite');
      continue;
    }
    // The testsuite's own discover and run commands find and run the tests.
    if (suite.testsuite !== undefined) {
      for (const key of ['preset', 'command', 'testFiles', 'junit'] as const) {
        if (suite[key] !== undefined) problem(['tests', name, key], `not with testsuite: .circleci/test-suites.yml says how suite ${JSON.stringify(suite.testsuite)} finds and runs its tests`, suite[key], 'no value here');
      }
    }
    const testFiles = suite.testFiles ?? preset?.testFiles;
    const junit = suite.junit ?? preset?.junit;
    tests.push({
      name,
      ...(suite.preset !== undefined ? { preset: suite.preset } : {}),
      image: suite.image,
      command: command ?? '',
      ...(suite.testsuite !== undefined ? { testsuite: suite.testsuite } : {}),
      parallelism: suite.parallelism,
      paths: suite.paths,
      ...(testFiles !== undefined ? { testFiles } : {}),
      ...(suite.testFiles === undefined && testFiles !== undefined ? { testFilesFromPreset: true as const } : {}),
      ...(junit !== undefined ? { junit } : {}),
      ...(suite.resourceClass !== undefined ? { resourceClass: suite.resourceClass } : {}),
      services: suite.services,
    });
  }

  const environmentNames = Object.keys(parsed.environments);
  const environments: Environment[] = [];
  const branchOwners = new Map<string, string>();
  for (const [name, env] of Object.entries(parsed.environments)) {
    const path = ['environments', name];
    const scheduledTasks = env.scheduledTasks ?? { rules: [] };
    const deploysTasks = scheduledTasks.rules.length > 0 || scheduledTasks.rulePrefix !== undefined || scheduledTasks.scheduleGroup !== undefined || scheduledTasks.schedulePrefix !== undefined;
    const tasks: (OneOffTaskSpec & { service: string })[] = [];
    env.tasks.forEach((task, index) => {
      const service = task.service ?? env.services[0]?.name;
      if (service === undefined) {
        problem([...path, 'tasks', index, 'service'], 'no service to take the task definition and network from', undefined, 'a service of this environment');
      } else if (!env.services.some((candidate) => candidate.name === service)) {
        problem([...path, 'tasks', index, 'service'], 'unknown service', service, env.services.map((candidate) => `"${candidate.name}"`).join(', '));
      } else {
        tasks.push({ ...task, service });
      }
    });
    if (env.services.length === 0 && !deploysTasks) {
      problem(path, 'nothing to deploy', new Described('no services and no scheduled tasks'), 'services, scheduledTasks, or both');
    }
    let image = env.image;
    if (image !== undefined && !parsed.images[image]) {
      problem([...path, 'image'], 'unknown image', image, imageChoices(images));
      image = undefined;
    } else if (image === undefined) {
      if (images.length === 1) image = images[0]?.name;
      else problem([...path, 'image'], 'missing', undefined, `the image to deploy: ${imageChoices(images)}`);
    }
    if (env.trigger.type === 'branch') {
      const owner = branchOwners.get(env.trigger.branch);
      if (owner !== undefined) {
        problem([...path, 'trigger', 'branch'], `branch already deploys environment "${owner}"`, env.trigger.branch, 'one environment per branch');
      } else {
        branchOwners.set(env.trigger.branch, name);
      }
    }
    environments.push({
      name,
      trigger: env.trigger,
      region: env.region,
      roleArn: env.roleArn,
      cluster: env.cluster,
      services: env.services,
      scheduledTasks,
      tasks,
      deployWhen: env.deployWhen,
      waitUntil: env.waitUntil,
      deployMarkers: env.deployMarkers,
      ...(env.notify !== undefined ? { notify: env.notify } : {}),
      ...(env.promoteFrom !== undefined ? { promoteFrom: env.promoteFrom } : {}),
      ...(env.plan !== undefined ? { plan: env.plan } : {}),
      ...(env.circleciContext !== undefined ? { circleciContext: env.circleciContext } : {}),
      ...(image !== undefined ? { image } : {}),
    });
  }

  // A promotion deploys the digest that ran in the source environment: same image, another environment.
  for (const env of environments) {
    if (env.promoteFrom === undefined) continue;
    const source = environments.find((candidate) => candidate.name === env.promoteFrom);
    const others = environments.filter((candidate) => candidate.name !== env.name && candidate.image === env.image).map((candidate) => candidate.name);
    if (source === undefined || source.name === env.name || source.image !== env.image) {
      problem(['environments', env.name, 'promoteFrom'], source === undefined ? 'unknown environment' : source.name === env.name ? 'an environment cannot promote from itself' : 'deploys another image', env.promoteFrom, others.length > 0 ? `another environment deploying image "${env.image ?? ''}": ${others.join(', ')}` : 'another environment deploying the same image (there is none)');
    }
  }

  let terraform: Terraform | undefined;
  if (parsed.terraform) {
    const roots: TerraformRoot[] = [];
    const firstByName = new Map<string, number>();
    parsed.terraform.roots.forEach((root, index) => {
      const path = ['terraform', 'roots', index];
      const dir = stripTrailingSlash(root.dir);
      const name = root.name ?? defaultRootName(dir);
      if (root.name === undefined && !NAME.test(name)) {
        problem([...path, 'dir'], 'last segment is not usable in a job name; set "name"', name, 'a lower-case name of letters, digits and "-"');
        return;
      }
      const first = firstByName.get(name);
      if (first !== undefined) {
        problem([...path, 'name'], `duplicate root name (root ${first} has it too); set "name" to tell them apart`, name, 'a name no other root has');
        return;
      }
      firstByName.set(name, index);
      const environment = root.environment ?? (environmentNames.includes(name) ? name : undefined);
      const env = environment !== undefined ? parsed.environments[environment] : undefined;
      if (environment !== undefined && !env) {
        problem([...path, 'environment'], 'unknown environment', environment, choices(environmentNames, 'environments'));
        return;
      }
      const roleArn = root.roleArn ?? env?.roleArn;
      const region = root.region ?? env?.region;
      const circleciContext = root.circleciContext ?? env?.circleciContext;
      const plan = root.plan ?? env?.plan;
      if (roleArn === undefined || region === undefined) {
        const missing = roleArn === undefined ? 'roleArn' : 'region';
        problem([...path, missing], 'missing', undefined, `a value here, or an "environment" to take it from`);
        return;
      }
      roots.push({
        name,
        dir,
        approve: root.approve,
        roleArn,
        region,
        ...(environment !== undefined ? { environment } : {}),
        ...(circleciContext !== undefined ? { circleciContext } : {}),
        ...(plan !== undefined ? { plan } : {}),
      });
    });
    terraform = { version: parsed.terraform.version, roots, modules: parsed.terraform.modules.map(stripTrailingSlash) };
  }

  // Job names are a contract; two parts of the description must not claim the same one.
  const claimed = new Map<string, string>();
  const claim = (job: string, owner: Path) => {
    const previous = claimed.get(job);
    if (previous !== undefined) problem(owner, `job name "${job}" is already used by ${previous}`, job, 'a name of its own');
    else claimed.set(job, owner.join('.'));
  };
  // Names with a fixed prefix first, so that a clash is reported at the free-form test name.
  for (const image of images) claim(buildImageJobName(image.name, images.length), ['images', image.name]);
  for (const root of terraform?.roots ?? []) {
    const owner = ['terraform', 'roots', root.name];
    claim(terraformPlanJobName(root.name), owner);
    claim(terraformApplyJobName(root.name), owner);
    if (root.approve) claim(terraformApprovalJobName(root.name), owner);
  }
  for (const env of environments) claim(deployJobName(env.name), ['environments', env.name]);
  const releases: Release[] = Object.entries(parsed.releases).map(([name, release]) => ({ name, ...release }));
  for (const release of releases) claim(releaseJobName(release.name), ['releases', release.name]);
  for (const suite of tests) claim(testJobName(suite.name), ['tests', suite.name]);

  if (problems.length > 0) return { problems };
  return {
    problems,
    description: {
      project: {
        ...parsed.project,
        tags: [...new Set([...parsed.project.tags, ...environments.flatMap((env) => (env.trigger.type === 'tag' ? env.trigger.tags : [])), ...releases.flatMap((release) => release.tags)])],
      },
      checkout: parsed.checkout,
      orb: parsed.orb,
      install: parsed.install,
      images,
      tests,
      environments,
      releases,
      ...(terraform ? { terraform } : {}),
    },
  };
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function choices(names: readonly string[], where: string): string {
  return names.length === 0 ? `a name under ${where} (there are none)` : `one of ${names.map((n) => JSON.stringify(n)).join(', ')}`;
}

function imageChoices(images: readonly Image[]): string {
  return choices(
    images.map((image) => image.name),
    'images',
  );
}
