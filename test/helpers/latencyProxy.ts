/**
 * A loopback proxy in front of moto: adds a fixed latency to every call (as a real AWS region
 * is tens of milliseconds away), counts calls and how many were in flight at once per
 * operation, and can answer chosen operations with throttling errors a number of times.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, type Loopback } from './loopback.js';

export interface ProxyStats {
  calls: number;
  /** Most calls in flight at once, by operation (X-Amz-Target's action, or METHOD path for REST APIs). */
  readonly mostInFlight: Map<string, number>;
  readonly byOperation: Map<string, number>;
}

export class LatencyProxy {
  latencyMs: number;
  /** Operation name -> how many more times to answer it with a throttling error. */
  readonly throttle = new Map<string, number>();
  readonly stats: ProxyStats = { calls: 0, mostInFlight: new Map(), byOperation: new Map() };
  readonly #inFlight = new Map<string, number>();
  #loopback: Loopback | undefined;
  url = '';

  constructor(
    readonly upstream: string,
    latencyMs = 0,
  ) {
    this.latencyMs = latencyMs;
  }

  async start(): Promise<string> {
    this.#loopback = await listenOnLoopback((request, response) => this.#handle(request, response));
    this.url = this.#loopback.url;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  reset(): void {
    this.stats.calls = 0;
    this.stats.mostInFlight.clear();
    this.stats.byOperation.clear();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' ? (target.split('.').pop() ?? target) : `${request.method ?? ''} ${(request.url ?? '').split('?')[0]?.split('/')[1] ?? ''}`;
    this.stats.calls++;
    this.stats.byOperation.set(operation, (this.stats.byOperation.get(operation) ?? 0) + 1);
    const now = (this.#inFlight.get(operation) ?? 0) + 1;
    this.#inFlight.set(operation, now);
    this.stats.mostInFlight.set(operation, Math.max(now, this.stats.mostInFlight.get(operation) ?? 0));
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const throttles = this.throttle.get(operation) ?? 0;
      if (throttles > 0) {
        this.throttle.set(operation, throttles - 1);
        const json = typeof target === 'string';
        response.writeHead(json ? 400 : 429, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' });
        response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      const upstream = new URL(this.upstream);
      await new Promise<void>((resolve, reject) => {
        const forward = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
            answer.on('end', resolve);
            answer.on('error', reject);
          },
        );
        forward.on('error', reject);
        forward.end(body);
      });
    } catch {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    } finally {
      this.#inFlight.set(operation, (this.#inFlight.get(operation) ?? 1) - 1);
    }
  }
}
