/**
 * Finding a base commit in a clone that may be shallow (CircleCI's setup job checks out at
 * depth 1). Commits are fetched exactly as needed: a single commit at depth 1; history is
 * deepened step by step, up to a cap, only to find an ancestor, a merge-base or a tag.
 * Every git argument is data (no shell); refs given by users only appear inside refspecs.
 */
import { gitComplaint, type Git } from './git.js';

export type Search = { readonly ok: true; readonly sha: string; readonly how: string } | { readonly ok: false; readonly reason: string };

type Found = { readonly found: string; readonly depth: number | null } | { readonly found?: undefined; readonly why: 'complete' | 'cap' | 'no-remote' | 'fetch'; readonly message?: string };

/** Where the default branch is fetched to, out of the way of the user's refs. */
export const DEFAULT_BRANCH_REF = 'refs/circle-fargate/default-branch';

const SHA = /^[0-9a-f]{7,40}$/;

export interface HistoryOptions {
  readonly remote: string;
  readonly maxDepth: number;
}

export function depthSteps(maxDepth: number): number[] {
  const steps: number[] = [];
  for (let depth = 10; depth < maxDepth; depth *= 5) steps.push(depth);
  steps.push(maxDepth);
  return steps;
}

export class History {
  readonly #git: Git;
  readonly #options: HistoryOptions;
  #shallow: boolean | undefined;
  #remote: boolean | undefined;

  constructor(git: Git, options: HistoryOptions) {
    this.#git = git;
    this.#options = options;
  }

  /** The commit `ref` names, fetched alone (depth 1) when it is a SHA missing from the clone. */
  async commit(ref: string): Promise<{ ok: true; sha: string } | { ok: false; error: string }> {
    const local = await this.#resolve(ref);
    if (local !== undefined) return { ok: true, sha: local };
    if (!SHA.test(ref)) return { ok: false, error: `git knows no commit ${ref}` };
    if (!(await this.#hasRemote())) return { ok: false, error: `not in the clone, and it has no remote "${this.#options.remote}"` };
    const fetched = await this.#git(['fetch', '--quiet', '--no-tags', '--depth=1', this.#options.remote, ref]);
    if (!fetched.ok) return { ok: false, error: gitComplaint(fetched) };
    const sha = await this.#resolve(ref);
    return sha !== undefined ? { ok: true, sha } : { ok: false, error: `fetched, but git still knows no commit ${ref}` };
  }

  /** The previous pipeline's revision, when it is an ancestor of `revision`. */
  async ancestorBase(base: string, revision: string): Promise<Search> {
    const commit = await this.commit(base);
    if (!commit.ok) return { ok: false, reason: `the base revision ${short(base)} cannot be fetched (${commit.error})` };
    const result = await this.#deepenUntil(async () => {
      const check = await this.#git(['merge-base', '--is-ancestor', commit.sha, revision]);
      return check.ok ? commit.sha : undefined;
    }, [revision]);
    if (result.found !== undefined) {
      return { ok: true, sha: commit.sha, how: `the previous pipeline's revision ${short(commit.sha)}, an ancestor of ${short(revision)}${depthNote(result.depth)}` };
    }
    const what = `the base revision ${short(commit.sha)}`;
    return { ok: false, reason: this.#failure(result, `${what} is not an ancestor of ${short(revision)} (history rewritten by a force push?)`, `${what} is not an ancestor within ${this.#options.maxDepth} commits of ${short(revision)}`) };
  }

  /** The merge-base of `revision` with the default branch, fetched from the remote when it has one. */
  async mergeBase(revision: string, defaultBranch: string): Promise<Search> {
    const refspec = `+refs/heads/${defaultBranch}:${DEFAULT_BRANCH_REF}`;
    let target: string;
    const refspecs = [revision];
    if (await this.#hasRemote()) {
      const fetched = await this.#git(['fetch', '--quiet', '--no-tags', '--depth=1', this.#options.remote, refspec]);
      if (!fetched.ok) return { ok: false, reason: `the default branch ${defaultBranch} cannot be fetched from ${this.#options.remote} (${gitComplaint(fetched)})` };
      target = DEFAULT_BRANCH_REF;
      refspecs.push(refspec);
    } else {
      const local = (await this.#resolve(`refs/remotes/${this.#options.remote}/${defaultBranch}`)) ?? (await this.#resolve(`refs/heads/${defaultBranch}`));
      if (local === undefined) return { ok: false, reason: `the default branch ${defaultBranch} is not in this clone, and it has no remote "${this.#options.remote}"` };
      target = local;
    }
    const result = await this.#deepenUntil(async () => {
      const found = await this.#git(['merge-base', revision, target]);
      return found.ok ? found.stdout.trim() : undefined;
    }, refspecs);
    if (result.found !== undefined) {
      return { ok: true, sha: result.found, how: `the merge-base ${short(result.found)} with the default branch ${defaultBranch}${depthNote(result.depth)}` };
    }
    return { ok: false, reason: this.#failure(result, `${short(revision)} shares no history with the default branch ${defaultBranch}`, `no merge-base with the default branch ${defaultBranch} within ${this.#options.maxDepth} commits`) };
  }

  /** The nearest earlier commit with a tag, reachable from `revision` (tags on `revision` itself do not count). */
  async previousTag(revision: string): Promise<Search> {
    const tags = await this.#tags();
    if (!tags.ok) return { ok: false, reason: `the tags cannot be listed (${tags.error})` };
    const result = await this.#deepenUntil(async () => {
      const list = await this.#git(['rev-list', revision]);
      if (!list.ok) return undefined;
      return list.stdout.split('\n').find((sha) => sha !== '' && sha !== revision && tags.byCommit.has(sha));
    }, [revision]);
    if (result.found !== undefined) {
      const names = (tags.byCommit.get(result.found) ?? []).join(', ');
      return { ok: true, sha: result.found, how: `the previous tag ${names} at ${short(result.found)}${depthNote(result.depth)}` };
    }
    return { ok: false, reason: this.#failure(result, `no earlier tag is reachable from ${short(revision)}`, `no earlier tag within ${this.#options.maxDepth} commits of ${short(revision)}`) };
  }

  #failure(result: Exclude<Found, { found: string }>, complete: string, cap: string): string {
    switch (result.why) {
      case 'complete':
        return complete;
      case 'cap':
        return `${cap} (the deepening cap; raise it with --max-depth)`;
      case 'no-remote':
        return `${complete.replace(/ \(.*\)$/, '')} in this shallow clone, which has no remote "${this.#options.remote}" to deepen from`;
      case 'fetch':
        return `history cannot be deepened (${result.message ?? 'git fetch failed'})`;
    }
  }

  /**
   * Calls `find` on the history at hand; while it finds nothing and the clone is shallow,
   * deepens `refspecs` (to 10, 50, 250, ... commits, up to the cap) and tries again.
   */
  async #deepenUntil(find: () => Promise<string | undefined>, refspecs: readonly string[]): Promise<Found> {
    const first = await find();
    if (first !== undefined) return { found: first, depth: null };
    if (!(await this.#isShallow())) return { why: 'complete' };
    if (!(await this.#hasRemote())) return { why: 'no-remote' };
    let known = await this.#count();
    let reached = 1; // a clone's own depth, or one commit fetched alone
    for (const depth of depthSteps(this.#options.maxDepth)) {
      // --deepen, not --depth: git does not deepen a commit it already has when asked with --depth.
      const fetched = await this.#git(['fetch', '--quiet', '--no-tags', `--deepen=${Math.max(1, depth - reached)}`, this.#options.remote, ...refspecs]);
      reached = depth;
      if (!fetched.ok) return { why: 'fetch', message: gitComplaint(fetched) };
      const found = await find();
      if (found !== undefined) return { found, depth };
      const now = await this.#count();
      if (now === known) return { why: 'complete' };
      known = now;
    }
    return { why: 'cap' };
  }

  async #resolve(ref: string): Promise<string | undefined> {
    const result = await this.#git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    return result.ok ? result.stdout.trim() : undefined;
  }

  async #isShallow(): Promise<boolean> {
    this.#shallow ??= (await this.#git(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';
    return this.#shallow;
  }

  async #hasRemote(): Promise<boolean> {
    this.#remote ??= (await this.#git(['remote', 'get-url', '--', this.#options.remote])).ok;
    return this.#remote;
  }

  /** Commits in the clone: when a deeper fetch adds none, the history is complete. */
  async #count(): Promise<number> {
    const result = await this.#git(['rev-list', '--count', '--all']);
    return Number(result.stdout.trim()) || 0;
  }

  async #tags(): Promise<{ ok: true; byCommit: Map<string, string[]> } | { ok: false; error: string }> {
    const remote = await this.#hasRemote();
    const listed = remote
      ? await this.#git(['ls-remote', '--tags', '--', this.#options.remote])
      : await this.#git(['for-each-ref', '--format=%(objectname)\t%(refname)%0a%(*objectname)\t%(refname)^{}', 'refs/tags']);
    if (!listed.ok) return { ok: false, error: gitComplaint(listed) };
    return { ok: true, byCommit: parseTagList(listed.stdout) };
  }
}

/**
 * Parses `git ls-remote --tags` lines (`SHA<TAB>refs/tags/NAME`, and `NAME^{}` for the commit an
 * annotated tag points to) into commit -> tag names. A peeled line replaces the tag object.
 */
export function parseTagList(output: string): Map<string, string[]> {
  const commitOf = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha === undefined || ref === undefined || !/^[0-9a-f]{40,64}$/.test(sha) || !ref.startsWith('refs/tags/')) continue;
    const peeled = ref.endsWith('^{}');
    const name = ref.slice('refs/tags/'.length, peeled ? -3 : undefined);
    if (peeled || !commitOf.has(name)) commitOf.set(name, sha);
  }
  const byCommit = new Map<string, string[]>();
  for (const [name, sha] of [...commitOf].sort(([a], [b]) => a.localeCompare(b))) {
    byCommit.set(sha, [...(byCommit.get(sha) ?? []), name]);
  }
  return byCommit;
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

function depthNote(depth: number | null): string {
  return depth === null ? '' : ` (history fetched to depth ${depth})`;
}
