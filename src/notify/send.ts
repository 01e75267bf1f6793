/**
 * Posts a message to a webhook. A webhook that fails never fails the deploy: the result says what
 * went wrong in one line, for the caller to print; nothing here throws.
 */

export interface SendResult {
  readonly ok: boolean;
  /** One line for people (never the URL: it is a secret). */
  readonly detail: string;
}

export async function postJson(url: string, body: string, timeoutMs: number, fetcher: typeof fetch = fetch): Promise<SendResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, detail: 'the webhook URL is not a URL' };
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return { ok: false, detail: `the webhook URL is not http(s) (${target.protocol})` };
  try {
    const response = await fetcher(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    // The body is read only to free the connection: a server may echo the URL's token back.
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? { ok: true, detail: `HTTP ${response.status}` } : { ok: false, detail: `the webhook answered HTTP ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, detail: `the webhook did not answer within ${Math.round(timeoutMs / 1000)}s` };
    const cause = errorCode(error instanceof Error ? error.cause : undefined);
    return { ok: false, detail: `the webhook could not be reached${cause !== undefined ? ` (${cause})` : ''}` };
  }
}

/** The system error code (ECONNREFUSED, ENOTFOUND) of a fetch failure's cause, or of the first of several. */
function errorCode(cause: unknown): string | undefined {
  if (cause instanceof AggregateError) return errorCode(cause.errors[0]);
  const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
