import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BIN } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { COMMAND_LIST } from '../../src/cli/commandList.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { missingPackage } from '../../src/cli/main.js';

describe('lazily loaded commands', () => {
  it('list every command with the name and summary its module defines, in order', async () => {
    assert.deepEqual(
      COMMAND_LIST.map((entry) => [entry.name, entry.summary]),
      COMMANDS.map((command) => [command.name, command.summary]),
    );
    for (const entry of COMMAND_LIST) assert.equal(await entry.load(), COMMANDS.find((command) => command.name === entry.name), entry.name);
  });

  it('name the package a failed import lacks', async () => {
    const name: string = 'circle-fargate-no-such-package';
    const error = await import(name).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.equal(missingPackage(error), 'circle-fargate-no-such-package');
    assert.equal(missingPackage(new Error('other')), undefined);
  });
});

describe('bin/circle-fargate in a checkout that is not built', () => {
  it('says in one line to build, exit 1, no stack trace', () => {
    const dir = tempDir();
    try {
      mkdirSync(path.join(dir, 'bin'));
      mkdirSync(path.join(dir, 'src/cli'), { recursive: true });
      copyFileSync(BIN, path.join(dir, 'bin/circle-fargate'));
      copyFileSync(path.join(path.dirname(BIN), 'package.json'), path.join(dir, 'bin/package.json'));
      writeFileSync(path.join(dir, 'src/cli/main.ts'), '');
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      const result = spawnSync(process.execPath, [path.join(dir, 'bin/circle-fargate'), '--version'], { encoding: 'utf8' });
      assert.equal(result.status, 1);
      assert.equal(result.stderr, 'circle-fargate: this checkout is not built (no dist/): run `npm ci && npm run build`\n');
    } finally {
      removeDir(dir);
    }
  });
});
