/**
 * Path rules: include and exclude globs (minimatch, `dot: true`), each compiled once, with the
 * literal text every match must start and end with, so that matching tens of thousands of
 * files against hundreds of rules costs a string comparison for most pairs.
 */
import { braceExpand, Minimatch } from 'minimatch';

export const GLOB_OPTIONS = { dot: true, nocomment: true, nonegate: true } as const;

export interface CompiledGlob {
  readonly pattern: string;
  /** The part before the first glob character: every matching path starts with it. */
  readonly prefix: string;
  /** The literal end of the last path segment: every matching path ends with it. */
  readonly suffix: string;
  test(file: string): boolean;
}

export interface CompiledRule {
  readonly include: readonly CompiledGlob[];
  readonly exclude: readonly CompiledGlob[];
  /** The changed files this rule selects, in the given order. */
  matching(files: readonly string[]): string[];
}

/** Globs of files that select a job (`include`), less those that never do (`exclude`). */
export interface PathRule {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** Why a glob cannot be used, or undefined when it can. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.startsWith('!')) return 'negated glob; put it in "exclude" instead';
  if (pattern.startsWith('/')) return 'absolute glob; globs match paths relative to the project root';
  if (pattern.startsWith('./')) return 'glob starting with "./"; changed paths never do';
  try {
    new Minimatch(pattern, GLOB_OPTIONS).match('');
  } catch (error) {
    return `not a valid glob (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

const MAGIC = /[*?[\]{}()!+@\\]/;

export function compileGlob(pattern: string): CompiledGlob {
  const re = globRegExp(pattern);
  const matcher = re ? undefined : new Minimatch(pattern, GLOB_OPTIONS);
  const matches = re ? (file: string) => re.test(file) : (file: string) => matcher?.match(file) === true;
  const first = pattern.search(MAGIC);
  if (first < 0) return { pattern, prefix: pattern, suffix: '', test: (file) => file === pattern || matches(file) };
  let last = pattern.length - 1;
  while (last >= 0 && !MAGIC.test(pattern.charAt(last))) last--;
  const tail = pattern.slice(last + 1);
  const prefix = pattern.slice(0, first);
  const suffix = tail.slice(tail.lastIndexOf('/') + 1);
  return { pattern, prefix, suffix, test: (file) => file.startsWith(prefix) && file.endsWith(suffix) && matches(file) };
}

/**
 * The glob as one regular expression, for the common syntax (`*`, `**`, `?`, simple `[...]`
 * classes, `{a,b}` braces, `\` escapes), matching file paths exactly as minimatch with
 * `dot: true` does (a property test holds the two to it). Undefined for anything else
 * (extglobs, POSIX classes, empty segments), which minimatch itself then matches.
 */
export function globRegExp(pattern: string): RegExp | undefined {
  if (/[()]/.test(pattern)) return undefined;
  const alternatives: string[] = [];
  for (const expanded of braceExpand(pattern)) {
    const source = expandedSource(expanded);
    if (source === undefined) return undefined;
    alternatives.push(source);
  }
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

const NOT_DOT_SEGMENT = '(?!\\.\\.?(?:/|$))';

function expandedSource(pattern: string): string | undefined {
  const segments = pattern.split('/');
  if (segments.some((segment) => segment === '')) return undefined;
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const lastSegment = i === segments.length - 1;
    if (segment === '**') {
      out += lastSegment ? `(?:${NOT_DOT_SEGMENT}[^/]+(?:/${NOT_DOT_SEGMENT}[^/]+)*)?` : `(?:${NOT_DOT_SEGMENT}[^/]+/)*`;
      continue;
    }
    const body = segmentSource(segment);
    if (body === undefined) return undefined;
    out += body + (lastSegment ? '' : '/');
  }
  return out;
}

function segmentSource(segment: string): string | undefined {
  if (segment === '*') return `${NOT_DOT_SEGMENT}[^/]+`;
  let out = /^[*?[]/.test(segment) ? NOT_DOT_SEGMENT : '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment.charAt(i);
    if (char === '\\') {
      const next = segment.charAt(++i);
      if (next === '') return undefined;
      out += escapeRegExp(next);
    } else if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = segment.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      if (body === '' || /[[\\:]/.test(body)) return undefined;
      out += `[${negated ? '^/' : ''}${body.replace(/[\]^]/g, '\\$&')}]`;
      i = end;
    } else if (char === ']' || char === '{' || char === '}') {
      return undefined;
    } else {
      out += escapeRegExp(char);
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function compileRule(rule: PathRule): CompiledRule {
  const include = rule.include.map(compileGlob);
  const exclude = rule.exclude.map(compileGlob);
  return {
    include,
    exclude,
    matching(files) {
      const hits = new Set<number>();
      for (const glob of include) {
        const [view, from, to] = candidates(files, glob);
        for (let i = from; i < to; i++) {
          const position = view.order[i] as number;
          if (!hits.has(position) && glob.test(files[position] as string)) hits.add(position);
        }
      }
      const selected: string[] = [];
      for (const position of [...hits].sort((a, b) => a - b)) {
        const file = files[position] as string;
        if (!exclude.some((glob) => glob.test(file))) selected.push(file);
      }
      return selected;
    },
  };
}

/** Whether any of `files` matches the glob (a binary search, then only files it could match). */
export function matchesAny(glob: CompiledGlob, files: readonly string[]): boolean {
  const [view, from, to] = candidates(files, glob);
  for (let i = from; i < to; i++) if (glob.test(files[view.order[i] as number] as string)) return true;
  return false;
}

/** File positions sorted by path, so the files with a given prefix are found by binary search. */
interface SortedView {
  readonly sorted: readonly string[];
  readonly order: readonly number[];
}

/** The only files that can match: those with the glob's literal prefix (all, without one). */
function candidates(files: readonly string[], glob: CompiledGlob): [SortedView, number, number] {
  const view = sortedView(files);
  return [view, ...prefixRange(view.sorted, glob.prefix)];
}

const views = new WeakMap<readonly string[], SortedView>();

function sortedView(keys: readonly string[]): SortedView {
  let view = views.get(keys);
  if (view) return view;
  let inOrder = true;
  for (let i = 1; i < keys.length && inOrder; i++) inOrder = (keys[i - 1] as string) <= (keys[i] as string);
  if (inOrder) {
    view = { sorted: keys, order: keys.map((_, i) => i) };
  } else {
    // The native sort of strings is far faster than sorting positions with a comparator. A key
    // never holds NUL (git paths cannot), so "key NUL position" sorts as the keys do.
    const decorated = keys.map((key, i) => `${key}\0${i}`).sort();
    const order = decorated.map((entry) => Number(entry.slice(entry.lastIndexOf('\0') + 1)));
    view = { order, sorted: order.map((i) => keys[i] as string) };
  }
  views.set(keys, view);
  return view;
}

/** The range of `sorted` whose strings start with `prefix`. */
function prefixRange(sorted: readonly string[], prefix: string): [number, number] {
  if (prefix === '') return [0, sorted.length];
  const lowerBound = (target: string) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((sorted[mid] as string) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  // Strings that start with `prefix` sort from it up to (not including) the prefix with its last
  // code unit raised by one.
  const last = prefix.charCodeAt(prefix.length - 1);
  const end = last === 0xffff ? sorted.length : lowerBound(prefix.slice(0, -1) + String.fromCharCode(last + 1));
  return [lowerBound(prefix), end];
}

/** `a, b and 3 more` for reasons shown to people. */
export function summarizeFiles(files: readonly string[], shown = 3): string {
  const head = files.slice(0, shown).map((file) => JSON.stringify(file));
  const rest = files.length - head.length;
  return rest > 0 ? `${head.join(', ')} and ${rest} more` : head.join(', ');
}
