/**
 * `doctor`'s analysis, pure: the settings of an environment's services, target groups, task
 * definitions and images in; the expected time of a deploy phase by phase and the settings that
 * dominate it out, each with a recommended value, what it would save and the AWS documentation
 * the rule comes from. doctorState.ts reads the settings; the CLI prints the result.
 *
 * The figures are a model, not a measurement: each constant below says where it comes from.
 */
import { duration } from '../duration.js';

/** A target group the service registers its tasks in, as ELBv2 describes it. */
export interface TargetGroupSettings {
  readonly name: string;
  readonly arn: string;
  /** `deregistration_delay.timeout_seconds` (default 300). */
  readonly deregistrationDelay: number;
  readonly healthCheckInterval: number;
  readonly healthCheckTimeout: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** `slow_start.duration_seconds` (0: off). */
  readonly slowStart: number;
}

/** A container's health check as the task definition holds it (ECS's defaults filled in). */
export interface ContainerHealthCheck {
  readonly interval: number;
  readonly timeout: number;
  readonly retries: number;
  readonly startPeriod: number;
}

export interface ImageSettings {
  /** Compressed size in ECR (DescribeImages `imageSizeInBytes`). */
  readonly bytes?: number;
  /** Layer compression from the image manifest's layer media types. */
  readonly compression?: 'gzip' | 'zstd' | 'none' | 'mixed';
}

export interface ContainerSettings {
  readonly name: string;
  readonly essential: boolean;
  readonly image: string;
  readonly healthCheck?: ContainerHealthCheck;
  /** Seconds ECS waits after SIGTERM before SIGKILL (Fargate default 30, at most 120). */
  readonly stopTimeout: number;
  /** What ECR says of the image; undefined when it is not an ECR image or could not be read. */
  readonly imageInfo?: ImageSettings;
}

export interface CapacityProviderItem {
  readonly provider: string;
  readonly base: number;
  readonly weight: number;
}

export interface ServiceSettings {
  readonly name: string;
  readonly desiredCount: number;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly circuitBreaker?: { readonly enable: boolean; readonly rollback: boolean };
  /** Seconds ECS ignores failing load balancer health checks of a new task (0: none). */
  readonly healthCheckGracePeriod: number;
  readonly capacityProviderStrategy: readonly CapacityProviderItem[];
  readonly launchType?: string;
  readonly taskDefinition: string;
  readonly targetGroups: readonly TargetGroupSettings[];
  readonly containers: readonly ContainerSettings[];
}

export interface DoctorInput {
  readonly cluster: string;
  readonly services: readonly ServiceSettings[];
  /** EventBridge rules whose targets a deploy moves. */
  readonly rules: number;
  /** EventBridge Scheduler schedules a deploy moves. */
  readonly schedules: number;
  /** One-off tasks (migrations) run before the services change, by the service whose task definition they run. */
  readonly oneOffTasks: readonly { readonly name: string; readonly service: string }[];
}

export interface Phase {
  readonly name: string;
  readonly seconds: number;
  /** How the figure is made, in words (`30 s x 5`). */
  readonly detail: string;
}

export interface ServiceEstimate {
  readonly service: string;
  readonly tasks: number;
  /** Groups of new tasks started one after the other (maximumPercent/minimumHealthyPercent). */
  readonly waves: number;
  readonly phases: readonly Phase[];
  /** Seconds from UpdateService until every new task serves. */
  readonly servingSeconds: number;
  /** Seconds from UpdateService until ECS reports the deployment COMPLETED (old tasks drained). */
  readonly completeSeconds: number;
}

/** The rules, each described in docs/doctor.md. */
export const RULES = ['wait-until', 'deregistration-delay', 'target-health-check', 'container-health-check', 'deployment-batches', 'image-pull'] as const;

/** When a deploy counts a rollout as done (`deploy --wait-until`). */
export type WaitUntil = 'complete' | 'serving';

export interface Finding {
  /** The rule's name (docs/doctor.md describes each). */
  readonly rule: (typeof RULES)[number];
  readonly service: string;
  /** The resource that holds the setting: a target group, a task definition's container, the service. */
  readonly resource: string;
  readonly setting: string;
  readonly current: string;
  readonly recommended: string;
  /** Seconds the service's rollout would be shorter with the recommended value (the model's figure). */
  readonly savesSeconds: number;
  /** Whether the service is the slowest one, which the deploy waits for. */
  readonly criticalPath: boolean;
  readonly why: string;
  /** The AWS documentation the rule comes from. */
  readonly source: string;
}

export interface Diagnosis {
  readonly cluster: string;
  /** What the deploy estimated waits for. */
  readonly waitUntil: WaitUntil;
  /** Seconds the deploy takes: `servingSeconds` or `completeSeconds`, by `waitUntil`. */
  readonly expectedSeconds: number;
  readonly phases: readonly Phase[];
  readonly services: readonly ServiceEstimate[];
  /** Seconds from the start of a deploy until every new task serves and the targets have moved. */
  readonly servingSeconds: number;
  /** Seconds until the deploy ends as today: every deployment COMPLETED, then the targets moved. */
  readonly completeSeconds: number;
  /** Largest saving first. */
  readonly findings: readonly Finding[];
  /** What the model assumed for lack of a figure (image size not readable, ...). */
  readonly notes: readonly string[];
}

// The model's constants, each with where it comes from.

/**
 * Fargate's own part of starting a task (capacity, network interface) before the image pull:
 * an estimate chosen so that, with PULL_MB_PER_SECOND, a 900 MB image is PENDING for about
 * 70 s, as reported for Fargate (issue 23).
 */
export const PROVISION_SECONDS = 20;
/** Compressed megabytes pulled and unpacked per second on Fargate (see PROVISION_SECONDS). */
export const PULL_MB_PER_SECOND = 18;
/** The pull assumed when ECR does not say the image's size. */
export const UNKNOWN_PULL_SECONDS = 30;
/**
 * ECS: a service without a load balancer and without container health checks counts a new
 * task after it has been RUNNING for 40 s (DeploymentConfiguration.minimumHealthyPercent).
 */
export const NO_HEALTH_CHECK_SECONDS = 40;
/** The checks, the register and the UpdateService calls before the rollouts: a few calls. */
export const CHECKS_SECONDS = 5;
/** Scheduled targets and schedules move about 40 calls a second (4 in flight); two calls each. */
export const TARGET_CALLS_PER_SECOND = 40;
/** Images above this size gain from lazy loading (AWS: SOCI helps most above 250 MB). */
export const LARGE_IMAGE_BYTES = 250 * 1024 * 1024;

export const SOURCES = {
  deregistrationDelay: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay',
  targetHealthCheck: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html',
  deploymentConfiguration: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html',
  containerHealthCheck: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html',
  imagePull: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html',
  waitUntil: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html',
} as const;

/** The recommended values. */
export const RECOMMENDED = {
  deregistrationDelay: 30,
  healthCheckInterval: 5,
  healthyThreshold: 2,
  healthCheckTimeout: 4,
  containerHealthCheckInterval: 5,
  maximumPercent: 200,
} as const;

/**
 * The expected time of a deploy of `input` that waits `until` complete (the default) or
 * serving, phase by phase, and the settings that dominate it: each saving is of that wait.
 */
export function diagnose(input: DoctorInput, until: WaitUntil = 'complete'): Diagnosis {
  const notes: string[] = [];
  const services = input.services.map((service) => estimateService(service, notes));
  const slowest = Math.max(0, ...services.map((estimate) => estimate.completeSeconds));
  const slowestServing = Math.max(0, ...services.map((estimate) => estimate.servingSeconds));
  const waited = (estimate: ServiceEstimate): number => (until === 'serving' ? estimate.servingSeconds : estimate.completeSeconds);
  const longest = Math.max(0, ...services.map(waited));
  const findings = input.services.flatMap((service, index) => {
    const estimate = services[index];
    return estimate ? findingsOf(service, until, waited(estimate) === longest && longest > 0) : [];
  });
  // The deploy's own wait: for the old tasks to drain, though every new task serves.
  const drained = slowest - slowestServing;
  const slowestService = services.find((estimate) => estimate.completeSeconds === slowest);
  // A drain no longer than the recommended deregistration delay is not worth what serving gives up.
  if (until === 'complete' && drained > RECOMMENDED.deregistrationDelay && slowestService) {
    findings.push({
      rule: 'wait-until',
      service: slowestService.service,
      criticalPath: true,
      resource: 'the deploy',
      setting: 'deploy --wait-until (the environment\'s waitUntil)',
      current: 'complete',
      recommended: 'serving',
      savesSeconds: drained,
      why: 'a rolling deployment is COMPLETED only after the old tasks drained, minutes after every new task serves; with serving the deploy, and the scheduled targets after it, move on once every new task is RUNNING, healthy and healthy in its target groups. Given up: seeing the deployment complete (ECS may still stop a new task while the old ones drain). Overlaps with deregistration-delay: a shorter delay leaves less to save here',
      source: SOURCES.waitUntil,
    });
  }
  findings.sort((a, b) => b.savesSeconds - a.savesSeconds || a.service.localeCompare(b.service) || a.rule.localeCompare(b.rule));

  const oneOff = input.oneOffTasks.map((task) => {
    const service = input.services.find((candidate) => candidate.name === task.service);
    const start = service ? startOf(service) : { seconds: PROVISION_SECONDS + UNKNOWN_PULL_SECONDS, detail: 'service not read' };
    return { name: task.name, seconds: start.seconds, detail: start.detail };
  });
  const oneOffSeconds = oneOff.reduce((sum, task) => sum + task.seconds, 0);
  const moves = input.rules + input.schedules;
  const targetSeconds = Math.ceil((moves * 2) / TARGET_CALLS_PER_SECOND);
  const phases: Phase[] = [
    { name: 'checks and register', seconds: CHECKS_SECONDS, detail: 'a few API calls' },
    ...(oneOff.length > 0 ? [{ name: 'one-off tasks', seconds: oneOffSeconds, detail: `${oneOff.map((task) => `${task.name}: start ${task.detail}`).join('; ')}; plus their own run time` }] : []),
    { name: 'services', seconds: slowest, detail: services.length === 0 ? 'none' : `${services.length} in parallel; the slowest takes ${duration(slowest)}` },
    { name: 'scheduled targets and schedules', seconds: targetSeconds, detail: `${input.rules} rule(s), ${input.schedules} schedule(s)` },
  ];
  if (oneOff.length > 0) notes.push("one-off tasks: only their start is counted; their own run time (a migration's) is not known here");
  const before = CHECKS_SECONDS + oneOffSeconds;
  const servingSeconds = before + slowestServing + targetSeconds;
  const completeSeconds = before + slowest + targetSeconds;
  return {
    cluster: input.cluster,
    waitUntil: until,
    expectedSeconds: until === 'serving' ? servingSeconds : completeSeconds,
    phases,
    services,
    servingSeconds,
    completeSeconds,
    findings,
    notes,
  };
}

/** How long a new task of `service` takes from placement to RUNNING: Fargate's start and the image pull. */
function startOf(service: ServiceSettings): { seconds: number; pull: number; detail: string } {
  // The task's containers' images are pulled side by side: the largest decides.
  const sizes = service.containers.map((container) => container.imageInfo?.bytes);
  const known = sizes.filter((bytes): bytes is number => bytes !== undefined);
  if (known.length === 0) {
    return { seconds: PROVISION_SECONDS + UNKNOWN_PULL_SECONDS, pull: UNKNOWN_PULL_SECONDS, detail: `${PROVISION_SECONDS}s provisioning + pull ~${UNKNOWN_PULL_SECONDS}s (image size unknown)` };
  }
  const largest = Math.max(...known);
  const pull = Math.round(largest / 1024 / 1024 / PULL_MB_PER_SECOND);
  return { seconds: PROVISION_SECONDS + pull, pull, detail: `${PROVISION_SECONDS}s provisioning + pull ${megabytes(largest)} at ~${PULL_MB_PER_SECOND} MB/s` };
}

/** How long a RUNNING task takes to count as healthy: the slower of its container health checks and its target groups. */
function healthyOf(service: ServiceSettings): { seconds: number; detail: string } {
  const checks = service.containers.filter((container) => container.essential && container.healthCheck !== undefined);
  // Docker runs a container's first check `interval` seconds after the container starts.
  const container = Math.max(0, ...checks.map((item) => item.healthCheck?.interval ?? 0));
  // A new target counts after `healthyThreshold` passing checks, `interval` apart.
  const target = Math.max(0, ...service.targetGroups.map((group) => group.healthCheckInterval * group.healthyThreshold));
  if (checks.length === 0 && service.targetGroups.length === 0) return { seconds: NO_HEALTH_CHECK_SECONDS, detail: `no load balancer nor container health check: ECS counts a task after ${NO_HEALTH_CHECK_SECONDS}s RUNNING` };
  const parts = [
    ...(checks.length > 0 ? [`container health check ${container}s`] : []),
    ...service.targetGroups.map((group) => `target group ${group.name} ${group.healthCheckInterval}s x ${group.healthyThreshold}`),
  ];
  return { seconds: Math.max(container, target), detail: parts.join(', ') };
}

function drainOf(service: ServiceSettings): number {
  return Math.max(0, ...service.targetGroups.map((group) => group.deregistrationDelay));
}

/** Waves of new tasks: how many start at once under maximumPercent, how many old may stop first under minimumHealthyPercent. */
function wavesOf(service: ServiceSettings): { waves: number; drainFirst: boolean } {
  const tasks = service.desiredCount;
  if (tasks === 0) return { waves: 0, drainFirst: false };
  const extra = Math.max(0, Math.floor((tasks * service.maximumPercent) / 100) - tasks);
  const stoppable = Math.max(0, tasks - Math.ceil((tasks * service.minimumHealthyPercent) / 100));
  if (extra >= tasks) return { waves: 1, drainFirst: false };
  const perWave = Math.max(1, extra + stoppable);
  return { waves: Math.ceil(tasks / perWave), drainFirst: extra === 0 };
}

function estimateService(service: ServiceSettings, notes: string[]): ServiceEstimate {
  const start = startOf(service);
  const healthy = healthyOf(service);
  const drain = drainOf(service);
  const { waves, drainFirst } = wavesOf(service);
  if (service.containers.every((container) => container.imageInfo?.bytes === undefined)) {
    notes.push(`${service.name}: image size unknown (not an ECR image, or ecr:DescribeImages refused): a pull of ${UNKNOWN_PULL_SECONDS}s is assumed`);
  }
  if (waves === 0) {
    notes.push(`${service.name}: desired count 0, no task to replace`);
    return { service: service.name, tasks: 0, waves: 0, phases: [], servingSeconds: 0, completeSeconds: 0 };
  }
  const drainWaits = waves - 1 + (drainFirst ? 1 : 0);
  const serving = waves * (start.seconds + healthy.seconds) + drainWaits * drain;
  const phases: Phase[] = [
    ...(drainFirst ? [{ name: 'old tasks drain first', seconds: drain, detail: `maximumPercent ${service.maximumPercent}: no room for a new task until old ones stop` }] : []),
    { name: 'start (provisioning + pull)', seconds: start.seconds * waves, detail: `${start.detail}${waves > 1 ? `; x ${waves} waves` : ''}` },
    { name: 'healthy', seconds: healthy.seconds * waves, detail: `${healthy.detail}${waves > 1 ? `; x ${waves} waves` : ''}` },
    ...(waves > 1 ? [{ name: 'old tasks drain between waves', seconds: (waves - 1) * drain, detail: `${waves - 1} x ${drain}s deregistration delay` }] : []),
    { name: 'old tasks drain', seconds: drain, detail: drain > 0 ? `deregistration delay ${drain}s, then SIGTERM` : 'no target group: stopped at once' },
  ];
  return { service: service.name, tasks: service.desiredCount, waves, phases, servingSeconds: serving, completeSeconds: serving + drain };
}

/** Seconds until the deploy, waiting `until`, is done with `service`. */
function waitedFor(service: ServiceSettings, until: WaitUntil): number {
  const estimate = estimateService(service, []);
  return until === 'serving' ? estimate.servingSeconds : estimate.completeSeconds;
}

function findingsOf(service: ServiceSettings, until: WaitUntil, criticalPath: boolean): Finding[] {
  const now = waitedFor(service, until);
  const saving = (changed: ServiceSettings) => now - waitedFor(changed, until);
  const withGroup = (arn: string, change: Partial<TargetGroupSettings>): ServiceSettings => ({
    ...service,
    targetGroups: service.targetGroups.map((group) => (group.arn === arn ? { ...group, ...change } : group)),
  });
  const found: Finding[] = [];
  const add = (finding: Omit<Finding, 'service' | 'criticalPath'>) => {
    if (finding.savesSeconds > 0) found.push({ ...finding, service: service.name, criticalPath });
  };
  for (const group of service.targetGroups) {
    if (group.deregistrationDelay > RECOMMENDED.deregistrationDelay) {
      add({
        rule: 'deregistration-delay',
        resource: `target group ${group.name}`,
        setting: 'deregistration_delay.timeout_seconds',
        current: `${group.deregistrationDelay}s`,
        recommended: `${RECOMMENDED.deregistrationDelay}s (or your longest request)`,
        savesSeconds: saving(withGroup(group.arn, { deregistrationDelay: RECOMMENDED.deregistrationDelay })),
        why:
          until === 'serving'
            ? 'ELB keeps an old task draining this long before ECS stops it; with --wait-until serving the deploy waits for it only between waves of new tasks (no room for them until old ones stop); the default is 300 s, while in-flight requests of a web app end within seconds'
            : 'ELB keeps an old task draining this long before ECS stops it, and the deployment is COMPLETED only after; the default is 300 s, while in-flight requests of a web app end within seconds',
        source: SOURCES.deregistrationDelay,
      });
    }
    const healthySeconds = group.healthCheckInterval * group.healthyThreshold;
    if (healthySeconds > RECOMMENDED.healthCheckInterval * RECOMMENDED.healthyThreshold) {
      const interval = Math.min(group.healthCheckInterval, RECOMMENDED.healthCheckInterval);
      const threshold = Math.min(group.healthyThreshold, RECOMMENDED.healthyThreshold);
      add({
        rule: 'target-health-check',
        resource: `target group ${group.name}`,
        setting: 'health check interval x healthy threshold',
        current: `${group.healthCheckInterval}s x ${group.healthyThreshold} (timeout ${group.healthCheckTimeout}s)`,
        recommended: `${interval}s x ${threshold} (timeout ${Math.min(group.healthCheckTimeout, RECOMMENDED.healthCheckTimeout)}s, below the interval)`,
        savesSeconds: saving(withGroup(group.arn, { healthCheckInterval: interval, healthyThreshold: threshold })),
        why: 'a new task serves only after this many passing checks this far apart; the defaults are 30 s x 5, and 5 s x 2 is allowed (interval 5-300 s, threshold 2-10)',
        source: SOURCES.targetHealthCheck,
      });
    }
  }
  for (const container of service.containers) {
    const check = container.healthCheck;
    if (container.essential && check !== undefined && check.interval > RECOMMENDED.containerHealthCheckInterval) {
      const changed: ServiceSettings = {
        ...service,
        containers: service.containers.map((item) => (item === container ? { ...item, healthCheck: { ...check, interval: RECOMMENDED.containerHealthCheckInterval } } : item)),
      };
      add({
        rule: 'container-health-check',
        resource: `task definition ${service.taskDefinition}, container ${container.name}`,
        setting: 'healthCheck.interval',
        current: `${check.interval}s`,
        recommended: `${RECOMMENDED.containerHealthCheckInterval}s`,
        savesSeconds: saving(changed),
        why: 'ECS waits for an essential container with a health check to be HEALTHY, and its first check runs one interval after the container starts; the default is 30 s, 5 s is the smallest allowed',
        source: SOURCES.containerHealthCheck,
      });
    }
  }
  const { waves, drainFirst } = wavesOf(service);
  if (waves > 1 || drainFirst) {
    add({
      rule: 'deployment-batches',
      resource: `service ${service.name}`,
      setting: 'deploymentConfiguration maximumPercent / minimumHealthyPercent',
      current: `${service.maximumPercent} / ${service.minimumHealthyPercent} (${waves} wave(s) for ${service.desiredCount} task(s))`,
      recommended: `${RECOMMENDED.maximumPercent} / ${Math.min(service.minimumHealthyPercent, 100)}`,
      savesSeconds: saving({ ...service, maximumPercent: RECOMMENDED.maximumPercent, minimumHealthyPercent: Math.min(service.minimumHealthyPercent, 100) }),
      why: 'maximumPercent caps the running and pending tasks during a deployment: at 200 every new task starts at once beside the old ones; below that, new tasks start in waves, each waiting for old tasks to drain (costs twice the tasks for the minutes of a deploy)',
      source: SOURCES.deploymentConfiguration,
    });
  }
  const largest = service.containers
    .filter((container) => container.imageInfo?.bytes !== undefined && container.imageInfo.bytes > LARGE_IMAGE_BYTES && container.imageInfo.compression !== 'zstd')
    .sort((a, b) => (b.imageInfo?.bytes ?? 0) - (a.imageInfo?.bytes ?? 0))[0];
  if (largest?.imageInfo?.bytes !== undefined) {
    const pull = startOf(service).pull;
    add({
      rule: 'image-pull',
      resource: `image ${largest.image}`,
      setting: 'image size and layer compression',
      current: `${megabytes(largest.imageInfo.bytes)}, ${largest.imageInfo.compression ?? 'compression unknown'}`,
      recommended: 'a SOCI index (lazy loading) or zstd layers; a smaller image',
      savesSeconds: Math.round(pull / 2) * waves,
      why: 'Fargate caches no image: every new task pulls the whole image, about 76% of a container\'s start-up; lazy loading (SOCI) starts it up to about 50% sooner, zstd layers up to 27% (doctor does not see a SOCI index: if the image has one, this is done)',
      source: SOURCES.imagePull,
    });
  }
  return found;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

/** The diagnosis as people read it: expected time phase by phase, then the findings, largest saving first. */
export function formatDiagnosis(diagnosis: Diagnosis, label: string): string {
  const lines: string[] = [];
  const waits =
    diagnosis.waitUntil === 'serving'
      ? `--wait-until serving: done when every new task serves; the old ones drain on their own until ~${duration(diagnosis.completeSeconds)}`
      : `every new task serving at ~${duration(diagnosis.servingSeconds)}`;
  lines.push(`${label}: expected deploy ${duration(diagnosis.expectedSeconds)} (${waits}); an estimate from the settings, see docs/doctor.md`);
  for (const phase of diagnosis.phases) {
    lines.push(`  ${phase.name.padEnd(34)} ${duration(phase.seconds).padStart(6)}  ${phase.detail}`);
    if (phase.name === 'services') {
      for (const service of diagnosis.services) {
        lines.push(`    ${service.service}: ${service.tasks} task(s), ${service.waves} wave(s), serving at ${duration(service.servingSeconds)}, completed at ${duration(service.completeSeconds)}`);
        for (const part of service.phases) lines.push(`      ${part.name.padEnd(30)} ${duration(part.seconds).padStart(6)}  ${part.detail}`);
      }
    }
  }
  if (diagnosis.findings.length === 0) lines.push('no setting found that costs deploy time');
  else lines.push(`${diagnosis.findings.length} setting(s) cost deploy time, largest saving first:`);
  diagnosis.findings.forEach((finding, index) => {
    lines.push(
      `  ${index + 1}. ${finding.resource}: ${finding.setting} ${finding.current} -> ${finding.recommended}: saves ~${duration(finding.savesSeconds)} ${finding.rule === 'wait-until' ? 'of every deploy' : `of ${finding.service}'s rollout${finding.criticalPath ? ' (the slowest service)' : ''}`}`,
    );
    lines.push(`     why: ${finding.why}`);
    lines.push(`     see: ${finding.source}`);
  });
  for (const note of diagnosis.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
