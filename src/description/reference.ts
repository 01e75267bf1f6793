/**
 * The README's project description reference, written from the same JSON Schema that editors
 * get, so the two cannot drift apart (see src/docs.ts).
 */
import { descriptionJsonSchema } from './schema.js';

type Node = Record<string, unknown>;

interface Row {
  field: string;
  type: string;
  required: 'yes' | 'in some forms' | '';
  defaultValue: string;
  description: string;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function alternatives(node: Node): Node[] {
  const list = node.oneOf ?? node.anyOf;
  return Array.isArray(list) ? list.filter(isNode) : [node];
}

function typeOf(node: Node): string {
  const alts = alternatives(node);
  if (alts.length > 1 || alts[0] !== node) return [...new Set(alts.map(typeOf))].join(' or ');
  if ('const' in node) return JSON.stringify(node.const);
  if (Array.isArray(node.enum)) return node.enum.map((value) => JSON.stringify(value)).join(' or ');
  switch (node.type) {
    case 'array':
      return isNode(node.items) ? `list of ${typeOf(node.items)}` : 'list';
    case 'object':
      return isNode(node.additionalProperties) ? `map of name to ${typeOf(node.additionalProperties)}` : 'object';
    case 'integer': {
      const min = typeof node.minimum === 'number' ? node.minimum : undefined;
      const max = typeof node.maximum === 'number' ? node.maximum : undefined;
      if (min !== undefined && max !== undefined) return `integer ${min}–${max}`;
      return min !== undefined ? `integer ≥ ${min}` : 'integer';
    }
    default:
      return typeof node.type === 'string' ? node.type : 'any';
  }
}

function objectParts(node: Node): Node[] {
  // The object alternatives whose fields are listed under this node's path.
  const parts: Node[] = [];
  for (const alt of alternatives(node)) {
    if (isNode(alt.properties)) parts.push(alt);
    else if (alt.type === 'array' && isNode(alt.items)) parts.push(...objectParts(alt.items).map((item) => ({ ...item, listItem: true })));
    else if (isNode(alt.additionalProperties)) parts.push(...objectParts(alt.additionalProperties).map((item) => ({ ...item, mapValue: true })));
  }
  return parts;
}

function collect(node: Node, path: string, rows: Row[]): void {
  const parts = objectParts(node);
  for (const part of parts) {
    const prefix = `${path}${part.mapValue === true ? '.<name>' : ''}${part.listItem === true ? '[]' : ''}`;
    const required = new Set(Array.isArray(part.required) ? (part.required as string[]) : []);
    for (const [key, child] of Object.entries(part.properties as Record<string, unknown>)) {
      if (!isNode(child)) continue;
      const field = prefix ? `${prefix}.${key}` : key;
      const seen = rows.find((row) => row.field === field);
      if (seen) {
        // The same field in another form of a union (`trigger.type` is "api" or "branch").
        const type = typeOf(child);
        if (!seen.type.split(' or ').includes(type)) seen.type = `${seen.type} or ${type}`;
        continue;
      }
      const inForms = parts.filter((other) => isNode(other.properties) && key in other.properties);
      const requiredIn = inForms.filter((other) => Array.isArray(other.required) && other.required.includes(key));
      rows.push({
        field,
        type: typeOf(child),
        required: !required.has(key) ? '' : requiredIn.length === parts.length ? 'yes' : 'in some forms',
        defaultValue: 'default' in child ? JSON.stringify(child.default) : '',
        description: typeof child.description === 'string' ? child.description : '',
      });
      collect(child, field, rows);
    }
  }
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The reference table in Markdown. */
export function descriptionReference(): string {
  const rows: Row[] = [];
  collect(descriptionJsonSchema(), '', rows);
  const lines = [
    '| Field | Type | Required | Default | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows
      .filter((row) => row.field !== '$schema')
      .map(
        (row) =>
          `| \`${row.field}\` | ${cell(row.type)} | ${row.required} | ${row.defaultValue ? `\`${cell(row.defaultValue)}\`` : ''} | ${cell(row.description)} |`,
      ),
  ];
  return lines.join('\n');
}
