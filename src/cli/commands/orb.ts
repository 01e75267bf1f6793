import path from 'node:path';
import { formatPath } from '../../description/schemaKit.js';
import { InputError, OperationError } from '../../errors.js';
import { writeFileAtomic } from '../../writeFile.js';
import { stringFlag, type Command } from '../command.js';

const SUBCOMMANDS = ['pack', 'review'] as const;

export const orbCommand: Command = {
  name: 'orb',
  summary: 'pack or review an orb source tree (orb/src), offline',
  positionals: { min: 1, max: 2, name: 'a subcommand (pack or review)' },
  options: { out: { type: 'string' } },
  help: `Usage: circle-fargate orb pack [DIR] [--out FILE]
       circle-fargate orb review [DIR]

Works on an orb's source tree: DIR holds @orb.yml and the folders commands/, jobs/,
executors/, examples/ and scripts/ (DIR may also be the folder above it, as orb/ is above
orb/src/). The default DIR is ./orb/src.

  pack     Packs the tree into one orb.yml as \`circleci orb pack\` does: @orb.yml at the top,
           each folder a key, each file an entry, <<include(scripts/NAME.sh)>> values in
           commands, jobs and executors replaced by the file. The result is checked against
           CircleCI's official schema before it is written.
  review   Checks the rules of CircleCI's orb-tools review, offline, and prints
           \`CODE path: message\` for each finding: RC001 display.source_url set, RC002 every
           component described, RC003 at least one example, RC004 example names without
           "example", RC005 orb description of 64 characters or more, RC008 every run step
           named, RC009 commands over 64 characters included from scripts, RC010 snake_case
           names and parameters.

Options:
  --out FILE     pack: write the orb to FILE (atomically) instead of stdout
  --debug        show a stack trace on unexpected errors
  -h, --help     show this help

Exit codes: 0 packed, or reviewed without findings; 1 review findings, or a packed orb that fails
CircleCI's schema; 2 bad input (no orb source, invalid YAML, a missing include file).`,
  async run(args, io) {
    const [sub = '', dirArg] = args.positionals;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new InputError(`orb: unknown subcommand ${JSON.stringify(sub)}; expected pack or review; see circle-fargate orb --help`);
    }
    const out = stringFlag(args, 'out');
    if (sub === 'review' && out !== undefined) throw new InputError('orb review: --out is for pack; see circle-fargate orb --help');
    const { packOrb, readOrbSource, resolveOrbDir } = await import('../../orb/pack.js');
    const dir = resolveOrbDir(path.resolve(io.cwd, dirArg ?? 'orb/src'));
    const shown = path.relative(io.cwd, dir) || '.';
    const source = await readOrbSource(dir);

    if (sub === 'review') {
      const { reviewOrb } = await import('../../orb/review.js');
      const findings = reviewOrb(source);
      for (const finding of findings) io.stdout(`${finding.code} ${path.join(shown, finding.file)}: ${finding.message}\n`);
      io.stderr(findings.length === 0 ? `orb review: ${shown} passes\n` : `orb review: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${shown}\n`);
      return findings.length === 0 ? 0 : 1;
    }

    const orb = await packOrb(source);
    const { checkOfficialSchema } = await import('../../circleci/check/officialSchema.js');
    const findings = checkOfficialSchema(orb);
    if (findings.length > 0) {
      throw new OperationError(
        `the packed orb fails CircleCI's schema (${findings.length} problem${findings.length === 1 ? '' : 's'}); nothing was written`,
        findings.map((finding) => `${formatPath(finding.path)}: ${finding.message}`),
      );
    }
    const { toYaml } = await import('../../circleci/emit/yaml.js');
    const yaml = toYaml(orb);
    if (out === undefined) io.stdout(yaml);
    else {
      await writeFileAtomic(path.resolve(io.cwd, out), yaml);
      io.stderr(`wrote ${out}\n`);
    }
    return 0;
  },
};
