/**
 * The commands the CLI knows, by name and one-line summary, each loaded only when it runs: so
 * `--version`, `--help` and one command do not load the code (and the AWS SDK) of all the others.
 * `commands/index.ts` holds the loaded commands; a test keeps the two lists the same.
 */
import type { Command } from './command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMAND_LIST: readonly CommandEntry[] = [
  { name: 'generate', summary: 'emit the continuation config for this pipeline', load: async () => (await import('./commands/generate.js')).generateCommand },
  { name: 'explain', summary: 'show which jobs this pipeline runs and why, without emitting config', load: async () => (await import('./commands/explain.js')).explainCommand },
  {
    name: 'deploy',
    summary: 'deploy an image to ECS services and scheduled tasks, watch it, roll back on failure',
    load: async () => (await import('./commands/deploy.js')).deployCommand,
  },
  {
    name: 'run',
    summary: 'run a one-off task of an environment (run prod migrate) and wait for its exit code',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  {
    name: 'rollback',
    summary: 'restore the before state a deploy record holds (services and scheduled targets), verified',
    load: async () => (await import('./commands/rollback.js')).rollbackCommand,
  },
  {
    name: 'doctor',
    summary: "estimate a deploy's time phase by phase and name the ECS/ELB settings that cost it (read-only)",
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  {
    name: 'notify',
    summary: 'send a deploy\'s outcome (from its summary) to a Slack or JSON webhook; never fails the deploy',
    load: async () => (await import('./commands/notify.js')).notifyCommand,
  },
  {
    name: 'trigger',
    summary: 'trigger a deploy of an API-triggered environment (pre, private) and follow it',
    load: async () => (await import('./commands/trigger.js')).triggerCommand,
  },
  { name: 'init', summary: 'write .circleci/config.yml, the setup config that runs circle-fargate', load: async () => (await import('./commands/init.js')).initCommand },
  { name: 'validate', summary: 'check CircleCI configs and packed orbs offline, after processing them as CircleCI does', load: async () => (await import('./commands/validate.js')).validateCommand },
  { name: 'config', summary: 'process a CircleCI config offline, as `circleci config process` does', load: async () => (await import('./commands/config.js')).configCommand },
  { name: 'orb', summary: 'pack or review an orb source tree (orb/src), offline', load: async () => (await import('./commands/orb.js')).orbCommand },
  { name: 'schema', summary: 'print the JSON Schema of the project description, for editors', load: async () => (await import('./commands/schema.js')).schemaCommand },
];
