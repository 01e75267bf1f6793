/**
 * The one module that uses `@circleci/circleci-config-sdk`. The SDK is unmaintained upstream
 * (see DESIGN.md): its stale defaults are always overridden here, and what it cannot express
 * (`when: false` on a workflow, dropping `setup: false`) is added to its plain output.
 */
import CircleCI from '@circleci/circleci-config-sdk';
import type { ConfigShape, JobShape, Step } from './shape.js';

/** A CircleCI config as a plain object, ready for YAML. */
export type ConfigObject = Record<string, unknown>;

export function renderConfig(shape: ConfigShape): ConfigObject {
  const config = new CircleCI.Config();
  for (const parameter of shape.parameters) {
    config.defineParameter(parameter.name, parameter.type, parameter.default, parameter.description);
  }
  const jobs = new Map<string, InstanceType<typeof CircleCI.Job>>();
  for (const job of shape.jobs) {
    const sdkJob = renderJob(job);
    jobs.set(job.name, sdkJob);
    config.addJob(sdkJob);
  }
  for (const workflow of shape.workflows) {
    const sdkWorkflow = new CircleCI.Workflow(workflow.name);
    for (const entry of workflow.jobs) {
      const parameters = {
        ...(entry.requires.length > 0 ? { requires: [...entry.requires] } : {}),
        ...(entry.context.length > 0 ? { context: [...entry.context] } : {}),
      };
      if (entry.approval) {
        sdkWorkflow.addJobApproval(entry.job, parameters);
        continue;
      }
      const sdkJob = jobs.get(entry.job);
      if (!sdkJob) throw new Error(`workflow ${workflow.name} names job ${entry.job}, which the config does not define`);
      if (Object.keys(parameters).length > 0) sdkWorkflow.addJob(sdkJob, parameters);
      else sdkWorkflow.addJob(sdkJob);
    }
    config.addWorkflow(sdkWorkflow);
  }

  const generated = config.generate() as unknown as ConfigObject;
  const { setup, ...rest } = generated;
  const workflows = rest.workflows as Record<string, Record<string, unknown>> | undefined;
  for (const workflow of shape.workflows) {
    const target = workflows?.[workflow.name];
    if (workflow.when !== undefined && target) workflows[workflow.name] = { when: workflow.when, ...target };
  }
  return setup === true ? { setup, ...rest } : rest;
}

function renderJob(job: JobShape): InstanceType<typeof CircleCI.Job> {
  const executor = new CircleCI.executors.DockerExecutor(job.image, job.resourceClass as 'medium');
  return new CircleCI.Job(job.name, executor, job.steps.map(renderStep), {
    ...(job.parallelism !== undefined && job.parallelism > 1 ? { parallelism: job.parallelism } : {}),
    ...(job.environment ? { environment: { ...job.environment } } : {}),
  });
}

type SdkCommand = InstanceType<typeof CircleCI.commands.Run>;

function renderStep(step: Step): SdkCommand {
  switch (step.type) {
    case 'run':
      return new CircleCI.commands.Run({
        name: step.name,
        command: step.command,
        ...(step.environment ? { environment: { ...step.environment } } : {}),
        ...(step.when ? { when: step.when } : {}),
      });
    case 'setup_remote_docker':
      return new CircleCI.commands.SetupRemoteDocker({
        version: step.version,
        docker_layer_caching: step.dockerLayerCaching,
      }) as unknown as SdkCommand;
    case 'persist_to_workspace':
      return new CircleCI.commands.workspace.Persist({ root: step.root, paths: [...step.paths] }) as unknown as SdkCommand;
    case 'attach_workspace':
      return new CircleCI.commands.workspace.Attach({ at: step.at }) as unknown as SdkCommand;
    case 'store_test_results':
      return new CircleCI.commands.StoreTestResults({ path: step.path }) as unknown as SdkCommand;
    case 'store_artifacts':
      return new CircleCI.commands.StoreArtifacts({ path: step.path }) as unknown as SdkCommand;
  }
}
