/**
 * Reads a config's YAML the way CircleCI does, and remembers the line of every value.
 *
 * CircleCI compiles configs on its servers in Clojure; it maintained its own fork of clj-yaml
 * (github.com/CircleCI-Archived/clj-yaml, "Update SnakeYAML", PR #26), a wrapper over SnakeYAML,
 * which resolves plain scalars by YAML 1.1 rules with its own regular expressions. Those differ
 * from the YAML 1.1 type drafts (and from the `yaml` package's 1.1 schema) in ways that matter:
 *
 * - a bare `.` is the string "." (SnakeYAML's float needs a digit: `[-+]?(\.[0-9]+|[0-9_]+(\.[0-9_]*)?)`),
 *   so `root: .` and `at: .` are paths; the `yaml` package's 1.1 schema reads NaN;
 * - `yes`/`no`/`on`/`off`/`true`/`false` in any of their three casings are booleans, but `y` and
 *   `n` are strings (SnakeYAML's BOOL has no single letters). CircleCI's docs still accept
 *   y/n as values of a boolean parameter ("boolean parameters can have the following values:
 *   y yes true on n no false off", quoted in CircleCI-Public/orb-tools-orb#145), which the
 *   parameter check allows for;
 * - a leading zero is octal (`0755` is 493), `0x1F` hex, `0b101` binary, `1_000` is 1000 and
 *   `1:30` is 90 (base 60), as YAML 1.1 says; `0o17` (YAML 1.2 octal) is a string;
 * - timestamps are left as strings: a config value is never a date.
 * Anchors, aliases and `<<` merge keys work as YAML 1.1 says: keys written in the map win over
 * merged ones, and among several merged maps the earlier wins.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Node } from 'yaml';

export type Path = readonly (string | number)[];

/** Where a map or list and each of its entries are in the source (1-based lines). */
export interface Location {
  readonly file: string;
  readonly line: number;
  /** Line of each key of a map (the key itself), or of each item of a list. */
  readonly entries: Map<string | number, number>;
  /**
   * Where each string entry's text starts: its first line, and whether it is a literal block
   * (`|`), in which the text's line breaks are the source's, so that a character's line can be
   * counted. Only on values read by readYaml.
   */
  readonly texts?: Map<string | number, { readonly line: number; readonly literal: boolean }>;
}

const locations = new WeakMap<object, Location>();

/** Where `value` (a map or list read by readYaml, or copied with `copyLocation`) came from. */
export function locationOf(value: unknown): Location | undefined {
  return typeof value === 'object' && value !== null ? locations.get(value) : undefined;
}

/** Gives `target` the location of `source`: a value built from another keeps its lines. */
export function copyLocation<T>(target: T, source: unknown, extra?: ReadonlyMap<string | number, number>): T {
  const from = locationOf(source);
  if (from && typeof target === 'object' && target !== null) {
    const entries = new Map(from.entries);
    if (extra) for (const [key, line] of extra) if (!entries.has(key)) entries.set(key, line);
    locations.set(target, { file: from.file, line: from.line, entries });
  }
  return target;
}

export function setLocation(target: object, location: Location): void {
  locations.set(target, location);
}

/** The line of the value at `path` inside `root`, or of its nearest ancestor that has one. */
export function lineAt(root: unknown, path: Path): { file: string; line: number } | undefined {
  let node: unknown = root;
  let best: { file: string; line: number } | undefined;
  const start = locationOf(root);
  if (start) best = { file: start.file, line: start.line };
  for (const key of path) {
    const here = locationOf(node);
    const line = here?.entries.get(key);
    if (here && line !== undefined) best = { file: here.file, line };
    if (typeof node !== 'object' || node === null) break;
    node = (node as Record<string | number, unknown>)[key];
    const inner = locationOf(node);
    if (inner && best === undefined) best = { file: inner.file, line: inner.line };
  }
  return best;
}

export interface YamlProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export type ReadResult = { ok: true; value: unknown } | { ok: false; problems: YamlProblem[] };

const SNAKE_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const SNAKE_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
const SNAKE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9][0-9_]*\.[0-9_]*)$/;
const SNAKE_FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)[eE][-+]?[0-9]+$/;

interface TagLike {
  readonly tag: string;
  readonly test?: RegExp;
  readonly format?: string;
}

/** The `yaml` package's YAML 1.1 tags, narrowed to what SnakeYAML resolves. */
function snakeYamlTags(tags: TagLike[]): TagLike[] {
  return tags
    .filter((tag) => tag.tag !== 'tag:yaml.org,2002:timestamp')
    .map((tag) => {
      if (tag.tag === 'tag:yaml.org,2002:bool' && tag.test) return { ...tag, test: tag.test.test('true') ? SNAKE_TRUE : SNAKE_FALSE };
      if (tag.tag === 'tag:yaml.org,2002:float' && tag.test && !tag.test.test('.nan') && !tag.test.test('.inf')) {
        return { ...tag, test: tag.format === 'EXP' ? SNAKE_FLOAT_EXP : SNAKE_FLOAT };
      }
      return tag;
    });
}

/** Reads a YAML 1.1 scalar as CircleCI would: `--param k=v` values, for instance. */
export function readScalar(text: string): unknown {
  const result = readYaml(text, '<value>');
  return result.ok ? result.value : text;
}

/** Parses `text` (named `file` in messages) as CircleCI reads YAML, keeping every value's line. */
export function readYaml(text: string, file: string): ReadResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    version: '1.1',
    schema: 'yaml-1.1',
    customTags: (tags) => snakeYamlTags(tags as TagLike[]) as typeof tags,
    merge: true,
    uniqueKeys: true,
    lineCounter,
    prettyErrors: false,
  });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => ({
        file,
        line: lineCounter.linePos(error.pos[0]).line,
        message: `not valid YAML: ${error.message.split('\n')[0] ?? error.message}`,
      })),
    };
  }
  const lineOf = (node: unknown) => {
    const range = (node as Partial<Node> | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : 0;
  };
  /** A string scalar's first line of text (a block scalar's text starts below its header). */
  const textOf = (node: unknown): { line: number; literal: boolean } | undefined => {
    const target = isAlias(node) ? node.resolve(document) : node;
    if (!isScalar(target) || typeof target.value !== 'string') return undefined;
    const block = target.type === Scalar.BLOCK_LITERAL || target.type === Scalar.BLOCK_FOLDED;
    return { line: lineOf(target) + (block ? 1 : 0), literal: target.type === Scalar.BLOCK_LITERAL };
  };
  const textsOf = (pairs: readonly [string | number, unknown][]) => {
    const texts = new Map<string | number, { line: number; literal: boolean }>();
    for (const [key, node] of pairs) {
      const text = textOf(node);
      if (text) texts.set(key, text);
    }
    return texts;
  };
  const cache = new Map<unknown, unknown>();
  let aliases = 0;
  const toValue = (node: unknown): unknown => {
    if (isAlias(node)) {
      if (++aliases > 10_000) throw new Error('too many aliases');
      return toValue(node.resolve(document));
    }
    if (cache.has(node)) return cache.get(node);
    if (isScalar(node)) return node.value;
    if (isSeq(node)) {
      const out: unknown[] = [];
      cache.set(node, out);
      const entries = new Map<number, number>();
      node.items.forEach((item, index) => {
        out.push(toValue(item));
        entries.set(index, lineOf(item));
      });
      locations.set(out, { file, line: lineOf(node), entries, texts: textsOf(node.items.map((item, index) => [index, item])) });
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      cache.set(node, out);
      const entries = new Map<string, number>();
      const merged: unknown[] = [];
      const pairs: [string, unknown][] = [];
      for (const pair of node.items) {
        const key: unknown = pair.key;
        if (isScalar(key) && typeof key.value === 'symbol') {
          const source = isAlias(pair.value) ? pair.value.resolve(document) : pair.value;
          merged.push(...(isSeq(source) ? source.items : [source]));
          continue;
        }
        const name = String(isScalar(key) ? key.value : toValue(key));
        out[name] = toValue(pair.value);
        entries.set(name, lineOf(key));
        pairs.push([name, pair.value]);
      }
      for (const source of merged) {
        const value = toValue(source);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
        const from = locationOf(value);
        for (const [name, item] of Object.entries(value)) {
          if (name in out) continue;
          out[name] = item;
          entries.set(name, from?.entries.get(name) ?? lineOf(source));
        }
      }
      locations.set(out, { file, line: lineOf(node), entries, texts: textsOf(pairs) });
      return out;
    }
    return null;
  };
  let value: unknown;
  try {
    value = document.contents === null ? null : toValue(document.contents);
  } catch {
    return { ok: false, problems: [{ file, line: 1, message: 'not valid YAML: more than 10000 aliases' }] };
  }
  // Aliases share one value here, but whoever walks the result walks every copy: refuse a
  // document that grows past a million values once its aliases are expanded (a billion laughs).
  if (expandedSize(value, new WeakMap()) > MAX_EXPANDED_VALUES) {
    return { ok: false, problems: [{ file, line: 1, message: `not a config: more than ${MAX_EXPANDED_VALUES} values once its aliases are expanded` }] };
  }
  return { ok: true, value };
}

const MAX_EXPANDED_VALUES = 1_000_000;

function expandedSize(value: unknown, memo: WeakMap<object, number>): number {
  if (typeof value !== 'object' || value === null) return 1;
  const known = memo.get(value);
  if (known !== undefined) return known;
  memo.set(value, Infinity); // a cycle is infinitely large
  let size = 1;
  for (const item of Object.values(value)) {
    size += expandedSize(item, memo);
    if (size > MAX_EXPANDED_VALUES) break;
  }
  memo.set(value, size);
  return size;
}

