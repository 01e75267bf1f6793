/**
 * Untrusted text (branch, tag and file names, server messages) made safe to print inside a line:
 * control characters are written as escapes, so a newline in a branch name cannot forge a log
 * line and an escape sequence cannot repaint the terminal.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with every control character written as a JSON-style escape (`\n`, `\t`, `\u001b`). */
export function printable(text: string): string {
  return text.replace(CONTROL, (character) => JSON.stringify(character).slice(1, -1).replace(/^[\u007f-\u009f\u2028\u2029]$/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
