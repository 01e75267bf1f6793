import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, OperationError } from '../../errors.js';
import { writeFileAtomic } from '../../writeFile.js';
import { stringFlag, type Command } from '../command.js';

const SUBCOMMANDS = ['pack', 'review'] as const;

export const orbCommand: Command = {
  name: 'orb',
  summary: 'pack or review an orb source tree (orb/src), offline',
  positionals: { min: 1, max: 2, name: 'a subcommand (pack or review)' },
  options: { out: { type: 'string' }, validate: { type: 'boolean' }, exclude: { type: 'string' }, 'max-command-length': { type: 'string' } },
  help: `Usage: circle-fargate orb pack [DIR] [--out FILE] [--validate]
       circle-fargate orb review [DIR] [--exclude RC009,RC010] [--max-command-length N]

Works on an orb's source tree: DIR holds @orb.yml and the folders commands/, jobs/,
executors/, examples/ and scripts/ (DIR may also be the folder above it, as orb/ is above
orb/src/). The default DIR is ./orb/src.

  pack     Packs the tree into one orb.yml as \`circleci orb pack\` does: @orb.yml at the top,
           each folder a key, each file an entry, each <<include(PATH)>> in commands, jobs
           and executors (alone or inside a value; PATH read from DIR, ../ allowed) replaced
           by the file with every << in it written \\<< (CircleCI reads << as a parameter
           tag). Like \`circleci orb pack\`, it does not judge the result; --validate runs
           \`validate\` on it first and writes nothing when it finds a problem.
  review   Checks the rules of CircleCI's orb-tools review, offline (those of the orb-tools
           release the repository's .circleci/config.yml imports, else 12.3 and later), and
           prints \`CODE path: message\` for each finding: RC001 display.source_url set, RC002
           every component described, RC003 at least one example, RC005 orb description of
           64 characters or more, RC008 every run step named and RC009 its command at most
           --max-command-length characters unless included from a script (both look inside
           when/unless too), RC010 no hyphen in component and parameter names, RC012 no
           environment-variable default in a cache key. RC004 (never fails in orb-tools),
           RC006/RC007 (need the network) and RC011 (needs the release tag) are not checked.

Options:
  --out FILE     pack: write the orb to FILE (atomically) instead of stdout
  --validate     pack: validate the packed orb (schema and references) before writing it
  --exclude LIST review: codes to skip, one comma-separated list as orb-tools takes it
                 (--exclude RC009,RC010)
  --max-command-length N
                 review: longest inline run command RC009 allows (orb-tools' default 64)
  --debug        show a stack trace on unexpected errors
  -h, --help     show this help

Exit codes: 0 packed, or reviewed without findings; 1 review findings, or (with --validate) a
packed orb with problems; 2 bad input (no orb source, invalid YAML, a missing include file, a bad
flag).`,
  async run(args, io) {
    const [sub = '', dirArg] = args.positionals;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new InputError(`orb: unknown subcommand ${JSON.stringify(sub)}; expected pack or review; see circle-fargate orb --help`);
    }
    const out = stringFlag(args, 'out');
    if (sub === 'review' && (out !== undefined || args.values.validate === true)) throw new InputError('orb review: --out and --validate are for pack; see circle-fargate orb --help');
    const excludeList = stringFlag(args, 'exclude');
    const maxLengthText = stringFlag(args, 'max-command-length');
    if (sub === 'pack' && (excludeList !== undefined || maxLengthText !== undefined)) throw new InputError('orb pack: --exclude and --max-command-length are for review; see circle-fargate orb --help');
    if (maxLengthText !== undefined && !/^[1-9]\d*$/.test(maxLengthText)) {
      throw new InputError(`orb review: --max-command-length ${JSON.stringify(maxLengthText)}: expected a whole number of characters, such as 64`);
    }
    const { packOrb, readOrbSource, resolveOrbDir } = await import('../../orb/pack.js');
    const dir = resolveOrbDir(path.resolve(io.cwd, dirArg ?? 'orb/src'));
    const shown = path.relative(io.cwd, dir) || '.';
    const source = await readOrbSource(dir);

    if (sub === 'review') {
      const { parseExclude, reviewOrb, REVIEW_CODES } = await import('../../orb/review.js');
      const exclude = parseExclude(excludeList ?? '');
      const unknown = [...exclude].filter((code) => !/^RC\d{3}$/.test(code));
      if (unknown.length > 0) throw new InputError(`orb review: --exclude ${JSON.stringify(excludeList)}: ${unknown.join(', ')} is not a review code; codes look like ${REVIEW_CODES.join(', ')}`);
      const orbTools = await orbToolsOfRepository(dir, io.cwd);
      const findings = reviewOrb(source, { exclude, ...(maxLengthText !== undefined ? { maxCommandLength: Number(maxLengthText) } : {}), ...(orbTools ? { orbToolsVersion: orbTools.version } : {}) });
      if (orbTools) io.stderr(`orb review: the rules of orb-tools ${orbTools.version.join('.')}, which ${orbTools.file} imports\n`);
      for (const finding of findings) io.stdout(`${finding.code} ${path.join(shown, finding.file)}: ${finding.message}\n`);
      io.stderr(findings.length === 0 ? `orb review: ${shown} passes\n` : `orb review: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${shown}\n`);
      return findings.length === 0 ? 0 : 1;
    }

    const orb = await packOrb(source);
    const { toYaml } = await import('../../circleci/emit/yaml.js');
    const yaml = toYaml(orb);
    if (args.values.validate === true) {
      const { validateConfigText } = await import('../../circleci/check/validate.js');
      const problems = validateConfigText(yaml, { file: 'orb.yml' }).filter((finding) => finding.severity === 'error');
      if (problems.length > 0) {
        throw new OperationError(
          `the packed orb has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was written`,
          problems.map((problem) => `orb.yml:${problem.line}: ${problem.message}`),
        );
      }
    }
    if (out === undefined) io.stdout(yaml);
    else {
      await writeFileAtomic(path.resolve(io.cwd, out), yaml);
      io.stderr(`wrote ${out}\n`);
    }
    return 0;
  },
};

/**
 * The orb-tools release the orb's own CI runs (`orb-tools: circleci/orb-tools@12.0` in the
 * repository's .circleci/config.yml, the folder above the orb source's parent): its review is
 * the one to agree with. Before 12.3 RC008/RC009 read only `.steps[] | .run`; from 12.3 every
 * key named run, a parameter named run and steps in a parameter's default included
 * (orb-tools-orb src/scripts/review.bats: `jq '[paths] | map(select(last == "run"))'`).
 */
async function orbToolsOfRepository(dir: string, cwd: string): Promise<{ version: [number, number, number]; file: string } | undefined> {
  const { parseOrbToolsVersion } = await import('../../orb/review.js');
  for (const root of [path.dirname(dir), path.dirname(path.dirname(dir))]) {
    const file = path.join(root, '.circleci/config.yml');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const version = parseOrbToolsVersion(/circleci\/orb-tools@([\d.]+)/.exec(text)?.[1] ?? '');
    if (version) return { version, file: path.relative(cwd, file) || file };
  }
  return undefined;
}
