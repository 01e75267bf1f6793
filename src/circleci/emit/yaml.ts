/**
 * YAML output with pinned options: deterministic, no anchors, literal blocks for scripts, and
 * quoted wherever a YAML 1.1 reader (CircleCI's among them) would read a string as something
 * else (`on`, `yes`, `y`, `off`, `0777`, `12:30`).
 */
import { stringify } from 'yaml';

export function toYaml(value: unknown, header: readonly string[] = []): string {
  const body = stringify(value, {
    version: '1.1',
    lineWidth: 0,
    blockQuote: 'literal',
    aliasDuplicateObjects: false,
    indentSeq: true,
  });
  // A line break inside a header line (a branch name may hold one) must not end the comment.
  // Nor may `<<` in one read as an interpolation.
  const lines = header.flatMap((line) => line.replaceAll('<<', '< <').split(/\r\n|\r|\n|\u2028|\u2029|\u0085/));
  const comments = lines.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
  return comments === '' ? body : `${comments}\n${body}`;
}
