/**
 * What circle-fargate emits, as our own types: the synthesis builds these (pure), and only
 * `render.ts` turns them into CircleCI config through the config SDK.
 */
import type { OrbObject } from '../../orb/pack.js';

export type ParameterValue = string | number | boolean;

export type Step = {
  readonly type: 'run';
  readonly name: string;
  /** A constant script: never holds a value from the trigger or the description. */
  readonly command: string;
};

/** A job of the config itself; everything else runs as a job of the orb. */
export interface LocalJobShape {
  readonly name: string;
  readonly image: string;
  readonly resourceClass: string;
  readonly steps: readonly Step[];
}

/**
 * A workflow job's `filters`. CircleCI runs no job for a tag unless it has tag filters: "CircleCI
 * does not run workflows for tags unless you explicitly specify tag filters. Additionally, if a
 * job requires any other jobs (directly or indirectly), you must specify tag filters for those
 * jobs." (https://circleci.com/docs/reference/configuration-reference/#tags)
 */
export interface FiltersShape {
  readonly tags?: { readonly only: readonly string[] };
}

export type WorkflowJobShape = {
  /** The job's name in the workflow: the contract users make required checks of. */
  readonly name: string;
  readonly requires: readonly string[];
  readonly context: readonly string[];
  readonly filters?: FiltersShape;
  /**
   * Jobs with the same `serial-group` run one at a time across the organization: "Serial groups
   * control the orchestration of jobs across an organization, not just within projects and
   * pipelines." (https://circleci.com/docs/reference/configuration-reference/#serial-group)
   */
  readonly serialGroup?: string;
} & (
  | {
      readonly kind: 'orb';
      /** The orb job it runs, such as `build_image`. */
      readonly orbJob: string;
      /** The orb job's parameters: values of the description, as data. */
      readonly parameters: Readonly<Record<string, ParameterValue>>;
    }
  | {
      /** An inline orb's job expanded into a job of the config under the entry's name (expand.ts). */
      readonly kind: 'expanded';
      readonly body: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'local' }
  | { readonly kind: 'approval' }
);

export interface WorkflowShape {
  readonly name: string;
  readonly jobs: readonly WorkflowJobShape[];
  /**
   * `when: false` keeps the workflow (and the config valid) while running nothing; a logic
   * statement (`{ equal: [...] }`) is decided by CircleCI when it compiles the config.
   */
  readonly when?: boolean | Readonly<Record<string, unknown>>;
}

export interface PipelineParameterShape {
  readonly name: string;
  readonly type: 'string';
  readonly default: string;
  readonly description: string;
}

export interface OrbUse {
  /** The name jobs are called by: `ALIAS/build_image`. */
  readonly alias: string;
  readonly namespace: string;
  readonly version: string;
  /** The packed orb: its jobs' parameters; written into the config when `inline`. */
  readonly orb: OrbObject;
  readonly inline: boolean;
}

/** An executor of the config itself: a job's image with its service containers. */
export interface ExecutorShape {
  readonly name: string;
  readonly docker: readonly { readonly image: string; readonly environment?: Readonly<Record<string, string>> }[];
}

export interface ConfigShape {
  /** Comment lines at the top of the file, without `#`. */
  readonly header: readonly string[];
  /** A setup config (dynamic configuration's first stage). */
  readonly setup?: boolean;
  readonly parameters: readonly PipelineParameterShape[];
  readonly orb?: OrbUse;
  readonly executors?: readonly ExecutorShape[];
  readonly jobs: readonly LocalJobShape[];
  readonly workflows: readonly WorkflowShape[];
}
