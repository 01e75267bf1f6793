/**
 * AWS SDK clients as the deploy engine takes them: only their `send`, so that a client whose
 * package a deploy may not need (EventBridge Scheduler, CloudWatch Logs, ECR, IAM: about 60 to
 * 100 ms of start-up each) is made, and its package loaded, on its first call (`lazyClient`).
 */
import type { SecretRegistry } from '../secrets/redact.js';
import type { Clients } from './state.js';

/** The part of an AWS SDK v3 client the engine calls. */
export type Sends<C extends { send: unknown }> = Pick<C, 'send'>;

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
export async function deployClients(region: string | undefined, secrets: SecretRegistry): Promise<Required<Clients>> {
  for (const name of LAZY_PACKAGES) import.meta.resolve(name);
  const [{ ECSClient }, { EventBridgeClient }, { watchAwsClient }] = await Promise.all([import('@aws-sdk/client-ecs'), import('@aws-sdk/client-eventbridge'), import('../secrets/aws.js')]);
  const options = { ...(region !== undefined ? { region } : {}), maxAttempts: 1 };
  return {
    ecs: watchAwsClient(new ECSClient(options), secrets),
    events: watchAwsClient(new EventBridgeClient(options), secrets),
    scheduler: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-scheduler')).SchedulerClient(options), secrets)),
    logs: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(options), secrets)),
    ecr: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-ecr')).ECRClient(options), secrets)),
    iam: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-iam')).IAMClient(options), secrets)),
  };
}
