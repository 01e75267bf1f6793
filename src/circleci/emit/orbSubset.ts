/**
 * The part of the packed orb a config uses: the jobs it runs, and the commands and executors
 * those reach (transitively), without `examples`, `display`, parameter descriptions and the
 * comment lines of scripts. An inline orb is written into every emitted config; the rest of it
 * would only be read (and grepped) by people, who find it in the orb's source and in
 * `circle-fargate orb pack`.
 */
import { isRecord, type OrbObject } from '../../orb/pack.js';

export function orbSubset(orb: OrbObject, jobNames: readonly string[]): OrbObject {
  const jobs = isRecord(orb.jobs) ? orb.jobs : {};
  const commands = isRecord(orb.commands) ? orb.commands : {};
  const executors = isRecord(orb.executors) ? orb.executors : {};
  const usedJobs = new Set<string>();
  const usedCommands = new Set<string>();
  const usedExecutors = new Set<string>();

  const useExecutor = (value: unknown) => {
    const name = typeof value === 'string' ? value : isRecord(value) && typeof value.name === 'string' ? value.name : undefined;
    if (name !== undefined && name in executors) usedExecutors.add(name);
  };
  const useParameters = (parameters: unknown) => {
    if (!isRecord(parameters)) return;
    for (const spec of Object.values(parameters)) if (isRecord(spec) && spec.type === 'executor') useExecutor(spec.default);
  };
  const useSteps = (steps: unknown) => {
    if (!Array.isArray(steps)) return;
    for (const step of steps) {
      const name = typeof step === 'string' ? step : isRecord(step) ? Object.keys(step)[0] : undefined;
      if (name === undefined) continue;
      const body = isRecord(step) ? step[name] : undefined;
      if ((name === 'when' || name === 'unless') && isRecord(body)) {
        useSteps(body.steps);
      } else if (name in commands && !usedCommands.has(name)) {
        usedCommands.add(name);
        const command = commands[name];
        if (isRecord(command)) {
          useParameters(command.parameters);
          useSteps(command.steps);
        }
      }
    }
  };

  for (const name of jobNames) {
    const job = jobs[name];
    if (!isRecord(job) || usedJobs.has(name)) continue;
    usedJobs.add(name);
    useExecutor(job.executor);
    useParameters(job.parameters);
    useSteps(job.steps);
  }

  const pick = (all: Record<string, unknown>, used: Set<string>) =>
    Object.fromEntries(Object.keys(all).filter((key) => used.has(key)).map((key) => [key, slim(all[key])]));
  const { examples: _examples, display: _display, jobs: _jobs, commands: _commands, executors: _executors, ...rest } = orb;
  return {
    ...rest,
    ...(typeof rest.description === 'string' ? { description: rest.description.trim() } : {}),
    ...(usedCommands.size > 0 ? { commands: pick(commands, usedCommands) } : {}),
    // An executor is an image: its name says what its description would.
    ...(usedExecutors.size > 0 ? { executors: withoutDescriptions(pick(executors, usedExecutors)) } : {}),
    ...(usedJobs.size > 0 ? { jobs: pick(jobs, usedJobs) } : {}),
  };
}

/** A component (`key` undefined) without its parameters' descriptions, its scripts without comment lines. */
function slim(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key === 'command' ? withoutComments(value) : value;
  if (Array.isArray(value)) return value.map((item) => slim(item));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    if (name === 'description' && typeof item === 'string' && key === undefined) {
      // A component's description, folded from several lines in the source: on one line here.
      out[name] = item.trim();
    } else if (name === 'parameters' && isRecord(item)) {
      out[name] = Object.fromEntries(
        Object.entries(item).map(([parameter, spec]) => {
          if (!isRecord(spec)) return [parameter, spec];
          const { description: _description, ...rest } = spec;
          return [parameter, rest];
        }),
      );
    } else {
      out[name] = slim(item, name);
    }
  }
  return out;
}

/**
 * A shell script (one that starts with `#!`) without its comment-only and blank lines. The orb's
 * scripts hold no multi-line strings or here-documents with lines starting with `#`.
 */
export function withoutComments(script: string): string {
  if (!script.startsWith('#!')) return script;
  const [shebang, ...lines] = script.split('\n');
  const kept = lines.filter((line) => line.trim() !== '' && !/^\s*#/.test(line));
  return `${[shebang, ...kept].join('\n')}\n`;
}

function withoutDescriptions(components: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(components).map(([name, component]) => {
      if (!isRecord(component)) return [name, component];
      const { description: _description, ...rest } = component;
      return [name, rest];
    }),
  );
}
