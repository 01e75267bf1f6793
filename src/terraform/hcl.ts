/**
 * A reader of HCL native syntax (Terraform's `.tf` files) that understands its structure:
 * bodies of attributes and blocks, with expressions, quoted templates (`${...}`, `%{...}`),
 * heredocs and comments lexed as HCL defines them, and nothing guessed by a regular expression.
 * It keeps what the module graph needs: blocks, their labels, and attributes whose value is one
 * literal string. It is fast (no WebAssembly start-up) and a test holds it to the reference
 * parser (@cdktf/hcl2json, HashiCorp's own parser compiled to WebAssembly) on real and tricky files.
 */

export class HclError extends Error {}

export interface HclBlock {
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: HclBody;
}

export interface HclBody {
  /** Attributes whose value is one string without interpolation, by name. */
  readonly strings: ReadonlyMap<string, string>;
  /** Names of every attribute, literal or not. */
  readonly attributes: readonly string[];
  readonly blocks: readonly HclBlock[];
}

type Token =
  | { readonly kind: 'ident'; readonly text: string; readonly at: number }
  | { readonly kind: 'string'; readonly literal: string | undefined; readonly at: number }
  | { readonly kind: 'heredoc'; readonly at: number }
  | { readonly kind: 'punct'; readonly text: string; readonly at: number }
  | { readonly kind: 'newline'; readonly at: number }
  | { readonly kind: 'eof'; readonly at: number };

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_-]/;
const NUMBER_PART = /[0-9.eE+-]/;
const OPERATORS = ['...', '==', '!=', '<=', '>=', '&&', '||', '=>'];

/** Reads a `.tf` file's text; throws HclError with a line and column on malformed input. */
export function parseHcl(text: string): HclBody {
  const tokens = lex(text);
  let position = 0;
  const peek = () => tokens[position] as Token;
  const next = () => tokens[position++] as Token;
  const fail = (token: Token, what: string): never => {
    throw new HclError(`${where(text, token.at)}: ${what}`);
  };

  const skipExpression = (): Token[] => {
    const taken: Token[] = [];
    const stack: string[] = [];
    // Outside brackets, two operands in a row (`a = 1 b = 2`) or a second `=` end nothing: malformed.
    let operandBefore = false;
    for (;;) {
      const token = peek();
      if (token.kind === 'eof') {
        if (stack.length > 0) fail(token, `unclosed "${stack.at(-1) ?? ''}"`);
        return taken;
      }
      if (stack.length === 0 && (token.kind === 'newline' || (token.kind === 'punct' && token.text === '}'))) return taken;
      const operand = token.kind === 'ident' || token.kind === 'string' || token.kind === 'heredoc' || (token.kind === 'punct' && token.text === 'number');
      if (stack.length === 0) {
        if (operand && operandBefore) fail(token, 'expected a new line after an attribute or block');
        if (token.kind === 'punct' && token.text === '=') fail(token, 'unexpected "="');
        operandBefore = operand;
      }
      if (token.kind === 'punct') {
        if (token.text === '(' || token.text === '[' || token.text === '{') stack.push(token.text);
        else if (token.text === ')' || token.text === ']' || token.text === '}') {
          const open = stack.pop();
          if (open === undefined || open !== { ')': '(', ']': '[', '}': '{' }[token.text]) fail(token, `unexpected "${token.text}"`);
          if (stack.length === 0) operandBefore = true;
        }
      }
      taken.push(next());
    }
  };

  const parseBody = (nested: boolean): HclBody => {
    const strings = new Map<string, string>();
    const attributes: string[] = [];
    const blocks: HclBlock[] = [];
    for (;;) {
      let token = next();
      while (token.kind === 'newline') token = next();
      if (token.kind === 'eof') {
        if (nested) fail(token, 'unclosed block: a "}" is missing');
        return { strings, attributes, blocks };
      }
      if (token.kind === 'punct' && token.text === '}') {
        if (!nested) fail(token, 'unexpected "}"');
        return { strings, attributes, blocks };
      }
      if (token.kind !== 'ident') return fail(token, 'expected an attribute or a block');
      const name = token.text;
      const after = peek();
      if (after.kind === 'punct' && after.text === '=') {
        next();
        const value = skipExpression();
        if (value.length === 0) fail(after, `attribute ${name} has no value`);
        const only = value.length === 1 ? value[0] : undefined;
        attributes.push(name);
        if (only?.kind === 'string' && only.literal !== undefined) strings.set(name, only.literal);
      } else {
        const labels: string[] = [];
        for (;;) {
          const label = next();
          if (label.kind === 'punct' && label.text === '{') break;
          if (label.kind === 'ident') labels.push(label.text);
          else if (label.kind === 'string' && label.literal !== undefined) labels.push(label.literal);
          else fail(label, `expected a label or "{" after ${name}`);
        }
        blocks.push({ type: name, labels, body: parseBody(true) });
      }
      const end = peek();
      if (end.kind !== 'newline' && end.kind !== 'eof' && !(nested && end.kind === 'punct' && end.text === '}')) {
        fail(end, 'expected a new line after an attribute or block');
      }
    }
  };

  return parseBody(false);
}

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (at: number, what: string): never => {
    throw new HclError(`${where(text, at)}: ${what}`);
  };

  /** Skips a template's interpolation or directive, from just after `${` or `%{` to after its `}`. */
  const skipTemplateSequence = (start: number) => {
    let depth = 1;
    while (depth > 0) {
      if (i >= text.length) fail(start, 'unclosed template sequence');
      const char = text.charAt(i);
      if (char === '"') {
        i++;
        readQuoted(i - 1);
      } else if (char === '{') {
        depth++;
        i++;
      } else if (char === '}') {
        depth--;
        i++;
      } else if (char === '<' && text.startsWith('<<', i) && heredocHeader(i) !== undefined) {
        skipHeredoc(i);
      } else if (char === '#' || text.startsWith('//', i)) {
        while (i < text.length && text.charAt(i) !== '\n') i++;
      } else if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail(i, 'unclosed comment');
        i = end + 2;
      } else {
        i++;
      }
    }
  };

  /** Reads a quoted template from just after its opening quote; the literal value, or undefined when it interpolates. */
  const readQuoted = (start: number): string | undefined => {
    let literal: string | undefined = '';
    for (;;) {
      if (i >= text.length || text.charAt(i) === '\n') return fail(start, 'unclosed string');
      const char = text.charAt(i);
      if (char === '"') {
        i++;
        return literal;
      }
      if (char === '\\') {
        const escape = text.charAt(i + 1);
        const simple = ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' } as Record<string, string | undefined>)[escape];
        if (simple !== undefined) {
          if (literal !== undefined) literal += simple;
          i += 2;
        } else if (escape === 'u' || escape === 'U') {
          const length = escape === 'u' ? 4 : 8;
          const hex = text.slice(i + 2, i + 2 + length);
          if (!new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(hex)) fail(i, 'malformed unicode escape');
          if (literal !== undefined) literal += String.fromCodePoint(parseInt(hex, 16));
          i += 2 + length;
        } else {
          return fail(i, `unknown escape "\\${escape}"`);
        }
      } else if ((char === '$' || char === '%') && text.charAt(i + 1) === char && text.charAt(i + 2) === '{') {
        if (literal !== undefined) literal += `${char}{`; // "$${" and "%%{" are literal
        i += 3;
      } else if ((char === '$' || char === '%') && text.charAt(i + 1) === '{') {
        i += 2;
        skipTemplateSequence(i - 2);
        literal = undefined;
      } else {
        if (literal !== undefined) literal += char;
        i++;
      }
    }
  };

  /** The end of a heredoc's opening line and its marker, when `<<` at `at` opens one. */
  const heredocHeader = (at: number): { marker: string; bodyStart: number } | undefined => {
    const match = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(text.slice(at, at + 200));
    return match ? { marker: match[1] as string, bodyStart: at + match[0].length } : undefined;
  };

  const skipHeredoc = (at: number) => {
    const header = heredocHeader(at);
    if (!header) return fail(at, 'malformed heredoc');
    let lineStart = header.bodyStart;
    for (;;) {
      if (lineStart >= text.length) fail(at, `unclosed heredoc: no line "${header.marker}"`);
      const newline = text.indexOf('\n', lineStart);
      const lineEnd = newline < 0 ? text.length : newline;
      if (text.slice(lineStart, lineEnd).trim() === header.marker) {
        i = lineEnd;
        return;
      }
      lineStart = lineEnd + 1;
    }
  };

  while (i < text.length) {
    const char = text.charAt(i);
    const start = i;
    if (char === '\n') {
      tokens.push({ kind: 'newline', at: i });
      i++;
    } else if (char === ' ' || char === '\t' || char === '\r' || char === '\uFEFF') {
      i++;
    } else if (char === '#' || text.startsWith('//', i)) {
      while (i < text.length && text.charAt(i) !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail(i, 'unclosed comment');
      // A comment spanning lines ends the line it started on, as a newline does.
      if (text.slice(i, end).includes('\n')) tokens.push({ kind: 'newline', at: i });
      i = end + 2;
    } else if (char === '"') {
      i++;
      tokens.push({ kind: 'string', literal: readQuoted(start), at: start });
    } else if (char === '<' && text.startsWith('<<', i) && heredocHeader(i) !== undefined) {
      skipHeredoc(i);
      tokens.push({ kind: 'heredoc', at: start });
    } else if (IDENT_START.test(char)) {
      while (i < text.length && IDENT_PART.test(text.charAt(i))) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), at: start });
    } else if (/[0-9]/.test(char)) {
      while (i < text.length && NUMBER_PART.test(text.charAt(i))) i++;
      tokens.push({ kind: 'punct', text: 'number', at: start });
    } else {
      const operator = OPERATORS.find((op) => text.startsWith(op, i));
      const length = operator?.length ?? 1;
      tokens.push({ kind: 'punct', text: text.slice(i, i + length), at: start });
      i += length;
    }
  }
  tokens.push({ kind: 'eof', at: text.length });
  return tokens;
}

function where(text: string, at: number): string {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return `${line}:${column}`;
}
