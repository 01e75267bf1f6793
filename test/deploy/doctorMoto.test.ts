/**
 * `doctor` against moto_server: real ECS services with load balancers and deployment
 * configurations, real ELBv2 target groups and attributes, an ECR image with its manifest, and
 * EventBridge rules, read by the real SDK through the real CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client, ModifyTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { runCommand } from '../helpers/cli.js';
import { removeDir, tempDir, writeFiles } from '../helpers/git.js';
import { freePort, startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let dir: string;
const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com`;
const MB = 1024 * 1024;

/** A VPC of moto's EC2 (target groups need one); the EC2 SDK package is not a dependency, so one Query call by hand. */
async function createVpc(url: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/ap-northeast-1/ec2/aws4_request, SignedHeaders=host, Signature=0' },
    body: 'Action=CreateVpc&Version=2016-11-15&CidrBlock=10.23.0.0/16',
  });
  const vpc = /<vpcId>([^<]+)<\/vpcId>/.exec(await response.text())?.[1];
  if (vpc === undefined) throw new Error('moto did not create a VPC');
  return vpc;
}

before(async () => {
  moto = await startMoto();
  dir = tempDir();
  const config = { endpoint: moto.url, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const ecs = new ECSClient(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  const ecr = new ECRClient(config);
  const events = new EventBridgeClient(config);
  const vpc = await createVpc(moto.url);
  // web: everything left at ELB's defaults (30 s x 5, deregistration delay 300 s).
  const web = await elb.send(new CreateTargetGroupCommand({ Name: 'doctor-web-tg', Protocol: 'HTTP', Port: 80, TargetType: 'ip', VpcId: vpc }));
  // api: tuned (5 s x 2, timeout 4 s, deregistration delay 5 s).
  const api = await elb.send(new CreateTargetGroupCommand({ Name: 'doctor-api-tg', Protocol: 'HTTP', Port: 80, TargetType: 'ip', VpcId: vpc, HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2 }));
  const apiArn = api.TargetGroups?.[0]?.TargetGroupArn;
  await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: apiArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }] }));

  // A 900 MB gzip image in ECR (moto takes the size from the manifest).
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'doctor/web' }));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 900 * MB, digest: `sha256:${'1'.repeat(64)}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 900 * MB, digest: `sha256:${'2'.repeat(64)}` }],
  };
  await ecr.send(new PutImageCommand({ repositoryName: 'doctor/web', imageTag: 'v1', imageManifest: JSON.stringify(manifest) }));

  await ecs.send(new CreateClusterCommand({ clusterName: 'doctor' }));
  const fargate = { requiresCompatibilities: ['FARGATE'] as const, networkMode: 'awsvpc' as const, cpu: '256', memory: '512' };
  const webTask = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'doctor-web',
      ...fargate,
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'app', image: `${REGISTRY}/doctor/web:v1`, essential: true, portMappings: [{ containerPort: 80 }], healthCheck: { command: ['CMD-SHELL', 'curl -f localhost'], interval: 20 }, stopTimeout: 60 }],
    }),
  );
  const apiTask = await ecs.send(
    new RegisterTaskDefinitionCommand({ family: 'doctor-api', ...fargate, requiresCompatibilities: ['FARGATE'], containerDefinitions: [{ name: 'api', image: 'localhost:5000/doctor/api:v1', essential: true }] }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster: 'doctor',
      serviceName: 'doctor-web',
      taskDefinition: webTask.taskDefinition?.taskDefinitionArn,
      desiredCount: 4,
      loadBalancers: [{ targetGroupArn: web.TargetGroups?.[0]?.TargetGroupArn, containerName: 'app', containerPort: 80 }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster: 'doctor',
      serviceName: 'doctor-api',
      taskDefinition: apiTask.taskDefinition?.taskDefinitionArn,
      desiredCount: 2,
      loadBalancers: [{ targetGroupArn: apiArn, containerName: 'api', containerPort: 80 }],
    }),
  );
  for (const name of ['doctor-batch-a', 'doctor-batch-b', 'doctor-batch-c']) await events.send(new PutRuleCommand({ Name: name, ScheduleExpression: 'rate(1 hour)' }));
  writeFiles(dir, {
    'circle-fargate.config.json': JSON.stringify({
      project: { slug: 'gh/acme/doctor', defaultBranch: 'master' },
      images: { web: { repository: `${REGISTRY}/doctor/web`, dockerfile: 'Dockerfile', paths: ['**'], roleArn: `arn:aws:iam::${ACCOUNT}:role/build` } },
      environments: {
        pre: {
          trigger: { type: 'api' },
          region: 'ap-northeast-1',
          roleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
          cluster: 'doctor',
          image: 'web',
          services: ['doctor-web', 'doctor-api'],
          scheduledTasks: { rulePrefix: 'doctor-batch-' },
        },
      },
    }),
  });
});

after(() => {
  moto.stop();
  removeDir(dir);
});

interface Report {
  environment?: string;
  settings: { services: { name: string; targetGroups: { name: string; deregistrationDelay: number; healthCheckInterval: number; healthyThreshold: number }[]; containers: { healthCheck?: { interval: number }; stopTimeout: number; imageInfo?: { bytes?: number; compression?: string } }[]; maximumPercent: number }[]; rules: number };
  services: { service: string; waves: number }[];
  findings: { rule: string; service: string; resource: string; current: string; recommended: string; savesSeconds: number; source: string }[];
  notes: string[];
}

describe('doctor against moto (ECS, ELBv2, ECR, EventBridge)', () => {
  it('reads an environment of the description: services, target groups and attributes, task definitions, the ECR image, the rules', async () => {
    const result = await runCommand(['doctor', 'pre', '--json'], { cwd: dir, env: moto.env });
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    const report = JSON.parse(result.stdout) as Report;
    assert.equal(report.environment, 'pre');
    const [web, api] = report.settings.services;
    assert.equal(web?.name, 'doctor-web');
    assert.deepEqual(
      web.targetGroups.map((group) => [group.name, group.deregistrationDelay, group.healthCheckInterval, group.healthyThreshold]),
      [['doctor-web-tg', 300, 30, 5]],
    );
    assert.deepEqual(
      api?.targetGroups.map((group) => [group.name, group.deregistrationDelay, group.healthCheckInterval, group.healthyThreshold]),
      [['doctor-api-tg', 5, 5, 2]],
    );
    // moto keeps no deploymentConfiguration, grace period nor capacity provider strategy: AWS's
    // defaults (200 / 100) apply; test/deploy/doctor.test.ts reads them from literal answers.
    assert.equal(web.maximumPercent, 200);
    assert.equal(web.containers[0]?.healthCheck?.interval, 20);
    assert.equal(web.containers[0].stopTimeout, 60);
    assert.deepEqual(web.containers[0].imageInfo, { bytes: 900 * MB, compression: 'gzip' });
    assert.equal(report.settings.rules, 3);
    assert.deepEqual(
      report.services.map((service) => [service.service, service.waves]),
      [
        ['doctor-web', 1],
        ['doctor-api', 1],
      ],
    );
    // The container's 20 s check hides behind the target group's 30 s x 5: no saving, no finding;
    // doctor-api is tuned and its image is not in ECR.
    assert.deepEqual(report.findings.map((finding) => `${finding.service} ${finding.rule}`).sort(), [
      'doctor-web deregistration-delay',
      'doctor-web image-pull',
      'doctor-web target-health-check',
      'doctor-web wait-until',
    ]);
    const delay = report.findings.find((finding) => finding.rule === 'deregistration-delay');
    assert.equal(delay?.resource, 'target group doctor-web-tg');
    assert.equal(delay.current, '300s');
    assert.match(delay.source, /^https:\/\/docs\.aws\.amazon\.com\//);
    assert.ok(report.findings.every((finding) => finding.savesSeconds > 0));
    assert.ok(report.notes.includes('image localhost:5000/doctor/api:v1: not in ECR, its size is not known'));

    // The same environment deployed with --wait-until serving: no wait for the drain, so neither
    // that finding nor the deregistration delay's (one wave: nothing drains before it serves).
    const serving = await runCommand(['doctor', 'pre', '--json', '--wait-until', 'serving'], { cwd: dir, env: moto.env });
    assert.equal(serving.code, 0, serving.stderr);
    const servingReport = JSON.parse(serving.stdout) as Report & { waitUntil: string; expectedSeconds: number; servingSeconds: number };
    assert.equal(servingReport.waitUntil, 'serving');
    assert.equal(servingReport.expectedSeconds, servingReport.servingSeconds);
    assert.deepEqual(servingReport.findings.map((finding) => `${finding.service} ${finding.rule}`).sort(), ['doctor-web image-pull', 'doctor-web target-health-check']);
  });

  it('prints the phases and the findings for people, from flags alone', async () => {
    const result = await runCommand(['doctor', '--cluster', 'doctor', '--service', 'doctor-web', '--region', 'ap-northeast-1'], { env: moto.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^doctor doctor: expected deploy \d+m\d\ds \(every new task serving at ~\d+m\d\ds\)/);
    assert.match(result.stdout, /\n {4}doctor-web: 4 task\(s\), 1 wave\(s\), serving at 3m40s, completed at 8m40s\n/);
    assert.match(result.stdout, /\n {6}healthy +2m30s {2}container health check 20s, target group doctor-web-tg 30s x 5\n/);
    assert.match(result.stdout, /target group doctor-web-tg: deregistration_delay\.timeout_seconds 300s -> 30s \(or your longest request\): saves ~\d+m\d\ds of doctor-web's rollout/);
  });

  it('bad input is one line and exit 2: no such environment, service or cluster, no cluster at all', async () => {
    const cases: [string[], RegExp][] = [
      [['doctor', 'prod'], /^circle-fargate: doctor: no environment "prod" in the project description \(expected one of pre\)\n$/],
      [['doctor', '--cluster', 'doctor', '--service', 'doctor-nope'], /^circle-fargate: doctor: service doctor-nope is not in cluster doctor \(MISSING\); nothing was changed\n$/],
      [['doctor', '--cluster', 'doctor-no-cluster', '--service', 'x'], /^circle-fargate: doctor: (cluster doctor-no-cluster does not exist|service x is not in cluster doctor-no-cluster)[^\n]*\n$/],
      [['doctor', '--service', 'doctor-web'], /^circle-fargate: doctor: no cluster: pass ENV \(from the project description\) or --cluster C\n$/],
      [['doctor', '--cluster', 'doctor', '--bogus'], /^circle-fargate: doctor: Unknown option '--bogus'[^\n]*\n$/],
      [['doctor', 'pre', '--wait-until', 'soon'], /^circle-fargate: doctor: --wait-until: expected complete or serving \(got "soon"\)\n$/],
    ];
    for (const [args, expected] of cases) {
      const result = await runCommand(args, { cwd: dir, env: moto.env });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected);
      assert.equal(result.stdout, '');
    }
  });

  it('exits 1 in one line when AWS cannot be read (ELBv2 unreachable)', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const result = await runCommand(['doctor', 'pre'], { cwd: dir, env: { ...moto.env, AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: closed } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^circle-fargate: doctor: DescribeTargetGroups [^\n]* failed: [^\n]*ECONNREFUSED[^\n]*: AWS could not be reached; check AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> \(moto, LocalStack\), the region and the network\n$/);
    assert.equal(result.stdout, '');
  });

  it('says what to do when there are no AWS credentials at all (exit 1, one line)', async () => {
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _key, ...rest } = moto.env;
    const result = await runCommand(['doctor', 'pre'], { cwd: dir, env: { ...rest, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^circle-fargate: doctor: DescribeServices [^\n]* failed: CredentialsProviderError: [^\n]*: set AWS credentials \(in CircleCI, the orb's setup_aws: OIDC to a role; elsewhere AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)\n$/);
    assert.equal(result.stdout, '');
  });
});
