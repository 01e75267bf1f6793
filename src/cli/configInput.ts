/** The flags `validate` and `config process` share: --param k=v and --orb-dir DIR. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, unreadable } from '../errors.js';
import { listFlag, stringFlag, type OptionsConfig, type ParsedArgs } from './command.js';

export const CONFIG_INPUT_OPTIONS = {
  param: { type: 'string', multiple: true },
  'orb-dir': { type: 'string' },
} as const satisfies OptionsConfig;

export interface ConfigInput {
  readonly parameters: Record<string, unknown>;
  readonly loadOrb?: (reference: string) => unknown;
}

export async function readConfigInput(args: ParsedArgs, command: string, cwd: string): Promise<ConfigInput> {
  const { readScalar } = await import('../circleci/check/yamlRead.js');
  const parameters: Record<string, unknown> = {};
  for (const pair of listFlag(args, 'param')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new InputError(`${command}: --param ${JSON.stringify(pair)}: expected NAME=VALUE, such as --param deploy_env=pre`);
    // A value is read as CircleCI reads YAML: --param run_e2e=true is a boolean, n=3 an integer.
    parameters[pair.slice(0, equals)] = readScalar(pair.slice(equals + 1));
  }
  const orbDir = stringFlag(args, 'orb-dir');
  if (orbDir === undefined) return { parameters };
  const dir = path.resolve(cwd, orbDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`${command}: --orb-dir ${orbDir}: not a directory; it holds packed orbs as NAMESPACE/ORB@VERSION.yml`);
  }
  const { orbDirLoader } = await import('../circleci/check/orbDir.js');
  return { parameters, loadOrb: orbDirLoader(dir) };
}

/** The text of the CircleCI config `file` (relative to `cwd`), or one line saying why it cannot be read. */
export async function readConfigFile(cwd: string, file: string, command: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new InputError(`${command}: cannot read ${file}: ${unreadable(error)}; give the path of a CircleCI config file`);
  }
}
