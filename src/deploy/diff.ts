/**
 * Field-by-field differences for `deploy --dry-run`: every field of a task definition, target
 * or schedule that would change, not only the image. Lists of named things (containers,
 * environment variables, secrets, volumes) are compared by name, so a reordering is not a
 * change. Values that may be secret are never shown: environment variable values, and target
 * or schedule inputs (container overrides carry environment values too).
 */
import { READ_ONLY_FIELDS } from './taskDefinition.js';

export interface Difference {
  /** Dotted path, with `[name]` for named list items: `containerDefinitions[app].image`. */
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

const HIDDEN = '(hidden)';

/** Whether the value at `path` may be secret. */
function secret(path: string): boolean {
  return /(^|\.)environment\[[^\]]*\]\.value$/.test(path) || /(^|\.)Input$/.test(path) || /(^|\.)environment\[[^\]]*\]$/.test(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** A list whose items all have a distinct `name` (or `Name`, `containerPath`) is compared by it. */
function keyed(list: readonly unknown[]): Map<string, unknown> | undefined {
  if (list.length === 0 || !list.every(isObject)) return undefined;
  const map = new Map<string, unknown>();
  for (const item of list as Record<string, unknown>[]) {
    const key = item.name ?? item.Name ?? item.sourceVolume;
    if (typeof key !== 'string' || map.has(key)) return undefined;
    map.set(key, item);
  }
  return map;
}

/** Differences between two values of the same shape, secrets masked. */
export function differences(before: unknown, after: unknown, at = ''): Difference[] {
  const found: Difference[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (isObject(a) && isObject(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const left = keyed(a);
      const right = keyed(b);
      if ((left !== undefined || a.length === 0) && (right !== undefined || b.length === 0)) {
        const l = left ?? new Map<string, unknown>();
        const r = right ?? new Map<string, unknown>();
        for (const key of [...new Set([...l.keys(), ...r.keys()])]) walk(l.get(key), r.get(key), `${path}[${key}]`);
        return;
      }
      if (a.length === b.length) {
        a.forEach((item, index) => { walk(item, b[index], `${path}[${index}]`); });
        return;
      }
    }
    if (JSON.stringify(a ?? null) === JSON.stringify(b ?? null)) return;
    if (secret(path)) {
      const presence = (value: unknown) => (value === undefined || value === null ? '(none)' : HIDDEN);
      found.push({ path, before: presence(a), after: presence(b) });
      return;
    }
    if ((isObject(a) || isObject(b)) && (a === undefined || b === undefined)) {
      // A whole named item added or removed: list its fields, each masked as needed.
      const inner = differences(a ?? {}, b ?? {}, path);
      if (inner.length > 0) {
        found.push(...inner.map((d) => ({ ...d, before: a === undefined ? '(none)' : d.before, after: b === undefined ? '(none)' : d.after })));
        return;
      }
    }
    found.push({ path, before: show(a), after: show(b) });
  };
  walk(before, after, at);
  return found;
}

/** A described task definition without the fields AWS sets, comparable with a registration input. */
export function registrable(described: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(described).filter(([field]) => !(READ_ONLY_FIELDS as readonly string[]).includes(field)));
}

/** One line per difference: `  PATH: BEFORE -> AFTER`. */
export function diffLines(list: readonly Difference[], indent = '  '): string[] {
  return list.map((d) => `${indent}${d.path}: ${d.before} -> ${d.after}`);
}
