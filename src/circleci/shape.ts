/**
 * What circle-fargate emits, as our own types: the synthesis builds these (pure), and only
 * `render.ts` turns them into CircleCI config through the config SDK.
 */

export type ParameterValue = string | number | boolean;

export type Step =
  | {
      readonly type: 'run';
      readonly name: string;
      /** A constant script: never holds a value from the trigger or the description. */
      readonly command: string;
      /** Every value the script needs arrives here, as data. */
      readonly environment?: Readonly<Record<string, string>>;
      readonly when?: 'always' | 'on_fail';
    }
  | { readonly type: 'setup_remote_docker'; readonly dockerLayerCaching: boolean; readonly version: string }
  | { readonly type: 'persist_to_workspace'; readonly root: string; readonly paths: readonly string[] }
  | { readonly type: 'attach_workspace'; readonly at: string }
  | { readonly type: 'store_test_results'; readonly path: string }
  | { readonly type: 'store_artifacts'; readonly path: string };

export interface JobShape {
  readonly name: string;
  readonly image: string;
  readonly resourceClass: string;
  readonly parallelism?: number;
  readonly environment?: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}

export interface WorkflowJobShape {
  readonly job: string;
  readonly requires: readonly string[];
  readonly context: readonly string[];
  /** An approval hold rather than a job defined under `jobs`. */
  readonly approval?: boolean;
}

export interface WorkflowShape {
  readonly name: string;
  readonly jobs: readonly WorkflowJobShape[];
  /** `when: false` keeps the workflow (and the config valid) while running nothing. */
  readonly when?: boolean;
}

export interface PipelineParameterShape {
  readonly name: string;
  readonly type: 'string';
  readonly default: string;
  readonly description: string;
}

export interface ConfigShape {
  /** Comment lines at the top of the file, without `#`. */
  readonly header: readonly string[];
  readonly parameters: readonly PipelineParameterShape[];
  readonly jobs: readonly JobShape[];
  readonly workflows: readonly WorkflowShape[];
}
