import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { changeSetFromGit, parseChangedFilesList } from '../../src/changes/changeSet.js';
import { gitIn, parseNulSeparated } from '../../src/changes/git.js';
import { InputError } from '../../src/errors.js';
import { triggerFromInput } from '../../src/trigger/context.js';
import { commit, git, initRepo, removeDir, tempDir } from '../helpers/git.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

describe('change list parsing', () => {
  it('reads one path a line, keeping spaces and tolerating CRLF', () => {
    assert.deepEqual(parseChangedFilesList('a b/c.php\r\n\n dir/x \nlast'), ['a b/c.php', ' dir/x ', 'last']);
  });
  it('splits NUL-separated git output without touching the bytes of a path', () => {
    assert.deepEqual(parseNulSeparated('a\nb\0"quoted"\0ü.txt\0'), ['a\nb', '"quoted"', 'ü.txt']);
  });
});

describe('change set from git', () => {
  it('diffs the base revision against the revision', async () => {
    const dir = initRepo({ 'app/a.php': '1', 'README.md': 'x' });
    dirs.push(dir);
    const base = git(dir, 'rev-parse', 'HEAD');
    commit(dir, { 'app/a.php': '2' });
    const head = commit(dir, { 'docs/new file.md': 'y' });
    const changes = await changeSetFromGit(gitIn(dir), triggerFromInput({ branch: 'master', revision: head, baseRevision: base }, {}));
    assert.deepEqual(changes, {
      base: { revision: base, strategy: 'base-revision' },
      files: ['app/a.php', 'docs/new file.md'],
      selectAll: false,
    });
  });

  it('selects everything, saying why, when there is no base revision', async () => {
    const dir = initRepo({ 'a.txt': '1' });
    dirs.push(dir);
    const changes = await changeSetFromGit(gitIn(dir), triggerFromInput({ branch: 'master', baseRevision: '<nil>' }, {}));
    assert.equal(changes.selectAll, true);
    assert.match(changes.selectAllReason ?? '', /^no base revision/);
  });

  it('selects everything when git cannot find the base', async () => {
    const dir = initRepo({ 'a.txt': '1' });
    dirs.push(dir);
    const changes = await changeSetFromGit(
      gitIn(dir),
      triggerFromInput({ branch: 'master', baseRevision: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef' }, {}),
    );
    assert.equal(changes.selectAll, true);
    assert.match(changes.selectAllReason ?? '', /^git cannot diff deadbeef/);
  });

  it('refuses to run outside a git repository (exit 2)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    await assert.rejects(
      changeSetFromGit(gitIn(dir), triggerFromInput({ branch: 'master', baseRevision: 'abcdef1' }, {})),
      (error: unknown) => error instanceof InputError && /^not a git repository/.test(error.message),
    );
  });
});
