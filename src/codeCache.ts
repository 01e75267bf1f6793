/**
 * Our own V8 code cache for the large CommonJS files the CLI loads at every start (the CLI's
 * bundle, the CircleCI schema validator): compiling them is a large share of a short command's
 * time, and Node.js 20 has no compile cache of its own (`module.enableCompileCache` is 22).
 *
 * A file is run as CommonJS through `vm.Script`, given the code V8 produced for it in an earlier
 * run. The cache of a command is written once the command has run (`save`), so that it holds the
 * functions that command compiled, not only the top level: one cache file per file and use
 * (`generate`, `deploy`...). Its name holds a hash of the Node.js and V8 versions, the platform
 * and the file's content: another Node.js or a changed file looks for another name. A cache
 * file starts with a hash of the rest, checked before V8 sees it: a truncated or damaged file is
 * ignored (and replaced); V8 itself rejects code produced with other flags.
 *
 * Where: $CIRCLE_FARGATE_CACHE_DIR, else $XDG_CACHE_HOME/circle-fargate, else
 * ~/.cache/circle-fargate; `CIRCLE_FARGATE_CACHE_DIR=` (empty) turns it off. The directory is
 * made private to the user (0700); one that another user owns or others may write to is not
 * used (code read from it runs). Nothing here fails a command: a directory that cannot be read
 * or written only means compiling as without the cache.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';

/** The cache files kept in the directory, newest first; older ones go when a new one is written. */
const KEEP = 24;
const SUFFIX = '.cache';
const DIGEST = 20; // sha1

export interface CachedModule {
  /** The file's `module.exports`. */
  readonly exports: unknown;
  /** Whether V8 took the code from the cache. */
  readonly fromCache: boolean;
  /** Writes the cache for this file and use when there was none to take (never throws). */
  save(): void;
}

/** The cache directory, or undefined when it is turned off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.CIRCLE_FARGATE_CACHE_DIR;
  if (chosen !== undefined) return chosen === '' ? undefined : path.resolve(chosen);
  const base = env.XDG_CACHE_HOME !== undefined && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'circle-fargate');
}

/**
 * Runs `file` as a CommonJS module, with its code from the cache when there is a valid one.
 * `use` names what it is loaded for (letters and dashes), the cache's name with the file's.
 */
export function requireCached(file: string, use: string, env: NodeJS.ProcessEnv = process.env): CachedModule {
  const source = readFileSync(file);
  const entry = cacheEntry(`${path.basename(file)}-${/^[a-z][a-z-]{0,31}$/.test(use) ? use : 'other'}`, source, env);
  const cachedData = entry?.read();
  const script = new Script(Module.wrap(source.toString('utf8')), { filename: file, ...(cachedData !== undefined ? { cachedData } : {}) });
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  let saved = fromCache;
  return {
    exports: module.exports,
    fromCache,
    save() {
      if (saved) return;
      saved = true;
      entry?.write(script.createCachedData());
    },
  };
}

/** One file of the cache: what `name` made from `input` (its content, with Node.js's and V8's versions, names the file). */
export interface CacheEntry {
  /** The payload, or undefined when there is none or it fails its hash. */
  read(): Buffer | undefined;
  /** Writes the payload (atomically; never throws). */
  write(payload: Buffer): void;
}

/** The cache's entry for `name` and `input`, or undefined when there is no usable cache directory. */
export function cacheEntry(name: string, input: Buffer | string, env: NodeJS.ProcessEnv = process.env): CacheEntry | undefined {
  const dir = codeCacheDir(env);
  if (dir === undefined || !safeDirectory(dir)) return undefined;
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${cacheKey(input)}${SUFFIX}`);
  return {
    read: () => readCache(file),
    write(payload) {
      try {
        writeCache(dir, file, payload);
      } catch {
        // A read-only or full disk: the next run makes it again.
      }
    },
  };
}

function cacheKey(input: Buffer | string): string {
  const hash = createHash('sha1');
  hash.update(`${process.version}\0${process.versions.v8}\0${process.platform}\0${process.arch}\0`);
  hash.update(input);
  return hash.digest('hex').slice(0, 24);
}

/** The directory, made when missing; usable only when it is ours and only we may write to it. */
function safeDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    if (!stat.isDirectory() || (stat.mode & 0o022) !== 0) return false;
    return typeof process.getuid !== 'function' || stat.uid === process.getuid();
  } catch {
    return false;
  }
}

/** The cached code, or undefined when there is none or it fails its hash. */
function readCache(file: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length <= DIGEST) return undefined;
  const payload = data.subarray(DIGEST);
  return createHash('sha1').update(payload).digest().equals(data.subarray(0, DIGEST)) ? payload : undefined;
}

function writeCache(dir: string, file: string, payload: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([createHash('sha1').update(payload).digest(), payload]), { mode: 0o600 });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
  prune(dir);
}

/** Keeps the newest KEEP cache files (each build of circle-fargate and each Node.js makes new ones). */
function prune(dir: string): void {
  const files = readdirSync(dir)
    .filter((entry) => entry.endsWith(SUFFIX))
    .map((entry) => {
      try {
        return { entry, time: statSync(path.join(dir, entry)).mtimeMs };
      } catch {
        return { entry, time: 0 };
      }
    })
    .sort((a, b) => b.time - a.time);
  for (const { entry } of files.slice(KEEP)) rmSync(path.join(dir, entry), { force: true });
}
