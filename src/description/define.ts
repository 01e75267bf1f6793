import type { ProjectDescriptionInput } from './schema.js';

/**
 * Gives `circle-fargate.config.ts` its types:
 *
 * ```ts
 * import { defineConfig } from 'circle-fargate';
 * export default defineConfig({ project: { slug: 'gh/acme/app', defaultBranch: 'master' } });
 * ```
 *
 * It returns its argument unchanged; validation happens when circle-fargate loads the file.
 */
export function defineConfig(description: ProjectDescriptionInput): ProjectDescriptionInput {
  return description;
}
