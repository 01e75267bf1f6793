/**
 * One CLI dialect: every error in one form (`circle-fargate: COMMAND: ...`, one line), one unit
 * spelling (SECONDS), usage lines naming every option, -v/--version documented and taken after a
 * command too, the whole exit-code table (130 included), and npm scripts that say what is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { mainHelp } from '../../src/cli/main.js';
import { VERSION } from '../../src/version.js';
import { ROOT, runCli, runCommand } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';

const dir = tempDir();
after(() => {
  removeDir(dir);
});

describe('one CLI dialect', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: its usage lines name every option, and its help spells seconds SECONDS`, () => {
      const usage = command.help.split('\n\n')[0] ?? '';
      const missing = Object.keys(command.options).filter((name) => !usage.includes(`--${name}`));
      assert.deepEqual(missing, [], usage);
      assert.doesNotMatch(command.help, /--[\w-]*(?:timeout|interval)[\w-]* S\b/);
    });
  }

  it('documents -v, --version and takes it after a command too', async () => {
    assert.match(mainHelp(), /^ {2}-v, --version {2}print the version$/m);
    for (const args of [['-v'], ['--version'], ['generate', '--version'], ['orb', 'pack', '-v']]) {
      const result = await runCli(args, { cwd: dir });
      assert.deepEqual([result.code, result.stdout, result.stderr], [0, `${VERSION}\n`, ''], args.join(' '));
    }
  });

  it('has the whole exit-code table, 130 for an interrupt included, in the help and the README', () => {
    assert.match(mainHelp(), /130 interrupted \(SIGINT, Ctrl-C; 143\s+for SIGTERM\)/);
    assert.match(readFileSync(path.join(ROOT, 'README.md'), 'utf8'), /^\| 130 \| interrupted by SIGINT/m);
  });

  it('writes every error as one line, circle-fargate: COMMAND: message', async () => {
    const cases: [string[], RegExp][] = [
      [['generate', '--branch', 'main'], /^circle-fargate: generate: no project description in /],
      [['explain', '--branch', 'main', '--config', 'nope.json'], /^circle-fargate: explain: .*nope\.json: no such file; check --config$/],
      [['validate', 'missing.yml'], /^circle-fargate: validate: cannot read missing\.yml: no such file; /],
      [['orb', 'pack', 'nowhere'], /^circle-fargate: orb pack: no orb source in /],
      [['rollback', '--record', 'nosuch.json'], /^circle-fargate: rollback: cannot read the record nosuch\.json: no such file; give the file deploy --record wrote$/],
      [['config', 'process', 'missing.yml'], /^circle-fargate: config process: cannot read missing\.yml: no such file; /],
    ];
    for (const [args, expected] of cases) {
      const result = await runCommand(args, { cwd: dir });
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.match(result.stderr.trimEnd(), expected);
    }
  });

  it('npm run test:shellcheck without shellcheck says so in one line (exit 2), not "sh: 1: shellcheck: not found"', () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const result = spawnSync('/bin/sh', ['-c', scripts['test:shellcheck'] ?? ''], { cwd: ROOT, encoding: 'utf8', env: { PATH: dir } });
    assert.equal(result.status, 2);
    assert.equal(result.stderr, 'test:shellcheck: shellcheck is not installed: apt-get install shellcheck (Debian, Ubuntu) or brew install shellcheck\n');
  });
});
