/**
 * The explanation of a plan: the trigger, the base and how it was chosen, the changed files
 * and, for each job, whether it runs and why. `generate` writes it to stderr so a CircleCI setup
 * job shows it; `explain` prints it, or its JSON form.
 */
import { duration } from './duration.js';
import { criticalPathOf, type CriticalPath } from './plan/criticalPath.js';
import type { Plan } from './plan/plan.js';
import { printable } from './printable.js';
import type { TerraformImpact } from './terraform/graph.js';
import { describeTrigger, type TriggerContext } from './trigger/context.js';

const FILES_SHOWN = 20;

export interface Explanation {
  readonly trigger: TriggerContext;
  readonly base: { readonly revision: string | null; readonly strategy: string; readonly how: string };
  readonly selectAll: boolean;
  readonly selectAllReason: string | null;
  readonly changedFiles: readonly string[];
  readonly jobs: readonly { readonly name: string; readonly runs: boolean; readonly reasons: readonly string[]; readonly requires: readonly string[] }[];
  readonly terraformModules: Readonly<Record<string, readonly string[]>>;
  readonly warnings: readonly string[];
  /** The jobs that decide the pipeline's length (none when no job runs); `source`: where durations came from, if given. */
  readonly criticalPath: (CriticalPath & { readonly source: string | null }) | null;
}

/** Durations per job name, in seconds, and where they come from. */
export interface JobDurations {
  readonly seconds: ReadonlyMap<string, number>;
  readonly source: string;
}

export function explanationOf(plan: Plan, terraform?: TerraformImpact, warnings: readonly string[] = [], durations?: JobDurations): Explanation {
  const { changes } = plan;
  const running = plan.jobs.filter((job) => job.runs);
  return {
    trigger: plan.trigger,
    base: changes.base,
    selectAll: changes.selectAll,
    selectAllReason: changes.selectAllReason ?? null,
    changedFiles: changes.files,
    jobs: plan.jobs.map((job) => ({ name: job.name, runs: job.runs, reasons: job.reasons, requires: job.requires })),
    terraformModules: Object.fromEntries(terraform?.modulesUsed ?? []),
    warnings,
    criticalPath: running.length > 0 ? { ...criticalPathOf(running, durations?.seconds), source: durations?.source ?? null } : null,
  };
}

export function formatExplanation(explanation: Explanation, options: { allFiles?: boolean } = {}): string {
  const lines = [`trigger: ${describeTrigger(explanation.trigger)}`];
  if (explanation.selectAll) {
    lines.push(`base: none; ${explanation.selectAllReason ?? 'no usable base'}, so every job is selected`);
  } else {
    const base = explanation.base.revision !== null ? `${explanation.base.revision} (${explanation.base.strategy})` : explanation.base.strategy;
    lines.push(`base: ${base}: ${explanation.base.how}`);
    const files = explanation.changedFiles;
    const shown = options.allFiles === true ? files : files.slice(0, FILES_SHOWN);
    lines.push(`changed files: ${files.length}`);
    for (const file of shown) lines.push(`  ${JSON.stringify(file)}`);
    if (files.length > shown.length) lines.push(`  ... and ${files.length - shown.length} more`);
  }
  const modules = Object.entries(explanation.terraformModules);
  if (modules.length > 0) {
    lines.push('terraform modules used:');
    for (const [root, used] of modules) lines.push(`  ${root}: ${used.length > 0 ? used.join(', ') : 'no local modules'}`);
  }
  const running = explanation.jobs.filter((job) => job.runs).length;
  lines.push(`jobs: ${running} of ${explanation.jobs.length} run`);
  for (const job of explanation.jobs) {
    lines.push(`  ${job.runs ? 'run ' : 'skip'} ${job.name}: ${job.reasons.join('; ')}`);
  }
  if (running === 0) lines.push('nothing to run: the continuation is an empty pipeline');
  if (explanation.criticalPath) lines.push(...criticalPathLines(explanation.criticalPath));
  for (const warning of explanation.warnings) lines.push(`warning: ${warning}`);
  // Branch, tag, file names and reasons come from outside: each stays on its own line.
  return `${lines.map(printable).join('\n')}\n`;
}

/**
 * `critical path: 4m10s, from the setup job to the end of deploy-prod (durations: FILE)` and the
 * chain, or, with no durations, the longest chain by number of jobs (jobs as long: `a | b`).
 */
function criticalPathLines(path: CriticalPath & { readonly source: string | null }): string[] {
  const weight = new Map(path.jobs.map((job) => [job.name, job]));
  const alsoCritical = [
    ...(path.alsoCritical.length > 0 ? [`  as long, on another chain: ${path.alsoCritical.join(', ')}`] : []),
    ...(path.approvals.length > 0 ? [`  waits for a person at ${path.approvals.join(', ')} (an approval: not counted)`] : []),
  ];
  if (path.unit === 'jobs') {
    return [
      `critical path (by number of jobs, the longest chain of requires; --durations FILE|insights weighs the jobs by their time): ${path.stages.map((stage) => stage.join(' | ')).join(' -> ')}`,
      ...alsoCritical,
    ];
  }
  const chain = path.stages.map((stage) => stage.map((name) => `${name} ${duration(weight.get(name)?.weight ?? 0)}`).join(' | ')).join(' -> ');
  const lines = [`critical path: ${duration(path.length)} from the start of the setup job to the end of the last job (durations: ${path.source ?? 'given'})`, `  ${chain}`, ...alsoCritical];
  const off = path.jobs.filter((job) => job.slack > 1e-6).map((job) => `${job.name} (${duration(job.weight)}; ${duration(job.slack)} to spare)`);
  if (off.length > 0) lines.push(`  not on it: ${off.join(', ')}`);
  if (path.unknown.length > 0) lines.push(`  no duration known for: ${path.unknown.join(', ')} (counted as 0s)`);
  return lines;
}
