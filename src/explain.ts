/**
 * The explanation of a plan: the trigger, the base and how it was chosen, the changed files
 * and, for each job, whether it runs and why. `generate` writes it to stderr so a CircleCI setup
 * job shows it; `explain` prints it, or its JSON form.
 */
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
}

export function explanationOf(plan: Plan, terraform?: TerraformImpact, warnings: readonly string[] = []): Explanation {
  const { changes } = plan;
  return {
    trigger: plan.trigger,
    base: changes.base,
    selectAll: changes.selectAll,
    selectAllReason: changes.selectAllReason ?? null,
    changedFiles: changes.files,
    jobs: plan.jobs.map((job) => ({ name: job.name, runs: job.runs, reasons: job.reasons, requires: job.requires })),
    terraformModules: Object.fromEntries(terraform?.modulesUsed ?? []),
    warnings,
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
  for (const warning of explanation.warnings) lines.push(`warning: ${warning}`);
  // Branch, tag, file names and reasons come from outside: each stays on its own line.
  return `${lines.map(printable).join('\n')}\n`;
}
