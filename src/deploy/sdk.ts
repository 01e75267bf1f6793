/**
 * AWS SDK clients as the deploy engine takes them: only their `send`, so that a client whose
 * package a deploy may not need (EventBridge Scheduler, CloudWatch Logs, ECR, IAM: about 60 to
 * 100 ms of start-up each) is made, and its package loaded, on its first call (`lazyClient`).
 */

/** The part of an AWS SDK v3 client the engine calls. */
export type Sends<C extends { send: unknown }> = Pick<C, 'send'>;

/** A client made by `make` on its first `send`; every later call goes to that same client. */
export function lazyClient<C extends { send(command: never): Promise<unknown> }>(make: () => Promise<C>): Sends<C> {
  let client: Promise<C> | undefined;
  const send = (command: never): Promise<unknown> => (client ??= make()).then((made) => made.send(command));
  return { send };
}
