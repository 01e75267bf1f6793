/**
 * Real git repositories in temporary directories for tests.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXAMPLE, ROOT } from './cli.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  // Test commits are never signed, whatever the machine's global configuration says; and no
  // commit starts `git maintenance run --auto` (a process each) in a repository that lives a test.
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'commit.gpgsign',
  GIT_CONFIG_VALUE_0: 'false',
  GIT_CONFIG_KEY_1: 'maintenance.auto',
  GIT_CONFIG_VALUE_1: 'false',
  LC_ALL: 'C',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function tempDir(prefix = 'circle-fargate-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A new repository on `branch` with the given files committed; returns its directory. */
export function initRepo(files: Record<string, string> = {}, branch = 'master'): string {
  const dir = tempDir();
  // No template: the sample hooks it would copy are never used here.
  git(dir, 'init', '--quiet', '--template=', '--initial-branch', branch);
  writeFiles(dir, files);
  if (Object.keys(files).length > 0) git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--allow-empty', '--message', 'initial');
  return dir;
}

const imported = new Map<string, string>();
process.on('exit', () => {
  imported.forEach(removeDir);
});

/**
 * A copy of a repository with an `initial` commit, then `import` holding what `fill` wrote. The
 * first call for a key (what `fill` writes) and branch makes it with git; later calls in the same
 * process copy that repository (the same two commits), which costs no process.
 */
function importedRepo(key: string, branch: string, fill: (dir: string) => void): string {
  const id = `${key}\0${branch}`;
  let made = imported.get(id);
  if (made === undefined) {
    made = initRepo({}, branch);
    fill(made);
    git(made, 'add', '--all');
    git(made, 'commit', '--quiet', '--message', 'import');
    imported.set(id, made);
  }
  const dir = tempDir();
  cpSync(made, dir, { recursive: true });
  return dir;
}

/** A repository holding a copy of a directory (such as the bundled example), committed. */
export function repoFromDirectory(source: string, branch = 'master'): string {
  return importedRepo(source, branch, (dir) => {
    cpSync(source, dir, { recursive: true });
  });
}

let exampleJson: Promise<string> | undefined;

/**
 * A repository holding the bundled example (as `repoFromDirectory(EXAMPLE)`), its description
 * given as circle-fargate.config.json instead of circle-fargate.config.ts: the value the .ts
 * exports, as the loader's process sends it back (JSON), read once per test process. Each load of
 * a .ts description starts a Node.js process (about 0.25 s of CPU); this is for the tests that
 * run many commands on the example and are about what is done with its description, not how it
 * is loaded (load.test.ts, hostile.test.ts, example.test.ts and the cli tests load the .ts).
 */
export async function exampleRepo(branch = 'master'): Promise<string> {
  exampleJson ??= (async () => {
    // The compiled loader, as the commands under test run it; typed from its source.
    const { readDescriptionValue } = (await import(pathToFileURL(path.join(ROOT, 'dist/description/load.js')).href)) as typeof import('../../src/description/load.js');
    return `${JSON.stringify(await readDescriptionValue(path.join(EXAMPLE, 'circle-fargate.config.ts'), { cwd: EXAMPLE }), null, 2)}\n`;
  })();
  const json = await exampleJson;
  return importedRepo('example as JSON', branch, (dir) => {
    cpSync(EXAMPLE, dir, { recursive: true, filter: (file) => file !== path.join(EXAMPLE, 'circle-fargate.config.ts') });
    writeFileSync(path.join(dir, 'circle-fargate.config.json'), json);
  });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** Writes files and commits them; returns the new commit. */
export function commit(dir: string, files: Record<string, string>, message = 'change'): string {
  writeFiles(dir, files);
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--allow-empty', '--message', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/**
 * Commits one after another on the checked-out branch, each writing its files, as `commit` would
 * one by one, but in one `git fast-import` (a long history costs 4 processes, not 3 a commit);
 * the work tree and index then match the last one. Returns the new commits, oldest first.
 */
export function commitSeries(dir: string, series: readonly { readonly files: Record<string, string>; readonly message: string }[]): string[] {
  if (series.length === 0) return [];
  const names = series.flatMap((item) => Object.keys(item.files));
  const odd = names.find((name) => name.includes('\n') || name.startsWith('"'));
  if (odd !== undefined) throw new Error(`commitSeries: ${JSON.stringify(odd)} needs quoting in a fast-import stream; use commit()`);
  const branch = git(dir, 'symbolic-ref', '--quiet', 'HEAD');
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  // `data N` then exactly N bytes; the newline after them is optional, and written.
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const stream = series
    .map(
      ({ files, message }, i) =>
        `commit ${branch}\nmark :${i + 1}\n` +
        `author ${GIT_ENV.GIT_AUTHOR_NAME} <${GIT_ENV.GIT_AUTHOR_EMAIL}> ${when}\n` +
        `committer ${GIT_ENV.GIT_COMMITTER_NAME} <${GIT_ENV.GIT_COMMITTER_EMAIL}> ${when}\n` +
        data(message) +
        (i === 0 ? `from ${branch}^0\n` : '') +
        Object.entries(files)
          .map(([name, content]) => `M 100644 inline ${name}\n${data(content)}`)
          .join('') +
        '\n',
    )
    .join('');
  const marks = path.join(dir, '.git', 'circle-fargate-test-marks');
  execFileSync('git', ['fast-import', '--quiet', `--export-marks=${marks}`], { cwd: dir, env: GIT_ENV, input: stream, stdio: ['pipe', 'pipe', 'pipe'] });
  git(dir, 'reset', '--quiet', '--hard');
  const shas = new Map(readFileSync(marks, 'utf8').trim().split('\n').map((line) => line.split(' ') as [string, string]));
  rmSync(marks);
  return series.map((_, i) => shas.get(`:${i + 1}`) ?? '');
}

/** A depth-1 clone of `source` at `ref` (branch or tag) over file://, as CircleCI's setup job makes. */
export function shallowClone(source: string, ref: string): string {
  const dir = tempDir('circle-fargate-clone-');
  git(dir, 'clone', '--quiet', '--depth', '1', '--branch', ref, `file://${source}`, '.');
  return dir;
}

/** Commits in a clone: a shallow clone that fetched only what it needed holds few. */
export function commitCount(dir: string): number {
  return Number(git(dir, 'rev-list', '--count', '--all'));
}
