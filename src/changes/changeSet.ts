/**
 * The change set: which files this pipeline changed, against which base, or why every job is
 * selected instead. Never "nothing" because of a git problem: when the base cannot be used the
 * change set says so and selects everything.
 */
import { InputError } from '../errors.js';
import type { TriggerContext } from '../trigger/context.js';
import { gitComplaint, parseNulSeparated, type Git } from './git.js';

export type BaseStrategy = 'changed-files-list' | 'base-revision' | 'none';

export interface ChangeSet {
  readonly base: { readonly revision: string | null; readonly strategy: BaseStrategy };
  /** Changed paths, relative to the repository root, sorted, each once. */
  readonly files: readonly string[];
  /** True when every job is selected because no usable base exists. */
  readonly selectAll: boolean;
  readonly selectAllReason?: string;
}

/** Reads a change list: one path a line (CRLF tolerated, blank lines ignored). */
export function parseChangedFilesList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line !== '');
}

export function changeSetFromList(files: readonly string[]): ChangeSet {
  return { base: { revision: null, strategy: 'changed-files-list' }, files: normalize(files), selectAll: false };
}

function selectAll(reason: string): ChangeSet {
  return { base: { revision: null, strategy: 'none' }, files: [], selectAll: true, selectAllReason: reason };
}

/** The change set from git: `baseRevision..revision` in the repository `git` runs in. */
export async function changeSetFromGit(git: Git, trigger: TriggerContext): Promise<ChangeSet> {
  const inside = await git(['rev-parse', '--is-inside-work-tree']);
  if (!inside.ok) throw new InputError(`not a git repository (${gitComplaint(inside)}): run in the checkout, or pass --changed-files FILE`);
  if (trigger.baseRevision === undefined) return selectAll('no base revision (first pipeline of the branch, or an API or scheduled trigger)');
  const revision = trigger.revision ?? 'HEAD';
  const diff = await git(['diff', '--no-renames', '-z', '--name-only', trigger.baseRevision, revision, '--']);
  if (!diff.ok) return selectAll(`git cannot diff ${trigger.baseRevision}..${revision}: ${gitComplaint(diff)}`);
  return {
    base: { revision: trigger.baseRevision, strategy: 'base-revision' },
    files: normalize(parseNulSeparated(diff.stdout)),
    selectAll: false,
  };
}

function normalize(files: readonly string[]): string[] {
  return [...new Set(files)].sort();
}
