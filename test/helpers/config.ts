import { parse } from 'yaml';

export type Config = Record<string, any>;

/** Parses emitted YAML as CircleCI does: YAML 1.1. */
export function parseConfig(yaml: string): Config {
  return parse(yaml, { version: '1.1' }) as Config;
}

/** An entry's name in its workflow: its `name` option, else the job it runs. */
function entryName(entry: string | Config): string {
  if (typeof entry === 'string') return entry;
  const [job, options] = Object.entries(entry)[0] ?? ['', {}];
  return typeof options?.name === 'string' ? options.name : job;
}

/** The job names of every workflow entry, in order. */
export function workflowJobNames(config: Config): string[] {
  const names: string[] = [];
  for (const workflow of Object.values<Config>(config.workflows ?? {})) {
    for (const entry of workflow.jobs as (string | Config)[]) names.push(entryName(entry));
  }
  return names;
}

/**
 * The job a workflow entry runs and the values it runs with. For a job of an orb
 * (`circle-fargate/build_image`): the entry's parameters. For a job of the config (an inline
 * orb's job the generator expanded): the arguments its steps pass to the orb's commands, merged,
 * and `commands`, the commands its steps call in order (`circle-fargate/deploy`).
 */
export function workflowInvocation(config: Config, name: string): { job: string; parameters: Config; commands: string[] } {
  for (const workflow of Object.values<Config>(config.workflows ?? {})) {
    for (const entry of workflow.jobs as (string | Config)[]) {
      if (entryName(entry) !== name) continue;
      const [job, options] = typeof entry === 'string' ? [entry, {}] : (Object.entries(entry)[0] ?? ['', {}]);
      const { name: _name, requires: _requires, context: _context, type: _type, filters: _filters, 'serial-group': _serialGroup, ...parameters } = (options ?? {}) as Config;
      const local = config.jobs?.[job] as Config | undefined;
      if (local === undefined) return { job, parameters, commands: [] };
      const steps = (local.steps ?? []) as (string | Config)[];
      const commands = steps.map((step) => (typeof step === 'string' ? step : (Object.keys(step)[0] ?? ''))).filter((step) => step.includes('/'));
      const args = Object.assign({}, ...steps.map((step) => (typeof step === 'string' ? {} : ((Object.values(step)[0] ?? {}) as Config)))) as Config;
      return { job, parameters: args, commands };
    }
  }
  throw new Error(`no workflow entry for ${name}`);
}

/** A workflow entry's options (`requires`, `context`, `type`, `serial-group`, `filters`), or {} for a bare name. */
export function workflowEntry(config: Config, name: string): Config {
  for (const workflow of Object.values<Config>(config.workflows ?? {})) {
    for (const entry of workflow.jobs as (string | Config)[]) {
      if (entryName(entry) !== name) continue;
      if (typeof entry === 'string') return {};
      const options = (Object.values(entry)[0] ?? {}) as Config;
      return Object.fromEntries(['type', 'requires', 'context', 'serial-group', 'filters'].filter((key) => key in options).map((key) => [key, options[key]]));
    }
  }
  throw new Error(`no workflow entry for ${name}`);
}
