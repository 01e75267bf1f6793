/**
 * The warnings `explain` and `generate` both print: globs that match no file of the repository,
 * declared Terraform modules no root uses, a tag no tag filter of the description matches, and a
 * role assumed without a CircleCI context.
 */
import { gitComplaint, gitIn, parseNulSeparated, type GitResult } from '../changes/git.js';
import { contextWarnings, globWarnings, moduleWarnings, tagWarnings } from '../plan/warnings.js';
import type { PipelineInput } from './pipelineInput.js';

/** The repository's files (tracked, and untracked but not ignored), for the glob warnings. */
export function listRepositoryFiles(projectRoot: string): Promise<GitResult> {
  return gitIn(projectRoot)(['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
}

export async function pipelineWarnings(input: PipelineInput): Promise<string[]> {
  const warnings: string[] = [...input.repositoryWarnings];
  const listed = await (input.repositoryFiles ?? listRepositoryFiles(input.projectRoot));
  if (listed.ok) warnings.push(...globWarnings(input.description, parseNulSeparated(listed.stdout)));
  else warnings.push(`globs not checked against the repository: git cannot list its files (${gitComplaint(listed)})`);
  warnings.push(...moduleWarnings(input.description, input.terraform));
  warnings.push(...tagWarnings(input.description, input.trigger));
  warnings.push(...contextWarnings(input.description));
  return warnings;
}
