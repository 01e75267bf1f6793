/**
 * The one module that uses `@circleci/circleci-config-sdk`. The SDK is unmaintained upstream
 * (see DESIGN.md): its stale defaults are always overridden here, and what it cannot express
 * (an inline orb, `when: false` on a workflow, dropping `setup: false`) is added to its output.
 */
import CircleCI from '@circleci/circleci-config-sdk';
import { isRecord } from '../../orb/pack.js';
import type { ConfigShape, LocalJobShape, OrbUse, WorkflowJobShape } from './shape.js';

/** A CircleCI config as a plain object, ready for YAML. */
export type ConfigObject = Record<string, unknown>;

type SdkOrb = InstanceType<typeof CircleCI.orb.OrbImport>;
type SdkParameters = InstanceType<typeof CircleCI.parameters.CustomParametersList>;
type ParameterType = 'string' | 'integer' | 'boolean' | 'enum' | 'executor' | 'steps' | 'env_var_name';

export function renderConfig(shape: ConfigShape): ConfigObject {
  const config = new CircleCI.Config(shape.setup === true);
  for (const parameter of shape.parameters) {
    config.defineParameter(parameter.name, parameter.type, parameter.default, parameter.description);
  }
  const orb = shape.orb ? importOrb(shape.orb) : undefined;
  if (orb) config.importOrb(orb);
  const jobs = new Map(shape.jobs.map((job) => [job.name, renderJob(job)]));
  for (const job of jobs.values()) config.addJob(job);

  for (const workflow of shape.workflows) {
    const sdkWorkflow = new CircleCI.Workflow(workflow.name);
    for (const entry of workflow.jobs) {
      const options = {
        ...(entry.requires.length > 0 ? { requires: [...entry.requires] } : {}),
        ...(entry.context.length > 0 ? { context: [...entry.context] } : {}),
      };
      switch (entry.kind) {
        case 'approval':
          sdkWorkflow.addJobApproval(entry.name, options);
          break;
        case 'local': {
          const job = jobs.get(entry.name);
          if (!job) throw new Error(`workflow ${workflow.name} names job ${entry.name}, which the config does not define`);
          if (Object.keys(options).length > 0) sdkWorkflow.addJob(job, options);
          else sdkWorkflow.addJob(job);
          break;
        }
        case 'expanded':
          // The SDK only names the job here; its body is the expansion, written in below.
          sdkWorkflow.jobs.push(new CircleCI.workflow.WorkflowJob(namedJob(entry.name), options));
          break;
        case 'orb': {
          const ref = orb?.jobs[entry.orbJob];
          if (!ref) throw new Error(`workflow ${workflow.name} runs orb job ${entry.orbJob}, which the orb does not have`);
          // A published orb's job, or the setup config's: every value written out (another
          // version's defaults may differ; the setup config, committed and read by people, shows
          // the version it pins). A continuation's jobs of an inline orb are expanded instead.
          sdkWorkflow.jobs.push(new CircleCI.workflow.WorkflowJob(ref, { name: entry.name, ...options, ...entry.parameters }));
          break;
        }
      }
    }
    config.addWorkflow(sdkWorkflow);
  }

  const generated = config.generate() as unknown as ConfigObject;
  const { setup, jobs: generatedJobs, orbs, ...rest } = generated;
  const workflows = rest.workflows as Record<string, Record<string, unknown>> | undefined;
  for (const workflow of shape.workflows) {
    const target = workflows?.[workflow.name];
    if (workflow.when !== undefined && target) workflows[workflow.name] = { when: workflow.when, ...target };
  }
  for (const workflow of shape.workflows) {
    const entries = workflows?.[workflow.name]?.jobs;
    if (workflows && Array.isArray(entries)) workflows[workflow.name] = { ...workflows[workflow.name], jobs: entries.map((entry, index) => withEntryOptions(entry, workflow.jobs[index])) };
  }
  const orbsOut = shape.orb?.inline === true && isRecord(orbs) ? { ...orbs, [shape.orb.alias]: shape.orb.orb } : orbs;
  const executors = shape.executors ?? [];
  const expanded = shape.workflows.flatMap((workflow) => workflow.jobs.flatMap((entry) => (entry.kind === 'expanded' ? [[entry.name, entry.body] as const] : [])));
  const local = isRecord(generatedJobs) ? generatedJobs : {};
  for (const [name] of expanded) if (name in local) throw new Error(`job ${name} is both a job of the config and an expanded orb job`);
  const jobsOut = { ...local, ...Object.fromEntries(expanded) };
  return {
    version: rest.version,
    ...(setup === true ? { setup } : {}),
    ...(orbsOut !== undefined ? { orbs: orbsOut } : {}),
    ...(shape.parameters.length > 0 ? { parameters: rest.parameters } : {}),
    ...(executors.length > 0 ? { executors: Object.fromEntries(executors.map((executor) => [executor.name, { docker: executor.docker.map((image) => ({ ...image })) }])) } : {}),
    ...(Object.keys(jobsOut).length > 0 ? { jobs: jobsOut } : {}),
    workflows: rest.workflows,
  };
}

/** Adds what the SDK cannot express (`serial-group`) or renders stale (`filters`) to a workflow entry. */
function withEntryOptions(entry: unknown, job: WorkflowJobShape | undefined): unknown {
  if (job === undefined || (job.filters === undefined && job.serialGroup === undefined)) return bareWhenEmpty(entry);
  const extra = {
    ...(job.serialGroup !== undefined ? { 'serial-group': job.serialGroup } : {}),
    ...(job.filters?.tags !== undefined ? { filters: { tags: { only: [...job.filters.tags.only] } } } : {}),
  };
  if (typeof entry === 'string') return { [entry]: extra };
  if (!isRecord(entry)) return entry;
  const [key, options] = Object.entries(entry)[0] ?? [];
  if (key === undefined) return entry;
  return { [key]: { ...(isRecord(options) ? options : {}), ...extra } };
}

/** `- NAME` for an entry without options (the SDK writes `- NAME: {}`). */
function bareWhenEmpty(entry: unknown): unknown {
  if (!isRecord(entry)) return entry;
  const [key, options, ...more] = Object.entries(entry).flat();
  return typeof key === 'string' && more.length === 0 && isRecord(options) && Object.keys(options).length === 0 ? key : entry;
}

/** The SDK's import of our orb, with each job's parameters read from the packed orb. */
function importOrb(use: OrbUse): SdkOrb {
  const jobs: Record<string, SdkParameters> = {};
  const orbJobs = isRecord(use.orb.jobs) ? use.orb.jobs : {};
  for (const [name, job] of Object.entries(orbJobs)) {
    const parameters = isRecord(job) && isRecord(job.parameters) ? job.parameters : {};
    jobs[name] = new CircleCI.parameters.CustomParametersList(
      Object.entries(parameters).map(([parameter, spec]) => {
        const type = (isRecord(spec) && typeof spec.type === 'string' ? spec.type : 'string') as ParameterType;
        if (type === 'enum' && isRecord(spec) && Array.isArray(spec.enum)) {
          return new CircleCI.parameters.CustomEnumParameter(parameter, spec.enum.map(String));
        }
        return new CircleCI.parameters.CustomParameter(parameter, type === 'enum' ? 'string' : type);
      }),
    );
  }
  const manifest = { jobs, commands: {}, executors: {} };
  return new CircleCI.orb.OrbImport(use.alias, use.namespace, 'circle-fargate', use.version, undefined, manifest);
}

/** A job the SDK knows by name only (its body is written into the config without it). */
function namedJob(name: string): InstanceType<typeof CircleCI.Job> {
  return new CircleCI.Job(name, new CircleCI.executors.DockerExecutor('cimg/base:current'), []);
}

function renderJob(job: LocalJobShape): InstanceType<typeof CircleCI.Job> {
  const executor = new CircleCI.executors.DockerExecutor(job.image, job.resourceClass as 'medium');
  return new CircleCI.Job(
    job.name,
    executor,
    job.steps.map((step) => new CircleCI.commands.Run({ name: step.name, command: step.command })),
  );
}
