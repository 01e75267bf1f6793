/**
 * AWS calls of a deploy: retries of what is worth retrying, and what a failure means.
 * Throttling is a definite "not done"; a 5xx, a dropped connection or a timeout may have been
 * processed with the answer lost. A call that failed after such an attempt has an unknown
 * outcome, and the deploy counts it as applied.
 */
import { OperationError } from '../errors.js';

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** A failed AWS call: `awsName` is the error's name (ClusterNotFoundException); `unknownOutcome` when it may have taken effect. */
export class CallFailed extends OperationError {
  constructor(
    message: string,
    readonly awsName: string,
    readonly unknownOutcome: boolean,
  ) {
    super(message);
  }
}

export function isUnknownOutcome(error: unknown): boolean {
  return !(error instanceof CallFailed) || error.unknownOutcome;
}

export interface CallHooks {
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Stops retrying (not the call in flight) when aborted. */
  readonly signal?: AbortSignal;
  /** Attempts before giving up (default 6). */
  readonly attempts?: number;
}

type Kind = 'throttled' | 'ambiguous' | 'refused';

function kindOf(error: unknown): Kind {
  const name = error instanceof Error ? error.name : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  const code = (error as { code?: unknown }).code;
  if (THROTTLING.has(name) || status === 429) return 'throttled';
  if (status >= 500 || (typeof code === 'string' && DROPPED.has(code)) || name === 'TimeoutError' || status === 0) return 'ambiguous';
  return 'refused';
}

/** Retries throttling, 5xx and dropped connections with backoff and jitter; anything else (AccessDenied) fails at once. */
export async function retrying<T>(what: string, call: () => Promise<T>, hooks: CallHooks = {}): Promise<T> {
  const sleep = hooks.sleep ?? defaultSleep;
  const attempts = hooks.attempts ?? 6;
  let unknown = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const kind = kindOf(error);
      if (kind === 'ambiguous') unknown = true;
      const name = error instanceof Error ? error.name : 'Error';
      if (kind === 'refused' || attempt >= attempts || hooks.signal?.aborted === true) {
        throw new CallFailed(`${what} failed: ${awsMessage(error)}${unknown && kind !== 'ambiguous' ? ' (after an attempt whose outcome is unknown)' : ''}`, name, unknown);
      }
      await sleep(Math.min(8000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2), hooks.signal);
    }
  }
}

/** An AWS call's failure in one line, with what to do where the failure says it. */
export function awsMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0] ?? ''}${awsHint(error)}`;
  return String(error);
}

/** Node.js's codes for an address nobody answers at, or a name that does not resolve. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function awsHint(error: Error): string {
  if (error.name === 'CredentialsProviderError') {
    return ': set AWS credentials (in CircleCI, the orb\'s setup_aws: OIDC to a role; elsewhere AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    return ': AWS could not be reached; check AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (moto, LocalStack), the region and the network';
  }
  return '';
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
