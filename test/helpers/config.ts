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

/** The job a workflow entry runs (`circle-fargate/build_image`) and its parameters. */
export function workflowInvocation(config: Config, name: string): { job: string; parameters: Config } {
  for (const workflow of Object.values<Config>(config.workflows ?? {})) {
    for (const entry of workflow.jobs as (string | Config)[]) {
      if (entryName(entry) !== name) continue;
      if (typeof entry === 'string') return { job: entry, parameters: {} };
      const [job, options] = Object.entries(entry)[0] ?? ['', {}];
      const { name: _name, requires: _requires, context: _context, type: _type, filters: _filters, 'serial-group': _serialGroup, ...parameters } = (options ?? {}) as Config;
      return { job, parameters };
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
