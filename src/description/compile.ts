/**
 * The common case of a code description, compiled by the loader (load.ts) before the description's
 * own process (loadChild.ts) runs it: a .ts file that imports nothing but `circle-fargate` and
 * Node.js's own modules, compiled by esbuild to CommonJS. Compiling only reads the file; nothing
 * of it runs here, and the description's process loads no esbuild. Anything else is left to tsx
 * in the description's process: a relative import (a graph of files), top-level await or
 * `import.meta` (not CommonJS), or any warning.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';

export type Compiled =
  | { readonly kind: 'compiled'; readonly code: string }
  | { readonly kind: 'tsx' }
  | { readonly kind: 'syntax'; readonly message: string; readonly line?: number; readonly column?: number };

export async function compileDescription(file: string, text?: string): Promise<Compiled> {
  const reading = text ?? readFile(file, 'utf8');
  const transformSync = esbuildTransform();
  const source = await reading;
  let compiled: ReturnType<typeof transformSync>;
  try {
    compiled = transformSync(source, { loader: 'ts', format: 'cjs', platform: 'node', target: 'node20', sourcefile: file, logLevel: 'silent' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/top-level await|import\.meta/i.test(message)) return { kind: 'tsx' };
    return { kind: 'syntax', ...esbuildError(message) };
  }
  // Only `circle-fargate` and Node.js's own modules: anything else (a file of the project, a path
  // alias, a package) is tsx's to resolve.
  const requires = [...compiled.code.matchAll(/\brequire\((["'])([^"']*)\1\)/g)].map((match) => match[2] ?? '');
  if (compiled.warnings.length > 0 || /\bimport\(/.test(compiled.code) || !requires.every((request) => request === 'circle-fargate' || isBuiltin(request))) return { kind: 'tsx' };
  return { kind: 'compiled', code: compiled.code };
}

/**
 * esbuild's synchronous transform. A CLI run compiles one file: esbuild's own process, run once,
 * is cheaper than the worker thread (and long-lived service) its synchronous API starts by
 * default. The variable is read when the package loads, and then put back as it was.
 */
function esbuildTransform(): typeof import('esbuild').transformSync {
  const before = process.env.ESBUILD_WORKER_THREADS;
  process.env.ESBUILD_WORKER_THREADS = '0';
  try {
    // Required, not imported: esbuild is CommonJS, and an import first scans its whole source
    // for the names it exports (about 15 ms of a CLI run).
    return (createRequire(import.meta.url)('esbuild') as typeof import('esbuild')).transformSync;
  } finally {
    if (before === undefined) delete process.env.ESBUILD_WORKER_THREADS;
    else process.env.ESBUILD_WORKER_THREADS = before;
  }
}

/** The version of the esbuild that compiles descriptions (its package.json; esbuild itself is not loaded). */
export function esbuildVersion(): string {
  // Resolved first: a missing esbuild is named as such ("Cannot find module 'esbuild'").
  const main = createRequire(import.meta.url).resolve('esbuild');
  return (JSON.parse(readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** esbuild's "Transform failed with 1 error:\n/abs/file.ts:3:14: ERROR: Expected ..." as message, line and column (1-based). */
export function esbuildError(message: string): { message: string; line?: number; column?: number } {
  const found = /:(\d+):(\d+): ERROR: (.+)$/m.exec(message);
  if (!found) return { message: message.split('\n')[0] ?? '' };
  return { message: (found[3] ?? '').trim(), line: Number(found[1]), column: Number(found[2]) + 1 };
}
