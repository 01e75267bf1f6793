/**
 * README blocks written from the code they document, so docs and behaviour cannot drift:
 * `npm run docs` rewrites them and a test fails when README.md is stale.
 * A block is `<!-- generated:NAME -->` ... `<!-- /generated:NAME -->`.
 */
import { COMMANDS } from './cli/commands/index.js';
import { mainHelp } from './cli/main.js';
import { descriptionReference } from './description/reference.js';

function cliReference(): string {
  const sections = [['circle-fargate', mainHelp()], ...COMMANDS.map((command) => [`circle-fargate ${command.name}`, command.help])];
  return sections.map(([title = '', help = '']) => `#### \`${title}\`\n\n\`\`\`text\n${help.trimEnd()}\n\`\`\``).join('\n\n');
}

export const README_BLOCKS: Readonly<Record<string, () => string>> = {
  'description-reference': descriptionReference,
  'cli-reference': cliReference,
};

/** README text with every generated block rewritten; throws naming a missing block. */
export function rewriteReadme(readme: string): string {
  let text = readme;
  for (const [name, render] of Object.entries(README_BLOCKS)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the block ${start} ... ${end}`);
    text = `${text.slice(0, from + start.length)}\n${render()}\n${text.slice(to)}`;
  }
  return text;
}
