import { InputError } from '../../errors.js';
import { DESCRIPTION_OPTIONS, type Command } from '../command.js';
import { quietNodeVersionWarning } from './deploy.js';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: "estimate a deploy's time phase by phase and name the ECS/ELB settings that cost it (read-only)",
  positionals: { min: 0, max: 1, name: 'ENV' },
  options: {
    cluster: { type: 'string' },
    service: { type: 'string', multiple: true },
    'scheduled-rule': { type: 'string', multiple: true },
    'scheduled-rule-prefix': { type: 'string' },
    'schedule-group': { type: 'string' },
    'schedule-prefix': { type: 'string' },
    region: { type: 'string' },
    'wait-until': { type: 'string' },
    ...DESCRIPTION_OPTIONS,
    json: { type: 'boolean' },
  },
  help: `Usage: circle-fargate doctor [ENV] [--cluster C] [--service S]... [--scheduled-rule NAME]...
       [--scheduled-rule-prefix P] [--schedule-group G] [--schedule-prefix P] [--region R]
       [--wait-until complete|serving] [--config PATH] [--load-timeout SECONDS] [--json]

Reads, and changes nothing: the services (desired count, minimum/maximum percent, circuit
breaker, health check grace period, capacity provider strategy), their target groups
(deregistration delay, health check interval, timeout and thresholds, slow start), the task
definitions they run (container health checks, stop timeout), the images' size and layer
compression in ECR, and how many scheduled rules and schedules a deploy moves. Prints the
expected time of a deploy phase by phase, then each setting that dominates it: its current
value, a recommended value, what it would save and why, with the AWS documentation the rule
comes from (docs/doctor.md). The times are a model's estimate from the settings, not a
measurement.

ENV reads cluster, services, scheduled rules and schedules, one-off tasks, region and waitUntil
from the project description; the flags alone work without one. A deploy that waits until
complete (the default) waits for the old tasks to drain; doctor then counts --wait-until serving
among the findings, with what it saves.

Options:
  --cluster C                 ECS cluster
  --service S                 ECS service (repeatable)
  --scheduled-rule NAME       EventBridge rule a deploy moves (repeatable)
  --scheduled-rule-prefix P   every rule whose name starts with P
  --schedule-group G          EventBridge Scheduler schedules of group G
  --schedule-prefix P         every schedule whose name starts with P
  --region R                  AWS region (default: the environment's, else the SDK's own)
  --wait-until complete|serving
                              estimate a deploy that waits until complete or serving, as deploy's
                              flag (default: the environment's waitUntil, else complete)
  --config PATH               project description (default: circle-fargate.config.* here)
  --load-timeout SECONDS      seconds a .ts/.mjs/.js description may take to load (default 10)
  --json                      print the settings read, the phases and the findings as JSON
  --debug                     show a stack trace on unexpected errors
  -h, --help                  show this help

AWS configuration is the SDK's (AWS_ENDPOINT_URL, or AWS_ENDPOINT_URL_ECS,
AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_EVENTBRIDGE,
AWS_ENDPOINT_URL_SCHEDULER for moto or LocalStack). It needs read access only: ecs:DescribeServices,
ecs:DescribeTaskDefinition, elasticloadbalancing:DescribeTargetGroups and
DescribeTargetGroupAttributes, ecr:DescribeImages and BatchGetImage (else the image size is
assumed), events:ListRules, scheduler:ListSchedules.

Exit codes: 0 the estimate was made (findings or none); 1 AWS could not be read (a call failed
or was denied); 2 bad flags or description, or a cluster or service that does not exist.`,
  async run(args, io) {
    const [environment] = args.positionals;
    const { environmentScope } = await import('../environmentScope.js');
    const scope = await environmentScope(args, io, 'doctor', environment);
    const { cluster, rulePrefix, scheduleGroup, schedulePrefix, region } = scope;
    const services = scope.services.map((service) => service.name);
    const rules = [...scope.rules];
    const oneOffTasks = scope.tasks.map((task) => ({ name: task.name, service: task.service }));
    if (cluster === undefined) throw new InputError('doctor: no cluster: pass ENV (from the project description) or --cluster C');
    if (services.length === 0) throw new InputError('doctor: no service to look at: pass --service S or an ENV that has services');

    quietNodeVersionWarning();
    const [{ ECSClient }, { EventBridgeClient }, { watchAwsClient }, { lazyClient, requireRegion }, { readDoctorInput }, { diagnose, formatDiagnosis }] = await Promise.all([
      import('@aws-sdk/client-ecs'),
      import('@aws-sdk/client-eventbridge'),
      import('../../secrets/aws.js'),
      import('../../deploy/sdk.js'),
      import('../../deploy/doctorState.js'),
      import('../../deploy/doctor.js'),
    ]);
    // Every package is checked to be there before the first call, as deploy does.
    for (const name of ['@aws-sdk/client-elastic-load-balancing-v2', '@aws-sdk/client-ecr', '@aws-sdk/client-scheduler']) import.meta.resolve(name);
    const options = { ...(region !== undefined ? { region } : {}), maxAttempts: 1 };
    const ecs = new ECSClient(options);
    await requireRegion(ecs);
    const clients = {
      ecs: watchAwsClient(ecs, io.secrets),
      events: watchAwsClient(new EventBridgeClient(options), io.secrets),
      elb: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-elastic-load-balancing-v2')).ElasticLoadBalancingV2Client(options), io.secrets)),
      ecr: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-ecr')).ECRClient(options), io.secrets)),
      scheduler: lazyClient(async () => watchAwsClient(new (await import('@aws-sdk/client-scheduler')).SchedulerClient(options), io.secrets)),
    };
    const { input, notes } = await readDoctorInput(
      clients,
      {
        cluster,
        services,
        rules,
        ...(rulePrefix !== undefined ? { rulePrefix } : {}),
        ...(scheduleGroup !== undefined ? { scheduleGroup } : {}),
        ...(schedulePrefix !== undefined ? { schedulePrefix } : {}),
        oneOffTasks,
      },
      { attempts: 3 },
    );
    const diagnosis = diagnose(input, scope.waitUntil ?? 'complete');
    const all = { ...diagnosis, notes: [...notes, ...diagnosis.notes] };
    if (args.values.json === true) {
      io.stdout(`${JSON.stringify(io.secrets.redact({ ...(environment !== undefined ? { environment } : {}), settings: input, ...all }))}\n`);
    } else {
      io.stdout(formatDiagnosis(all, `doctor ${environment ?? cluster}`));
    }
    return 0;
  },
};
