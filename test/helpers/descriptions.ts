import { removeDir, tempDir, writeFiles } from './git.js';
/** Project descriptions for tests, as plain values (what a JSON description holds). */

export const ACCOUNT = '123456789012';
export const REPOSITORY = `${ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app`;
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy`;

/** A small, complete, valid description: one image, PHPUnit, two roots, pre and prod. */
export function sampleDescription(): Record<string, unknown> {
  return {
    project: { slug: 'gh/acme/app', defaultBranch: 'master' },
    images: {
      app: {
        repository: REPOSITORY,
        dockerfile: 'docker/Dockerfile',
        paths: ['app/**', 'docker/**'],
        roleArn: ROLE,
        circleciContext: 'build',
      },
    },
    tests: {
      phpunit: { preset: 'phpunit', image: 'cimg/php:8.3', paths: ['app/**', 'tests/**'] },
    },
    terraform: { version: '1.9.8', roots: ['terraform/pre', 'terraform/prod'], modules: ['terraform/modules/service'] },
    environments: {
      pre: {
        trigger: { type: 'api' },
        region: 'ap-northeast-1',
        roleArn: ROLE,
        cluster: 'acme-pre',
        services: ['acme-pre-app'],
        circleciContext: 'pre',
      },
      prod: {
        trigger: { type: 'branch', branch: 'master' },
        region: 'ap-northeast-1',
        roleArn: ROLE,
        cluster: 'acme-prod',
        services: [{ name: 'acme-prod-app', containers: ['app'] }],
        scheduledTasks: { rulePrefix: 'acme-prod-batch-' },
        circleciContext: 'prod',
      },
    },
  };
}

/** The directories sampleDescription's Terraform roots and module name, as files to write beside it. */
export const SAMPLE_TERRAFORM: Readonly<Record<string, string>> = {
  'terraform/pre/main.tf': 'module "service" {\n  source = "../modules/service"\n}\n',
  'terraform/prod/main.tf': 'module "service" {\n  source = "../modules/service"\n}\n',
  'terraform/modules/service/main.tf': '',
};

/** A deep copy of `value` with `edit` applied to it. */
export function edited(edit: (description: Record<string, any>) => void): Record<string, unknown> {
  const copy = structuredClone(sampleDescription());
  edit(copy);
  return copy;
}

/**
 * Project directories with the sample Terraform and the files given, each removed after the test
 * file that made it: `const project = sampleProjects(after)`.
 */
export function sampleProjects(after: (fn: () => void) => void): (files: Record<string, string>) => string {
  const dirs: string[] = [];
  after(() => {
    dirs.forEach(removeDir);
  });
  return (files) => {
    const dir = tempDir();
    dirs.push(dir);
    writeFiles(dir, { ...SAMPLE_TERRAFORM, ...files });
    return dir;
  };
}
