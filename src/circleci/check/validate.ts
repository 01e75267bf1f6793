/**
 * `validate`: a CircleCI config or packed orb, checked offline: CircleCI's official schema
 * (the deepest error of each cascade) and the reference checks of ./references.ts, each finding
 * with the line it is on.
 */
import { isAlias, isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath } from '../../description/schemaKit.js';
import { checkOfficialSchema } from './officialSchema.js';
import { checkReferences, type Path } from './references.js';

export interface ValidationFinding {
  readonly line: number;
  readonly message: string;
  readonly note?: boolean;
}

/** Every finding in a config's text, sorted by line; notes are not errors. */
export function validateConfigText(text: string): ValidationFinding[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { version: '1.1', merge: true, lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    return document.errors.map((error) => ({
      line: lineCounter.linePos(error.pos[0]).line,
      message: `not valid YAML: ${error.message.split('\n')[0] ?? error.message}`,
    }));
  }
  const value = document.toJS({ maxAliasCount: 1000 }) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ line: 1, message: 'not a CircleCI config: expected a mapping with version, jobs, workflows...' }];
  }
  const lineOf = (path: Path) => lineCounter.linePos(offsetOf(document, path)).line;
  const findings: ValidationFinding[] = [
    ...checkOfficialSchema(value).map((finding) => ({ line: lineOf(finding.key !== undefined ? [...finding.path, finding.key] : finding.path), message: `${formatPath(finding.path)}: ${finding.message}` })),
    ...checkReferences(value).map((finding) => ({
      line: lineOf(finding.path),
      message: `${formatPath(finding.path)}: ${finding.message}`,
      ...(finding.note === true ? { note: true } : {}),
    })),
  ];
  return findings.sort((a, b) => a.line - b.line);
}

/** Where the node at `path` starts, or its nearest ancestor that exists. */
function offsetOf(document: Document, path: Path): number {
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(document);
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const k: unknown = item.key;
        return (typeof k === 'object' && k !== null && 'value' in k ? (k).value : k) === key;
      });
      const keyStart = rangeStart(pair?.key);
      if (keyStart !== undefined) offset = keyStart;
      next = pair?.value;
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    } else {
      break;
    }
    if (next === undefined || next === null) break;
    // A map entry is shown at its key; a list item where it starts.
    if (!isMap(node)) offset = rangeStart(next) ?? offset;
    node = next;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Partial<Node> | undefined)?.range;
  return range ? range[0] : undefined;
}
