import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadDescription } from '../../description/load.js';
import { OperationError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { writeFileAtomic } from '../../writeFile.js';
import type { ConfigShape } from '../../circleci/emit/shape.js';
import { DESCRIPTION_OPTIONS, descriptionLoadOptions, stringFlag, type Command } from '../command.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'write .circleci/config.yml, the setup config that runs circle-fargate',
  positionals: { min: 0, max: 0, name: '' },
  options: { ...DESCRIPTION_OPTIONS, check: { type: 'boolean' } },
  help: `Usage: circle-fargate init [--config PATH] [--load-timeout SECONDS] [--check]

Writes .circleci/config.yml in the working directory: a setup config (setup: true) declaring
the pipeline parameter deploy_env, with one job, the circle-fargate orb's setup job, that
checks out the commit, runs circle-fargate at this version to generate the rest of the
pipeline from the project description, and continues the pipeline. The orb is written inline
or named as published, as the description's \`orb\` field says. Beside it, the configs of the
pipelines CircleCI's Deploys timeline runs: .circleci/rollback.yml (Rollback, every environment
that deploys an image) and .circleci/promote.yml (Promote, environments with promoteFrom).
Each file is checked against CircleCI's schema and references before any is written.

Options:
  --config PATH           project description (default: circle-fargate.config.{ts,mjs,js,json,yaml,yml}
                          in the working directory)
  --load-timeout SECONDS  seconds a .ts/.mjs/.js description may take to load (default 10)
  --check                 write nothing; exit 1 when a file on disk differs from what init writes
  --debug                 show a stack trace on unexpected errors
  -h, --help              show this help

Exit codes: 0 written, or up to date with --check; 1 out of date (--check), or a config fails
validation; 2 bad flags or project description.`,
  async run(args, io) {
    const config = stringFlag(args, 'config');
    const loaded = await loadDescription(descriptionLoadOptions(args, io, 'init'));
    const { checkRepository } = await import('../repositoryCheck.js');
    for (const warning of await checkRepository(loaded, { branches: true })) io.stderr(`warning: ${warning}\n`);
    const source = path.relative(io.cwd, loaded.file).split(path.sep).join('/');
    const [{ bundledOrb }, { setupConfigShape, SETUP_CONFIG_FILE }, { renderConfig }, { toYaml }, { checkOfficialSchema }, { checkReferences }] =
      await Promise.all([
        import('../../orb/pack.js'),
        import('../../setupConfig.js'),
        import('../../circleci/emit/render.js'),
        import('../../circleci/emit/yaml.js'),
        import('../../circleci/check/officialSchema.js'),
        import('../../circleci/check/references.js'),
      ]);
    const { versionPipelineShape, versionPipelineEnvironments, ROLLBACK_CONFIG_FILE, PROMOTE_CONFIG_FILE } = await import('../../versionPipelines.js');
    const orb = await bundledOrb();
    // The setup config, and beside it the rollback and promote pipelines' configs (each only when
    // an environment can use it).
    const files: { file: string; shape: ConfigShape }[] = [{ file: SETUP_CONFIG_FILE, shape: setupConfigShape(loaded.description, source, VERSION, orb) }];
    if (versionPipelineEnvironments(loaded.description, 'rollback').length > 0) files.push({ file: ROLLBACK_CONFIG_FILE, shape: versionPipelineShape('rollback', loaded.description, source, VERSION, orb) });
    if (versionPipelineEnvironments(loaded.description, 'promote').length > 0) files.push({ file: PROMOTE_CONFIG_FILE, shape: versionPipelineShape('promote', loaded.description, source, VERSION, orb) });
    const written = files.map(({ file, shape }) => {
      const rendered = renderConfig(shape);
      const problems = [...checkOfficialSchema(rendered), ...checkReferences(rendered).filter((finding) => finding.note !== true)];
      if (problems.length > 0) {
        throw new OperationError(`${file} fails validation; nothing was written. This is a circle-fargate bug: please report it`, problems.map((p) => p.message));
      }
      return { file, target: path.join(io.cwd, file), yaml: toYaml(rendered, shape.header) };
    });
    if (args.values.check === true) {
      let stale = 0;
      for (const { file, target, yaml } of written) {
        const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
        if (current === yaml) {
          io.stderr(`${file} is up to date\n`);
          continue;
        }
        stale += 1;
        io.stderr(`${file} ${current === undefined ? 'does not exist' : 'differs from what init writes'}: run circle-fargate init${config !== undefined ? ` --config ${config}` : ''}\n`);
      }
      return stale > 0 ? 1 : 0;
    }
    for (const { file, target, yaml } of written) {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFileAtomic(target, yaml);
      io.stderr(`wrote ${file}\n`);
    }
    return 0;
  },
};
