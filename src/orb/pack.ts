/**
 * Packing an orb's source tree into one orb, as `circleci orb pack` does: `@orb.yml` at the top,
 * each folder a top-level key (commands, executors, jobs, examples), each YAML file an entry
 * named after the file, and `<<include(PATH)>>` in commands, jobs and executors replaced by the
 * file's text, `<<` escaped (PATH relative to the source folder).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeTags } from '../circleci/check/tags.js';
import { readYaml as readCircleciYaml } from '../circleci/check/yamlRead.js';
import { InputError } from '../errors.js';
import { prebuiltOrb } from './packed.js';

export type OrbObject = Record<string, unknown>;

/** Folders packed as top-level keys; others (scripts, tests) are material for includes. */
export const COMPONENT_FOLDERS = ['commands', 'executors', 'jobs', 'examples'] as const;
export type ComponentFolder = (typeof COMPONENT_FOLDERS)[number];
const INCLUDE_FOLDERS: readonly ComponentFolder[] = ['commands', 'executors', 'jobs'];
const INCLUDE = /<<\s*include\(([-\w/.]+)\)?\s*>>/g;

/** The orb source this package ships (the one the generator emits). */
export function bundledOrbSource(): string {
  return fileURLToPath(new URL('../../orb/src', import.meta.url));
}

/** One YAML file of the source, parsed, with where each value is for messages. */
export interface SourceFile {
  /** Path relative to the source folder, such as `commands/deploy.yml`. */
  readonly relative: string;
  readonly value: unknown;
}

export interface OrbSource {
  readonly dir: string;
  readonly root: SourceFile;
  readonly components: Readonly<Record<ComponentFolder, readonly SourceFile[]>>;
}

/** The orb source folder: DIR itself when it holds @orb.yml, else DIR/src. */
export function resolveOrbDir(dir: string): string {
  if (existsSync(path.join(dir, '@orb.yml'))) return dir;
  if (existsSync(path.join(dir, 'src', '@orb.yml'))) return path.join(dir, 'src');
  throw new InputError(`no orb source in ${dir}: expected ${path.join(dir, '@orb.yml')} or ${path.join(dir, 'src', '@orb.yml')}`);
}

export async function readOrbSource(dir: string): Promise<OrbSource> {
  const root = await readYaml(dir, '@orb.yml');
  const components = {} as Record<ComponentFolder, SourceFile[]>;
  for (const folder of COMPONENT_FOLDERS) {
    let names: string[] = [];
    try {
      names = (await readdir(path.join(dir, folder))).filter((name) => /\.ya?ml$/.test(name)).sort();
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
    }
    components[folder] = await Promise.all(names.map((name) => readYaml(dir, `${folder}/${name}`)));
  }
  return { dir, root, components };
}

async function readYaml(dir: string, relative: string): Promise<SourceFile> {
  let text: string;
  try {
    text = await readFile(path.join(dir, relative), 'utf8');
  } catch (error) {
    throw new InputError(`${relative}: cannot read it (${error instanceof Error && 'code' in error ? String(error.code) : String(error)})`);
  }
  // Read as CircleCI reads YAML: `root: .` stays the string "." (not NaN, written back as .nan).
  const read = readCircleciYaml(text, relative);
  if (!read.ok) throw new InputError(`${relative}:${read.problems[0]?.line ?? 1}: ${read.problems[0]?.message ?? 'not valid YAML'}`);
  return { relative, value: read.value };
}

/** Component name from its file: `commands/deploy.yml` is `deploy`. */
export function componentName(file: SourceFile): string {
  return path.basename(file.relative).replace(/\.ya?ml$/, '');
}

/** Packs the source into one orb object; missing or misplaced includes are InputErrors. */
export async function packOrb(source: OrbSource): Promise<OrbObject> {
  if (!isRecord(source.root.value)) throw new InputError('@orb.yml: expected a mapping (version, description, display)');
  const orb: OrbObject = { ...source.root.value };
  for (const folder of COMPONENT_FOLDERS) {
    const files = source.components[folder];
    if (files.length === 0) continue;
    const entries: Record<string, unknown> = {};
    for (const file of files) {
      entries[componentName(file)] = INCLUDE_FOLDERS.includes(folder) ? await resolveIncludes(source.dir, file, file.value, []) : file.value;
    }
    orb[folder] = entries;
  }
  return orb;
}

/**
 * `<<include(PATH)>>` as `circleci orb pack` reads it (circleci-cli internal/pack/pack.go,
 * PR 1683 and 1684): "Any '<< include(path) >>' directive, alone or embedded in a larger value,
 * is replaced with that file's contents, relative to the orb root" (the folder packed, so
 * `../scripts/x.sh` reaches beside it), and "`<<` sequences in the included content are escaped
 * to `\<<`" (./../circleci/check/tags.ts says why). Its pattern, `<<[\s]*include\(([-\w/.]+)\)?[\s]*>>`,
 * is kept as it is.
 */
async function resolveIncludes(dir: string, file: SourceFile, value: unknown, at: readonly (string | number)[]): Promise<unknown> {
  if (typeof value === 'string') {
    const matches = [...value.matchAll(INCLUDE)];
    if (matches.length === 0) return value;
    let out = '';
    let last = 0;
    for (const match of matches) {
      const target = match[1] ?? '';
      let content: string;
      try {
        content = await readFile(path.resolve(dir, target), 'utf8');
      } catch {
        throw new InputError(`${file.relative} ${at.join('.')}: included file ${target} does not exist (the path is read from ${path.basename(dir)}/, the folder packed)`);
      }
      out += value.slice(last, match.index) + escapeTags(content);
      last = match.index + match[0].length;
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) return Promise.all(value.map((item, index) => resolveIncludes(dir, file, item, [...at, index])));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = await resolveIncludes(dir, file, item, [...at, key]);
    return out;
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let bundled: Promise<OrbObject> | undefined;

/** The packed orb this package ships, read once: the build's packed copy while it is current. */
export function bundledOrb(): Promise<OrbObject> {
  const dir = bundledOrbSource();
  bundled ??= prebuiltOrb(dir).then(async (orb) => orb ?? packOrb(await readOrbSource(dir)));
  return bundled;
}
