/**
 * AWS SDK clients as the deploy engine takes them: only their `send`, so that a client whose
 * package a deploy may not need (EventBridge Scheduler, CloudWatch Logs, ECR, IAM: about 60 to
 * 100 ms of start-up each) is made, and its package loaded, on its first call (`lazyClient`).
 */
import { InputError } from '../errors.js';
import type { SecretRegistry } from '../secrets/redact.js';
import type { Clients, Sends } from './state.js';

/** A client made by `make` on its first `send`; every later call goes to that same client. */
export function lazyClient<C extends { send(command: never): Promise<unknown> }>(make: () => Promise<C>): Sends<C> {
  let client: Promise<C> | undefined;
  const send = (command: never): Promise<unknown> => (client ??= make()).then((made) => made.send(command));
  return { send };
}

/** The packages made on first use: checked to be installed up front (`deployClients`). */
const LAZY_PACKAGES = ['@aws-sdk/client-scheduler', '@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-ecr', '@aws-sdk/client-iam'];

/**
 * The clients of deploy and rollback, in `region` (else the SDK's own choice), each watched by
 * `secrets` (credentials and the values it sends and receives join the secrets output masks).
 * ECS and EventBridge are made now; the others on their first call. Every package is checked to
 * be installed before anything changes: a missing one fails here (ERR_MODULE_NOT_FOUND, which
 * main() reports in one line), not half-way through a deploy.
 */
export async function deployClients(region: string | undefined, secrets: SecretRegistry, options: { readonly loadBalancers?: boolean } = {}): Promise<Required<Omit<Clients, 'elb'>> & Pick<Clients, 'elb'>> {
  for (const name of LAZY_PACKAGES) import.meta.resolve(name);
  // Target health is read only by --wait-until serving: its package is needed only then.
  if (options.loadBalancers === true) import.meta.resolve('@aws-sdk/client-elastic-load-balancing-v2');
  const [{ ECSClient }, { EventBridgeClient }, { watchAwsClient }] = await Promise.all([import('@aws-sdk/client-ecs'), import('@aws-sdk/client-eventbridge'), import('../secrets/aws.js')]);
  const clientOptions = { ...(region !== undefined ? { region } : {}), maxAttempts: 1 };
  const ecs = new ECSClient(clientOptions);
  await requireRegion(ecs);
  return {
    ecs: watchAwsClient(ecs, secrets),
    events: watchAwsClient(new EventBridgeClient(clientOptions), secrets),
    scheduler: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-scheduler')).SchedulerClient(clientOptions), secrets)),
    logs: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(clientOptions), secrets)),
    ecr: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-ecr')).ECRClient(clientOptions), secrets)),
    iam: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-iam')).IAMClient(clientOptions), secrets)),
    ...(options.loadBalancers === true
      ? { elb: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-elastic-load-balancing-v2')).ElasticLoadBalancingV2Client(clientOptions), secrets)) }
      : {}),
  };
}

/** An AWS region code (ap-northeast-1, us-gov-west-1, eu-central-2). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Refuses at once, in one line, a client with no region (none given, none in AWS_REGION or the
 * AWS config's profile): without this, every call fails with "Region is missing" and is retried
 * as if the network had dropped it, for seconds.
 */
export async function requireRegion(client: { readonly config: { readonly region: unknown } }): Promise<void> {
  const region = client.config.region;
  try {
    const value: unknown = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
    if (typeof value === 'string' && REGION.test(value)) return;
    if (typeof value === 'string' && value !== '') throw new InputError(`not an AWS region: ${JSON.stringify(value)} (expected a code such as ap-northeast-1 or us-east-1, from --region or AWS_REGION)`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    // The SDK's "Region is missing": said below.
  }
  throw new InputError('no AWS region: pass --region R or set AWS_REGION (a profile\'s region in the AWS config works too)');
}

/** The region an ECS ARN names (arn:aws:ecs:REGION:ACCOUNT:...), if it is one. */
export function regionOfArn(arn: string | undefined): string | undefined {
  const parts = arn?.split(':') ?? [];
  return parts[0] === 'arn' && parts.length >= 6 && REGION.test(parts[3] ?? '') ? parts[3] : undefined;
}
