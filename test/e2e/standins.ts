/**
 * What stands in, in the e2e, for what this offline machine cannot give a CircleCI job; listed
 * in the report. Everything else is the real thing: git, Docker Engine and its registry, PHP and
 * PHPUnit, terraform, the AWS CLI, npm, circle-fargate from its packed tarball, moto's AWS APIs.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPOSER_STANDIN } from './baseImages.js';

export const STANDINS: readonly { readonly what: string; readonly standIn: string }[] = [
  { what: 'CircleCI (the service)', standIn: "the project's job runner (test/helpers/jobRunner.ts) runs each job's steps under sh, one home and project directory per container; caches are kept across the pipelines, the workspace per pipeline; approval jobs are approved at once" },
  { what: 'CircleCI API', standIn: "the project's fake CircleCI API (test/helpers/fakeCircleci.ts), every request checked against CircleCI's OpenAPI description; it keeps the continuation config" },
  { what: 'circleci CLI (tests glob, tests run)', standIn: 'a shell script: glob lists tests/**/*Test.php, run gives container i every CIRCLE_NODE_TOTAL-th file (not split by timings)' },
  { what: 'CircleCI OIDC token', standIn: 'an unsigned JWT-shaped token; moto STS accepts it for AssumeRoleWithWebIdentity' },
  { what: 'remote Docker (setup_remote_docker with layer caching)', standIn: "one Debian Docker Engine (dockerd 20.10, legacy builder, no network) kept for the whole run: its layer cache is the one the second build reuses" },
  { what: 'ECR (the registry)', standIn: "Debian's docker-registry on 127.0.0.1:80, reached under the ECR host name (dockerd's private /etc/hosts); after each job the e2e puts every pushed tag's manifest into moto's ECR with PutImage and the registry's digest" },
  { what: 'php:8.3-fpm-bookworm base image', standIn: "a debootstrap root file system of Debian 12 with Debian's PHP 8.2 (php8.2-fpm, php8.2-cli), the packages the Dockerfile installs already downloaded into its apt archive (apt-get update is a no-op; apt-get install is real apt), docker-php-ext-install installing Debian's php8.2-EXT" },
  { what: 'composer:2 image and Composer', standIn: 'test/e2e/standins/composer.php: install (the lock holds no package) and dump-autoload (a PSR-4 loader); Packagist cannot be reached' },
  { what: 'cakephp/cakephp, phpunit/phpunit from Packagist', standIn: "test/e2e/standins/cakephp.php (the five classes the example extends) and Debian's phpunit 9.6 as vendor/bin/phpunit (the example asks for PHPUnit 10); PHP 8.2 (Debian) runs the tests (the example asks for 8.3)" },
  { what: 'MySQL and Redis service containers of the phpunit job', standIn: "not started: the example's tests do not reach them" },
  { what: "the example's Terraform roots (AWS provider, S3 backend)", standIn: 'the same roots and module with built-in resources only (terraform_data: one per batch of batches.tf), local state; providers cannot be downloaded' },
  { what: 'AWS (ECS, EventBridge, Scheduler, ECR, STS, CloudWatch Logs)', standIn: "moto, with the project's patched ECS tasks (test/helpers/motoServer.py) behind the project's proxy that gives ECS deployments a rollout completing after 2 DescribeServices polls (test/helpers/faultProxy.ts); seeded with what the example's Terraform makes (80 rules from batches.tf, 6 Scheduler schedules)" },
  { what: 'circle-fargate from a registry', standIn: "the packed tarball (npm pack of this checkout) committed at the repository's root, the description's install: { source: 'tarball' }; its dependencies come from the npm registry, npm's download cache shared by the run's jobs" },
];

const TERRAFORM_NOTE = '# e2e stand-in for this file: the AWS provider cannot be downloaded here, so the same shape is\n# made of built-in resources only (terraform_data), with local state.\n';

/** Rewrites the example's Terraform (roots and module) in `repo` with built-in resources only. */
export function standInRoots(repo: string): void {
  const terraform = path.join(repo, 'terraform');
  const module = path.join(terraform, 'modules/ecs-service');
  writeFileSync(path.join(module, 'main.tf'), `${TERRAFORM_NOTE}resource "terraform_data" "service" {\n  input = { name = var.name, min_count = var.min_count, max_count = var.max_count }\n}\n`);
  writeFileSync(path.join(module, 'variables.tf'), 'variable "name" { type = string }\nvariable "min_count" { type = number }\nvariable "max_count" { type = number }\n');
  for (const root of readdirSync(terraform).filter((name) => name !== 'modules')) {
    const dir = path.join(terraform, root);
    writeFileSync(
      path.join(dir, 'main.tf'),
      `${TERRAFORM_NOTE}resource "terraform_data" "cluster" {\n  input = "monolith-${root}"\n}\n\nmodule "app" {\n  source    = "../modules/ecs-service"\n  name      = "monolith-${root}-app"\n  min_count = 3\n  max_count = 20\n}\n`,
    );
    const batches = readFileSync(path.join(dir, 'batches.tf'), 'utf8');
    const locals = batches.slice(0, batches.indexOf('resource '));
    writeFileSync(path.join(dir, 'batches.tf'), `${locals}${TERRAFORM_NOTE}resource "terraform_data" "batch" {\n  for_each = local.batches\n  input    = { rule = "monolith-${root}-batch-\${each.key}", schedule = each.value }\n}\n`);
  }
}

const CAKEPHP = fileURLToPath(new URL('standins/cakephp.php', import.meta.url));

/** The jobs' `composer`: the stand-in, then what Packagist would have given the tests. */
export function writeStandInCommands(stubs: string): void {
  const composer = path.join(stubs, 'composer');
  writeFileSync(
    composer,
    `#!/bin/sh
# e2e: Composer stand-in (${path.basename(COMPOSER_STANDIN)}); after an install, the packages the tests need from Packagist.
set -e
php '${COMPOSER_STANDIN}' "$@"
[ "$1" = install ] || exit 0
mkdir -p vendor/bin vendor/e2e-packages
cp '${CAKEPHP}' vendor/e2e-packages/cakephp.php
ln -sf "$(command -v phpunit)" vendor/bin/phpunit
`,
  );
  chmodSync(composer, 0o755);
}
