/**
 * Following a triggered pipeline to its end: its setup workflow, then the workflows the
 * continuation adds. A pipeline whose config errored has no workflows: its errors are the end.
 */
import type { CircleCIClient, Pipeline, Workflow } from './client.js';

const TERMINAL = new Set(['success', 'failed', 'error', 'canceled', 'unauthorized', 'not_run']);
const GOOD = new Set(['success', 'not_run']);

export interface FollowOptions {
  readonly pollMs: number;
  readonly timeoutMs: number;
  /** After every known workflow ended, how long to wait for the continuation to add more. */
  readonly settleMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progress?: (line: string) => void;
}

export interface FollowResult {
  readonly outcome: 'success' | 'failed' | 'errored' | 'timeout';
  readonly pipeline: Pipeline;
  readonly workflows: readonly Workflow[];
}

export async function followPipeline(client: CircleCIClient, pipelineId: string, options: FollowOptions): Promise<FollowResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = options.progress ?? (() => undefined);
  const deadline = now() + options.timeoutMs;
  const seen = new Map<string, string>();
  let endedSince: number | undefined;
  let pipeline = await client.getPipeline(pipelineId);
  let workflows: Workflow[] = [];
  for (;;) {
    if (pipeline.state === 'errored') {
      for (const error of pipeline.errors ?? []) progress(`pipeline error (${error.type}): ${error.message}`);
      return { outcome: 'errored', pipeline, workflows };
    }
    if (pipeline.state === 'created') {
      workflows = await client.listWorkflows(pipelineId);
      for (const workflow of workflows) {
        if (seen.get(workflow.id) !== workflow.status) {
          seen.set(workflow.id, workflow.status);
          progress(`workflow ${workflow.name}: ${describeStatus(workflow.status)}`);
        }
      }
      const allEnded = workflows.length > 0 && workflows.every((workflow) => TERMINAL.has(workflow.status));
      if (allEnded && workflows.some((workflow) => !GOOD.has(workflow.status))) return { outcome: 'failed', pipeline, workflows };
      if (allEnded) {
        endedSince ??= now();
        // A setup workflow's success is not the end: the continuation may add workflows.
        if (now() - endedSince >= options.settleMs) return { outcome: 'success', pipeline, workflows };
      } else {
        endedSince = undefined;
      }
    }
    if (now() >= deadline) return { outcome: 'timeout', pipeline, workflows };
    await sleep(options.pollMs);
    pipeline = await client.getPipeline(pipelineId);
  }
}

function describeStatus(status: string): string {
  return status === 'on_hold' ? 'on hold (waiting for an approval)' : status.replaceAll('_', ' ');
}
