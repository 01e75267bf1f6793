/**
 * YAML output with pinned options: deterministic, no anchors, literal blocks for scripts, and
 * quoted wherever a YAML 1.1 reader (CircleCI's among them) would read a string as something
 * else (`on`, `yes`, `y`, `off`, `0777`, `12:30`).
 */
import { Document, isMap, isPair, isScalar, isSeq, visit, type YAMLMap } from 'yaml';

/** Whether a mapping reads well on one line: scalars (no line breaks) and lists of scalars. */
function oneLine(map: YAMLMap): boolean {
  return map.items.every(({ value }) =>
    isScalar(value) ? !(typeof value.value === 'string' && value.value.includes('\n')) : isSeq(value) && value.items.every((item) => isScalar(item)),
  );
}

export function toYaml(value: unknown, header: readonly string[] = []): string {
  const document = new Document(value, { version: '1.1', aliasDuplicateObjects: false });
  // Each parameter's declaration on one line (`image: { type: string, default: cimg/php:8.3 }`):
  // the inline orb declares dozens, and a config is read more often than its declarations.
  // So is a step's or executor's short argument list (`- attach_workspace: { at: /tmp/workspace }`),
  // a short `environment`, and a workflow entry's few `requires` and `context`.
  visit(document, {
    Pair(_, pair) {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      // A workflow entry's `requires` and `context`: names, on one line while they are few.
      if ((pair.key.value === 'requires' || pair.key.value === 'context') && isSeq(pair.value)) {
        const items = pair.value.items;
        if (items.length <= 4 && items.every((item) => isScalar(item) && typeof item.value === 'string' && !item.value.includes('\n'))) pair.value.flow = true;
        return;
      }
      if (!isMap(pair.value)) return;
      if (pair.key.value === 'parameters') {
        for (const item of pair.value.items) if (isMap(item.value) && oneLine(item.value)) item.value.flow = true;
      } else if ((pair.key.value === 'executor' || (pair.key.value === 'environment' && pair.value.items.length <= 3)) && oneLine(pair.value)) {
        pair.value.flow = true;
      }
    },
    Seq(key, seq) {
      if (key !== 'value') return;
      for (const step of seq.items) {
        if (!isMap(step) || step.items.length !== 1) continue;
        const [only] = step.items;
        if (only && isScalar(only.key) && only.key.value !== 'run' && isMap(only.value) && only.value.items.length <= 3 && oneLine(only.value)) only.value.flow = true;
      }
    },
  });
  const body = document.toString({ lineWidth: 0, blockQuote: 'literal', indentSeq: true });
  // A line break inside a header line (a branch name may hold one) must not end the comment.
  // Nor may `<<` in one read as an interpolation.
  const lines = header.flatMap((line) => line.replaceAll('<<', '< <').split(/\r\n|\r|\n|\u2028|\u2029|\u0085/));
  const comments = lines.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
  return comments === '' ? body : `${comments}\n${body}`;
}
