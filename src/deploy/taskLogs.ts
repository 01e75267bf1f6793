/**
 * The log lines of one container of one task, read from CloudWatch Logs where its awslogs
 * configuration sends them (group, and stream `PREFIX/CONTAINER/TASK_ID`), as they arrive.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { Send } from './schedules.js';
import type { Sends } from './state.js';

export interface AwsLogs {
  readonly group: string;
  readonly streamPrefix: string;
  readonly region?: string;
  /** `awslogs-create-group`: the log driver creates the group itself. */
  readonly createGroup: boolean;
}

/** The awslogs destination of a container, if it logs to CloudWatch Logs with a stream prefix. */
export function awsLogsOf(container: ContainerDefinition | undefined): AwsLogs | undefined {
  const configuration = container?.logConfiguration;
  if (configuration?.logDriver !== 'awslogs') return undefined;
  const options = configuration.options ?? {};
  const group = options['awslogs-group'];
  const streamPrefix = options['awslogs-stream-prefix'];
  // Fargate requires a stream prefix; without one the stream name cannot be known.
  if (group === undefined || streamPrefix === undefined) return undefined;
  return { group, streamPrefix, createGroup: options['awslogs-create-group'] === 'true', ...(options['awslogs-region'] !== undefined ? { region: options['awslogs-region'] } : {}) };
}

/** The stream a task's container writes to: `PREFIX/CONTAINER/TASK_ID`. */
export function logStreamName(destination: AwsLogs, container: string, taskArn: string): string {
  return `${destination.streamPrefix}/${container}/${taskArn.split('/').pop() ?? ''}`;
}

/**
 * Reads a stream forward from its start, a page per `poll()`: each call returns the lines that
 * arrived since the last. A stream that does not exist yet (the task has not started) has no
 * lines. `drain()` reads until CloudWatch Logs returns the token it was given (its end).
 */
export function logFollower(logs: Sends<CloudWatchLogsClient>, group: string, stream: string, send: Send): { poll(): Promise<string[]>; drain(): Promise<string[]> } {
  let token: string | undefined;
  const poll = async (): Promise<{ lines: string[]; atEnd: boolean }> => {
    // CloudWatch Logs' package is loaded by the first deploy that follows a task's log.
    const { GetLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    try {
      const page = await send(`GetLogEvents ${group} ${stream}`, () =>
        logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token !== undefined ? { nextToken: token } : {}) })),
      );
      const atEnd = page.nextForwardToken === undefined || page.nextForwardToken === token;
      token = page.nextForwardToken ?? token;
      return { lines: (page.events ?? []).map((event) => (event.message ?? '').replace(/\n$/, '')), atEnd: atEnd || (page.events ?? []).length === 0 };
    } catch (error) {
      if (error instanceof Error && /ResourceNotFound/.test(`${error.name} ${error.message}`)) return { lines: [], atEnd: true };
      throw error;
    }
  };
  return {
    poll: async () => (await poll()).lines,
    drain: async () => {
      const all: string[] = [];
      for (let page = 0; page < 100; page++) {
        const { lines, atEnd } = await poll();
        all.push(...lines);
        if (atEnd) break;
      }
      return all;
    },
  };
}
