/**
 * Our V8 code cache (src/codeCache.ts), on real files in temporary directories: what it writes,
 * that it is taken only for the same content, and that a damaged, foreign or unusable cache is
 * ignored; then the CLI itself with a damaged cache of every file it keeps there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cacheEntry, codeCacheDir, requireCached } from '../../src/codeCache.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { BIN, cleanEnv, EXAMPLE, ROOT } from '../helpers/cli.js';

/** A CommonJS file worth caching: many functions, the ones `run` calls compiled once it ran. */
function moduleText(answer: number): string {
  const functions = Array.from({ length: 200 }, (_, index) => `function f${index}(x) { return x + ${index}; }`).join('\n');
  return `${functions}\nexports.answer = () => ${answer};\nexports.run = () => [${Array.from({ length: 200 }, (_, index) => `f${index}(1)`).join(', ')}].length;\nexports.dirname = __dirname;\n`;
}

function withCache(test: (dir: string, file: string, env: NodeJS.ProcessEnv) => void): void {
  const root = tempDir('circle-fargate-code-cache-');
  try {
    const file = path.join(root, 'module.cjs');
    writeFileSync(file, moduleText(42));
    const dir = path.join(root, 'cache');
    test(dir, file, { CIRCLE_FARGATE_CACHE_DIR: dir });
  } finally {
    removeDir(root);
  }
}

function cacheFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.cache'));
}

describe('the code cache', () => {
  it('is written once the module ran, private to the user, and taken by the next load of the same content', () => {
    withCache((dir, file, env) => {
      const first = requireCached(file, 'test', env);
      assert.equal(first.fromCache, false);
      assert.equal((first.exports as { answer: () => number }).answer(), 42);
      assert.equal((first.exports as { dirname: string }).dirname, path.dirname(file));
      (first.exports as { run: () => number }).run();
      assert.deepEqual(cacheFiles(dir), []);
      first.save();
      const [written] = cacheFiles(dir);
      assert.match(written ?? '', /^module\.cjs-test-[0-9a-f]{24}\.cache$/);
      assert.equal(readdirSync(dir).length, 1, 'no temporary file is left');
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(path.join(dir, written ?? '')).mode & 0o777, 0o600);

      const second = requireCached(file, 'test', env);
      assert.equal(second.fromCache, true);
      assert.equal((second.exports as { answer: () => number }).answer(), 42);
      second.save();
      assert.deepEqual(cacheFiles(dir), [written], 'a cache that was taken is not written again');
    });
  });

  it('never gives a changed file the code of its old content', () => {
    withCache((dir, file, env) => {
      requireCached(file, 'test', env).save();
      // Same length, other content: V8 itself would only compare the length of the source.
      writeFileSync(file, moduleText(43));
      const changed = requireCached(file, 'test', env);
      assert.equal(changed.fromCache, false);
      assert.equal((changed.exports as { answer: () => number }).answer(), 43);
      changed.save();
      assert.equal(cacheFiles(dir).length, 2);
      assert.equal(requireCached(file, 'test', env).fromCache, true);
    });
  });

  it('ignores a damaged cache file (a flipped byte, a truncated file, an empty one) and replaces it', () => {
    withCache((dir, file, env) => {
      requireCached(file, 'test', env).save();
      const cacheFile = path.join(dir, cacheFiles(dir)[0] ?? '');
      const good = readFileSync(cacheFile);
      const flipped = Buffer.from(good);
      const middle = Math.floor(flipped.length / 2);
      flipped.writeUInt8(flipped.readUInt8(middle) ^ 0xff, middle);
      for (const damaged of [flipped, good.subarray(0, Math.floor(good.length / 3)), Buffer.alloc(0), Buffer.from('not a cache at all')]) {
        writeFileSync(cacheFile, damaged);
        const loaded = requireCached(file, 'test', env);
        assert.equal(loaded.fromCache, false);
        assert.equal((loaded.exports as { answer: () => number }).answer(), 42);
        loaded.save();
        assert.equal(requireCached(file, 'test', env).fromCache, true, 'the damaged file was replaced by a good one');
      }
    });
  });

  it('leaves a directory others may write to, or another user owns, alone', () => {
    withCache((dir, file, env) => {
      mkdirSync(dir, { mode: 0o700 });
      chmodSync(dir, 0o777);
      const open = requireCached(file, 'test', env);
      open.save();
      assert.equal(open.fromCache, false);
      assert.deepEqual(readdirSync(dir), []);
      assert.equal(cacheEntry('name', 'input', env), undefined);
      chmodSync(dir, 0o700);
      if (process.getuid?.() === 0) {
        // As root (CI): a directory of another user (nobody, 65534).
        chownSync(dir, 65534, 65534);
        const foreign = requireCached(file, 'test', env);
        foreign.save();
        assert.equal(foreign.fromCache, false);
        assert.deepEqual(readdirSync(dir), []);
      }
    });
  });

  it('runs without a cache where none can be made, or when turned off', () => {
    withCache((dir, file, env) => {
      // Where the directory would go, a file: no directory can be made there.
      writeFileSync(dir, 'a file');
      const blocked = requireCached(file, 'test', env);
      blocked.save();
      assert.equal((blocked.exports as { answer: () => number }).answer(), 42);
      assert.equal(readFileSync(dir, 'utf8'), 'a file');
      assert.equal(codeCacheDir({ CIRCLE_FARGATE_CACHE_DIR: '' }), undefined);
      assert.equal(cacheEntry('name', 'input', { CIRCLE_FARGATE_CACHE_DIR: '' }), undefined);
    });
  });

  it('is found in XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/circle-fargate');
    assert.equal(codeCacheDir({ CIRCLE_FARGATE_CACHE_DIR: '/y', XDG_CACHE_HOME: '/x/cache' }), '/y');
    assert.match(codeCacheDir({}) ?? '', /\/\.cache\/circle-fargate$/);
  });

  it('keeps the CLI working when every cache file it wrote is damaged', () => {
    const dir = tempDir('circle-fargate-cli-cache-');
    try {
      const env = cleanEnv({ CIRCLE_FARGATE_CACHE_DIR: dir });
      const args = [BIN, 'generate', '--config', path.join(EXAMPLE, 'circle-fargate.config.ts'), '--branch', 'master', '--changed-files', path.join(EXAMPLE, 'changed-files.txt')];
      const first = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      // The CLI's bundle, the schema validator and the compiled description.
      const written = cacheFiles(dir).map((name) => name.replace(/-[0-9a-f]{24}\.cache$/, '')).sort();
      assert.deepEqual(written, ['circleci-config-validator.cjs-check', 'description', 'main.cjs-generate']);
      for (const name of cacheFiles(dir)) {
        const data = readFileSync(path.join(dir, name));
        data.writeUInt8(data.readUInt8(data.length - 1) ^ 0xff, data.length - 1);
        writeFileSync(path.join(dir, name), data);
      }
      const damaged = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(damaged.status, 0, damaged.stderr);
      assert.equal(damaged.stdout, first.stdout);
      const warm = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(warm.stdout, first.stdout);
    } finally {
      removeDir(dir);
    }
  });
});
