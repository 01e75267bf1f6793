/**
 * The change set: which files this pipeline changed, against which base, or why every job is
 * selected instead. Never "nothing" because of a git problem: when no usable base exists the
 * change set says why and selects everything.
 *
 * The base, by trigger (the setup job runs on a depth-1 clone, so commits are fetched as needed):
 * - default branch: the previous pipeline's revision (`pipeline.git.base_revision`), if it is an
 *   ancestor of the revision, so a push of several commits is seen whole;
 * - any other branch: the merge-base with the default branch;
 * - a tag: the previous tag reachable from the revision.
 */
import { InputError } from '../errors.js';
import type { TriggerContext } from '../trigger/context.js';
import { gitComplaint, parseNulSeparated, type Git } from './git.js';
import { History, type Search } from './history.js';

export type BaseStrategy = 'changed-files-list' | 'base-revision' | 'merge-base' | 'previous-tag' | 'none';

export interface ChangeSet {
  readonly base: {
    readonly revision: string | null;
    readonly strategy: BaseStrategy;
    /** How the base was chosen, for people. */
    readonly how: string;
  };
  /** Changed paths, relative to the project root, sorted, each once. */
  readonly files: readonly string[];
  /** True when every job is selected because no usable base exists. */
  readonly selectAll: boolean;
  readonly selectAllReason?: string;
}

export interface ChangeSetOptions {
  /** The project's default branch (`project.defaultBranch`). */
  readonly defaultBranch: string;
  /** The deepest history fetched while looking for a base. */
  readonly maxDepth: number;
  /** The remote to fetch from. */
  readonly remote?: string;
}

export const DEFAULT_MAX_DEPTH = 1000;

/** Reads a change list: one path a line (CRLF tolerated, blank lines ignored). */
export function parseChangedFilesList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line !== '');
}

export function changeSetFromList(files: readonly string[], source = 'the --changed-files list'): ChangeSet {
  return { base: { revision: null, strategy: 'changed-files-list', how: `changed files from ${source}` }, files: normalize(files), selectAll: false };
}

function selectAll(reason: string): ChangeSet {
  return { base: { revision: null, strategy: 'none', how: reason }, files: [], selectAll: true, selectAllReason: reason };
}

/**
 * The change set from git, in the repository `git` runs in; paths come relative to its working
 * directory (the project root), and changes outside it are not seen.
 */
export async function changeSetFromGit(git: Git, trigger: TriggerContext, options: ChangeSetOptions): Promise<ChangeSet> {
  const inside = await git(['rev-parse', '--is-inside-work-tree']);
  if (!inside.ok) {
    const complaint = gitComplaint(inside);
    const what = /^not a git repository/.test(complaint) ? complaint : `not a git repository (${complaint})`;
    throw new InputError(`${what}: run in the checkout, or pass --changed-files FILE`);
  }
  const history = new History(git, { remote: options.remote ?? 'origin', maxDepth: options.maxDepth });

  const wanted = trigger.revision ?? 'HEAD';
  const revision = await history.commit(wanted);
  if (!revision.ok) {
    // A repository without commits has no HEAD: say that, rather than that HEAD cannot be fetched.
    const unborn = wanted === 'HEAD' && !(await git(['rev-parse', '--verify', '--quiet', 'HEAD'])).ok && (await git(['rev-list', '-n', '1', '--all'])).stdout.trim() === '';
    if (unborn) throw new InputError('the repository has no commits yet: commit first, or pass --changed-files FILE');
    return selectAll(`the revision ${wanted} is not in this clone and cannot be fetched (${revision.error})`);
  }
  const rev = revision.sha;

  let found: Search;
  let strategy: BaseStrategy;
  if (trigger.tag !== undefined) {
    strategy = 'previous-tag';
    found = await history.previousTag(rev);
  } else if (trigger.branch === options.defaultBranch || trigger.branch === undefined) {
    strategy = 'base-revision';
    if (trigger.baseRevision === undefined) return selectAll(noBaseReason(trigger, options.defaultBranch));
    found = await history.ancestorBase(trigger.baseRevision, rev);
  } else {
    strategy = 'merge-base';
    found = await history.mergeBase(rev, options.defaultBranch);
  }
  if (!found.ok) return selectAll(found.reason);

  const diff = await git(['diff', '--no-renames', '-z', '--name-only', '--relative', found.sha, rev, '--']);
  if (!diff.ok) return selectAll(`git cannot diff ${short(found.sha)}..${short(rev)} (${gitComplaint(diff)})`);
  return {
    base: { revision: found.sha, strategy, how: found.how },
    files: normalize(parseNulSeparated(diff.stdout)),
    selectAll: false,
  };
}

function noBaseReason(trigger: TriggerContext, defaultBranch: string): string {
  const where = trigger.branch === undefined ? 'a pipeline without a branch' : `the default branch ${defaultBranch}`;
  switch (trigger.source) {
    case 'api':
      return `no base revision: an API-triggered pipeline on ${where} has no previous pipeline to compare with`;
    case 'scheduled_pipeline':
      return `no base revision: a scheduled pipeline on ${where} has no previous pipeline to compare with`;
    case 'webhook':
      return `no base revision: the first pipeline of ${where}, or CircleCI did not send one`;
  }
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

function normalize(files: readonly string[]): string[] {
  return [...new Set(files)].sort();
}
