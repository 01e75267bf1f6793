// Rewrites the generated blocks of docs/ (the description and CLI references): npm run docs.
import { readFileSync, writeFileSync } from 'node:fs';
import { GENERATED_DOCS, rewriteDoc } from '../src/docs.js';

for (const file of Object.keys(GENERATED_DOCS)) {
  const path = new URL(`../${file}`, import.meta.url);
  const before = readFileSync(path, 'utf8');
  const after = rewriteDoc(file, before);
  if (after !== before) writeFileSync(path, after);
  process.stdout.write(after === before ? `${file} is up to date\n` : `${file} rewritten\n`);
}
