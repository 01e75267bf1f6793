/**
 * Orb review, offline: the checks CircleCI's orb-tools `review` makes, by their codes, on an
 * orb's source tree. Reachability of URLs (RC006, RC007) needs the network and is left out.
 */
import { componentName, isRecord, type ComponentFolder, type OrbSource, type SourceFile } from './pack.js';

export interface Finding {
  readonly code: string;
  /** Source file, relative to the orb source folder. */
  readonly file: string;
  readonly message: string;
}

/** Longest `run` command allowed inline before it belongs in a script (orb-tools' default). */
export const MAX_INLINE_COMMAND = 64;
const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

export function reviewOrb(source: OrbSource): Finding[] {
  const findings: Finding[] = [];
  const find = (code: string, file: string, message: string) => findings.push({ code, file, message });
  const root = isRecord(source.root.value) ? source.root.value : {};
  const display = isRecord(root.display) ? root.display : {};

  if (typeof display.source_url !== 'string' || display.source_url === '') {
    find('RC001', '@orb.yml', 'set display.source_url, so the registry links to the source');
  }
  const description = typeof root.description === 'string' ? root.description.trim() : '';
  if (description.length < 64) {
    find('RC005', '@orb.yml', `the orb description is ${description.length} characters; write at least 64 saying what the orb is for`);
  }

  const folders: ComponentFolder[] = ['commands', 'jobs', 'executors', 'examples'];
  for (const folder of folders) {
    for (const file of source.components[folder]) {
      const value = isRecord(file.value) ? file.value : {};
      if (typeof value.description !== 'string' || value.description.trim() === '') {
        find('RC002', file.relative, `the ${folder.slice(0, -1)} has no description`);
      }
      if (folder === 'examples') continue;
      const name = componentName(file);
      if (!SNAKE_CASE.test(name)) find('RC010', file.relative, `name "${name}" is not snake_case`);
      for (const parameter of Object.keys(isRecord(value.parameters) ? value.parameters : {})) {
        if (!SNAKE_CASE.test(parameter)) find('RC010', file.relative, `parameter "${parameter}" is not snake_case`);
      }
      if (folder !== 'executors') reviewSteps(file, value.steps, 'steps', find);
    }
  }

  if (source.components.examples.length === 0) find('RC003', 'examples', 'add at least one usage example');
  for (const file of source.components.examples) {
    if (componentName(file).toLowerCase().includes('example')) {
      find('RC004', file.relative, 'name the example after its use case, without the word "example"');
    }
  }
  return findings;
}

function reviewSteps(file: SourceFile, steps: unknown, at: string, find: (code: string, file: string, message: string) => void): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step, index) => {
    if (!isRecord(step)) return;
    const where = `${at}[${index}]`;
    for (const [kind, body] of Object.entries(step)) {
      if (kind === 'run') {
        if (typeof body === 'string') {
          find('RC008', file.relative, `${where}: a run step given as a string has no name; write { name, command }`);
          if (body.length > MAX_INLINE_COMMAND && !isInclude(body)) find('RC009', file.relative, `${where}: a command over ${MAX_INLINE_COMMAND} characters belongs in a script, included with <<include(scripts/NAME.sh)>>`);
          continue;
        }
        const run = isRecord(body) ? body : {};
        if (typeof run.name !== 'string' || run.name.trim() === '') find('RC008', file.relative, `${where}: the run step has no name`);
        const command = typeof run.command === 'string' ? run.command : '';
        if (command.length > MAX_INLINE_COMMAND && !isInclude(command)) {
          find('RC009', file.relative, `${where}: a command over ${MAX_INLINE_COMMAND} characters belongs in a script, included with <<include(scripts/NAME.sh)>>`);
        }
      } else if ((kind === 'when' || kind === 'unless') && isRecord(body)) {
        reviewSteps(file, body.steps, `${where}.${kind}.steps`, find);
      }
    }
  });
}

function isInclude(command: string): boolean {
  return /^\s*<<\s*include\([^)]*\)\s*>>\s*$/.test(command);
}
