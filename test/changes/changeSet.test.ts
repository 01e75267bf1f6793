/**
 * The base of a change set in every CircleCI situation, on real repositories: a source
 * repository plays the remote, and a depth-1 clone over file:// plays the setup job's checkout.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { changeSetFromGit, parseChangedFilesList, type ChangeSet, type ChangeSetOptions } from '../../src/changes/changeSet.js';
import { gitIn, parseNulSeparated } from '../../src/changes/git.js';
import { depthSteps, parseTagList } from '../../src/changes/history.js';
import { InputError } from '../../src/errors.js';
import { triggerFromInput, type TriggerInput } from '../../src/trigger/context.js';
import { commit, commitCount, commitSeries, git, initRepo, removeDir, shallowClone, tempDir } from '../helpers/git.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

function repo(files: Record<string, string> = { 'README.md': 'start' }): string {
  const dir = initRepo(files);
  dirs.push(dir);
  return dir;
}

function clone(source: string, ref: string): string {
  const dir = shallowClone(source, ref);
  dirs.push(dir);
  return dir;
}

const OPTIONS: ChangeSetOptions = { defaultBranch: 'master', maxDepth: 1000 };

function changes(dir: string, trigger: TriggerInput, options: Partial<ChangeSetOptions> = {}): Promise<ChangeSet> {
  return changeSetFromGit(gitIn(dir), triggerFromInput(trigger, {}), { ...OPTIONS, ...options });
}

/** `count` commits, each touching its own file `prefix-N.txt`; returns the last commit. */
function commits(dir: string, prefix: string, count: number): string {
  return commitSeries(dir, Array.from({ length: count }, (_, i) => ({ files: { [`${prefix}-${i + 1}.txt`]: String(i + 1) }, message: `${prefix} ${i + 1}` }))).at(-1) ?? '';
}

describe('change list parsing', () => {
  it('reads one path a line, keeping spaces and tolerating CRLF', () => {
    assert.deepEqual(parseChangedFilesList('a b/c.php\r\n\n dir/x \nlast'), ['a b/c.php', ' dir/x ', 'last']);
  });
  it('splits NUL-separated git output without touching the bytes of a path', () => {
    assert.deepEqual(parseNulSeparated('a\nb\0"quoted"\0ü.txt\0'), ['a\nb', '"quoted"', 'ü.txt']);
  });
  it('reads ls-remote tag lists, preferring the commit an annotated tag points to', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    const tags = parseTagList(`${a}\trefs/tags/v1\n${b}\trefs/tags/v2\n${c}\trefs/tags/v2^{}\n${c}\trefs/tags/also\n`);
    assert.deepEqual(tags, new Map([[a, ['v1']], [c, ['also', 'v2']]]));
  });
  it('deepens in growing steps up to the cap', () => {
    assert.deepEqual(depthSteps(1000), [10, 50, 250, 1000]);
    assert.deepEqual(depthSteps(30), [10, 30]);
    assert.deepEqual(depthSteps(5), [5]);
  });
});

/** A push to master of `pushed` commits (`new-N.txt`) after `before` others, and a depth-1 clone of it. */
function masterPush(before: number, pushed: number): { dir: string; base: string; head: string } {
  const source = repo();
  const base = commits(source, 'old', before);
  const head = commits(source, 'new', pushed);
  return { dir: clone(source, 'master'), base, head };
}

describe('default branch push', () => {
  it('sees a push of several commits whole, fetching only the base', async () => {
    const { dir, base, head } = masterPush(40, 3);
    const result = await changes(dir, { branch: 'master', revision: head, baseRevision: base });
    assert.equal(result.selectAll, false);
    assert.equal(result.base.strategy, 'base-revision');
    assert.equal(result.base.revision, base);
    assert.deepEqual(result.files, ['new-1.txt', 'new-2.txt', 'new-3.txt']);
    assert.ok(commitCount(dir) <= 15, `fetched ${commitCount(dir)} commits of 44`);
  });

  it('starts no `git maintenance` after its fetches', async () => {
    const { dir, base, head } = masterPush(3, 2);
    // GIT_TRACE2_EVENT: git writes a JSON line per command it runs ("start") and per process it
    // starts ("child_start"), each with its argv.
    const traceDir = tempDir();
    dirs.push(traceDir);
    const trace = path.join(traceDir, 'trace.json');
    process.env.GIT_TRACE2_EVENT = trace;
    try {
      await changes(dir, { branch: 'master', revision: head, baseRevision: base });
    } finally {
      delete process.env.GIT_TRACE2_EVENT;
    }
    const events = readFileSync(trace, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string; argv?: string[] });
    assert.ok(events.some((event) => event.event === 'start' && event.argv?.includes('fetch')), 'a fetch ran');
    assert.deepEqual(events.filter((event) => event.event === 'child_start' && event.argv?.includes('maintenance')).map((event) => event.argv), []);
  });

  it('selects everything when the base is no ancestor (a force push)', async () => {
    const source = repo();
    const shared = commits(source, 'shared', 2);
    const oldTip = commits(source, 'old', 2);
    git(source, 'tag', 'keep-old', oldTip); // keeps the old tip fetchable
    git(source, 'reset', '--quiet', '--hard', shared);
    const head = commits(source, 'rewritten', 2);
    const dir = clone(source, 'master');
    const result = await changes(dir, { branch: 'master', revision: head, baseRevision: oldTip });
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /is not an ancestor of .*force push/);
  });

  it('selects everything when the base cannot be fetched', async () => {
    const source = repo();
    const head = commits(source, 'a', 2);
    const dir = clone(source, 'master');
    const result = await changes(dir, { branch: 'master', revision: head, baseRevision: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef' });
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /^the base revision deadbeefdead cannot be fetched \(/);
  });

  it('selects everything without a base: first pipeline, API and scheduled triggers', async () => {
    const source = repo();
    const dir = clone(source, 'master');
    const first = await changes(dir, { branch: 'master', baseRevision: '<nil>' });
    assert.equal(first.selectAll, true);
    assert.match(first.selectAllReason ?? '', /^no base revision: the first pipeline of the default branch master/);
    const api = await changes(dir, { branch: 'master', source: 'api' });
    assert.match(api.selectAllReason ?? '', /API-triggered pipeline on the default branch/);
    const scheduled = await changes(dir, { branch: 'master', source: 'scheduled_pipeline' });
    assert.match(scheduled.selectAllReason ?? '', /scheduled pipeline/);
  });

  it('sees everything a merge commit brings in', async () => {
    const source = repo();
    const base = commits(source, 'm', 1);
    git(source, 'checkout', '--quiet', '-b', 'feature');
    commits(source, 'feature', 2);
    git(source, 'checkout', '--quiet', 'master');
    commits(source, 'hotfix', 1);
    git(source, 'merge', '--quiet', '--no-ff', '--no-edit', 'feature');
    const head = git(source, 'rev-parse', 'HEAD');
    const dir = clone(source, 'master');
    const result = await changes(dir, { branch: 'master', revision: head, baseRevision: base });
    assert.deepEqual(result.files, ['feature-1.txt', 'feature-2.txt', 'hotfix-1.txt']);
  });

  it('counts both paths of a rename, deletions, and odd file names intact', async () => {
    const odd = ['with space.php', 'quote"d.php', "apos'trophe.php", 'new\nline.php', 'tab\there.php', 'ünïcödé/日本.php', '-dash.php'];
    const source = repo({ 'old/name.php': 'renamed content that is long enough to be a rename', 'gone.php': 'x' });
    const base = git(source, 'rev-parse', 'HEAD');
    git(source, 'mv', 'old/name.php', 'old/renamed.php');
    git(source, 'rm', '--quiet', 'gone.php');
    const head = commit(source, Object.fromEntries(odd.map((name) => [name, 'x'])));
    const dir = clone(source, 'master');
    const result = await changes(dir, { branch: 'master', revision: head, baseRevision: base });
    assert.deepEqual(result.files, [...odd, 'gone.php', 'old/name.php', 'old/renamed.php'].sort());
  });
});

describe('other branches', () => {
  it('diffs against the merge-base on a first push, ignoring what the default branch did since', async () => {
    const source = repo();
    commits(source, 'history', 30);
    git(source, 'checkout', '--quiet', '-b', 'feature/x');
    const head = commits(source, 'feature', 2);
    git(source, 'checkout', '--quiet', 'master');
    commits(source, 'master-since', 3);
    const forkPoint = git(source, 'rev-parse', 'feature/x~2');
    const dir = clone(source, 'feature/x');
    const result = await changes(dir, { branch: 'feature/x', revision: head, baseRevision: '<nil>' });
    assert.equal(result.selectAll, false, result.selectAllReason);
    assert.equal(result.base.strategy, 'merge-base');
    assert.equal(result.base.revision, forkPoint);
    assert.deepEqual(result.files, ['feature-1.txt', 'feature-2.txt']);
    assert.ok(commitCount(dir) <= 20, `fetched ${commitCount(dir)} commits of 36`);
  });

  it('uses the merge-base on an API trigger too, and after merging the default branch in', async () => {
    const source = repo();
    commits(source, 'm', 1);
    git(source, 'checkout', '--quiet', '-b', 'topic');
    commits(source, 'topic', 1);
    git(source, 'checkout', '--quiet', 'master');
    commits(source, 'master-new', 1);
    git(source, 'checkout', '--quiet', 'topic');
    git(source, 'merge', '--quiet', '--no-edit', 'master');
    const head = git(source, 'rev-parse', 'HEAD');
    const dir = clone(source, 'topic');
    const result = await changes(dir, { branch: 'topic', revision: head, source: 'api', params: ['deploy_env=pre'] });
    assert.equal(result.base.strategy, 'merge-base');
    assert.deepEqual(result.files, ['topic-1.txt']);
  });

  it('deepens step by step and gives up at the cap, selecting everything', async () => {
    const source = repo();
    git(source, 'checkout', '--quiet', '-b', 'long');
    const head = commits(source, 'long', 60);
    git(source, 'checkout', '--quiet', 'master');
    commits(source, 'm', 1);
    const capped = await changes(clone(source, 'long'), { branch: 'long', revision: head }, { maxDepth: 20 });
    assert.equal(capped.selectAll, true);
    assert.match(capped.selectAllReason ?? '', /no merge-base with the default branch master within 20 commits.*--max-depth/);
    const found = await changes(clone(source, 'long'), { branch: 'long', revision: head });
    assert.equal(found.selectAll, false);
    assert.equal(found.files.length, 60);
    assert.match(found.base.how, /history fetched to depth 250/);
  });

  it('selects everything when the branch shares no history with the default branch', async () => {
    const source = repo();
    git(source, 'checkout', '--quiet', '--orphan', 'unrelated');
    const head = commit(source, { 'other.txt': 'x' });
    const result = await changes(clone(source, 'unrelated'), { branch: 'unrelated', revision: head });
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /shares no history with the default branch master/);
  });

  it('selects everything when the default branch does not exist on the remote', async () => {
    const source = repo();
    git(source, 'checkout', '--quiet', '-b', 'feature');
    const head = commits(source, 'f', 1);
    const result = await changes(clone(source, 'feature'), { branch: 'feature', revision: head }, { defaultBranch: 'main' });
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /^the default branch main cannot be fetched from origin/);
  });
});

describe('tags', () => {
  it('diffs against the previous tag reachable from the revision, lightweight or annotated', async () => {
    const source = repo();
    const v1 = commits(source, 'one', 1);
    git(source, 'tag', '--annotate', '--message', 'release', 'v1.0.0', v1);
    commits(source, 'two', 2);
    git(source, 'checkout', '--quiet', '-b', 'side');
    git(source, 'tag', 'side-tag', commits(source, 'side', 1)); // not reachable from the release
    git(source, 'checkout', '--quiet', 'master');
    const v2 = commits(source, 'three', 1);
    git(source, 'tag', 'v1.1.0', v2);
    git(source, 'tag', 'v1.1.0-also', v2); // on the revision itself: not a previous tag
    const result = await changes(clone(source, 'v1.1.0'), { tag: 'v1.1.0', revision: v2 });
    assert.equal(result.base.strategy, 'previous-tag');
    assert.equal(result.base.revision, v1);
    assert.match(result.base.how, /the previous tag v1\.0\.0/);
    assert.deepEqual(result.files, ['three-1.txt', 'two-1.txt', 'two-2.txt']);
  });

  it('selects everything for the first tag', async () => {
    const source = repo();
    const head = commits(source, 'a', 3);
    git(source, 'tag', 'v0.1.0', head);
    const result = await changes(clone(source, 'v0.1.0'), { tag: 'v0.1.0', revision: head });
    assert.equal(result.selectAll, true);
    assert.match(result.selectAllReason ?? '', /^no earlier tag is reachable from/);
  });
});

describe('repositories without a remote', () => {
  it('works in a full local repository, with the default branch from local refs', async () => {
    const dir = repo();
    git(dir, 'checkout', '--quiet', '-b', 'feature');
    const head = commits(dir, 'f', 2);
    const result = await changes(dir, { branch: 'feature', revision: head });
    assert.deepEqual(result.files, ['f-1.txt', 'f-2.txt']);
  });

  it('sees only the project directory, with paths relative to it', async () => {
    const dir = repo({ 'project/app/a.php': '1', 'elsewhere/b.txt': '1' });
    const base = git(dir, 'rev-parse', 'HEAD');
    const head = commit(dir, { 'project/app/a.php': '2', 'elsewhere/b.txt': '2' });
    const result = await changeSetFromGit(gitIn(`${dir}/project`), triggerFromInput({ branch: 'master', revision: head, baseRevision: base }, {}), OPTIONS);
    assert.deepEqual(result.files, ['app/a.php']);
  });

  it('refuses to run outside a git repository (exit 2)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    await assert.rejects(
      changes(dir, { branch: 'master', baseRevision: 'abcdef1' }),
      (error: unknown) => error instanceof InputError && /^not a git repository/.test(error.message),
    );
  });
});
