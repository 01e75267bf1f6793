/**
 * Misspelled keys in what processing consumes (commands, executors, parameter declarations) or
 * passes through unchecked (the top level, workflows, schedule triggers, job filters), checked on
 * the source, at the line of the key, with the key meant.
 *
 * Which are errors: where CircleCI's schema permits no other key (`additionalProperties: false`
 * in the official schema: commands, executors, parameter declarations), CircleCI refuses the
 * config: "ERROR IN CONFIG FILE: [#/parameters/x] extraneous key [sector_builder_tests] is not
 * permitted | Permitted keys: type, default, description, enum" (filecoin-project/venus#2275).
 * Elsewhere (the top level, a workflow, a schedule, filters) the schema leaves other keys
 * alone and CircleCI ignores them: a `whne:` runs the workflow always, a `branchs:` filters
 * nothing, so these are warnings. At the top level, where anchors live under keys of any name
 * (`references:`, `defaults:`), only a key close to a known one is named.
 */
import { createRequire } from 'node:module';
import { isRecord } from '../../orb/pack.js';
import { closestOf } from './references.js';
import { locationOf } from './yamlRead.js';

export interface KeyProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

interface Known {
  readonly top: readonly string[];
  readonly command: readonly string[];
  readonly executor: readonly string[];
  readonly parameter: readonly string[];
  readonly workflow: readonly string[];
  readonly schedule: readonly string[];
  readonly filters: readonly string[];
}

let known: Known | undefined;

/** The keys the official schema names at each level (schemas/circleci-config.schema.json). */
function knownKeys(): Known {
  if (known) return known;
  const require = createRequire(import.meta.url);
  const schema = require('../../../schemas/circleci-config.schema.json') as Record<string, unknown>;
  const at = (...path: (string | number)[]): string[] => {
    let node: unknown = schema;
    for (const key of path) node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined;
    return isRecord(node) && isRecord(node.properties) ? Object.keys(node.properties) : [];
  };
  const workflow = ['properties', 'workflows', 'additionalProperties'];
  known = {
    top: at(),
    command: at('properties', 'commands', 'additionalProperties', 'oneOf', 0),
    executor: at('properties', 'executors', 'additionalProperties', 'oneOf', 0),
    parameter: at('properties', 'parameters', 'additionalProperties'),
    workflow: at(...workflow),
    schedule: at(...workflow, 'properties', 'triggers', 'items', 'properties', 'schedule'),
    filters: at('definitions', 'workflowJobInvocation', 'oneOf', 1, 'additionalProperties', 'properties', 'filters', 'oneOf', 0),
  };
  return known;
}

/** Every unknown key of the config (or orb) `root`, inline orbs included. */
export function checkSourceKeys(root: unknown, file: string): KeyProblem[] {
  const keys = knownKeys();
  const problems: KeyProblem[] = [];
  const check = (map: unknown, allowed: readonly string[], what: string, severity: 'error' | 'warning', onlyClose = false) => {
    if (!isRecord(map)) return;
    for (const key of Object.keys(map)) {
      if (allowed.includes(key)) continue;
      const hint = closestOf(key, allowed);
      if (onlyClose && hint === '') continue;
      const location = locationOf(map);
      const consequence = severity === 'error' ? 'CircleCI refuses the config' : 'CircleCI ignores it';
      problems.push({
        file: location?.file ?? file,
        line: location?.entries.get(key) ?? location?.line ?? 1,
        message: `${what}: unknown key "${key}"${hint === '' ? ` (known: ${allowed.join(', ')})` : hint}; ${consequence}`,
        severity,
      });
    }
  };
  const definitions = (scope: unknown, depth: number) => {
    if (!isRecord(scope) || depth > 8) return;
    for (const [kind, allowed] of [['commands', keys.command], ['executors', keys.executor], ['jobs', undefined]] as const) {
      const entries = isRecord(scope[kind]) ? scope[kind] : {};
      for (const [name, definition] of Object.entries(entries)) {
        if (!isRecord(definition)) continue;
        if (allowed) check(definition, allowed, `${kind.slice(0, -1)} ${name}`, 'error');
        if (isRecord(definition.parameters)) for (const [parameter, spec] of Object.entries(definition.parameters)) check(spec, keys.parameter, `${kind.slice(0, -1)} ${name}: parameter ${parameter}`, 'error');
      }
    }
    for (const orb of Object.values(isRecord(scope.orbs) ? scope.orbs : {})) definitions(orb, depth + 1);
  };
  if (!isRecord(root)) return problems;
  check(root, keys.top, 'the config', 'warning', true);
  if (isRecord(root.parameters)) for (const [parameter, spec] of Object.entries(root.parameters)) check(spec, keys.parameter, `pipeline parameter ${parameter}`, 'error');
  definitions(root, 0);
  for (const [name, workflow] of Object.entries(isRecord(root.workflows) ? root.workflows : {})) {
    if (!isRecord(workflow)) continue;
    check(workflow, keys.workflow, `workflow ${name}`, 'warning');
    for (const trigger of Array.isArray(workflow.triggers) ? workflow.triggers : []) if (isRecord(trigger)) check(trigger.schedule, keys.schedule, `workflow ${name}: schedule`, 'warning');
    for (const entry of Array.isArray(workflow.jobs) ? workflow.jobs : []) {
      const options = isRecord(entry) ? Object.values(entry)[0] : undefined;
      if (isRecord(options)) check(options.filters, keys.filters, `workflow ${name}: filters`, 'warning');
    }
  }
  return problems;
}
