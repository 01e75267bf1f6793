/**
 * A fake CircleCI API v2 on loopback for the client's tests. Every request it receives and every
 * response it sends is checked against CircleCI's official OpenAPI description
 * (schemas/circleci-api-v2.openapi.json): a drift between our client, this fake and the real
 * API shows up as a violation, and tests assert there are none.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, type Loopback } from './loopback.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';
import { ROOT } from './cli.js';

const addFormats = formatsPlugin as unknown as typeof formatsPlugin.default;

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  /** A body that is not JSON (CircleCI's 429 sometimes is plain text). */
  readonly text?: string;
  readonly headers?: Record<string, string>;
  /** Close the connection without answering, after doing what the request asked. */
  readonly drop?: boolean;
}

export interface ReceivedRequest {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

interface Operation {
  readonly id: string;
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: string[];
  readonly request?: ValidateFunction;
  readonly responses: Map<string, ValidateFunction>;
}

type Handler = (request: ReceivedRequest) => FakeResponse;

const spec = JSON.parse(readFileSync(path.join(ROOT, 'schemas/circleci-api-v2.openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, any>>;
};

/**
 * A schema of the description made plain JSON Schema: `$ref`s to its components inlined, and
 * nullable fields, marked Swagger-2 style (`x-nullable`), allowed to be `null`.
 */
function withNullables(schema: unknown, depth = 0): unknown {
  if (depth > 30) return {};
  if (Array.isArray(schema)) return schema.map((item) => withNullables(item, depth + 1));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as Record<string, unknown>).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), spec);
    return withNullables(target ?? {}, depth + 1);
  }
  const copy: Record<string, unknown> = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withNullables(value, depth + 1)]));
  if ((copy['x-nullable'] === true || copy.nullable === true) && typeof copy.type === 'string') copy.type = [copy.type, 'null'];
  return copy;
}

function compileOperations(): Operation[] {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  // OpenAPI's numeric formats: the type already says what they check.
  for (const format of ['integer', 'int32', 'int64', 'float', 'double', 'decimal']) ajv.addFormat(format, true);
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const names: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
        names.push(name);
        return name === 'project-slug' ? '(.+)' : '([^/]+)';
      });
      const requestSchema = operation.requestBody?.content?.['application/json']?.schema;
      const responses = new Map<string, ValidateFunction>();
      for (const [code, response] of Object.entries<any>(operation.responses)) {
        const schema = response?.content?.['application/json']?.schema;
        if (schema) responses.set(code, ajv.compile(withNullables(schema) as object));
      }
      operations.push({
        id: String(operation.operationId),
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${source}$`),
        names,
        ...(requestSchema ? { request: ajv.compile(withNullables(requestSchema) as object) } : {}),
        responses,
      });
    }
  }
  // Literal paths before templated ones: /pipeline/continue is not /pipeline/{pipeline-id}; and
  // longer templates first: /project/{project-slug}/pipeline is not a slug ending in "/pipeline".
  return operations.sort((a, b) => a.names.length - b.names.length || b.template.length - a.template.length);
}

const OPERATIONS = compileOperations();

export class FakeCircleCI {
  readonly requests: ReceivedRequest[] = [];
  readonly violations: string[] = [];
  readonly #handlers = new Map<string, Handler[]>();
  readonly #defaults = new Map<string, Handler>();
  #loopback: Loopback | undefined;
  baseUrl = '';

  /** Answers the next request to an operation (by operationId) with `response` or `handler`. */
  next(operationId: string, response: FakeResponse | Handler): this {
    const queue = this.#handlers.get(operationId) ?? [];
    queue.push(typeof response === 'function' ? response : () => response);
    this.#handlers.set(operationId, queue);
    return this;
  }

  /** Answers every request to an operation that no queued answer is left for. */
  always(operationId: string, handler: FakeResponse | Handler): this {
    this.#defaults.set(operationId, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  /**
   * The pipelines this fake project holds, newest last: `createPipeline` adds one as CircleCI
   * does for a trigger (a handler may create it and still answer 502: the create-then-fail
   * case); listPipelinesForProject answers from it unless a test scripts that operation.
   */
  readonly pipelines: Record<string, unknown>[] = [];
  /** The login of the token's user (getCurrentUser), and of the pipelines it creates. */
  login = 'sre';

  createPipeline(request: ReceivedRequest, actor = this.login): Record<string, unknown> {
    const body = (request.body ?? {}) as { branch?: string; tag?: string; parameters?: Record<string, unknown> };
    const number = 100 + this.pipelines.length;
    const at = new Date().toISOString();
    const item = {
      id: `5034460f-c7c4-4c43-9457-${String(number).padStart(12, '0')}`,
      number,
      project_slug: request.params['project-slug'] ?? 'gh/acme/monolith',
      state: 'setup-pending',
      created_at: at,
      updated_at: at,
      errors: [],
      trigger: { type: 'api', received_at: at, actor: { login: actor, avatar_url: null } },
      trigger_parameters: { ...(body.parameters ?? {}) },
      vcs: {
        provider_name: 'GitHub',
        origin_repository_url: 'https://github.com/acme/monolith',
        target_repository_url: 'https://github.com/acme/monolith',
        revision: '0123456789abcdef0123456789abcdef01234567',
        ...(body.tag !== undefined ? { tag: body.tag } : { branch: body.branch ?? 'master' }),
      },
    };
    this.pipelines.push(item);
    return item;
  }

  /** How many pipelines this fake project holds that a trigger created. */
  get createdCount(): number {
    return this.pipelines.length;
  }

  #builtIn(operationId: string): Handler | undefined {
    if (operationId === 'listPipelinesForProject') {
      return (request) => ({
        status: 200,
        body: {
          items: [...this.pipelines].reverse().filter((item) => request.query.branch === undefined || (item.vcs as { branch?: string }).branch === request.query.branch),
          next_page_token: null,
        },
      });
    }
    if (operationId === 'getCurrentUser') return () => ({ status: 200, body: { id: '9b5a1e3e-0000-4000-8000-000000000001', login: this.login, name: 'S. R. E.' } });
    return undefined;
  }

  async start(): Promise<string> {
    this.#loopback = await listenOnLoopback((request, response) => this.#handle(request, response));
    this.baseUrl = `${this.#loopback.url}/api/v2`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://localhost');
    const local = url.pathname.replace(/^\/api\/v2/, '');
    const method = request.method ?? 'GET';
    const operation = OPERATIONS.find((candidate) => candidate.method === method && candidate.pattern.test(local));
    if (!operation) {
      this.violations.push(`${method} ${local}: no such operation in the OpenAPI description`);
      response.writeHead(404).end();
      return;
    }
    const match = operation.pattern.exec(local) ?? [];
    const params = Object.fromEntries(operation.names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]));
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        this.violations.push(`${operation.id}: request body is not JSON`);
      }
      if (!String(request.headers['content-type']).startsWith('application/json')) this.violations.push(`${operation.id}: request without Content-Type application/json`);
    }
    if (operation.request && !operation.request(body)) {
      this.violations.push(`${operation.id}: request breaks the OpenAPI schema: ${JSON.stringify(operation.request.errors)}`);
    }
    const received: ReceivedRequest = { operation: operation.id, method, path: local, params, query: Object.fromEntries(url.searchParams), headers: request.headers, body };
    this.requests.push(received);
    const handler = this.#handlers.get(operation.id)?.shift() ?? this.#defaults.get(operation.id) ?? this.#builtIn(operation.id);
    if (!handler) {
      this.violations.push(`${operation.id}: the test scripted no answer`);
      response.writeHead(500).end();
      return;
    }
    const answer = handler(received);
    if (answer.drop === true) {
      request.socket.destroy();
      return;
    }
    if (answer.text === undefined) {
      const validate = operation.responses.get(String(answer.status)) ?? operation.responses.get('default');
      if (validate && !validate(answer.body)) {
        this.violations.push(`${operation.id}: scripted ${answer.status} response breaks the OpenAPI schema: ${JSON.stringify(validate.errors)}`);
      }
    }
    const payload = answer.text ?? JSON.stringify(answer.body ?? {});
    response.writeHead(answer.status, { 'Content-Type': answer.text === undefined ? 'application/json' : 'text/plain', ...answer.headers });
    response.end(payload);
  }
}

export const PIPELINE_ID = '5034460f-c7c4-4c43-9457-de07e2029e7b';

/** A trigger's handler that creates the pipeline, as CircleCI does, and answers `status` (201: the pipeline). */
export function createThen(fake: FakeCircleCI, answer?: FakeResponse): (request: ReceivedRequest) => FakeResponse {
  return (request) => {
    const item = fake.createPipeline(request);
    return answer ?? { status: 201, body: { id: item.id, state: item.state, number: item.number, created_at: item.created_at } };
  };
}

/** The answer to a trigger: the created pipeline. */
export function created(number = 42): Record<string, unknown> {
  return { id: PIPELINE_ID, state: 'setup-pending', number, created_at: '2026-11-26T10:00:00Z' };
}

/** A pipeline as getPipelineById describes one. */
export function pipeline(state: string, errors: { type: string; message: string }[] = [], number = 42): Record<string, unknown> {
  return {
    id: PIPELINE_ID,
    number,
    project_slug: 'gh/acme/monolith',
    state,
    created_at: '2026-11-26T10:00:00Z',
    errors,
    trigger: { type: 'api', received_at: '2026-11-26T10:00:00Z', actor: { login: 'sre', avatar_url: null } },
  };
}

/** A page of workflows, as listWorkflowsByPipelineId answers. */
export function workflows(...items: [name: string, status: string][]): Record<string, unknown> {
  return {
    items: items.map(([name, status], index) => ({
      pipeline_id: PIPELINE_ID,
      id: `1f5f8e5c-0000-4000-8000-00000000000${index}`,
      name,
      project_slug: 'gh/acme/monolith',
      status,
      started_by: '9b5a1e3e-0000-4000-8000-000000000001',
      pipeline_number: 42,
      created_at: '2026-11-26T10:00:00Z',
      stopped_at: ['running', 'on_hold', 'failing'].includes(status) ? null : '2026-11-26T10:05:00Z',
    })),
    next_page_token: null,
  };
}
