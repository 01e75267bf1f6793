/**
 * A client of CircleCI API v2 for what circle-fargate needs: trigger a pipeline, follow it and
 * its workflows, continue a setup pipeline. 429 and 5xx are retried with backoff (honouring
 * `Retry-After`); the token travels only in the `Circle-Token` header and never into a message.
 */
import { InputError, OperationError } from '../../errors.js';

export const DEFAULT_API_URL = 'https://circleci.com/api/v2';

export type PipelineState = 'created' | 'errored' | 'setup-pending' | 'setup' | 'pending';

export interface Pipeline {
  readonly id: string;
  readonly number: number;
  readonly state: PipelineState;
  readonly created_at?: string;
  readonly errors?: readonly { readonly type: string; readonly message: string }[];
}

export interface Workflow {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly created_at?: string;
}

export interface ClientOptions {
  readonly baseUrl?: string;
  readonly token?: string;
  /** Attempts for a retried request, the first included. */
  readonly attempts?: number;
  /** Waits between attempts (tests pass a recorder). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Backoff before attempt n (1-based), when the server gives no Retry-After. */
  readonly backoffMs?: (attempt: number) => number;
}

/** A refusal or failure from the API, with its status (0: no answer). */
export class ApiError extends OperationError {
  constructor(
    message: string,
    readonly status: number,
    readonly serverMessage: string,
  ) {
    super(message);
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: Headers;
}

const sleepFor = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

export class CircleCIClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #backoff: (attempt: number) => number;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.#token = options.token;
    this.#attempts = options.attempts ?? 5;
    this.#sleep = options.sleep ?? sleepFor;
    this.#backoff = options.backoffMs ?? ((attempt) => Math.min(30_000, 1000 * 2 ** (attempt - 1)));
  }

  /** POST /project/{slug}/pipeline with a branch or a tag and parameters. */
  async triggerPipeline(slug: string, target: { branch?: string; tag?: string }, parameters: Record<string, string>): Promise<Pipeline> {
    const body = { ...target, parameters };
    const answer = await this.#request('POST', `/project/${encodeSlug(slug)}/pipeline`, body, { auth: true, retry: 'before-effect' });
    if (answer.status !== 201 && answer.status !== 200) throw this.#refusal(answer, `trigger a pipeline of ${slug}`);
    return answer.body as Pipeline;
  }

  async getPipeline(id: string): Promise<Pipeline> {
    const answer = await this.#request('GET', `/pipeline/${encodeURIComponent(id)}`, undefined, { auth: true, retry: 'always' });
    if (answer.status !== 200) throw this.#refusal(answer, `read pipeline ${id}`);
    return answer.body as Pipeline;
  }

  async listWorkflows(pipelineId: string): Promise<Workflow[]> {
    const workflows: Workflow[] = [];
    let token: string | undefined;
    do {
      const query = token === undefined ? '' : `?page-token=${encodeURIComponent(token)}`;
      const answer = await this.#request('GET', `/pipeline/${encodeURIComponent(pipelineId)}/workflow${query}`, undefined, { auth: true, retry: 'always' });
      if (answer.status !== 200) throw this.#refusal(answer, `list the workflows of pipeline ${pipelineId}`);
      const page = answer.body as { items?: Workflow[]; next_page_token?: string | null };
      workflows.push(...(page.items ?? []));
      token = page.next_page_token ?? undefined;
    } while (token !== undefined);
    return workflows;
  }

  /**
   * POST /pipeline/continue. A pipeline continues once: when an attempt's outcome is unknown (no
   * answer, or a 5xx) and a retry is told `Pipeline is not in setup state.`, the first attempt
   * did continue it, and that counts as success.
   */
  async continuePipeline(continuationKey: string, configuration: string): Promise<{ alreadyContinued: boolean }> {
    let outcomeUnknown = false;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.#send('POST', '/pipeline/continue', { 'continuation-key': continuationKey, configuration }, false);
      } catch (error) {
        outcomeUnknown = true;
        if (attempt >= this.#attempts) throw this.#unreachable(error);
        await this.#sleep(this.#backoff(attempt));
        continue;
      }
      if (answer.status === 200) return { alreadyContinued: false };
      const message = serverMessage(answer);
      if (outcomeUnknown && /not in setup state/i.test(message)) return { alreadyContinued: true };
      if ((answer.status >= 500 || answer.status === 429) && attempt < this.#attempts) {
        outcomeUnknown = outcomeUnknown || answer.status >= 500;
        await this.#sleep(retryAfterMs(answer.headers) ?? this.#backoff(attempt));
        continue;
      }
      throw this.#refusal(answer, 'continue the pipeline');
    }
  }

  async #request(method: string, path: string, body: unknown, options: { auth: boolean; retry: 'always' | 'before-effect' }): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.#send(method, path, body, options.auth);
      } catch (error) {
        // A trigger whose request may have reached the server is not repeated: it could run twice.
        if (options.retry !== 'always' || attempt >= this.#attempts) throw this.#unreachable(error);
        await this.#sleep(this.#backoff(attempt));
        continue;
      }
      const retryable = answer.status === 429 || answer.status >= 500;
      if (!retryable || attempt >= this.#attempts) return answer;
      await this.#sleep(retryAfterMs(answer.headers) ?? this.#backoff(attempt));
    }
  }

  async #send(method: string, path: string, body: unknown, auth: boolean): Promise<Answer> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth) {
      if (this.#token === undefined || this.#token === '') {
        throw new InputError('CIRCLE_TOKEN is not set: create a personal API token in CircleCI (User Settings, Personal API Tokens) and export it');
      }
      headers['Circle-Token'] = this.#token;
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    return { status: response.status, body: parseJson(text), text, headers: response.headers };
  }

  #refusal(answer: Answer, what: string): ApiError {
    const message = serverMessage(answer);
    const hint =
      answer.status === 401
        ? ': the token in CIRCLE_TOKEN is not valid'
        : answer.status === 404 && /project not found/i.test(message)
          ? ': the project does not exist, or the token in CIRCLE_TOKEN has no access to it'
          : answer.status === 409 && /expired/i.test(message)
            ? ': the continuation key has expired (6 hours); run a new pipeline'
            : '';
    return new ApiError(`CircleCI refused to ${what} (HTTP ${answer.status}: ${message})${hint}`, answer.status, message);
  }

  #unreachable(error: unknown): ApiError {
    if (error instanceof InputError) throw error;
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return new ApiError(`CircleCI API at ${this.baseUrl} did not answer (${cause})`, 0, cause);
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** `gh/org/repo` with each segment escaped: slashes stay separators, anything else is data. */
export function encodeSlug(slug: string): string {
  return slug.split('/').map(encodeURIComponent).join('/');
}

/** The server's message: JSON `message` or `error`, else the text (a 429 may be plain text). */
function serverMessage(answer: Answer): string {
  const body = answer.body;
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    if (typeof record.message === 'string') return record.message;
    if (typeof record.error === 'string') return record.error;
  }
  const text = answer.text.trim().split('\n')[0] ?? '';
  return text === '' ? 'no message' : text.slice(0, 200);
}

/** `Retry-After` as milliseconds: seconds, or an HTTP date. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Math.min(Number(value) * 1000, 300_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(date - Date.now(), 300_000));
}

/** The pipeline's page in the CircleCI app. */
export function pipelineWebUrl(slug: string, number: number): string {
  const [vcs = '', ...rest] = slug.split('/');
  const long = vcs === 'gh' ? 'github' : vcs === 'bb' ? 'bitbucket' : vcs;
  return `https://app.circleci.com/pipelines/${[long, ...rest].map(encodeURIComponent).join('/')}/${number}`;
}
