/**
 * The description against the repository it sits in (src/description/repository.ts): the facts
 * gathered here (directories, the branches git knows), the judgement there. Errors stop the
 * command with every problem listed, as a description's own problems do (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { gitIn } from '../changes/git.js';
import type { LoadedDescription } from '../description/load.js';
import { checkAgainstRepository } from '../description/repository.js';
import { formatProblem } from '../description/schemaKit.js';
import { InputError } from '../errors.js';

export interface RepositoryCheckOptions {
  /**
   * Check branch names against the repository's refs: on a clone a person works in (init,
   * explain), not in a CircleCI job, whose shallow checkout holds one branch.
   */
  readonly branches: boolean;
}

/** The warnings; throws an InputError naming every error. */
export async function checkRepository(loaded: LoadedDescription, options: RepositoryCheckOptions): Promise<string[]> {
  const root = path.dirname(loaded.file);
  const branches = options.branches ? await branchNames(root) : undefined;
  const isDirectory = (relative: string) => {
    try {
      return statSync(path.join(root, relative)).isDirectory();
    } catch {
      return false;
    }
  };
  const testSuites = loaded.description.tests.some((suite) => suite.testsuite !== undefined) ? suiteNames(root) : undefined;
  const findings = checkAgainstRepository(loaded.description, { isDirectory, ...(branches !== undefined ? { branches } : {}), ...(testSuites !== undefined ? { testSuites } : {}) });
  if (findings.errors.length > 0) {
    const count = findings.errors.length === 1 ? '1 problem' : `${findings.errors.length} problems`;
    throw new InputError(`${path.basename(loaded.file)}: ${count} in the project description against the repository`, findings.errors.map(formatProblem));
  }
  return findings.warnings;
}

/** Local and remote-tracking branch names, each once; undefined when git cannot list them. */
async function branchNames(root: string): Promise<string[] | undefined> {
  const listed = await gitIn(root)(['for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/remotes']);
  if (!listed.ok) return undefined;
  const names = listed.stdout.split('\n').flatMap((ref) => {
    if (ref.startsWith('refs/heads/')) return [ref.slice(11)];
    const remote = /^refs\/remotes\/[^/]+\/(.+)$/.exec(ref)?.[1];
    return remote !== undefined && remote !== 'HEAD' ? [remote] : [];
  });
  return [...new Set(names)];
}

/** The `name` of each document of .circleci/test-suites.yml; undefined when it cannot be read. */
function suiteNames(root: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(root, '.circleci/test-suites.yml'), 'utf8');
  } catch {
    return undefined;
  }
  return parseAllDocuments(text).flatMap((document) => {
    const value: unknown = 'toJS' in document ? document.toJS() : undefined;
    const name = typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : undefined;
    return typeof name === 'string' ? [name] : [];
  });
}
