/**
 * What `deploy` and `doctor` act on: the cluster, services, scheduled rules and schedules,
 * one-off tasks and region of an environment of the project description (ENV), each overridden
 * by its flag, or the flags alone without ENV.
 */
import { InputError } from '../errors.js';
import type { Environment, ProjectDescription } from '../description/resolve.js';
import { descriptionLoadOptions, listFlag, stringFlag, type Command } from './command.js';
import type { CliIO } from './io.js';

export interface EnvironmentScope {
  readonly cluster?: string;
  readonly services: readonly { readonly name: string; readonly containers?: readonly string[] }[];
  readonly rules: readonly string[];
  readonly rulePrefix?: string;
  readonly scheduleGroup?: string;
  readonly schedulePrefix?: string;
  readonly scheduledContainers: readonly string[];
  readonly tasks: Environment['tasks'];
  readonly region?: string;
  /** When a rollout counts as done (`--wait-until`, else the environment's `waitUntil`); undefined: complete. */
  readonly waitUntil?: 'complete' | 'serving';
  /** The environment and its description, when ENV was given. */
  readonly environment?: { readonly env: Environment; readonly description: ProjectDescription };
}

/** `whileLoading`: work for this process while the description loads in its own (description/load.ts). */
export async function environmentScope(
  args: Parameters<Command['run']>[0],
  io: CliIO,
  command: string,
  name: string | undefined,
  options: { readonly whileLoading?: () => void } = {},
): Promise<EnvironmentScope> {
  const flags = {
    cluster: stringFlag(args, 'cluster'),
    services: listFlag(args, 'service').map((service) => ({ name: service })),
    rules: listFlag(args, 'scheduled-rule'),
    rulePrefix: stringFlag(args, 'scheduled-rule-prefix'),
    scheduleGroup: stringFlag(args, 'schedule-group'),
    schedulePrefix: stringFlag(args, 'schedule-prefix'),
    scheduledContainers: listFlag(args, 'scheduled-container'),
    region: stringFlag(args, 'region'),
    waitUntil: stringFlag(args, 'wait-until'),
  };
  if (flags.waitUntil !== undefined && flags.waitUntil !== 'complete' && flags.waitUntil !== 'serving') {
    throw new InputError(`${command}: --wait-until: expected complete or serving (got ${JSON.stringify(flags.waitUntil)})`);
  }
  const waitUntil = flags.waitUntil;
  const defined = <T>(key: string, value: T | undefined): Record<string, T> => (value !== undefined ? { [key]: value } : {});
  if (name === undefined) {
    return {
      services: flags.services,
      rules: flags.rules,
      scheduledContainers: flags.scheduledContainers,
      tasks: [],
      ...defined('cluster', flags.cluster),
      ...defined('rulePrefix', flags.rulePrefix),
      ...defined('scheduleGroup', flags.scheduleGroup),
      ...defined('schedulePrefix', flags.schedulePrefix),
      ...defined('region', flags.region),
      ...defined('waitUntil', waitUntil),
    };
  }
  const { loadDescription } = await import('../description/load.js');
  const { description } = await loadDescription({ ...descriptionLoadOptions(args, io, command), ...(options.whileLoading ? { whileLoading: options.whileLoading } : {}) });
  const env = description.environments.find((candidate) => candidate.name === name);
  if (!env) {
    throw new InputError(`${command}: no environment "${name}" in the project description (expected one of ${description.environments.map((e) => e.name).join(', ') || 'none'})`);
  }
  return {
    cluster: flags.cluster ?? env.cluster,
    services: flags.services.length > 0 ? flags.services : env.services.map((service) => ({ name: service.name, ...(service.containers ? { containers: service.containers } : {}) })),
    rules: flags.rules.length > 0 ? flags.rules : [...env.scheduledTasks.rules],
    scheduledContainers: flags.scheduledContainers.length > 0 ? flags.scheduledContainers : [...(env.scheduledTasks.containers ?? [])],
    tasks: [...env.tasks],
    region: flags.region ?? env.region,
    ...defined('rulePrefix', flags.rulePrefix ?? env.scheduledTasks.rulePrefix),
    ...defined('scheduleGroup', flags.scheduleGroup ?? env.scheduledTasks.scheduleGroup),
    ...defined('schedulePrefix', flags.schedulePrefix ?? env.scheduledTasks.schedulePrefix),
    ...defined('waitUntil', waitUntil ?? env.waitUntil),
    environment: { env, description },
  };
}
