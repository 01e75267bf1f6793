/**
 * Orb review, offline: the checks of CircleCI's orb-tools `review` job (orb-tools 12.3 and
 * later, src/scripts/review.bats), by their codes, on an orb's source tree, agreeing with them
 * rule by rule:
 *
 * - RC001 `display.source_url` set; RC002 every job, command, executor and example described;
 *   RC003 at least one example; RC005 an orb description of 64 characters or more.
 * - RC008/RC009 look at every `run` key anywhere in a job or command file, `when`/`unless`
 *   blocks included (orb-tools collects them with jq `paths | select(last == "run")` since 12.3).
 *   A `run` written as a string fails both; otherwise RC008 wants a name and RC009 a command of
 *   at most `maxCommandLength` characters (default 64) unless it is an `<<include(...)>>`.
 * - RC010 only refuses hyphens, in file names of jobs, commands and executors and in their
 *   parameter names (orb-tools tests `== *"-"*`; camelCase passes).
 * - RC012: a parameter whose default names an environment variable (`$X`) must not reach a
 *   cache key.
 * Not checked: RC004 (orb-tools' loop sends find's output to /dev/null, so it never finds an
 * example; reporting it would disagree), RC006/RC007 (need the network), RC011 (needs the
 * release tag).
 */
import { componentName, isRecord, type ComponentFolder, type OrbSource, type SourceFile } from './pack.js';

export interface Finding {
  readonly code: string;
  /** Source file, relative to the orb source folder. */
  readonly file: string;
  readonly message: string;
}

export interface ReviewOptions {
  /** Codes to skip, as orb-tools' `exclude: RC009,RC010`. */
  readonly exclude?: ReadonlySet<string>;
  /** orb-tools' `max_command_length` (default 64). */
  readonly maxCommandLength?: number;
  /**
   * The orb-tools release whose rules to follow, [major, minor, patch]; default the current
   * rules. Orbs pinned to older orb-tools pass reviews the current rules would fail: RC010 came
   * with 12.0.0, nested `run` checks with 12.3.0, RC012 with 12.3.1.
   */
  readonly orbToolsVersion?: readonly [number, number, number];
}

/** `12.2` or `12.3.1` as [major, minor, patch], or undefined when it is not a version. */
export function parseOrbToolsVersion(text: string): [number, number, number] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : undefined;
}

function atLeast(version: readonly [number, number, number] | undefined, major: number, minor: number, patch: number): boolean {
  if (!version) return true;
  const [a, b, c] = version;
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}

/** Longest `run` command allowed inline before it belongs in a script (orb-tools' default). */
export const MAX_INLINE_COMMAND = 64;
export const REVIEW_CODES = ['RC001', 'RC002', 'RC003', 'RC005', 'RC008', 'RC009', 'RC010', 'RC012'] as const;

/** orb-tools' exclude list: "A comma separated list of RC review check codes", such as RC009,RC010. */
export function parseExclude(list: string): Set<string> {
  return new Set(list.split(',').map((code) => code.trim().toUpperCase()).filter((code) => code !== ''));
}

export function reviewOrb(source: OrbSource, options: ReviewOptions = {}): Finding[] {
  const exclude = options.exclude ?? new Set<string>();
  const maxLength = options.maxCommandLength ?? MAX_INLINE_COMMAND;
  const version = options.orbToolsVersion;
  const skipped = new Set(exclude);
  if (!atLeast(version, 12, 0, 0)) skipped.add('RC010');
  if (!atLeast(version, 12, 3, 1)) skipped.add('RC012');
  const nested = atLeast(version, 12, 3, 0);
  const findings: Finding[] = [];
  const find = (code: string, file: string, message: string) => {
    if (!skipped.has(code)) findings.push({ code, file, message });
  };
  const root = isRecord(source.root.value) ? source.root.value : {};
  const display = isRecord(root.display) ? root.display : {};

  if (display.source_url === undefined || display.source_url === null) {
    find('RC001', '@orb.yml', 'set display.source_url, so the registry links to the source');
  }
  // orb-tools measures what yq prints: the text without its trailing line breaks, "null" when absent.
  const description = yqText(root.description);
  if (characters(description) < 64) {
    find('RC005', '@orb.yml', `the orb description is ${characters(description)} characters; write at least 64 saying what the orb is for`);
  }

  const folders: ComponentFolder[] = ['jobs', 'commands', 'executors', 'examples'];
  for (const folder of folders) {
    for (const file of source.components[folder]) {
      const value = isRecord(file.value) ? file.value : {};
      if (value.description === undefined || value.description === null || value.description === '') {
        find('RC002', file.relative, `the ${folder.slice(0, -1)} has no description`);
      }
      if (folder === 'examples') continue;
      if (componentName(file).includes('-')) find('RC010', file.relative, `name "${componentName(file)}" has a hyphen; use snake_case`);
      const parameters = isRecord(value.parameters) ? value.parameters : {};
      for (const parameter of Object.keys(parameters)) {
        if (parameter.includes('-')) find('RC010', file.relative, `parameter "${parameter}" has a hyphen; use snake_case`);
      }
      if (folder !== 'executors' && nested) reviewRuns(file, value, '', find, maxLength, true);
      // Before 12.3: only `.steps[] | .run`, the top-level steps.
      else if (folder !== 'executors' && Array.isArray(value.steps)) value.steps.forEach((step, index) => { reviewRuns(file, step, `steps[${index}]`, find, maxLength, false); });
      reviewEnvironmentDefaults(file, value, find);
    }
  }
  if (source.components.examples.length === 0) find('RC003', 'examples', 'add at least one usage example');
  return findings;
}

/** Every `run` key at any depth (RC008, RC009). */
function reviewRuns(file: SourceFile, value: unknown, at: string, find: (code: string, file: string, message: string) => void, maxLength: number, deep: boolean): void {
  const children: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [`${at}[${index}]`, item]) : isRecord(value) ? Object.entries(value).map(([key, item]) => [at === '' ? key : `${at}.${key}`, item]) : [];
  if (isRecord(value) && 'run' in value) {
    const where = at === '' ? 'run' : `${at}.run`;
    const run = value.run;
    if (typeof run === 'string') {
      find('RC008', file.relative, `${where}: a run step written as a string has no name; write {name, command}`);
      find('RC009', file.relative, `${where}: a run step written as a string; write {name, command}, with a long command in a script included with <<include(scripts/NAME.sh)>>`);
    } else {
      const body = isRecord(run) ? run : {};
      if (body.name === undefined || body.name === null || body.name === '') find('RC008', file.relative, `${where}: the run step has no name`);
      const command = yqText(body.command);
      if (characters(command) > maxLength && !command.includes('<<include')) {
        find('RC009', file.relative, `${where}: a command over ${maxLength} characters belongs in a script, included with <<include(scripts/NAME.sh)>>`);
      }
    }
  }
  if (deep) for (const [path, item] of children) reviewRuns(file, item, path, find, maxLength, true);
}

/**
 * RC012: "default parameters referencing environment variables cannot be used directly in key
 * properties": a default holding `$NAME` (not only a trailing `$`) must not appear in a value
 * whose path ends in "key" (a cache key is not run through a shell).
 */
function reviewEnvironmentDefaults(file: SourceFile, value: Record<string, unknown>, find: (code: string, file: string, message: string) => void): void {
  const parameters = isRecord(value.parameters) ? value.parameters : {};
  for (const [name, spec] of Object.entries(parameters)) {
    if (!isRecord(spec) || spec.default === undefined || spec.default === null) continue;
    const text = yqText(spec.default);
    if (!text.includes('$') || text.endsWith('$')) continue;
    visitStrings(value, '', (path, string) => {
      if (/key$/.test(path) && string.includes(name)) {
        find('RC012', file.relative, `${path}: parameter "${name}" defaults to the environment variable ${text}, which a key does not expand`);
      }
    });
  }
}

/** What `yq` prints for a value, as orb-tools' `$(yq ...)` captures it: "null" when absent, no trailing newlines. */
function yqText(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\n+$/, '');
}

/** Bash's ${#VAR} in a UTF-8 locale counts characters (code points). */
function characters(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff) count++;
  }
  return count;
}

function visitStrings(value: unknown, at: string, visit: (path: string, text: string) => void): void {
  if (typeof value === 'string') visit(at, value);
  else if (Array.isArray(value)) value.forEach((item, index) => { visitStrings(item, `${at}.${index}`, visit); });
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) visitStrings(item, at === '' ? key : `${at}.${key}`, visit);
}
