/**
 * `<<` as CircleCI reads it. In a 2.1 config (and an orb) every `<<` in a string starts a tag:
 * `<< parameters.x >>`, `<< pipeline.git.branch >>`, `<< matrix.x >>`, a section
 * `<<# parameters.x >>...<</ parameters.x >>`, or an expression over those (circleci.com/docs/
 * guides/orchestrate/config-templating). Anything else is refused with the whole config:
 *
 *   Unclosed '<<' tag in string ... ('<<' must be escaped as '\<<' in config v2.1+)
 *
 * so a shell heredoc (`cat <<EOF`) or here-string (`grep x <<< "$y"`) must be written `\<<EOF`,
 * `\<<< "$y"` (numpy's .circleci/config.yml, run on CircleCI daily, writes `cat \<<\EOF` and
 * `\<<< "${changed}"`). `circleci orb pack` escapes every `<<` of an included file for that
 * reason (circleci-cli internal/pack/pack.go, maybeIncludeFile: "`<<` sequences in the included
 * content are escaped to `\<<` so inlined content is never itself interpreted as parameter
 * interpolation", `strings.ReplaceAll(content, "<<", "\<<")`).
 */
import { locationOf } from './yamlRead.js';

/** An included file's text as `circleci orb pack` inlines it: every `<<` written `\<<`. */
export function escapeTags(text: string): string {
  return text.replaceAll('<<', '\\<<');
}

/**
 * What a processed config holds where the source wrote `\<<`: the escape is CircleCI's, the
 * job's shell gets `<<` (`cat \<<EOF` runs as `cat <<EOF`). Strings of `value` are rewritten in
 * place, each map and list once.
 */
export function unescapeTags(value: unknown, seen = new WeakSet<object>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  const record = value as Record<string | number, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (typeof item === 'string') {
      if (item.includes('\\<<')) record[key] = item.replaceAll('\\<<', '<<');
    } else unescapeTags(item, seen);
  }
}

/** The start of what a tag can hold: a value's path (`parameters.x`), a section mark, or an expression over them. */
const TAG_CONTENT = /^[#^/]?\s*[^\n]*?\b(?:pipeline|parameters|matrix)\.[\w-]|^include\(/;

/**
 * Offsets of each `<<` in `text` that CircleCI would not read as a tag: one no `>>` closes, or
 * whose content up to the next `>>` names no parameter, pipeline or matrix value. `\<<` is
 * CircleCI's escape and is read as a unit, so `\<<<` is an escaped `<<` and a `<`.
 */
export function strayTags(text: string): number[] {
  const stray: number[] = [];
  let at = 0;
  for (;;) {
    const start = text.indexOf('<<', at);
    if (start < 0) return stray;
    if (start > 0 && text[start - 1] === '\\') {
      at = start + 2;
      continue;
    }
    const end = text.indexOf('>>', start + 2);
    const content = end < 0 ? '' : text.slice(start + 2, end).trim();
    if (end < 0 || content.includes('\n') || content.includes('<<') || !TAG_CONTENT.test(content)) {
      stray.push(start);
      at = start + 2;
    } else at = end + 2;
  }
}

export interface TagProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/**
 * Every stray `<<` in the strings of a config or orb read by readYaml, at the line it is on
 * (counted inside a literal block; else the line its text starts on), with the fix.
 */
export function findStrayTags(root: unknown, file: string): TagProblem[] {
  const problems: TagProblem[] = [];
  const seen = new WeakSet<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    const location = locationOf(value);
    for (const [key, item] of entries) {
      if (typeof item !== 'string') {
        visit(item);
        continue;
      }
      for (const offset of strayTags(item)) {
        const text = location?.texts?.get(key);
        const start = text?.line ?? location?.entries.get(key) ?? location?.line ?? 1;
        const line = text?.literal === true ? start + countLines(item, offset) : start;
        problems.push({ file: location?.file ?? file, line, message: strayMessage(item, offset) });
      }
    }
  };
  visit(root);
  return problems;
}

function countLines(text: string, end: number): number {
  let lines = 0;
  for (let index = text.indexOf('\n'); index >= 0 && index < end; index = text.indexOf('\n', index + 1)) lines++;
  return lines;
}

function strayMessage(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const shown = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim();
  const excerpt = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  return `"${excerpt}": CircleCI reads every << in a 2.1 config as the start of a parameter tag and refuses the config ("Unclosed '<<' tag"); write it as \\<< (a heredoc as \\<<EOF, a here-string as \\<<<)`;
}
