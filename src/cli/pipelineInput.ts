/**
 * What `generate` and `explain` share: the flags that describe the pipeline and how they turn
 * into a description, a trigger context and a change set.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { changeSetFromGit, changeSetFromList, DEFAULT_MAX_DEPTH, parseChangedFilesList, type ChangeSet } from '../changes/changeSet.js';
import { gitIn, type GitResult } from '../changes/git.js';
import { descriptionPath, loadDescription } from '../description/load.js';
import type { ProjectDescription } from '../description/resolve.js';
import { InputError, unreadable } from '../errors.js';
import { terraformImpact, type TerraformImpact } from '../terraform/graph.js';
import { triggerFromInput, type TriggerContext } from '../trigger/context.js';
import { DESCRIPTION_OPTIONS, descriptionLoadOptions, listFlag, stringFlag, type OptionsConfig, type ParsedArgs } from './command.js';
import type { CliIO } from './io.js';
import { checkRepository } from './repositoryCheck.js';
import { listRepositoryFiles } from './warnings.js';

export const PIPELINE_OPTIONS = {
  ...DESCRIPTION_OPTIONS,
  branch: { type: 'string' },
  tag: { type: 'string' },
  revision: { type: 'string' },
  'base-revision': { type: 'string' },
  'trigger-source': { type: 'string' },
  param: { type: 'string', multiple: true },
  'changed-files': { type: 'string' },
  'max-depth': { type: 'string' },
} as const satisfies OptionsConfig;

/** The pipeline flags in a usage line (generate and explain). */
export const PIPELINE_USAGE = `[--config PATH] [--load-timeout SECONDS] [--branch B | --tag T] [--revision SHA]
       [--base-revision SHA] [--trigger-source SOURCE] [--param NAME=VALUE]...
       [--changed-files FILE|-] [--max-depth N]`;

export const PIPELINE_OPTIONS_HELP = `  --config PATH               project description (default: circle-fargate.config.{ts,mjs,js,json,yaml,yml}
                              in the working directory)
  --load-timeout SECONDS      seconds a .ts/.mjs/.js description may take to load (default 10)
  --branch B                  branch of the pipeline (default: $CIRCLE_BRANCH)
  --tag T                     tag of the pipeline (default: $CIRCLE_TAG)
  --revision SHA              commit of the pipeline (default: $CIRCLE_SHA1)
  --base-revision SHA         previous pipeline's commit on the branch (pipeline.git.base_revision);
                              empty or "<nil>" means none
  --trigger-source SOURCE     webhook (default), api or scheduled_pipeline (pipeline.trigger_source)
  --param NAME=VALUE          a pipeline parameter the trigger sent, such as deploy_env=pre; repeatable
  --changed-files FILE|-      changed paths, one a line, from FILE or stdin, instead of asking git
  --max-depth N               deepest history fetched from origin to find the base (default ${DEFAULT_MAX_DEPTH})`;

export interface PipelineInput {
  readonly description: ProjectDescription;
  /** The description file, relative to the working directory. */
  readonly source: string;
  /** The directory holding the description: paths in it, and changed paths, are relative to it. */
  readonly projectRoot: string;
  readonly trigger: TriggerContext;
  readonly changes: ChangeSet;
  readonly terraform: TerraformImpact;
  /** What the description names that the repository does not have, short of an error. */
  readonly repositoryWarnings: readonly string[];
  /** git's list of the repository's files, started while the description loaded (warnings.ts lists them when absent). */
  readonly repositoryFiles?: Promise<GitResult>;
}

export interface ReadOptions {
  /** The command reading it, named in its errors. */
  readonly command: 'generate' | 'explain';
}

export async function readPipelineInput(args: ParsedArgs, io: CliIO, options: ReadOptions): Promise<PipelineInput> {
  const loadOptions = descriptionLoadOptions(args, io, options.command);
  const file = descriptionPath(loadOptions);
  const loading = loadDescription({ ...loadOptions, file });
  // Listed by git while the description loads in its own process (its process started first).
  const repositoryFiles = listRepositoryFiles(path.dirname(file));
  const loaded = await loading;
  const trigger = triggerFromInput(
    {
      branch: stringFlag(args, 'branch'),
      tag: stringFlag(args, 'tag'),
      revision: stringFlag(args, 'revision'),
      baseRevision: stringFlag(args, 'base-revision'),
      source: stringFlag(args, 'trigger-source'),
      params: listFlag(args, 'param'),
    },
    io.env,
  );
  const maxDepth = positiveInteger(stringFlag(args, 'max-depth'), '--max-depth') ?? DEFAULT_MAX_DEPTH;
  const projectRoot = path.dirname(loaded.file);
  const list = stringFlag(args, 'changed-files');
  const changes =
    list === undefined
      ? await changeSetFromGit(gitIn(projectRoot), trigger, { defaultBranch: loaded.description.project.defaultBranch, maxDepth })
      : await readChangedFiles(list, io);
  // Every root's module tree is read, even when no change could reach a module: generate and
  // explain show the same explanation (the modules each root uses among it).
  // After git: a checkout that cannot be read is the first thing to say.
  const repositoryWarnings = await checkRepository(loaded, { branches: options.command === 'explain' });
  const terraform = await terraformImpact(projectRoot, loaded.description.terraform?.roots ?? [], changes.files, { all: true });
  return { description: loaded.description, source: path.relative(io.cwd, loaded.file) || loaded.file, projectRoot, trigger, changes, terraform, repositoryWarnings, repositoryFiles };
}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InputError(`${flag}: not a positive whole number (got ${JSON.stringify(value)}; expected such as 1000)`);
  return Number(value);
}

async function readChangedFiles(list: string, io: CliIO): Promise<ChangeSet> {
  let text: string;
  try {
    text = list === '-' ? await io.readStdin() : await readFile(path.resolve(io.cwd, list), 'utf8');
  } catch (error) {
    throw new InputError(`--changed-files: cannot read ${list}: ${unreadable(error)}; pass a file with one path a line, or - for stdin`);
  }
  return changeSetFromList(parseChangedFilesList(text), list === '-' ? 'standard input' : list);
}
