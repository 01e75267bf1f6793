/**
 * The explanation of a plan for people: the trigger, the base, the changed files and, for each
 * job, whether it runs and why. `generate` writes it to stderr so a CircleCI setup job shows it.
 */
import type { Plan } from './plan/plan.js';
import { describeTrigger } from './trigger/context.js';

const FILES_SHOWN = 20;

export function formatExplanation(plan: Plan): string {
  const { changes } = plan;
  const lines = [`trigger: ${describeTrigger(plan.trigger)}`];
  if (changes.selectAll) {
    lines.push(`base: none; ${changes.selectAllReason ?? 'no usable base'}, so every job is selected`);
  } else {
    const base = changes.base.revision !== null ? `${changes.base.revision} (${changes.base.strategy})` : changes.base.strategy;
    lines.push(`base: ${base}`);
    lines.push(`changed files: ${changes.files.length}`);
    for (const file of changes.files.slice(0, FILES_SHOWN)) lines.push(`  ${JSON.stringify(file)}`);
    if (changes.files.length > FILES_SHOWN) lines.push(`  ... and ${changes.files.length - FILES_SHOWN} more`);
  }
  const running = plan.jobs.filter((job) => job.runs).length;
  lines.push(`jobs: ${running} of ${plan.jobs.length} run`);
  for (const job of plan.jobs) {
    lines.push(`  ${job.runs ? 'run ' : 'skip'} ${job.name}: ${job.reasons.join('; ')}`);
  }
  if (running === 0) lines.push('nothing to run: the continuation is an empty pipeline');
  return `${lines.join('\n')}\n`;
}
