/**
 * Which Terraform root modules a change reaches through the local modules they use.
 *
 * A root uses the modules its `module` blocks name with a local `source` ("./x", "../x"),
 * and the modules those use, transitively. HCL is read by a real parser (./hcl.ts), and only when a changed file could lie inside a module (its directory, or the nearest one
 * that exists, holds Terraform files; or it is a deleted Terraform file) and some root is not
 * already selected.
 * A file that cannot be parsed never hides a change: the roots that reach it are selected.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TerraformRoot } from '../description/resolve.js';
import { parseHcl } from './hcl.js';

export interface ModuleHit {
  /** The module directory, relative to the project root. */
  readonly module: string;
  /** The changed files under it. */
  readonly files: readonly string[];
}

export interface TerraformImpact {
  /** Roots reached by a changed file inside a module they use. */
  readonly viaModules: ReadonlyMap<string, readonly ModuleHit[]>;
  /** Roots selected because part of their module tree could not be read. */
  readonly unreadable: ReadonlyMap<string, string>;
  /** Local modules each analysed root uses, for explain. */
  readonly modulesUsed: ReadonlyMap<string, readonly string[]>;
  /** Whether the HCL was parsed at all (false when no change could reach a module). */
  readonly parsed: boolean;
}

export const NO_IMPACT: TerraformImpact = { viaModules: new Map(), unreadable: new Map(), modulesUsed: new Map(), parsed: false };

/** Terraform version files that select a root when they change in it or in a directory above it. */
export const VERSION_FILES = ['.terraform-version', '.tool-versions', '.terraform.lock.hcl'] as const;

export function isUnder(file: string, dir: string): boolean {
  return dir === '.' || dir === '' || file.startsWith(`${dir}/`);
}

/** Changed version files in `dir` or any directory above it, up to the project root. */
export function versionFileChanges(dir: string, files: readonly string[]): string[] {
  const dirs = new Set<string>(['']);
  let current = dir === '.' ? '' : dir;
  while (current !== '') {
    dirs.add(current);
    const parent = path.posix.dirname(current);
    current = parent === '.' ? '' : parent;
  }
  return files.filter((file) => {
    const name = path.posix.basename(file);
    if (!(VERSION_FILES as readonly string[]).includes(name)) return false;
    const parent = path.posix.dirname(file);
    return dirs.has(parent === '.' ? '' : parent);
  });
}

interface ModuleInfo {
  readonly sources: readonly string[];
  readonly problem?: string;
}

/** Which roots the changed `files` reach through the modules they use (read from the disk, synchronously). */
export function terraformImpact(projectRoot: string, roots: readonly TerraformRoot[], files: readonly string[], options: { readonly all?: boolean } = {}): Promise<TerraformImpact> {
  try {
    return Promise.resolve(readImpact(projectRoot, roots, files, options));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function readImpact(projectRoot: string, roots: readonly TerraformRoot[], files: readonly string[], options: { readonly all?: boolean }): TerraformImpact {
  const open = roots.filter((root) => !files.some((file) => isUnder(file, root.dir)));
  const candidates = open.length > 0 && files.length > 0 ? filesInTerraformDirs(projectRoot, files) : [];
  // `all` reads every root's tree for explain, but selects exactly what generate selects.
  const analysed = options.all === true ? roots : candidates.length > 0 ? open : [];
  if (analysed.length === 0) return NO_IMPACT;

  const infos = new Map<string, ModuleInfo>();
  const info = (dir: string) => {
    let found = infos.get(dir);
    if (!found) {
      found = readModule(projectRoot, dir);
      infos.set(dir, found);
    }
    return found;
  };

  const viaModules = new Map<string, ModuleHit[]>();
  const unreadable = new Map<string, string>();
  const modulesUsed = new Map<string, string[]>();
  for (const root of analysed) {
    const selects = candidates.length > 0 && open.includes(root);
    const seen = new Set<string>([root.dir]);
    const queue = [root.dir];
    const problems: string[] = [];
    while (queue.length > 0) {
      const dir = queue.shift() as string;
      const module = info(dir);
      if (module.problem !== undefined) problems.push(module.problem);
      for (const source of module.sources) {
        if (!seen.has(source)) {
          seen.add(source);
          queue.push(source);
        }
      }
    }
    const used = [...seen].filter((dir) => dir !== root.dir).sort();
    modulesUsed.set(root.name, used);
    const hits = used
      .map((module) => ({ module, files: candidates.filter((file) => isUnder(file, module)) }))
      .filter((hit) => hit.files.length > 0);
    if (selects && hits.length > 0) viaModules.set(root.name, hits);
    if (selects && problems.length > 0) unreadable.set(root.name, problems.join('; '));
  }
  return { viaModules, unreadable, modulesUsed, parsed: true };
}

// Directories and files are read synchronously: a run reads a few of them, and each read through
// libuv's thread pool costs a round trip (0.3 to 2 ms, one after another, on a busy machine).
function readdirOrUndefined(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch {
    return undefined;
  }
}

/** Changed files that may lie inside a module: a directory above them holds Terraform files. */
function filesInTerraformDirs(projectRoot: string, files: readonly string[]): string[] {
  const holds = new Map<string, boolean | undefined>();
  const holdsTerraform = (dir: string) => {
    if (!holds.has(dir)) holds.set(dir, readdirOrUndefined(path.join(projectRoot, dir))?.some((name) => name.endsWith('.tf') || name.endsWith('.tf.json')));
    return holds.get(dir);
  };
  // A directory that is gone may have been a module if a Terraform file in it was deleted;
  // otherwise the directories above it decide.
  const terraformFile = (file: string) => file.endsWith('.tf') || file.endsWith('.tf.json');
  const result: string[] = [];
  for (const file of files) {
    let dir = path.posix.dirname(file);
    for (;;) {
      const holds = holdsTerraform(dir);
      if (holds === true || (holds === undefined && terraformFile(file))) {
        result.push(file);
        break;
      }
      if (dir === '.') break;
      dir = path.posix.dirname(dir);
    }
  }
  return result;
}

/** The local module directories a module's `module` blocks name, relative to the project root. */
function readModule(projectRoot: string, dir: string): ModuleInfo {
  let names: string[];
  try {
    names = readdirSync(path.join(projectRoot, dir))
      .filter((name) => name.endsWith('.tf') || name.endsWith('.tf.json'))
      .sort();
  } catch (error) {
    return { sources: [], problem: `${dir} cannot be read (${errorCode(error)})` };
  }
  const sources = new Set<string>();
  const problems: string[] = [];
  for (const name of names) {
    const file = path.posix.join(dir, name);
    try {
      const text = readFileSync(path.join(projectRoot, file), 'utf8');
      const found = name.endsWith('.tf.json') ? jsonModuleSources(JSON.parse(text)) : hclModuleSources(text);
      for (const source of found) {
        const resolved = localSource(dir, source);
        if (resolved !== undefined) sources.add(resolved);
      }
    } catch (error) {
      problems.push(`${file} cannot be parsed (${firstLine(error)})`);
    }
  }
  return { sources: [...sources].sort(), ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
}

/** `source` of every top-level `module` block of a `.tf` file. */
export function hclModuleSources(text: string): string[] {
  return parseHcl(text)
    .blocks.filter((block) => block.type === 'module')
    .flatMap((block) => {
      const source = block.body.strings.get('source');
      return source === undefined ? [] : [source];
    });
}

/** `source` of every `module` block of a `.tf.json` file (Terraform's JSON syntax). */
export function jsonModuleSources(body: unknown): string[] {
  if (!isRecord(body)) return [];
  const modules = body.module;
  const blocks: unknown[] = [];
  const collect = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (isRecord(value)) {
      if ('source' in value) blocks.push(value);
      else Object.values(value).forEach(collect);
    }
  };
  collect(modules);
  return blocks.flatMap((block) => (isRecord(block) && typeof block.source === 'string' ? [block.source] : []));
}

/** A local source ("./x", "../x") resolved against `dir`; undefined for registry, git and other sources, or outside the project. */
export function localSource(dir: string, source: string): string | undefined {
  if (!source.startsWith('./') && !source.startsWith('../')) return undefined;
  const resolved = path.posix.normalize(path.posix.join(dir, source)).replace(/\/+$/, '');
  if (resolved === '..' || resolved.startsWith('../') || resolved === '') return undefined;
  return resolved;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : String(error);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? text).replace(/^Error: /, '');
}
