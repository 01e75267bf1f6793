/**
 * Job names are a contract: users make them required checks on their branches. Everything that
 * names a job asks here.
 */

/** `build-image` for a project with one image, `build-image-<name>` with several. */
export function buildImageJobName(imageName: string, imageCount: number): string {
  return imageCount === 1 ? 'build-image' : `build-image-${imageName}`;
}

export function testJobName(suiteName: string): string {
  return suiteName;
}

export function terraformPlanJobName(rootName: string): string {
  return `terraform-plan-${rootName}`;
}

export function terraformApplyJobName(rootName: string): string {
  return `terraform-apply-${rootName}`;
}

/** The approval hold in front of `terraform-apply-<name>` when the root asks for one. */
export function terraformApprovalJobName(rootName: string): string {
  return `approve-terraform-apply-${rootName}`;
}

export function deployJobName(environmentName: string): string {
  return `deploy-${environmentName}`;
}

export function releaseJobName(releaseName: string): string {
  return `release-${releaseName}`;
}

/** The last segment of a root module directory: `terraform/prod` -> `prod`. */
export function defaultRootName(dir: string): string {
  const segments = dir.split('/').filter((segment) => segment !== '');
  return segments[segments.length - 1] ?? dir;
}

/** The workflow of the continuation config that `generate` emits. */
export const WORKFLOW_NAME = 'circle-fargate';

/** The setup config's (`circle-fargate init`) workflow and its one job, before every pipeline's jobs. */
export const SETUP_WORKFLOW_NAME = 'setup';
export const SETUP_JOB_NAME = 'setup';
