/**
 * Finding and loading the project description file. The one place that reads it from disk.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Module, { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.js';
import { resolveDescription, type ProjectDescription } from './resolve.js';
import { projectDescriptionSchema } from './schema.js';
import { formatProblem, INVALID, type Problem } from './schemaKit.js';

/** The file names looked for, in this order. */
export const DESCRIPTION_FILE_NAMES = [
  'circle-fargate.config.ts',
  'circle-fargate.config.mjs',
  'circle-fargate.config.js',
  'circle-fargate.config.json',
  'circle-fargate.config.yaml',
  'circle-fargate.config.yml',
] as const;

export interface LoadedDescription {
  readonly description: ProjectDescription;
  /** Absolute path of the file it came from. */
  readonly file: string;
}

/** Finds the description in `dir`: exactly one of DESCRIPTION_FILE_NAMES. */
export function findDescriptionFile(dir: string): string {
  const found = DESCRIPTION_FILE_NAMES.filter((name) => existsSync(path.join(dir, name)));
  if (found.length === 0) {
    throw new InputError(
      `no project description in ${dir}: create circle-fargate.config.ts (see README "Project description") or pass --config PATH`,
    );
  }
  if (found.length > 1) {
    throw new InputError(`several project descriptions in ${dir} (${found.join(', ')}): keep one, or pass --config PATH`);
  }
  return path.join(dir, found[0] as string);
}

/** Loads, validates and resolves the description at `file` (or the one found in `cwd`). */
export async function loadDescription(options: { file?: string; cwd: string }): Promise<LoadedDescription> {
  const file = options.file ? path.resolve(options.cwd, options.file) : findDescriptionFile(options.cwd);
  const raw = await readDescriptionValue(file);
  return { file, description: parseDescription(raw, path.basename(file)) };
}

/**
 * Validates a description value. Throws an InputError whose details are every problem, one a
 * line, as `dotted.path: what is wrong (got X; expected Y)`.
 */
export function parseDescription(value: unknown, source = 'project description'): ProjectDescription {
  const problems: Problem[] = [];
  const parsed = projectDescriptionSchema.parse(value, { path: [], problems });
  if (parsed !== INVALID) {
    const resolved = resolveDescription(parsed);
    if (resolved.description) return resolved.description;
    problems.push(...resolved.problems);
  }
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new InputError(`${source}: ${count} in the project description`, problems.map(formatProblem));
}

async function readDescriptionValue(file: string): Promise<unknown> {
  const name = path.basename(file);
  const extension = path.extname(file);
  if (!existsSync(file)) throw new InputError(`${file}: no such file; check --config`);
  switch (extension) {
    case '.json': {
      const text = await readFile(file, 'utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new InputError(`${name}: not valid JSON: ${firstLine(error)}`);
      }
    }
    case '.yaml':
    case '.yml': {
      const text = await readFile(file, 'utf8');
      try {
        return parseYaml(text, { prettyErrors: true, uniqueKeys: true }) as unknown;
      } catch (error) {
        throw new InputError(`${name}: not valid YAML: ${firstLine(error)}`);
      }
    }
    case '.ts':
    case '.mts':
    case '.mjs':
    case '.js':
      return importDefault(file, extension === '.ts' || extension === '.mts');
    default:
      throw new InputError(`${name}: unsupported file type "${extension}"; use .ts, .mjs, .js, .json, .yaml or .yml`);
  }
}

async function importDefault(file: string, typescript: boolean): Promise<unknown> {
  const name = path.basename(file);
  resolvePackageToSelf();
  let module: { default?: unknown };
  try {
    if (typescript) {
      // Loaded only for .ts descriptions: tsx costs start-up time the other kinds do not need.
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
    } else {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    }
  } catch (error) {
    throw new InputError(`${name}: failed to load: ${firstLine(error)}`);
  }
  // A file compiled to CommonJS arrives as its `exports` object, the default export inside.
  const exported = module.default;
  const value =
    typeof exported === 'object' && exported !== null && (exported as { __esModule?: unknown }).__esModule === true
      ? (exported as { default?: unknown }).default
      : exported;
  if (value === undefined) {
    throw new InputError(`${name}: no default export; write \`export default defineConfig({ ... })\``);
  }
  return value;
}

let selfResolution = false;
/**
 * Makes `import { defineConfig } from 'circle-fargate'` work in a description even where the
 * package is not installed in the project (a PHP repository has no node_modules): the import
 * resolves to this running copy of circle-fargate. tsx compiles a `.ts` file to an ES module or
 * to CommonJS depending on the nearest package.json, so both resolutions are redirected.
 */
function resolvePackageToSelf(): void {
  if (selfResolution) return;
  selfResolution = true;
  const self = new URL(`../index${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === 'circle-fargate') return { url: ${JSON.stringify(self)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);

  // src/description and dist/description both sit two levels below the package root.
  const commonJsSelf = fileURLToPath(new URL('../../src/description/define-config.cjs', import.meta.url));
  const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'circle-fargate' ? commonJsSelf : original.call(this, request, ...rest);
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n').find((line) => line.trim() !== '') ?? message).trim();
}
