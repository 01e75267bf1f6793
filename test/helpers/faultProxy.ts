/**
 * A loopback proxy in front of moto_server that does to calls what the network and AWS do:
 * refuse them, throttle them, answer 5xx without doing them, do them and lose the answer, delay
 * them, or hold one forever after doing it (so a test can SIGKILL the caller at that point).
 *
 * It also gives moto's ECS services the deployments real ECS shows, since moto's UpdateService
 * keeps the one deployment CreateService made: UpdateService with a new task definition starts
 * a PRIMARY IN_PROGRESS deployment (the old ones turn ACTIVE), and it completes after
 * `rolloutPolls` DescribeServices of that service (or never, for a service in `hang`). moto
 * itself stays the source of truth for task definitions, services' task definitions and targets.
 * With `tasks`, a deployment's running tasks are listed (ListTasks startedBy its id) and
 * described as ECS would (RUNNING), and `drainPolls` more polls pass after they all run before it
 * completes: the old tasks draining, while the new ones already serve (`--wait-until serving`).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, type Loopback } from './loopback.js';

export type FaultKind =
  /** Answered 400 AccessDeniedException; not forwarded. */
  | 'refuse'
  /** Answered 400 ThrottlingException; not forwarded. */
  | 'throttle'
  /** Answered 500; not forwarded. */
  | 'error-before'
  /** Forwarded and done by moto; the connection is then dropped (the answer is lost). */
  | 'lose-answer'
  /** Forwarded and done; answered 500 (done, but the caller is told it failed). */
  | 'error-after'
  /** Forwarded after `delayMs`. */
  | 'delay'
  /** Forwarded and done; never answered (see `held`). */
  | 'hold-after'
  /** Answered 400 with a message that echoes the request's headers and body; not forwarded. */
  | 'echo';

export interface ProxyFault {
  /** `UpdateService`, `PutTargets`...: the X-Amz-Target operation. */
  readonly operation: string;
  readonly kind: FaultKind;
  /** Only calls whose JSON body contains this text (a service or rule name, say). */
  readonly matching?: string;
  /** How many matching calls it applies to (default 1). */
  times?: number;
  /** Skip this many matching calls first. */
  skip?: number;
  readonly delayMs?: number;
}

interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED';
  rolloutStateReason: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
  polls: number;
}

export class FaultProxy {
  /** Each call, with when it arrived (milliseconds since the epoch). */
  readonly calls: { operation: string; body: Record<string, any>; at: number }[] = [];
  faults: ProxyFault[] = [];
  /** DescribeServices polls after which a rollout completes. */
  rolloutPolls = 2;
  /** List and describe each deployment's running tasks (moto's ECS runs none for a service). */
  tasks = false;
  /** More polls before a rollout completes, once its tasks run (the old tasks draining). */
  drainPolls = 0;
  /** Added to every forwarded call, as a real region is tens of milliseconds away. */
  latencyMs = 0;
  /** Most calls of an operation at moto at once (calls in flight through the proxy). */
  readonly mostInFlight = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  /** Services (by name) whose rollouts never complete. */
  readonly hang = new Set<string>();
  /** Forward the `n`th call (1-based), then hold its answer; `held` resolves when it arrives. */
  holdAfterCall: number | undefined;
  held: Promise<string>;
  #release: (operation: string) => void = () => undefined;
  readonly #deployments = new Map<string, Deployment[]>();
  #next = 0;
  /** Calls forwarded so far; and per service, that count when its task definition last changed. */
  #sent = 0;
  readonly #changedAt = new Map<string, number>();
  #loopback: Loopback | undefined;
  url = '';

  constructor(readonly upstream: string) {
    this.held = new Promise((resolve) => (this.#release = resolve));
  }

  async start(): Promise<string> {
    this.#loopback = await listenOnLoopback((request, response) => this.#handle(request, response));
    this.url = this.#loopback.url;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  operations(): string[] {
    return this.calls.map((call) => call.operation);
  }

  /** AWS SDK environment pointing every service at the proxy. */
  env(): Record<string, string> {
    return { AWS_ENDPOINT_URL: this.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-northeast-1' };
  }

  #fault(operation: string, text: string): ProxyFault | undefined {
    for (const fault of this.faults) {
      if (fault.operation !== operation || (fault.matching !== undefined && !text.includes(fault.matching))) continue;
      if ((fault.skip ?? 0) > 0) {
        fault.skip = (fault.skip ?? 0) - 1;
        continue;
      }
      if ((fault.times ?? 1) <= 0) continue;
      fault.times = (fault.times ?? 1) - 1;
      return fault;
    }
    return undefined;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() ?? '';
    const text = raw.toString('utf8');
    let body: Record<string, any> = {};
    try {
      body = JSON.parse(text || '{}') as Record<string, any>;
    } catch {
      // not JSON (moto-api): forwarded as is
    }
    if (operation !== '') this.calls.push({ operation, body, at: Date.now() });
    const number = this.calls.length;
    const fault = operation !== '' ? this.#fault(operation, text) : undefined;
    if (fault?.kind === 'refuse') { this.#send(response, 400, { __type: 'AccessDeniedException', message: `User is not authorized to perform: ${operation}` }); return; }
    if (fault?.kind === 'throttle') { this.#send(response, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }); return; }
    if (fault?.kind === 'echo') { this.#send(response, 400, { __type: 'InvalidParameterException', message: `invalid request: ${JSON.stringify(request.headers)} ${text}` }); return; }
    if (fault?.kind === 'error-before') { this.#send(response, 500, { __type: 'ServerException', message: 'Service unavailable' }); return; }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 200));
    const sentAt = ++this.#sent;
    const answer = await this.#forward(request, raw);
    const patched = this.tasks && (operation === 'ListTasks' || operation === 'DescribeTasks') ? this.#taskAnswer(operation, body, answer) : this.#patch(operation, answer, sentAt);
    if (this.holdAfterCall === number) {
      this.#release(operation);
      return; // never answered; the caller is killed meanwhile
    }
    if (fault?.kind === 'hold-after') {
      this.#release(operation);
      return;
    }
    if (fault?.kind === 'lose-answer') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'error-after') { this.#send(response, 500, { __type: 'ServerException', message: 'Service unavailable' }); return; }
    response.writeHead(patched.status, patched.headers);
    response.end(patched.body);
  }

  async #forward(request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    // JSON protocols name the operation in X-Amz-Target; REST ones (Scheduler): METHOD /collection.
    const operation = String(request.headers['x-amz-target'] ?? `${request.method ?? ''} /${(request.url ?? '').split('?')[0]?.split('/')[1] ?? ''}`).split('.').pop() ?? '';
    const now = (this.#inFlight.get(operation) ?? 0) + 1;
    this.#inFlight.set(operation, now);
    this.mostInFlight.set(operation, Math.max(now, this.mostInFlight.get(operation) ?? 0));
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      return await this.#upstream(request, body);
    } finally {
      this.#inFlight.set(operation, (this.#inFlight.get(operation) ?? 1) - 1);
    }
  }

  #upstream(request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const upstream = new URL(this.upstream);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [key, value] of Object.entries(answer.headers)) if (typeof value === 'string' && key !== 'content-length' && key !== 'transfer-encoding') headers[key] = value;
            resolve({ status: answer.statusCode ?? 500, headers, body: Buffer.concat(chunks) });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /**
   * Deployments as real ECS would show them, over moto's answer. Concurrent callers' answers can
   * arrive out of order: a DescribeServices sent before the service's task definition last changed
   * may show the old one, which is not a new deployment (it shows the current one instead).
   */
  #patch(operation: string, answer: { status: number; headers: Record<string, string>; body: Buffer }, sentAt: number) {
    if (answer.status !== 200 || (operation !== 'UpdateService' && operation !== 'DescribeServices' && operation !== 'CreateService')) return answer;
    const parsed = JSON.parse(answer.body.toString('utf8')) as { service?: Record<string, any>; services?: Record<string, any>[] };
    const services = parsed.service ? [parsed.service] : (parsed.services ?? []);
    for (const service of services) {
      if ((service.deploymentController?.type ?? 'ECS') !== 'ECS') continue;
      const key = String(service.serviceArn);
      let deployments = this.#deployments.get(key);
      if (!deployments) {
        deployments = [this.#deployment(String(service.taskDefinition), Number(service.desiredCount ?? 0), 'COMPLETED')];
        this.#deployments.set(key, deployments);
      }
      // A task definition change (through us or straight to moto) starts a deployment.
      const current = deployments.find((deployment) => deployment.status === 'PRIMARY');
      if (current?.taskDefinition !== service.taskDefinition) {
        if (current && operation === 'DescribeServices' && sentAt <= (this.#changedAt.get(key) ?? 0)) service.taskDefinition = current.taskDefinition;
        else {
          for (const deployment of deployments) deployment.status = 'ACTIVE';
          deployments.unshift(this.#deployment(String(service.taskDefinition), Number(service.desiredCount ?? 0), 'IN_PROGRESS'));
          this.#changedAt.set(key, this.#sent);
        }
      }
      if (operation === 'DescribeServices') {
        const primary = deployments.find((deployment) => deployment.status === 'PRIMARY');
        if (primary && primary.rolloutState === 'IN_PROGRESS' && !this.hang.has(String(service.serviceName))) {
          primary.polls++;
          primary.runningCount = Math.min(primary.desiredCount, primary.polls);
          primary.pendingCount = primary.desiredCount - primary.runningCount;
          if (primary.polls >= this.rolloutPolls + this.drainPolls) {
            primary.rolloutState = 'COMPLETED';
            primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
            deployments.splice(0, deployments.length, primary);
          }
        }
      }
      service.deployments = deployments.map(({ polls: _polls, ...deployment }) => ({ ...deployment }));
    }
    return { ...answer, body: Buffer.from(JSON.stringify(parsed)) };
  }

  /**
   * The running tasks of the deployments this proxy shows: ListTasks of a service lists one ARN
   * per running task of each of its deployments (and none STOPPED); DescribeTasks describes them
   * RUNNING, started by their deployment (as ECS starts a service's tasks). Other calls keep
   * moto's answer.
   */
  #taskAnswer(operation: string, body: Record<string, any>, answer: { status: number; headers: Record<string, string>; body: Buffer }) {
    if (answer.status !== 200) return answer;
    const all = [...this.#deployments.values()].flat();
    const arnsOf = (deployment: Deployment) =>
      Array.from({ length: deployment.runningCount }, (_, index) => `arn:aws:ecs:ap-northeast-1:123456789012:task/${String(body.cluster ?? 'default')}/${deployment.id.replace(/\W/g, '')}t${index}`);
    if (operation === 'ListTasks') {
      // By service (its deployments' running tasks); none stopped: moto's ECS stops none of them.
      const ofService = [...this.#deployments.entries()].filter(([serviceArn]) => serviceArn.endsWith(`/${String(body.serviceName)}`)).flatMap(([, deployments]) => deployments);
      if (ofService.length === 0) return answer;
      return { ...answer, body: Buffer.from(JSON.stringify({ taskArns: body.desiredStatus === 'STOPPED' ? [] : ofService.flatMap(arnsOf) })) };
    }
    const wanted = new Set<string>((body.tasks as string[] | undefined) ?? []);
    const tasks = all.flatMap((deployment) =>
      arnsOf(deployment)
        .filter((arn) => wanted.has(arn))
        .map((taskArn) => ({ taskArn, startedBy: deployment.id, taskDefinitionArn: deployment.taskDefinition, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', containers: [] })),
    );
    if (tasks.length === 0) return answer;
    return { ...answer, body: Buffer.from(JSON.stringify({ tasks, failures: [] })) };
  }

  #deployment(taskDefinition: string, desiredCount: number, rolloutState: 'IN_PROGRESS' | 'COMPLETED'): Deployment {
    this.#next++;
    return {
      id: `ecs-svc/proxy${this.#next}`,
      status: 'PRIMARY',
      taskDefinition,
      rolloutState,
      rolloutStateReason: `ECS deployment ecs-svc/proxy${this.#next} ${rolloutState === 'COMPLETED' ? 'completed' : 'in progress'}.`,
      desiredCount,
      runningCount: rolloutState === 'COMPLETED' ? desiredCount : 0,
      pendingCount: rolloutState === 'COMPLETED' ? 0 : desiredCount,
      failedTasks: 0,
      polls: 0,
    };
  }

  #send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(body));
  }
}
