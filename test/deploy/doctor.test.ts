/**
 * doctor's analysis on literal settings: the expected time of each phase and the findings, each
 * figure worked out by hand from the rules AWS documents (quoted where they are used) and the
 * model's constants (doctor.ts says where each comes from).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { diagnose, formatDiagnosis, RULES, SOURCES, type ContainerSettings, type DoctorInput, type ServiceSettings, type TargetGroupSettings } from '../../src/deploy/doctor.js';
import { compressionOf, serviceSettings } from '../../src/deploy/doctorState.js';

const MB = 1024 * 1024;

/** A target group as ELB creates it when nothing is set: 30 s x 5 healthy, timeout 5 s, deregistration delay 300 s. */
function defaultGroup(name: string, change: Partial<TargetGroupSettings> = {}): TargetGroupSettings {
  return { name, arn: `arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/${name}/1`, deregistrationDelay: 300, healthCheckInterval: 30, healthCheckTimeout: 5, healthyThreshold: 5, unhealthyThreshold: 2, slowStart: 0, ...change };
}

function container(change: Partial<ContainerSettings> = {}): ContainerSettings {
  return { name: 'app', essential: true, image: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:v1', stopTimeout: 30, imageInfo: { bytes: 900 * MB, compression: 'gzip' }, ...change };
}

function service(change: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    name: 'web',
    desiredCount: 3,
    minimumHealthyPercent: 100,
    maximumPercent: 200,
    healthCheckGracePeriod: 0,
    capacityProviderStrategy: [],
    taskDefinition: 'web:7',
    targetGroups: [defaultGroup('web-tg')],
    containers: [container()],
    ...change,
  };
}

function input(services: ServiceSettings[], change: Partial<DoctorInput> = {}): DoctorInput {
  return { cluster: 'c', services, rules: 0, schedules: 0, oneOffTasks: [], ...change };
}

const TUNED = defaultGroup('tuned-tg', { deregistrationDelay: 30, healthCheckInterval: 5, healthyThreshold: 2, healthCheckTimeout: 4 });

describe('doctor: the expected time of a deploy', () => {
  it('a service on every default: 900 MB pull, 30 s x 5 health, 300 s draining', () => {
    const result = diagnose(input([service()]));
    const [web] = result.services;
    // start 20 + 900/18 = 70 s; healthy 30 x 5 = 150 s; one wave (maximumPercent 200 starts all 3 beside the old).
    assert.equal(web?.waves, 1);
    assert.equal(web.servingSeconds, 220);
    assert.equal(web.completeSeconds, 520);
    assert.equal(result.servingSeconds, 5 + 220);
    assert.equal(result.completeSeconds, 5 + 520);
    assert.deepEqual(
      result.findings.map((finding) => [finding.rule, finding.current, finding.savesSeconds]),
      [
        ['wait-until', 'complete', 300],
        ['deregistration-delay', '300s', 270],
        ['target-health-check', '30s x 5 (timeout 5s)', 140],
        ['image-pull', '900 MB, gzip', 25],
      ],
    );
    assert.ok(result.findings.every((finding) => finding.criticalPath && finding.service === 'web'));
    assert.equal(result.expectedSeconds, result.completeSeconds);
  });

  it('--wait-until serving: the deploy ends when the new tasks serve, so the drain after the last wave costs it nothing', () => {
    const result = diagnose(input([service()]), 'serving');
    assert.equal(result.waitUntil, 'serving');
    assert.equal(result.expectedSeconds, 5 + 220);
    assert.deepEqual(
      result.findings.map((finding) => [finding.rule, finding.savesSeconds]),
      [
        ['target-health-check', 140],
        ['image-pull', 25],
      ],
    );
    assert.match(formatDiagnosis(result, 'doctor pre'), /^doctor pre: expected deploy 3m45s \(--wait-until serving: done when every new task serves; the old ones drain on their own until ~8m45s\)/);
    // Waves: a drain between them is still waited for, serving or not.
    const waves = diagnose(input([service({ desiredCount: 4, maximumPercent: 150 })]), 'serving');
    assert.equal(waves.services[0]?.waves, 2);
    assert.equal(waves.findings.find((finding) => finding.rule === 'deregistration-delay')?.savesSeconds, 270);
  });

  it('a tuned service has no finding, and its drain is what remains', () => {
    const result = diagnose(input([service({ targetGroups: [TUNED], containers: [container({ imageInfo: { bytes: 100 * MB, compression: 'zstd' } })] })]));
    assert.deepEqual(result.findings, []);
    // start 20 + round(100/18) = 26 s, healthy 5 x 2 = 10 s, drain 30 s.
    assert.equal(result.services[0]?.servingSeconds, 36);
    assert.equal(result.services[0].completeSeconds, 66);
  });

  it('maximumPercent 100 with minimumHealthyPercent 50: old tasks drain before each of two waves', () => {
    // 4 tasks: no room above 100% (floor(4 x 100/100) - 4 = 0), 2 may stop (4 - ceil(4 x 50/100)).
    const result = diagnose(input([service({ desiredCount: 4, maximumPercent: 100, minimumHealthyPercent: 50, targetGroups: [TUNED] })]));
    const [web] = result.services;
    assert.equal(web?.waves, 2);
    // 2 x (70 + 10) + 2 x 30 drains (before the first wave and between the two) = 220; + 30 last drain.
    assert.equal(web.servingSeconds, 220);
    assert.equal(web.completeSeconds, 250);
    const batches = result.findings.find((finding) => finding.rule === 'deployment-batches');
    assert.equal(batches?.recommended, '200 / 50');
    // With 200: one wave of 80 s, then the drain: 110 s.
    assert.equal(batches.savesSeconds, 250 - 110);
  });

  it('maximumPercent 150 for 4 tasks: two waves of 2, the second after a drain', () => {
    const result = diagnose(input([service({ desiredCount: 4, maximumPercent: 150, targetGroups: [TUNED] })]));
    assert.equal(result.services[0]?.waves, 2);
    assert.equal(result.services[0].servingSeconds, 2 * 80 + 30);
  });

  it('no load balancer and no container health check: ECS counts a task after 40 s RUNNING', () => {
    // ECS DeploymentConfiguration.minimumHealthyPercent: "If a task has no essential containers
    // with a health check defined, the service scheduler will wait for 40 seconds after a task
    // reaches a RUNNING state before the task is counted towards the minimum healthy percent total."
    const result = diagnose(input([service({ targetGroups: [] })]));
    assert.equal(result.services[0]?.servingSeconds, 70 + 40);
    assert.equal(result.services[0].completeSeconds, 110);
    assert.deepEqual(
      result.findings.map((finding) => finding.rule),
      ['image-pull'],
    );
  });

  it('a container health check slower than the target group is the one that dominates', () => {
    const slow = container({ healthCheck: { interval: 30, timeout: 5, retries: 3, startPeriod: 0 } });
    const result = diagnose(input([service({ targetGroups: [TUNED], containers: [slow, container({ name: 'sidecar', essential: false, healthCheck: { interval: 300, timeout: 5, retries: 3, startPeriod: 0 } })] })]));
    // The non-essential sidecar's check is not waited for.
    assert.equal(result.services[0]?.servingSeconds, 70 + 30);
    const found = result.findings.find((finding) => finding.rule === 'container-health-check');
    assert.equal(found?.resource, 'task definition web:7, container app');
    // 30 s -> 5 s: the target group's 5 s x 2 = 10 s then dominates.
    assert.equal(found.savesSeconds, 20);
  });

  it('the slowest service is the critical path; the other one\'s findings say so', () => {
    const result = diagnose(input([service(), service({ name: 'api', targetGroups: [defaultGroup('api-tg', { deregistrationDelay: 60 })] })]));
    const api = result.findings.filter((finding) => finding.service === 'api');
    assert.ok(api.length > 0);
    assert.ok(api.every((finding) => !finding.criticalPath));
    assert.equal(result.completeSeconds, 5 + 520);
  });

  it('an unknown image size is assumed and said; desired count 0 costs nothing', () => {
    const result = diagnose(input([service({ containers: [{ name: 'app', essential: true, image: 'nginx:1', stopTimeout: 30 }] }), service({ name: 'idle', desiredCount: 0 })]));
    assert.equal(result.services[0]?.servingSeconds, 20 + 30 + 150);
    assert.equal(result.services[1]?.completeSeconds, 0);
    assert.ok(result.notes.some((note) => note.startsWith('web: image size unknown')));
    assert.ok(result.notes.includes('idle: desired count 0, no task to replace'));
  });

  it('one-off tasks and 80 rules add their phases', () => {
    const result = diagnose(input([service({ targetGroups: [TUNED] })], { rules: 80, schedules: 20, oneOffTasks: [{ name: 'migrate', service: 'web' }] }));
    assert.deepEqual(
      result.phases.map((phase) => [phase.name, phase.seconds]),
      [
        ['checks and register', 5],
        ['one-off tasks', 70],
        ['services', 110],
        // 100 moves x 2 calls at 40 calls a second.
        ['scheduled targets and schedules', 5],
      ],
    );
    assert.equal(result.completeSeconds, 5 + 70 + 110 + 5);
  });

  it('prints the phases, then each finding with its value, recommendation, saving and source', () => {
    const text = formatDiagnosis(diagnose(input([service()])), 'doctor pre');
    assert.match(text, /^doctor pre: expected deploy 8m45s \(every new task serving at ~3m45s\)/);
    assert.match(text, /\n {2}1\. the deploy: deploy --wait-until \(the environment's waitUntil\) complete -> serving: saves ~5m00s of every deploy\n/);
    assert.match(text, /\n {2}2\. target group web-tg: deregistration_delay\.timeout_seconds 300s -> 30s \(or your longest request\): saves ~4m30s of web's rollout \(the slowest service\)\n/);
    assert.ok(text.includes(`see: ${SOURCES.deregistrationDelay}`));
    assert.match(text, /\n {6}healthy +2m30s {2}target group web-tg 30s x 5\n/);
  });
});

describe('doctor: a service as ECS describes it', () => {
  // moto keeps none of these fields; the shape is DescribeServices' (ECS API reference, Service).
  it('reads the deployment configuration, circuit breaker, grace period and capacity provider strategy', () => {
    const group = defaultGroup('web-tg');
    const settings = serviceSettings(
      {
        serviceName: 'web',
        desiredCount: 6,
        taskDefinition: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:7',
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: false } },
        healthCheckGracePeriodSeconds: 60,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', base: 3, weight: 0 },
          { capacityProvider: 'FARGATE_SPOT', weight: 1 },
        ],
        loadBalancers: [
          { targetGroupArn: group.arn, containerName: 'app', containerPort: 80 },
          { targetGroupArn: group.arn, containerName: 'app', containerPort: 8080 },
        ],
      },
      undefined,
      [],
      new Map([[group.arn, group]]),
    );
    assert.equal(settings.minimumHealthyPercent, 50);
    assert.equal(settings.maximumPercent, 100);
    assert.deepEqual(settings.circuitBreaker, { enable: true, rollback: false });
    assert.equal(settings.healthCheckGracePeriod, 60);
    assert.deepEqual(settings.capacityProviderStrategy, [
      { provider: 'FARGATE', base: 3, weight: 0 },
      { provider: 'FARGATE_SPOT', base: 0, weight: 1 },
    ]);
    assert.equal(settings.taskDefinition, 'web:7');
    // One target group named twice (two ports) is one target group.
    assert.deepEqual(settings.targetGroups, [group]);
  });

  it('fills in the API defaults a service without a deployment configuration has (100 / 200)', () => {
    const settings = serviceSettings({ serviceName: 'web', desiredCount: 2 }, undefined, [], new Map());
    assert.deepEqual([settings.minimumHealthyPercent, settings.maximumPercent, settings.healthCheckGracePeriod, settings.circuitBreaker], [100, 200, 0, undefined]);
  });
});

describe('doctor: layer compression from an image manifest', () => {
  const manifest = (...types: string[]) => JSON.stringify({ schemaVersion: 2, layers: types.map((mediaType) => ({ mediaType, size: 1, digest: 'sha256:0' })) });
  for (const [name, text, expected] of [
    ['OCI zstd (image-spec media types)', manifest('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd'],
    ['OCI gzip', manifest('application/vnd.oci.image.layer.v1.tar+gzip'), 'gzip'],
    ['Docker v2 gzip', manifest('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip'],
    ['uncompressed', manifest('application/vnd.oci.image.layer.v1.tar'), 'none'],
    ['mixed', manifest('application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+gzip'), 'mixed'],
    ['an unknown layer type', manifest('application/x-other'), undefined],
    ['an image index (no layers)', JSON.stringify({ schemaVersion: 2, manifests: [] }), undefined],
    ['not JSON', '{', undefined],
  ] as const) {
    it(name, () => {
      assert.equal(compressionOf(text), expected);
    });
  }
});

describe('doctor: documentation', () => {
  it('docs/doctor.md describes every rule and cites every source', () => {
    const docs = readFileSync(new URL('../../docs/doctor.md', import.meta.url), 'utf8');
    for (const rule of RULES) assert.ok(docs.includes(`\`${rule}\``), rule);
    for (const source of Object.values(SOURCES)) assert.ok(docs.includes(source), source);
  });
});
