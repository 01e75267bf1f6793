/**
 * A scripted ECS endpoint speaking the real JSON protocol (`X-Amz-Target:
 * AmazonEC2ContainerServiceV20141113.*`, application/x-amz-json-1.1) to the real AWS SDK:
 * rollouts that complete, fail with a circuit-breaker rollback or hang, and faults (throttling,
 * 5xx, dropped connections, AccessDenied) on chosen calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, type Loopback } from './loopback.js';

export type Rollout =
  | { readonly kind: 'complete'; readonly afterPolls: number }
  | { readonly kind: 'complete-at'; readonly at: number }
  | { readonly kind: 'circuit-breaker'; readonly afterPolls: number }
  | { readonly kind: 'hang' }
  /** Every poll, one task of the deployment stops as `task` says (no circuit breaker: ECS keeps trying). */
  | { readonly kind: 'tasks-stop'; readonly task: StoppedTask }
  /** Every poll, this service event (a placement failure, say) and no progress. */
  | { readonly kind: 'event'; readonly message: string };

/** The parts of a stopped task (DescribeTasks) that carry its cause. */
export interface StoppedTask {
  readonly stoppedReason?: string;
  /** Seconds since the epoch, as the SDK's JSON protocol carries them. */
  readonly stoppingAt?: number;
  readonly stoppedAt?: number;
  readonly stopCode?: string;
  readonly capacityProviderName?: string;
  readonly containers?: readonly { readonly name: string; readonly exitCode?: number; readonly reason?: string }[];
}

export interface Fault {
  readonly operation: string;
  readonly times: number;
  readonly error: 'ThrottlingException' | 'AccessDeniedException' | 'ServerException' | 'drop';
}

interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks?: number;
  /** ECS's timestamps, epoch seconds (as the JSON protocol sends them). */
  createdAt?: number;
  updatedAt?: number;
}

const PREFIX = 'arn:aws:ecs:ap-northeast-1:123456789012';

export class FakeEcs {
  readonly calls: { operation: string; body: Record<string, any> }[] = [];
  readonly taskDefinitions = new Map<string, Record<string, any>>();
  readonly service: { name: string; taskDefinition: string; desiredCount: number; deployments: Deployment[]; events: { id: string; createdAt: number; message: string }[] };
  /** How deployments of a new revision roll out. */
  rollout: Rollout = { kind: 'complete', afterPolls: 2 };
  /** How deployments back to the original revision (app:1) roll out: ours or ECS's rollback. */
  restoreRollout: Rollout = { kind: 'complete', afterPolls: 1 };
  /** When the scripted rollout completed (for the detection-lag benchmark). */
  completedAt: number | undefined;
  faults: Fault[] = [];
  /** The service's deployment controller (CODE_DEPLOY and EXTERNAL refuse a task definition change). */
  deploymentController: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL' = 'ECS';
  /** Service events to add at the next poll (capacity shortages, say). */
  pendingEvents: string[] = [];
  readonly stoppedTasks: (StoppedTask & { taskArn: string; startedBy: string })[] = [];
  /**
   * ECS's clock for a completed rollout, in seconds after its deployment was created: each of its
   * tasks is placed, pulls its image and starts at these offsets (the i-th task i seconds
   * later), and the deployment completes at `completed` (old tasks drained).
   */
  rolloutClock = { placed: 2, pullStarted: 3, pullStopped: 15, started: 20, drained: 55, completed: 60 };
  /** The running tasks of completed deployments (ListTasks, DescribeTasks). */
  readonly runningTasks: { taskArn: string; startedBy: string; createdAt: number; pullStartedAt: number; pullStoppedAt: number; startedAt: number; attachments: unknown[]; containers: unknown[] }[] = [];
  /** Epoch ms before which a new deployment's tasks do not run yet (default: as soon as its count is reached). */
  tasksRunAt: number | undefined;
  /** The health ECS reports for the app container of new tasks. */
  containerHealth: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN' = 'HEALTHY';
  /** The service's load balancers (target groups), as Terraform set them. */
  loadBalancers: { targetGroupArn: string; containerName: string; containerPort: number }[] = [];
  #polls = 0;
  #deployments = 0;
  #events = 0;
  #loopback: Loopback | undefined;
  url = '';

  readonly original = `${PREFIX}:task-definition/app:1`;

  constructor() {
    const arn = this.original;
    this.taskDefinitions.set(arn, {
      taskDefinitionArn: arn,
      family: 'app',
      revision: 1,
      status: 'ACTIVE',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [{ name: 'app', image: 'repo.example.com/app:old', essential: true, secrets: [{ name: 'DB', valueFrom: 'arn:aws:ssm:x' }] }],
      registeredAt: 1700000000,
      registeredBy: 'arn:aws:iam::123456789012:role/terraform',
    });
    this.service = {
      name: 'app',
      taskDefinition: arn,
      desiredCount: 3,
      deployments: [{ id: 'ecs-svc/0', status: 'PRIMARY', taskDefinition: arn, rolloutState: 'COMPLETED', desiredCount: 3, runningCount: 3, pendingCount: 0 }],
      events: [],
    };
  }

  async start(): Promise<string> {
    this.#loopback = await listenOnLoopback((request, response) => this.#handle(request, response));
    this.url = this.#loopback.url;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  /** Names of the operations called, in order. */
  operations(): string[] {
    return this.calls.map((call) => call.operation);
  }

  #event(message: string): void {
    this.#events++;
    this.service.events.unshift({ id: `event-${this.#events}`, createdAt: 1700000000 + this.#events, message: `(service app) ${message}` });
  }

  #serviceView(): Record<string, unknown> {
    return {
      serviceName: this.service.name,
      serviceArn: `${PREFIX}:service/cluster/app`,
      clusterArn: `${PREFIX}:cluster/cluster`,
      status: 'ACTIVE',
      taskDefinition: this.service.taskDefinition,
      desiredCount: this.service.desiredCount,
      runningCount: this.service.deployments.reduce((sum, deployment) => sum + deployment.runningCount, 0),
      pendingCount: this.service.deployments.reduce((sum, deployment) => sum + deployment.pendingCount, 0),
      deploymentController: { type: this.deploymentController },
      loadBalancers: this.loadBalancers,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', base: 3, weight: 0 },
        { capacityProvider: 'FARGATE_SPOT', base: 0, weight: 1 },
      ],
      deployments: this.service.deployments.map((deployment) => ({ ...deployment })),
      events: this.service.events.map((event) => ({ ...event })),
    };
  }

  /** The deployment's tasks, RUNNING, on ECS's clock (rolloutClock), each with its private address 10.0.N.i (deployment N). */
  #startTasks(deployment: Deployment): void {
    if (this.runningTasks.some((task) => task.startedBy === deployment.id)) return;
    if (this.tasksRunAt !== undefined && Date.now() < this.tasksRunAt && deployment.rolloutState === 'IN_PROGRESS') return;
    const clock = this.rolloutClock;
    const created = deployment.createdAt ?? 1700001000;
    const n = deployment.id.split('/').pop() ?? '0';
    for (let i = 0; i < deployment.desiredCount; i++) {
      this.runningTasks.push({
        taskArn: `${PREFIX}:task/cluster/run${this.runningTasks.length + 1}`,
        startedBy: deployment.id,
        createdAt: created + clock.placed + i,
        pullStartedAt: created + clock.pullStarted + i,
        pullStoppedAt: created + clock.pullStopped + i,
        startedAt: created + clock.started + i,
        attachments: [{ type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: `10.0.${n}.${i + 1}` }] }],
        containers: [{ name: 'app', lastStatus: 'RUNNING', healthStatus: this.containerHealth }],
      });
    }
  }

  #advance(): void {
    for (const message of this.pendingEvents.splice(0)) this.#event(message);
    const ours = this.service.deployments.find((deployment) => deployment.status === 'PRIMARY' && deployment.rolloutState === 'IN_PROGRESS');
    if (!ours) return;
    this.#polls++;
    const rollout = ours.taskDefinition === this.original ? this.restoreRollout : this.rollout;
    if (rollout.kind === 'tasks-stop') {
      ours.failedTasks = (ours.failedTasks ?? 0) + 1;
      this.stoppedTasks.push({ ...rollout.task, taskArn: `${PREFIX}:task/cluster/task${this.stoppedTasks.length + 1}`, startedBy: ours.id });
      return;
    }
    if (rollout.kind === 'event') {
      this.#event(rollout.message);
      return;
    }
    ours.runningCount = Math.min(ours.desiredCount, this.#polls);
    ours.pendingCount = ours.desiredCount - ours.runningCount;
    this.#event(`has started ${ours.runningCount} tasks of ${ours.taskDefinition.split('/').pop() ?? '?'}.`);
    const due = rollout.kind === 'complete' ? this.#polls >= rollout.afterPolls : rollout.kind === 'complete-at' && Date.now() >= rollout.at;
    if (ours.runningCount === ours.desiredCount) this.#startTasks(ours);
    if (due) {
      this.completedAt = Date.now();
      const clock = this.rolloutClock;
      const created = ours.createdAt ?? 1700001000;
      this.#startTasks(ours);
      ours.updatedAt = created + clock.completed;
      ours.rolloutState = 'COMPLETED';
      ours.runningCount = ours.desiredCount;
      ours.pendingCount = 0;
      // The replaced deployments' tasks stopped once drained, as ECS reports them (STOPPED).
      for (const old of this.service.deployments.filter((deployment) => deployment !== ours)) {
        for (let i = 0; i < old.desiredCount; i++) {
          this.stoppedTasks.push({
            taskArn: `${PREFIX}:task/cluster/old${this.stoppedTasks.length + 1}`,
            startedBy: old.id,
            stopCode: 'ServiceSchedulerInitiated',
            stoppedReason: `Scaling activity initiated by (deployment ${ours.id})`,
            stoppingAt: created + clock.drained - i,
            stoppedAt: created + clock.drained - i + 2,
          });
        }
      }
      this.service.deployments = [ours];
      this.#event('has reached a steady state.');
    }
    if (rollout.kind === 'circuit-breaker' && this.#polls >= rollout.afterPolls) {
      ours.rolloutState = 'FAILED';
      ours.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
      ours.status = 'ACTIVE';
      const previous = this.service.deployments.find((deployment) => deployment !== ours);
      this.#deployments++;
      const back: Deployment = {
        id: `ecs-svc/${this.#deployments}`,
        status: 'PRIMARY',
        taskDefinition: previous?.taskDefinition ?? ours.taskDefinition,
        rolloutState: 'IN_PROGRESS',
        desiredCount: 3,
        runningCount: 0,
        pendingCount: 3,
      };
      this.service.deployments = [back, ours];
      this.service.taskDefinition = back.taskDefinition;
      this.#event('deployment failed: tasks failed to start; rolling back.');
      this.#polls = 0;
    }
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^AmazonEC2ContainerServiceV20141113\./, '');
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
    this.calls.push({ operation, body });
    const fault = this.faults.find((candidate) => candidate.operation === operation && candidate.times > 0);
    if (fault) {
      (fault as { times: number }).times--;
      if (fault.error === 'drop') {
        request.socket.destroy();
        return;
      }
      const status = fault.error === 'ServerException' ? 500 : 400;
      const message = fault.error === 'AccessDeniedException' ? 'User is not authorized to perform: ecs:' + operation : 'Rate exceeded';
      this.#send(response, status, { __type: fault.error, message });
      return;
    }
    switch (operation) {
      case 'DescribeServices':
        this.#advance();
        this.#send(response, 200, { services: [this.#serviceView()], failures: [] });
        return;
      case 'DescribeClusters':
        this.#send(response, 200, {
          clusters: (body.clusters as string[]).filter((name) => name === 'cluster' || name === `${PREFIX}:cluster/cluster`).map(() => ({ clusterArn: `${PREFIX}:cluster/cluster`, clusterName: 'cluster', status: 'ACTIVE' })),
          failures: (body.clusters as string[]).filter((name) => name !== 'cluster' && name !== `${PREFIX}:cluster/cluster`).map((name) => ({ arn: name, reason: 'MISSING' })),
        });
        return;
      case 'ListTasks': {
        // ECS: "When you specify startedBy as the filter, it must be the only filter that you use".
        if (body.startedBy !== undefined && (body.desiredStatus !== undefined || body.serviceName !== undefined)) {
          this.#send(response, 400, { __type: 'InvalidParameterException', message: 'startedBy must be the only filter' });
          return;
        }
        // Every task here is the one service's: by serviceName (or startedBy), and by desired status.
        const pool = body.desiredStatus === 'STOPPED' ? this.stoppedTasks : this.runningTasks;
        this.#send(response, 200, { taskArns: pool.filter((task) => body.startedBy === undefined || task.startedBy === body.startedBy).map((task) => task.taskArn) });
        return;
      }
      case 'DescribeTasks':
        this.#send(response, 200, {
          tasks: [
            ...this.stoppedTasks
              .filter((task) => (body.tasks as string[]).includes(task.taskArn))
              .map(({ containers, ...task }) => ({ ...task, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containers: (containers ?? []).map((container) => ({ ...container, lastStatus: 'STOPPED' })) })),
            ...this.runningTasks.filter((task) => (body.tasks as string[]).includes(task.taskArn)).map((task) => ({ ...task, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })),
          ],
          failures: [],
        });
        return;
      case 'DescribeTaskDefinition': {
        const name = String(body.taskDefinition);
        const found = this.taskDefinitions.get(name) ?? [...this.taskDefinitions.values()].find((definition) => `${definition.family}:${definition.revision}` === name);
        if (!found) {
          this.#send(response, 400, { __type: 'ClientException', message: 'Unable to describe task definition.' });
          return;
        }
        this.#send(response, 200, { taskDefinition: found, tags: [{ key: 'team', value: 'sre' }] });
        return;
      }
      case 'RegisterTaskDefinition': {
        const revision = [...this.taskDefinitions.values()].filter((definition) => definition.family === body.family).length + 1;
        const arn = `${PREFIX}:task-definition/${String(body.family)}:${revision}`;
        const { tags: _tags, ...rest } = body;
        const registered = { ...rest, taskDefinitionArn: arn, revision, status: 'ACTIVE', compatibilities: ['EC2', 'FARGATE'], registeredAt: 1700000100 };
        this.taskDefinitions.set(arn, registered);
        this.#send(response, 200, { taskDefinition: registered, tags: body.tags ?? [] });
        return;
      }
      case 'UpdateService': {
        const definition = String(body.taskDefinition);
        if (this.deploymentController !== 'ECS') {
          this.#send(response, 400, { __type: 'InvalidParameterException', message: `Unable to update task definition on services with a ${this.deploymentController} deployment controller.` });
          return;
        }
        for (const deployment of this.service.deployments) deployment.status = 'ACTIVE';
        this.#deployments++;
        this.service.deployments.unshift({
          id: `ecs-svc/${this.#deployments}`,
          status: 'PRIMARY',
          taskDefinition: definition,
          rolloutState: 'IN_PROGRESS',
          desiredCount: this.service.desiredCount,
          runningCount: 0,
          pendingCount: this.service.desiredCount,
          createdAt: 1700001000 + this.#deployments * 1000,
        });
        this.service.taskDefinition = definition;
        this.#polls = 0;
        this.#send(response, 200, { service: this.#serviceView() });
        return;
      }
      default:
        this.#send(response, 400, { __type: 'InvalidAction', message: `${operation} is not scripted` });
    }
  }

  #send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(body));
  }
}
