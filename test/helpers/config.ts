import { parse } from 'yaml';

export type Config = Record<string, any>;

/** Parses emitted YAML as CircleCI does: YAML 1.1. */
export function parseConfig(yaml: string): Config {
  return parse(yaml, { version: '1.1' }) as Config;
}

/** The job names of every workflow entry, in order. */
export function workflowJobNames(config: Config): string[] {
  const names: string[] = [];
  for (const workflow of Object.values<Config>(config.workflows ?? {})) {
    for (const entry of workflow.jobs as (string | Config)[]) {
      names.push(typeof entry === 'string' ? entry : String(Object.keys(entry)[0]));
    }
  }
  return names;
}

/** A workflow entry's options (`requires`, `context`, `type`), or {} for a bare name. */
export function workflowEntry(config: Config, job: string): Config {
  for (const workflow of Object.values<Config>(config.workflows ?? {})) {
    for (const entry of workflow.jobs as (string | Config)[]) {
      if (entry === job) return {};
      if (typeof entry !== 'string' && job in entry) return (entry[job] ?? {}) as Config;
    }
  }
  throw new Error(`no workflow entry for ${job}`);
}
