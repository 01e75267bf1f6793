/**
 * Checks before anything changes (ecspresso's `verify`): what the new revisions name must
 * exist, or their tasks would never start and a rollout would fail only after services moved.
 * - the image, by digest (or tag), in its ECR repository;
 * - each task execution role and task role;
 * - each CloudWatch Logs group an awslogs container writes to (unless the log driver creates it).
 * Each problem is one line. A check the deploy role may not make (AccessDenied) is a note, not a
 * problem: it is not evidence that the thing is missing.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { IAMClient } from '@aws-sdk/client-iam';
import { CallFailed } from './calls.js';
import type { ImageRef } from './imageRef.js';
import { inPool } from './pool.js';
import type { Sends } from './state.js';
import type { Send } from './schedules.js';
import { awsLogsOf } from './taskLogs.js';

export interface PreflightClients {
  readonly ecr: Sends<ECRClient>;
  readonly iam: Sends<IAMClient>;
  readonly logs: Sends<CloudWatchLogsClient>;
}

export interface PreflightResult {
  /** Things the deploy needs that do not exist: one line each. */
  readonly problems: string[];
  /** Checks that could not be made (no permission, not an ECR image). */
  readonly notes: string[];
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized/;

/** What a failed call says: CallFailed's AWS error name, else the error's own name and message. */
function errorName(error: unknown): string {
  if (error instanceof CallFailed) return `${error.awsName} ${error.message}`;
  return error instanceof Error ? `${error.name} ${error.message}` : String(error);
}

/** Everything the checks look at, from the new revisions (`family` for messages). */
export function preflightTargets(definitions: readonly RegisterTaskDefinitionCommandInput[]): { roles: Map<string, string[]>; logGroups: Map<string, string[]> } {
  const roles = new Map<string, string[]>();
  const logGroups = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, user: string) => {
    map.set(key, [...new Set([...(map.get(key) ?? []), user])]);
  };
  for (const definition of definitions) {
    const family = definition.family ?? '?';
    if (definition.executionRoleArn) add(roles, definition.executionRoleArn, `execution role of ${family}`);
    if (definition.taskRoleArn) add(roles, definition.taskRoleArn, `task role of ${family}`);
    for (const container of definition.containerDefinitions ?? []) {
      const destination = awsLogsOf(container);
      if (destination !== undefined && !destination.createGroup) add(logGroups, destination.group, `${family} container ${container.name ?? '?'}`);
    }
  }
  return { roles, logGroups };
}

export async function preflight(
  clients: PreflightClients,
  image: ImageRef,
  definitions: readonly RegisterTaskDefinitionCommandInput[],
  send: Send,
  concurrency: number,
): Promise<PreflightResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const checks: (() => Promise<void>)[] = [];

  const ecr = image.registry !== undefined ? ECR_HOST.exec(image.registry) : null;
  if (ecr === null) {
    notes.push(`image ${image.text}: not in an ECR registry, its existence was not checked`);
  } else {
    const wanted = image.digest !== undefined ? { imageDigest: image.digest } : { imageTag: image.tag ?? 'latest' };
    checks.push(async () => {
      const { DescribeImagesCommand } = await import('@aws-sdk/client-ecr');
      try {
        await send(`DescribeImages ${image.repository}`, () => clients.ecr.send(new DescribeImagesCommand({ registryId: ecr[1], repositoryName: image.repository, imageIds: [wanted] })));
      } catch (error) {
        const name = errorName(error);
        if (/ImageNotFound/.test(name)) problems.push(`image ${image.text}: no such ${image.digest !== undefined ? 'digest' : 'tag'} in ECR repository ${image.repository}; push it first`);
        else if (/RepositoryNotFound/.test(name)) problems.push(`image ${image.text}: ECR repository ${image.repository} does not exist in registry ${ecr[1]}`);
        else if (DENIED.test(name)) notes.push(`image ${image.text}: not checked, the role may not call ecr:DescribeImages`);
        else throw error;
      }
    });
  }

  const { roles, logGroups } = preflightTargets(definitions);
  for (const [arn, users] of roles) {
    checks.push(async () => {
      const roleName = arn.split('/').pop() ?? arn;
      const { GetRoleCommand } = await import('@aws-sdk/client-iam');
      try {
        await send(`GetRole ${roleName}`, () => clients.iam.send(new GetRoleCommand({ RoleName: roleName })));
      } catch (error) {
        const name = errorName(error);
        if (/NoSuchEntity/.test(name)) problems.push(`${users.join(', ')}: IAM role ${arn} does not exist`);
        else if (DENIED.test(name)) notes.push(`${users.join(', ')}: IAM role ${arn} not checked, the role may not call iam:GetRole`);
        else throw error;
      }
    });
  }
  for (const [group, users] of logGroups) {
    checks.push(async () => {
      const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
      try {
        const page = await send(`DescribeLogGroups ${group}`, () => clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group, limit: 50 })));
        if (!(page.logGroups ?? []).some((found) => found.logGroupName === group)) {
          problems.push(`${users.join(', ')}: log group ${group} does not exist; create it, or set awslogs-create-group`);
        }
      } catch (error) {
        if (DENIED.test(errorName(error))) notes.push(`${users.join(', ')}: log group ${group} not checked, the role may not call logs:DescribeLogGroups`);
        else throw error;
      }
    });
  }
  await inPool(checks, concurrency, (check) => check());
  return { problems: problems.sort(), notes: notes.sort() };
}
