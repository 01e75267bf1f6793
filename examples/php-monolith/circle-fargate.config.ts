/**
 * The bundled example: a PHP monolith (app servers and ~80 batch jobs) on ECS/Fargate,
 * modelled on the reference deployment. `npm start` runs the generator on it.
 */
import { defineConfig } from 'circle-fargate';

const account = '123456789012';
const region = 'ap-northeast-1';
const repository = `${account}.dkr.ecr.${region}.amazonaws.com/monolith/app`;

/**
 * pre (staging) and private (canary) deploy when an API trigger sets deploy_env; prod on master.
 * Terraform plans run on every branch as the environment's read-only plan role, in a context
 * open to all branches; applies and deploys use the deploy role and a context that can be
 * restricted to master.
 */
function environment(name: 'pre' | 'private' | 'prod') {
  return {
    trigger: name === 'prod' ? ({ type: 'branch', branch: 'master' } as const) : ({ type: 'api' } as const),
    region,
    roleArn: `arn:aws:iam::${account}:role/monolith-${name}-circleci-deploy`,
    cluster: `monolith-${name}`,
    services: [{ name: `monolith-${name}-app`, containers: ['app'] }],
    // Database migrations run on the new revision before the app servers change.
    tasks: [{ name: 'migrate', command: ['bin/cake', 'migrations', 'migrate', '--no-lock'], container: 'app', timeout: 1800 }],
    // ~80 batches: EventBridge rules (older) and EventBridge Scheduler schedules (newer); their
    // task definitions name the container `batch`, not `app`.
    scheduledTasks: {
      rulePrefix: `monolith-${name}-batch-`,
      scheduleGroup: `monolith-${name}-batches`,
      containers: ['batch'],
    },
    circleciContext: `monolith-${name}`,
    plan: { roleArn: `arn:aws:iam::${account}:role/monolith-${name}-circleci-plan`, circleciContext: 'monolith-plan' },
  };
}

export default defineConfig({
  // Version tags (v1.2.3) start pipelines too: tests, image build and plans of what changed
  // since the previous tag.
  project: { slug: 'gh/acme/monolith', defaultBranch: 'master', tags: ['/^v\\d+\\.\\d+\\.\\d+$/'] },
  checkout: { depth: 1 },
  images: {
    app: {
      repository,
      dockerfile: 'docker/prod/app/Dockerfile',
      context: '.',
      buildArgs: { PHP_VERSION: '8.3' },
      paths: {
        include: ['app/**', 'batch/**', 'composer.json', 'composer.lock', 'docker/prod/app/**', '.dockerignore'],
        exclude: ['**/*.md'],
      },
      roleArn: `arn:aws:iam::${account}:role/monolith-circleci-ecr-push`,
      circleciContext: 'monolith-build',
    },
  },
  tests: {
    phpunit: {
      preset: 'phpunit',
      image: 'cimg/php:8.3',
      parallelism: 4,
      paths: ['app/**', 'batch/**', 'tests/**', 'composer.json', 'composer.lock', 'phpunit.xml.dist'],
      // CakePHP's tests reach MySQL and Redis on localhost (test settings, not secrets).
      services: [
        { image: 'cimg/mysql:8.0', environment: { MYSQL_DATABASE: 'test_monolith', MYSQL_ROOT_PASSWORD: 'test' } },
        { image: 'cimg/redis:7.2' },
      ],
    },
  },
  terraform: {
    version: '1.9.8',
    roots: ['terraform/pre', 'terraform/private', { dir: 'terraform/prod', approve: true }],
    modules: ['terraform/modules/ecs-service'],
  },
  environments: {
    pre: environment('pre'),
    private: environment('private'),
    prod: environment('prod'),
  },
});
