// Rewrites README.md's generated blocks (the description and CLI references): npm run docs.
import { readFileSync, writeFileSync } from 'node:fs';
import { rewriteReadme } from '../src/docs.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = rewriteReadme(before);
if (after !== before) writeFileSync(path, after);
process.stdout.write(after === before ? 'README.md is up to date\n' : 'README.md rewritten\n');
