/**
 * A client of CircleCI API v2 for what circle-fargate needs: trigger a pipeline, follow it and
 * its workflows, continue a setup pipeline. 429 and 5xx are retried with backoff (honouring
 * `Retry-After`) within one retry budget for the whole command (total time, not per attempt);
 * the token travels only in the `Circle-Token` header.
 *
 * A request that changes something is never resent blindly when its outcome is unknown (a 5xx,
 * a timeout, a connection dropped after sending): a trigger looks for the pipeline it may have
 * created instead, and a continuation counts "not in setup state" as its own success.
 */
import { InputError, OperationError } from '../../errors.js';
import { cutText, SecretRegistry } from '../../secrets/redact.js';

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
  /**
   * Total time this client may spend on failed attempts and the waits between them, every
   * request together (default 120 s): a 429 storm or a `Retry-After: 3600` ends there.
   */
  readonly retryBudgetMs?: number;
  /** How long one request may take before it counts as unanswered (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Waits between attempts (tests pass a recorder). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Backoff before attempt n (1-based), when the server gives no Retry-After. */
  readonly backoffMs?: (attempt: number) => number;
  readonly now?: () => number;
  /**
   * Masks the secrets of this run in a server's message before it is cut to length (a secret
   * cut first would no longer match). The client's own token is always masked.
   */
  readonly mask?: (text: string) => string;
}

/** What a trigger created; `recoveredFrom` says why it was found by listing, not from the answer. */
export interface TriggeredPipeline {
  readonly pipeline: Pipeline;
  readonly recoveredFrom?: string;
}

/** A pipeline as listPipelinesForProject shows it (what the trigger lookup reads). */
interface ListedPipeline extends Pipeline {
  readonly trigger?: { readonly type?: string; readonly received_at?: string; readonly actor?: { readonly login?: string } };
  readonly trigger_parameters?: Record<string, unknown>;
  readonly vcs?: { readonly branch?: string; readonly tag?: string };
}

/** Default of ClientOptions.retryBudgetMs. */
export const DEFAULT_RETRY_BUDGET_MS = 120_000;

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
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #backoff: (attempt: number) => number;
  readonly #now: () => number;
  readonly #requestTimeoutMs: number;
  readonly #mask: (text: string) => string;
  /** What is left of the retry budget, in milliseconds. */
  #budgetMs: number;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.#token = options.token;
    this.#budgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#sleep = options.sleep ?? sleepFor;
    this.#now = options.now ?? Date.now;
    this.#backoff = options.backoffMs ?? ((attempt) => Math.min(30_000, 1000 * 2 ** (attempt - 1)));
    const own = new SecretRegistry();
    own.add(options.token);
    this.#mask = (text) => own.mask(options.mask ? options.mask(text) : text);
  }

  /** The server's message: JSON `message` or `error`, else the text's first line; masked, then cut. */
  #serverMessage(answer: Answer): string {
    return cutText(this.#mask(serverMessage(answer)), 200);
  }

  /**
   * POST /project/{slug}/pipeline with a branch or a tag and parameters. Fires at most once: a
   * 429 (refused before anything was created) is retried; when the outcome is unknown (5xx, no
   * answer) the project's recent pipelines are searched for the one this request created. Found:
   * it is returned with `recoveredFrom`. Not found, or several could be it: an OperationError
   * that says so and where to look. The request is never sent a second time.
   */
  async triggerPipeline(slug: string, target: { branch?: string; tag?: string }, parameters: Record<string, string>): Promise<TriggeredPipeline> {
    const body = { ...target, parameters };
    // The newest pipeline number before sending: a pipeline this request created is newer.
    const mark = await this.#newestPipelineNumber(slug);
    const sentAt = this.#now();
    for (let attempt = 1; ; attempt++) {
      const started = this.#now();
      let answer: Answer;
      try {
        answer = await this.#send('POST', `/project/${encodeSlug(slug)}/pipeline`, body, true);
      } catch (error) {
        if (error instanceof InputError) throw error;
        // The connection was refused, or the name did not resolve: the request never left, so
        // nothing was triggered (a known outcome, not one to look for).
        if (notSent(error)) throw new ApiError(`CircleCI API at ${this.baseUrl} cannot be reached (${causeOf(error)}): the request was not sent and no pipeline was triggered; check CIRCLECI_API_URL and the network, then trigger again`, 0, causeOf(error));
        return this.#findTriggered(slug, target, parameters, { mark, sentAt, why: `no answer: ${causeOf(error)}` });
      }
      if (answer.status === 201 || answer.status === 200) return { pipeline: answer.body as Pipeline };
      if (answer.status >= 500) return this.#findTriggered(slug, target, parameters, { mark, sentAt, why: `HTTP ${answer.status}: ${this.#serverMessage(answer)}` });
      if (answer.status === 429 && (await this.#retryWait(started, retryAfterMs(answer.headers) ?? this.#backoff(attempt)))) continue;
      throw this.#refusal(answer, `trigger a pipeline of ${slug}`);
    }
  }

  async getPipeline(id: string): Promise<Pipeline> {
    const answer = await this.#request('GET', `/pipeline/${encodeURIComponent(id)}`, undefined, { auth: true });
    if (answer.status !== 200) throw this.#refusal(answer, `read pipeline ${id}`);
    return answer.body as Pipeline;
  }

  async listWorkflows(pipelineId: string): Promise<Workflow[]> {
    const workflows: Workflow[] = [];
    let token: string | undefined;
    do {
      const query = token === undefined ? '' : `?page-token=${encodeURIComponent(token)}`;
      const answer = await this.#request('GET', `/pipeline/${encodeURIComponent(pipelineId)}/workflow${query}`, undefined, { auth: true });
      if (answer.status !== 200) throw this.#refusal(answer, `list the workflows of pipeline ${pipelineId}`);
      const page = answer.body as { items?: Workflow[]; next_page_token?: string | null };
      workflows.push(...(page.items ?? []));
      token = page.next_page_token ?? undefined;
    } while (token !== undefined);
    return workflows;
  }

  /**
   * The median duration in seconds of each job of a workflow, from CircleCI Insights (GET
   * /insights/{project-slug}/workflows/{workflow-name}/jobs: "duration_metrics.median: The median
   * duration, in seconds, among a group of runs", last 90 days by default), of one branch or of
   * all. A workflow Insights has no runs of (404, not of the project) has no durations: an empty
   * map. A project it does not know or the token may not see is refused, as everywhere.
   */
  async jobDurations(slug: string, workflow: string, scope: { branch: string } | { allBranches: true }): Promise<Map<string, number>> {
    const durations = new Map<string, number>();
    const base = 'branch' in scope ? `branch=${encodeURIComponent(scope.branch)}` : 'all-branches=true';
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const query = token === undefined ? base : `${base}&page-token=${encodeURIComponent(token)}`;
      const answer = await this.#request('GET', `/insights/${encodeSlug(slug)}/workflows/${encodeURIComponent(workflow)}/jobs?${query}`, undefined, { auth: true });
      if (answer.status === 404 && !/project/i.test(serverMessage(answer))) return durations;
      if (answer.status !== 200) throw this.#refusal(answer, `read the job durations of workflow ${workflow} of ${slug} from Insights`);
      if (typeof answer.body !== 'object' || answer.body === null) {
        throw new OperationError(`${this.baseUrl} answered the Insights request for workflow ${workflow} with something that is not JSON: check CIRCLECI_API_URL`);
      }
      const page = answer.body as { items?: { name?: unknown; metrics?: { duration_metrics?: { median?: unknown } } }[]; next_page_token?: string | null };
      for (const item of Array.isArray(page.items) ? page.items : []) {
        const median = item.metrics?.duration_metrics?.median;
        if (typeof item.name === 'string' && typeof median === 'number' && Number.isFinite(median) && median >= 0) durations.set(item.name, median);
      }
      token = page.next_page_token ?? undefined;
      // A server that hands out a page token twice would be followed forever.
      if (token !== undefined && seen.has(token)) throw new OperationError(`CircleCI Insights answered the page token ${JSON.stringify(this.#mask(token).slice(0, 40))} twice for workflow ${workflow}; not reading on`);
      if (token !== undefined) seen.add(token);
    } while (token !== undefined);
    return durations;
  }

  /**
   * POST /pipeline/continue. A pipeline continues once: when an attempt's outcome is unknown (no
   * answer, or a 5xx) and a retry is told `Pipeline is not in setup state.`, the first attempt
   * did continue it, and that counts as success.
   */
  async continuePipeline(continuationKey: string, configuration: string): Promise<{ alreadyContinued: boolean }> {
    let outcomeUnknown = false;
    for (let attempt = 1; ; attempt++) {
      const started = this.#now();
      let answer: Answer;
      try {
        answer = await this.#send('POST', '/pipeline/continue', { 'continuation-key': continuationKey, configuration }, false);
      } catch (error) {
        if (notSent(error)) {
          if (attempt < NOT_SENT_ATTEMPTS && (await this.#retryWait(started, this.#backoff(attempt)))) continue;
          throw this.#unreachable(error);
        }
        outcomeUnknown = true;
        if (await this.#retryWait(started, this.#backoff(attempt))) continue;
        throw this.#unreachable(error);
      }
      if (answer.status === 200) return { alreadyContinued: false };
      const message = this.#serverMessage(answer);
      if (outcomeUnknown && /not in setup state/i.test(message)) return { alreadyContinued: true };
      if (answer.status >= 500 || answer.status === 429) {
        outcomeUnknown = outcomeUnknown || answer.status >= 500;
        if (await this.#retryWait(started, retryAfterMs(answer.headers) ?? this.#backoff(attempt))) continue;
      }
      throw this.#refusal(answer, 'continue the pipeline');
    }
  }

  /**
   * Spends the time of a failed attempt, and `waitMs` if the budget has it, then waits: true.
   * False when the budget cannot pay for the wait (the caller gives up with the last answer).
   */
  async #retryWait(attemptStarted: number, waitMs: number): Promise<boolean> {
    this.#budgetMs -= Math.max(0, this.#now() - attemptStarted);
    if (waitMs > this.#budgetMs) return false;
    this.#budgetMs -= waitMs;
    await this.#sleep(waitMs);
    return true;
  }

  async #newestPipelineNumber(slug: string): Promise<number | undefined> {
    try {
      const pipelines = await this.#recentPipelines(slug, undefined);
      return Math.max(0, ...pipelines.map((pipeline) => pipeline.number));
    } catch (error) {
      if (error instanceof InputError) throw error;
      // The lookup falls back on the time the trigger was sent.
      return undefined;
    }
  }

  /** The first page of the project's pipelines (newest first), of one branch if given. */
  async #recentPipelines(slug: string, branch: string | undefined): Promise<ListedPipeline[]> {
    const query = branch === undefined ? '' : `?branch=${encodeURIComponent(branch)}`;
    const answer = await this.#request('GET', `/project/${encodeSlug(slug)}/pipeline${query}`, undefined, { auth: true });
    if (answer.status !== 200) throw this.#refusal(answer, `list the pipelines of ${slug}`);
    const page = answer.body as { items?: ListedPipeline[] } | undefined;
    return Array.isArray(page?.items) ? page.items : [];
  }

  async #currentLogin(): Promise<string | undefined> {
    try {
      const answer = await this.#request('GET', '/me', undefined, { auth: true });
      const login = (answer.body as { login?: unknown } | undefined)?.login;
      return answer.status === 200 && typeof login === 'string' ? login : undefined;
    } catch (error) {
      if (error instanceof InputError) throw error;
      return undefined;
    }
  }

  /**
   * After a trigger whose outcome is unknown: the pipeline it created, from the project's recent
   * pipelines (CircleCI API v2 listPipelinesForProject: each with its trigger, actor, branch or
   * tag and parameters). A candidate is newer than the mark (or received since the request was
   * sent), triggered through the API by this token's user, on this branch or tag, with these
   * parameters where the listing shows them. The listing may lag: it is read a few times.
   */
  async #findTriggered(
    slug: string,
    target: { branch?: string; tag?: string },
    parameters: Record<string, string>,
    context: { mark: number | undefined; sentAt: number; why: string },
  ): Promise<TriggeredPipeline> {
    const login = await this.#currentLogin();
    const where = `${projectWebUrl(slug)}${target.branch !== undefined ? `?branch=${encodeURIComponent(target.branch)}` : ''}`;
    for (let look = 1; ; look++) {
      const started = this.#now();
      let listed: ListedPipeline[] | undefined;
      try {
        listed = await this.#recentPipelines(slug, target.branch);
      } catch (error) {
        if (error instanceof InputError) throw error;
      }
      const candidates = (listed ?? []).filter((pipeline) => isTriggeredBy(pipeline, { ...context, target, parameters, login }));
      if (candidates.length === 1 && candidates[0] !== undefined) return { pipeline: candidates[0], recoveredFrom: context.why };
      if (candidates.length > 1) {
        throw new OperationError(
          `the trigger's answer was lost (${context.why}) and ${candidates.length} new pipelines could be the one it created (${candidates.map((p) => p.number).join(', ')}); it was not sent again: look at ${where}`,
        );
      }
      if (look >= 4 || !(await this.#retryWait(started, 1000 * 2 ** (look - 1)))) break;
    }
    throw new OperationError(
      `the trigger's outcome is unknown (${context.why}) and no pipeline it created is listed; it was not sent again, so as not to deploy twice: look at ${where} before triggering again`,
    );
  }

  /** A request that changes nothing: retried on 429, 5xx and no answer, within the budget. */
  async #request(method: string, path: string, body: unknown, options: { auth: boolean }): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const started = this.#now();
      let answer: Answer;
      try {
        answer = await this.#send(method, path, body, options.auth);
      } catch (error) {
        if (error instanceof InputError) throw error;
        if (!(notSent(error) && attempt >= NOT_SENT_ATTEMPTS) && (await this.#retryWait(started, this.#backoff(attempt)))) continue;
        throw this.#unreachable(error);
      }
      const retryable = answer.status === 429 || answer.status >= 500;
      if (!retryable || !(await this.#retryWait(started, retryAfterMs(answer.headers) ?? this.#backoff(attempt)))) return answer;
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
      signal: AbortSignal.timeout(this.#requestTimeoutMs),
    });
    const text = await response.text();
    return { status: response.status, body: parseJson(text), text, headers: response.headers };
  }

  #refusal(answer: Answer, what: string): ApiError {
    const message = this.#serverMessage(answer);
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
    const cause = causeOf(error);
    return new ApiError(`CircleCI API at ${this.baseUrl} did not answer (${cause})`, 0, cause);
  }
}

/**
 * Errors that mean the request never reached the server: the connection was refused or the host
 * name did not resolve. Unlike a lost answer, nothing can have taken effect; they are tried
 * NOT_SENT_ATTEMPTS times, not for the whole retry budget (a wrong CIRCLECI_API_URL answers at once).
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
const NOT_SENT_ATTEMPTS = 3;

function notSent(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

function causeOf(error: unknown): string {
  return error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
}

function isTriggeredBy(
  pipeline: ListedPipeline,
  by: { mark: number | undefined; sentAt: number; target: { branch?: string; tag?: string }; parameters: Record<string, string>; login: string | undefined },
): boolean {
  if (by.mark !== undefined ? !(pipeline.number > by.mark) : Date.parse(pipeline.trigger?.received_at ?? pipeline.created_at ?? '') < by.sentAt - 60_000) return false;
  const type = pipeline.trigger?.type;
  if (type !== undefined && type !== 'api' && type !== 'explicit') return false;
  if (by.login !== undefined && pipeline.trigger?.actor?.login !== undefined && pipeline.trigger.actor.login !== by.login) return false;
  if (by.target.branch !== undefined && pipeline.vcs?.branch !== undefined && pipeline.vcs.branch !== by.target.branch) return false;
  if (by.target.tag !== undefined && pipeline.vcs?.tag !== by.target.tag) return false;
  for (const [name, value] of Object.entries(by.parameters)) {
    const shown = findParameter(pipeline.trigger_parameters, name);
    const same = typeof shown === 'string' || typeof shown === 'number' || typeof shown === 'boolean' ? String(shown) === value : false;
    if (shown !== undefined && !same) return false;
  }
  return true;
}

/** A parameter in trigger_parameters: at the top, or one level down (grouped by source). */
function findParameter(parameters: Record<string, unknown> | undefined, name: string): unknown {
  if (parameters === undefined) return undefined;
  if (name in parameters) return parameters[name];
  for (const group of Object.values(parameters)) {
    if (typeof group === 'object' && group !== null && name in group) return (group as Record<string, unknown>)[name];
  }
  return undefined;
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

/** The server's message, whole: JSON `message` or `error`, else the text's first line (a 429 may be plain text). */
function serverMessage(answer: Answer): string {
  const body = answer.body;
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    if (typeof record.message === 'string') return record.message;
    if (typeof record.error === 'string') return record.error;
  }
  const text = answer.text.trim().split('\n')[0] ?? '';
  return text === '' ? 'no message' : text;
}

/** `Retry-After` as milliseconds: seconds, or an HTTP date. The retry budget bounds it, not a cap here. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The project's pipelines page in the CircleCI app. */
export function projectWebUrl(slug: string): string {
  const [vcs = '', ...rest] = slug.split('/');
  const long = vcs === 'gh' ? 'github' : vcs === 'bb' ? 'bitbucket' : vcs;
  return `https://app.circleci.com/pipelines/${[long, ...rest].map(encodeURIComponent).join('/')}`;
}

/** The pipeline's page in the CircleCI app. */
export function pipelineWebUrl(slug: string, number: number): string {
  return `${projectWebUrl(slug)}/${number}`;
}
