/**
 * Reference blocks written from the code they document (docs/description.md, docs/cli.md), so
 * docs and behaviour cannot drift: `npm run docs` rewrites them and a test fails when one is stale.
 * A block is `<!-- generated:NAME -->` ... `<!-- /generated:NAME -->`.
 */
import { COMMANDS } from './cli/commands/index.js';
import { mainHelp } from './cli/main.js';
import { descriptionReference } from './description/reference.js';

function cliReference(): string {
  const sections = [['circle-fargate', mainHelp()], ...COMMANDS.map((command) => [`circle-fargate ${command.name}`, command.help])];
  return sections.map(([title = '', help = '']) => `#### \`${title}\`\n\n\`\`\`text\n${help.trimEnd()}\n\`\`\``).join('\n\n');
}

/** The generated files, each with its blocks: `docs/description.md` and `docs/cli.md`. */
export const GENERATED_DOCS: Readonly<Record<string, Readonly<Record<string, () => string>>>> = {
  'docs/description.md': { 'description-reference': descriptionReference },
  'docs/cli.md': { 'cli-reference': cliReference },
};

/** `text` (the file `file` of GENERATED_DOCS) with every generated block rewritten; throws naming a missing block. */
export function rewriteDoc(file: string, text: string): string {
  let rewritten = text;
  for (const [name, render] of Object.entries(GENERATED_DOCS[file] ?? {})) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = rewritten.indexOf(start);
    const to = rewritten.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${file} lacks the block ${start} ... ${end}`);
    rewritten = `${rewritten.slice(0, from + start.length)}\n${render()}\n${rewritten.slice(to)}`;
  }
  return rewritten;
}
