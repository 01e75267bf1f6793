/**
 * The message a deploy sends when it ends: built from the deploy record's redacted summary (what
 * `deploy --json` and `rollback --json` print, the job's artifact) and the CircleCI job's
 * environment. Pure: summary and context in, message out; src/notify/send.ts posts it.
 */

/**
 * When a message is sent: `failure` (a deploy that failed, rolled back or not) and `rollback` (a
 * rollback pipeline's deploy that succeeded) by default; `success` (any other that succeeded) opt-in.
 */
export type NotifyEvent = 'failure' | 'rollback' | 'success';

/** What ran: the deploy job, or the rollback or promote pipeline's deploy of a chosen version. */
export type DeployKind = 'deploy' | 'rollback' | 'promote';

/** What the deploy came to, from the summary's outcome (none: the deploy failed before its record). */
export type DeployResult = 'deployed' | 'rolled-back' | 'not-restored' | 'interrupted' | 'failed' | 'failed-before-changes' | 'planned';

export interface NotifyContext {
  readonly environment: string;
  readonly kind?: DeployKind;
  /** The commit of the pipeline (CIRCLE_SHA1). */
  readonly commit?: string;
  /** The job's page, in its pipeline (CIRCLE_BUILD_URL). */
  readonly url?: string;
  /** With no summary: the deploy wrote its record (so it may have changed something). */
  readonly recordExists?: boolean;
}

export interface DeployMessage {
  readonly event: NotifyEvent;
  readonly environment: string;
  readonly result: DeployResult;
  /** One line for people: "deploy of prod failed and was rolled back". */
  readonly headline: string;
  readonly version: { readonly commit?: string; readonly image?: string };
  readonly services: readonly string[];
  /** Scheduled batches: EventBridge rules' targets and Scheduler schedules. */
  readonly batches: readonly string[];
  readonly cause?: string;
  /** "took 3m 12s" and, when the record has phase timings, each phase. */
  readonly timing?: string;
  readonly url?: string;
}

const HEADLINES: Record<DeployResult, string> = {
  deployed: 'succeeded',
  'rolled-back': 'failed and was rolled back: everything it changed is back',
  'not-restored': 'failed and NOT everything it changed could be restored',
  interrupted: 'was interrupted before it finished',
  failed: 'failed before its record said how it ended: see the job',
  'failed-before-changes': 'failed before it changed anything',
  planned: 'was only planned',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function strings(items: unknown, pick: (item: Record<string, unknown>) => unknown): string[] {
  if (!Array.isArray(items)) return [];
  return items.filter(isRecord).map(pick).filter((value): value is string => typeof value === 'string' && value !== '');
}

/** 192000 → "3m 12s". */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m ${seconds % 60}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/**
 * The timing line: the whole deploy from the record's start and finish, then the phases of the
 * record's `timings` (deploy/timings.ts: `{ seconds, phases: [{ phase, seconds }], services }`).
 */
function timing(summary: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  const started = typeof summary.startedAt === 'string' ? Date.parse(summary.startedAt) : NaN;
  const finished = typeof summary.finishedAt === 'string' ? Date.parse(summary.finishedAt) : NaN;
  if (Number.isFinite(started) && Number.isFinite(finished) && finished >= started) parts.push(`took ${duration(finished - started)}`);
  const phases = isRecord(summary.timings) && Array.isArray(summary.timings.phases) ? summary.timings.phases : [];
  const named = phases.flatMap((item: unknown) => (isRecord(item) && typeof item.phase === 'string' && typeof item.seconds === 'number' && Number.isFinite(item.seconds) ? [`${item.phase} ${duration(item.seconds * 1000)}`] : []));
  if (named.length > 0) parts.push(named.join(', '));
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function resultOf(summary: Record<string, unknown> | undefined, recordExists: boolean): DeployResult {
  switch (summary?.outcome) {
    case 'deployed':
    case 'rolled-back':
    case 'not-restored':
    case 'planned':
      return summary.outcome;
    case 'in-progress':
      return 'interrupted';
    default:
      return recordExists ? 'failed' : 'failed-before-changes';
  }
}

/** The message for a deploy whose summary is `summary` (undefined: there is none). */
export function deployMessage(summary: unknown, context: NotifyContext): DeployMessage {
  const record = isRecord(summary) ? summary : undefined;
  const result = resultOf(record, context.recordExists === true);
  const image = typeof record?.image === 'string' ? record.image : undefined;
  const cause = typeof record?.reason === 'string' && record.reason !== '' ? record.reason : undefined;
  const time = record ? timing(record) : undefined;
  const kind = context.kind ?? 'deploy';
  const succeeded = result === 'deployed' || result === 'planned';
  return {
    event: !succeeded ? 'failure' : kind === 'rollback' ? 'rollback' : 'success',
    environment: context.environment,
    result,
    headline: `${kind === 'promote' ? 'promotion' : kind} of ${context.environment} ${HEADLINES[result]}`,
    version: { ...(context.commit !== undefined ? { commit: context.commit } : {}), ...(image !== undefined ? { image } : {}) },
    services: strings(record?.services, (item) => item.name),
    batches: [
      ...strings(record?.targets, (item) => (typeof item.rule === 'string' ? `${item.rule}${typeof item.id === 'string' ? `/${item.id}` : ''}` : undefined)),
      ...strings(record?.schedules, (item) => (typeof item.name === 'string' ? `${typeof item.group === 'string' ? `${item.group}/` : ''}${item.name}` : undefined)),
    ],
    ...(cause !== undefined ? { cause } : {}),
    ...(time !== undefined ? { timing: time } : {}),
    ...(context.url !== undefined ? { url: context.url } : {}),
  };
}

/** The message as lines of text (Slack's `text`, and what the job log shows). */
export function messageText(message: DeployMessage): string {
  const version = [message.version.commit?.slice(0, 12), message.version.image].filter((part) => part !== undefined).join(' ');
  const lines = [
    `circle-fargate: ${message.headline}`,
    `Environment: ${message.environment}`,
    ...(version !== '' ? [`Version: ${version}`] : []),
    `Services: ${message.services.length > 0 ? message.services.join(', ') : 'none'}`,
    `Batches: ${message.batches.length > 0 ? message.batches.join(', ') : 'none'}`,
    ...(message.cause !== undefined ? [`Cause: ${message.cause}`] : []),
    ...(message.timing !== undefined ? [`Timing: ${message.timing}`] : []),
    ...(message.url !== undefined ? [`Pipeline: ${message.url}`] : []),
  ];
  return lines.join('\n');
}

export type WebhookKind = 'slack' | 'json';

/**
 * The request body. Slack incoming webhooks take JSON with a `text` field
 * (https://api.slack.com/messaging/webhooks: "send a HTTP POST request ... with a JSON payload
 * that includes the message text"); any other webhook gets the message itself as JSON.
 */
export function webhookBody(kind: WebhookKind, message: DeployMessage): string {
  if (kind === 'slack') return JSON.stringify({ text: messageText(message) });
  return JSON.stringify({ source: 'circle-fargate', type: 'deploy', ...message, text: messageText(message) });
}
