/**
 * What `doctor` reads, read-only: the services and their deployment configuration, their target
 * groups (ELBv2) and attributes, the task definitions they run, the images' size and layer
 * compression in ECR, and how many rules and schedules a deploy would move. The answers become
 * doctor.ts's literal settings (ECS's and ELB's defaults filled in where AWS leaves a field out).
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { awsMessage, retrying, type CallHooks } from './calls.js';
import type { ContainerSettings, DoctorInput, ImageSettings, ServiceSettings, TargetGroupSettings } from './doctor.js';
import { parseImageRef } from './imageRef.js';
import { listSchedules } from './schedules.js';
import { describeServices, describeTaskDefinition, resolveRules, type Sends } from './state.js';
import { shortArn } from './taskDefinition.js';

export interface DoctorClients {
  readonly ecs: ECSClient;
  readonly elb: Sends<ElasticLoadBalancingV2Client>;
  readonly ecr: Sends<ECRClient>;
  readonly events: EventBridgeClient;
  readonly scheduler: Sends<SchedulerClient>;
}

export interface DoctorScope {
  readonly cluster: string;
  readonly services: readonly string[];
  readonly rules: readonly string[];
  readonly rulePrefix?: string;
  readonly scheduleGroup?: string;
  readonly schedulePrefix?: string;
  readonly oneOffTasks: readonly { readonly name: string; readonly service: string }[];
}

/** Defaults AWS applies when a field is left out (ECS API reference: DeploymentConfiguration, HealthCheck, ContainerDefinition). */
const ECS_DEFAULTS = { minimumHealthyPercent: 100, maximumPercent: 200, healthInterval: 30, healthTimeout: 5, healthRetries: 3, stopTimeout: 30 } as const;
/** ELBv2 target group defaults (HTTP/HTTPS): 30 s x 5 healthy, 2 unhealthy, timeout 5 s, deregistration delay 300 s. */
const ELB_DEFAULTS = { interval: 30, timeout: 5, healthy: 5, unhealthy: 2, deregistrationDelay: 300 } as const;
const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const DENIED = /AccessDenied|UnauthorizedOperation|not authorized/i;

/** The settings of `scope` as AWS holds them now, and notes on what could not be read (the image of another registry). */
export async function readDoctorInput(clients: DoctorClients, scope: DoctorScope, hooks: CallHooks = {}): Promise<{ input: DoctorInput; notes: string[] }> {
  const notes: string[] = [];
  const services = scope.services.length > 0 ? await describeServices(clients.ecs, scope.cluster, scope.services, hooks) : [];
  const groups = await readTargetGroups(clients.elb, services, hooks);
  const images = new Map<string, Promise<ImageSettings | undefined>>();
  const settings: ServiceSettings[] = [];
  for (const service of services) {
    const arn = service.taskDefinition;
    const taskDefinition = arn !== undefined ? (await describeTaskDefinition(clients.ecs, arn, hooks)).taskDefinition : undefined;
    const containers = await Promise.all(
      (taskDefinition?.containerDefinitions ?? []).map(async (container): Promise<ContainerSettings> => {
        const image = container.image ?? '';
        if (!images.has(image)) images.set(image, readImage(clients.ecr, image, notes, hooks));
        const imageInfo = await images.get(image);
        const check = container.healthCheck;
        return {
          name: container.name ?? '',
          essential: container.essential !== false,
          image,
          ...(check !== undefined
            ? {
                healthCheck: {
                  interval: check.interval ?? ECS_DEFAULTS.healthInterval,
                  timeout: check.timeout ?? ECS_DEFAULTS.healthTimeout,
                  retries: check.retries ?? ECS_DEFAULTS.healthRetries,
                  startPeriod: check.startPeriod ?? 0,
                },
              }
            : {}),
          stopTimeout: container.stopTimeout ?? ECS_DEFAULTS.stopTimeout,
          ...(imageInfo !== undefined ? { imageInfo } : {}),
        };
      }),
    );
    settings.push(serviceSettings(service, taskDefinition, containers, groups));
  }
  const rules = scope.rules.length > 0 || scope.rulePrefix !== undefined ? await resolveRules(clients.events, scope.rules, scope.rulePrefix, hooks) : [];
  const schedules =
    scope.scheduleGroup !== undefined || scope.schedulePrefix !== undefined
      ? await listSchedules(
          clients.scheduler,
          { ...(scope.scheduleGroup !== undefined ? { group: scope.scheduleGroup } : {}), ...(scope.schedulePrefix !== undefined ? { prefix: scope.schedulePrefix } : {}) },
          (what, call) => retrying(what, call, hooks),
        )
      : [];
  return { input: { cluster: scope.cluster, services: settings, rules: rules.length, schedules: schedules.length, oneOffTasks: scope.oneOffTasks }, notes };
}

/** A service as DescribeServices answers it, with its task definition, containers and target groups, as doctor.ts takes it. */
export function serviceSettings(service: Service, taskDefinition: TaskDefinition | undefined, containers: ContainerSettings[], groups: ReadonlyMap<string, TargetGroupSettings>): ServiceSettings {
  const configuration = service.deploymentConfiguration;
  const breaker = configuration?.deploymentCircuitBreaker;
  return {
    name: service.serviceName ?? '',
    desiredCount: service.desiredCount ?? 0,
    minimumHealthyPercent: configuration?.minimumHealthyPercent ?? ECS_DEFAULTS.minimumHealthyPercent,
    maximumPercent: configuration?.maximumPercent ?? ECS_DEFAULTS.maximumPercent,
    ...(breaker !== undefined ? { circuitBreaker: { enable: breaker.enable === true, rollback: breaker.rollback === true } } : {}),
    healthCheckGracePeriod: service.healthCheckGracePeriodSeconds ?? 0,
    capacityProviderStrategy: (service.capacityProviderStrategy ?? []).map((item) => ({ provider: item.capacityProvider ?? '', base: item.base ?? 0, weight: item.weight ?? 0 })),
    ...(service.launchType !== undefined ? { launchType: service.launchType } : {}),
    taskDefinition: shortArn(taskDefinition?.taskDefinitionArn ?? service.taskDefinition ?? ''),
    targetGroups: [...new Set((service.loadBalancers ?? []).map((balancer) => balancer.targetGroupArn).filter((arn): arn is string => arn !== undefined))]
      .map((arn) => groups.get(arn))
      .filter((group): group is TargetGroupSettings => group !== undefined),
    containers,
  };
}

/** Every target group the services name, with its attributes, by ARN. */
async function readTargetGroups(elb: Sends<ElasticLoadBalancingV2Client>, services: readonly Service[], hooks: CallHooks): Promise<Map<string, TargetGroupSettings>> {
  const arns = [...new Set(services.flatMap((service) => (service.loadBalancers ?? []).map((balancer) => balancer.targetGroupArn)).filter((arn): arn is string => arn !== undefined))];
  const found = new Map<string, TargetGroupSettings>();
  if (arns.length === 0) return found;
  const { DescribeTargetGroupsCommand, DescribeTargetGroupAttributesCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
  const described: TargetGroup[] = [];
  for (let i = 0; i < arns.length; i += 20) {
    const batch = arns.slice(i, i + 20);
    const page = await retrying(`DescribeTargetGroups ${batch.map(shortArn).join(', ')}`, () => elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: batch })), hooks);
    described.push(...(page.TargetGroups ?? []));
  }
  for (const group of described) {
    const arn = group.TargetGroupArn;
    if (arn === undefined) continue;
    const attributes = await retrying(`DescribeTargetGroupAttributes ${group.TargetGroupName ?? arn}`, () => elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })), hooks);
    const attribute = (key: string, fallback: number): number => {
      const value = Number((attributes.Attributes ?? []).find((item) => item.Key === key)?.Value);
      return Number.isFinite(value) ? value : fallback;
    };
    found.set(arn, {
      name: group.TargetGroupName ?? shortArn(arn),
      arn,
      deregistrationDelay: attribute('deregistration_delay.timeout_seconds', ELB_DEFAULTS.deregistrationDelay),
      healthCheckInterval: group.HealthCheckIntervalSeconds ?? ELB_DEFAULTS.interval,
      healthCheckTimeout: group.HealthCheckTimeoutSeconds ?? ELB_DEFAULTS.timeout,
      healthyThreshold: group.HealthyThresholdCount ?? ELB_DEFAULTS.healthy,
      unhealthyThreshold: group.UnhealthyThresholdCount ?? ELB_DEFAULTS.unhealthy,
      slowStart: attribute('slow_start.duration_seconds', 0),
    });
  }
  return found;
}

/** Media types a manifest may have; BatchGetImage answers only in those it is asked for. */
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

/**
 * An ECR image's compressed size (DescribeImages) and its layers' compression (the manifest's
 * layer media types: `...tar+zstd`, `...tar+gzip`, Docker's `...tar.gzip`); undefined, with a
 * note, for an image of another registry or one the role may not read.
 */
async function readImage(ecr: Sends<ECRClient>, text: string, notes: string[], hooks: CallHooks): Promise<ImageSettings | undefined> {
  let image;
  try {
    image = parseImageRef(text);
  } catch {
    notes.push(`image ${text}: not a reference doctor can read`);
    return undefined;
  }
  const host = image.registry !== undefined ? ECR_HOST.exec(image.registry) : null;
  if (host === null) {
    notes.push(`image ${text}: not in ECR, its size is not known`);
    return undefined;
  }
  const { DescribeImagesCommand, BatchGetImageCommand } = await import('@aws-sdk/client-ecr');
  const imageId = image.digest !== undefined ? { imageDigest: image.digest } : { imageTag: image.tag ?? 'latest' };
  try {
    const described = await retrying(`DescribeImages ${image.repository}`, () => ecr.send(new DescribeImagesCommand({ registryId: host[1], repositoryName: image.repository, imageIds: [imageId] })), hooks);
    const bytes = described.imageDetails?.[0]?.imageSizeInBytes;
    const got = await retrying(
      `BatchGetImage ${image.repository}`,
      () => ecr.send(new BatchGetImageCommand({ registryId: host[1], repositoryName: image.repository, imageIds: [imageId], acceptedMediaTypes: MANIFEST_TYPES })),
      hooks,
    );
    const compression = compressionOf(got.images?.[0]?.imageManifest);
    return { ...(bytes !== undefined ? { bytes } : {}), ...(compression !== undefined ? { compression } : {}) };
  } catch (error) {
    notes.push(`image ${text}: ${DENIED.test(awsMessage(error)) ? 'the role may not read it in ECR (ecr:DescribeImages, ecr:BatchGetImage)' : `not read: ${awsMessage(error)}`}`);
    return undefined;
  }
}

/** The layers' compression a manifest names, from their media types (OCI image spec, Docker manifest v2). */
export function compressionOf(manifest: string | undefined): ImageSettings['compression'] | undefined {
  if (manifest === undefined) return undefined;
  let layers: unknown;
  try {
    layers = (JSON.parse(manifest) as { layers?: unknown }).layers;
  } catch {
    return undefined;
  }
  if (!Array.isArray(layers) || layers.length === 0) return undefined;
  const kinds = new Set(
    layers.map((layer: unknown) => {
      const type = typeof layer === 'object' && layer !== null && 'mediaType' in layer && typeof layer.mediaType === 'string' ? layer.mediaType : '';
      if (type.endsWith('+zstd')) return 'zstd';
      if (type.endsWith('+gzip') || type.endsWith('.tar.gzip')) return 'gzip';
      return type.endsWith('.tar') ? 'none' : 'unknown';
    }),
  );
  if (kinds.has('unknown')) return undefined;
  return kinds.size === 1 ? ([...kinds][0] as 'gzip' | 'zstd' | 'none') : 'mixed';
}
