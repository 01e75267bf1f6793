/**
 * `<<` as CircleCI reads it (src/circleci/check/tags.ts): in a 2.1 config every `<<` starts a
 * parameter tag, and one that is not a tag makes CircleCI refuse the whole config ("Unclosed '<<'
 * tag in string ... ('<<' must be escaped as '\<<' in config v2.1+)").
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { strayTags } from '../../src/circleci/check/tags.js';
import { validateConfigText } from '../../src/circleci/check/validate.js';
import { runCommand } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';

const dir = tempDir();
after(() => {
  removeDir(dir);
});

const errors = (text: string) => validateConfigText(text, { file: 'c.yml' }).filter((finding) => finding.severity === 'error').map((finding) => `${finding.line}: ${finding.message}`);

const config = (command: string, version = '2.1') => `version: ${version}
parameters:
  deploy: { type: boolean, default: false }
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps:
      - run:
          name: Write
          command: |
${command.split('\n').map((line) => `            ${line}`).join('\n')}
workflows:
  main:
    jobs: [build]
`;

describe('strayTags: the << CircleCI would not read as a tag', () => {
  const cases: [string, number[]][] = [
    ['cat <<EOF > out.txt', [4]],
    ['grep x <<< "$y"', [7]],
    ['cat <<-EOF', [4]],
    ["cat <<'EOF'", [4]],
    ['echo $((1 << 3)) >> log', [10]], // closed by >>, but names no value: CircleCI refuses it too
    // Escaped: `\<<` is read as a unit, so numpy's `\<<<` is an escaped << and a <.
    ['cat \\<<EOF', []],
    ['grep x \\<<< "$y"', []],
    ['cat \\<<\\EOF > ~/.ssh/config', []],
    // Tags, sections and expressions (circleci.com/docs/guides/orchestrate/config-templating).
    ['echo << pipeline.git.branch >>', []],
    ['echo <<parameters.x>> <<matrix.os>>', []],
    ['<<# parameters.deploy >>--deploy<</ parameters.deploy >>', []],
    ['<< pipeline.git.branch == "main" and not pipeline.parameters.skip >>', []],
    // A heredoc in front of a tag is still a heredoc.
    ['cat <<EOF; echo "<< parameters.x >>"', [4]],
  ];
  for (const [text, expected] of cases) {
    it(text, () => {
      assert.deepEqual(strayTags(text), expected);
    });
  }
});

describe('validate and config process report an unescaped << at its line, with the fix', () => {
  it('a heredoc and a here-string in a run command (line of each, inside the literal block)', () => {
    const found = errors(config('echo start\ncat <<EOF > out.txt\nhello\nEOF\ngrep -q x <<< "$y"'));
    assert.equal(found.length, 2);
    assert.match(found[0] ?? '', /^12: "cat <<EOF > out\.txt": CircleCI reads every << in a 2\.1 config as the start of a parameter tag and refuses the config \("Unclosed '<<' tag"\); write it as \\<< \(a heredoc as \\<<EOF, a here-string as \\<<<\)$/);
    assert.match(found[1] ?? '', /^15: "grep -q x <<< "\$y"": /);
  });

  it('a one-line run, in a command of the config', () => {
    assert.deepEqual(errors(`version: 2.1
commands:
  notes:
    steps:
      - run: cat <<< "$HOME"
jobs:
  build:
    docker: [{ image: cimg/base:2024.12 }]
    steps: [notes]
workflows:
  main:
    jobs: [build]
`).map((line) => line.slice(0, 20)), ['5: "cat <<< "$HOME""']);
  });

  it('accepts the escaped forms, tags, sections, expressions and YAML merge keys', () => {
    assert.deepEqual(errors(`version: 2.1
parameters:
  deploy: { type: boolean, default: false }
defaults: &defaults
  docker: [{ image: cimg/base:2024.12 }]
jobs:
  build:
    <<: *defaults
    steps:
      - run:
          name: Write << pipeline.git.branch >>
          command: |
            cat \\<<EOF > out.txt
            hello
            EOF
            grep -q x \\<<< "$y"
            deploy <<# pipeline.parameters.deploy >>--now<</ pipeline.parameters.deploy >>
workflows:
  main:
    jobs: [build]
`), []);
  });

  it('leaves a 2.0 config alone: it has no parameter tags', () => {
    assert.deepEqual(errors(config('cat <<EOF > out.txt\nEOF', '2')), []);
  });

  it('config process refuses it (exit 1, nothing on stdout), one line per <<', async () => {
    writeFileSync(path.join(dir, 'heredoc.yml'), config('cat <<EOF > out.txt\nEOF'));
    const result = await runCommand(['config', 'process', 'heredoc.yml'], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.deepEqual(result.stderr.trimEnd().split('\n').map((line) => line.slice(0, 42)), ['heredoc.yml:11: "cat <<EOF > out.txt": Cir', 'config process: 1 problem; nothing printed']);
  });

  it('config process prints what the job runs: the source\'s \\<< as <<', async () => {
    writeFileSync(path.join(dir, 'escaped.yml'), config('cat \\<<EOF > out.txt\nEOF\ngrep -q x \\<<< "$y"'));
    const result = await runCommand(['config', 'process', 'escaped.yml'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ +cat <<EOF > out\.txt\n +EOF\n +grep -q x <<< "\$y"$/m);
    assert.doesNotMatch(result.stdout, /\\<</);
  });
});

