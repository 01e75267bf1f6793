/**
 * Published orbs read offline: `--orb-dir DIR` holds packed orbs (`circle-fargate orb pack` or
 * `circleci orb source ns/orb@version` output) as DIR/NAMESPACE/ORB@VERSION.yml, or
 * DIR/NAMESPACE/ORB.yml for any version.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { readYaml } from './yamlRead.js';

/** A loader for `processConfig`: the packed orb for `ns/orb@version`, or undefined. */
export function orbDirLoader(dir: string): (reference: string) => unknown {
  const cache = new Map<string, unknown>();
  return (reference) => {
    const match = /^([a-z0-9_-]+)\/([a-z0-9_-]+)@(.+)$/i.exec(reference);
    if (!match) return undefined;
    const [, namespace = '', name = '', version = ''] = match;
    if (cache.has(reference)) return cache.get(reference);
    let value: unknown;
    for (const candidate of [`${name}@${version}.yml`, `${name}.yml`]) {
      const file = path.join(dir, namespace, candidate);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const read = readYaml(text, path.relative(process.cwd(), file) || file);
      // The orb was given but cannot be read: say where, not that it was missing.
      if (!read.ok) {
        const [problem] = read.problems;
        throw new InputError(`--orb-dir: ${problem ? `${problem.file}:${problem.line}: ${problem.message}` : file}; fix the packed orb (circleci orb pack) or leave it out`);
      }
      value = read.value;
      break;
    }
    cache.set(reference, value);
    return value;
  };
}
