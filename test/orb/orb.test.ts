/**
 * The orb: packing (as `circleci orb pack`), review (orb-tools' rules, offline), the official
 * schema, and the rule that values reach scripts as environment, never as shell code.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkReferences } from '../../src/circleci/check/references.js';
import { runCommand, ROOT } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/git.js';
import { officialSchemaErrors } from '../helpers/officialSchema.js';

const SOURCE = path.join(ROOT, 'orb/src');
const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

/** A copy of the orb source to break in one way. */
function copy(edit: (dir: string) => void): string {
  const dir = tempDir();
  dirs.push(dir);
  cpSync(SOURCE, path.join(dir, 'src'), { recursive: true });
  edit(path.join(dir, 'src'));
  return dir;
}

function editYaml(file: string, change: (value: any) => void): void {
  const value = parse(readFileSync(file, 'utf8'));
  change(value);
  writeFileSync(file, JSON.stringify(value));
}

async function packed(): Promise<any> {
  const result = await runCommand(['orb', 'pack']);
  assert.equal(result.code, 0, result.stderr);
  return parse(result.stdout, { version: '1.1' });
}

/** Every `run` step of the packed orb's commands and jobs, with where it is. */
function runSteps(orb: any): { where: string; run: any }[] {
  const found: { where: string; run: any }[] = [];
  const walk = (steps: unknown, where: string) => {
    if (!Array.isArray(steps)) return;
    steps.forEach((step: any, index) => {
      if (step && typeof step === 'object') {
        if ('run' in step) found.push({ where: `${where}[${index}]`, run: step.run });
        for (const kind of ['when', 'unless']) if (kind in step) walk(step[kind].steps, `${where}[${index}].${kind}`);
      }
    });
  };
  for (const folder of ['commands', 'jobs']) for (const [name, body] of Object.entries<any>(orb[folder])) walk(body.steps, `${folder}.${name}`);
  return found;
}

describe('orb pack', () => {
  it('packs every component, with scripts included, into an orb the official schema accepts', async () => {
    const orb = await packed();
    assert.deepEqual(Object.keys(orb.commands).sort(), [
      'build_and_push_image', 'composer_install', 'deploy', 'generate_and_continue', 'install', 'notify', 'phpunit', 'run_tests', 'setup_aws', 'shallow_checkout', 'terraform_apply', 'terraform_plan',
    ]);
    assert.deepEqual(Object.keys(orb.jobs).sort(), ['build_image', 'deploy', 'deploy_version', 'phpunit', 'run_tests', 'setup', 'terraform_apply', 'terraform_plan']);
    assert.deepEqual(Object.keys(orb.executors).sort(), ['aws', 'base', 'node', 'php', 'terraform']);
    assert.deepEqual(Object.keys(orb.examples).sort(), ['deploy_on_api_trigger', 'setup_workflow', 'standalone_ecs_deploy', 'terraform_cd']);
    assert.equal(orb.commands.shallow_checkout.steps[0].run.command, readFileSync(path.join(SOURCE, 'scripts/shallow_checkout.sh'), 'utf8'));
    assert.doesNotMatch(JSON.stringify(orb), /<<\s*include/);
    assert.deepEqual(officialSchemaErrors(orb), []);
  });

  it('never puts a parameter or pipeline value into a command: values arrive as environment', async () => {
    const steps = runSteps(await packed());
    assert.ok(steps.length >= 10);
    for (const { where, run } of steps) {
      const command = typeof run === 'string' ? run : run.command;
      assert.doesNotMatch(command, /<</, `${where} interpolates into its command`);
    }
  });

  it('names no job parameter like a key of a workflow entry (name, context, requires...)', async () => {
    const reserved = ['name', 'requires', 'context', 'type', 'filters', 'matrix', 'pre-steps', 'post-steps', 'serial-group', 'override-with'];
    for (const [job, body] of Object.entries<any>((await packed()).jobs)) {
      for (const parameter of Object.keys(body.parameters ?? {})) assert.ok(!reserved.includes(parameter), `${job}.${parameter}`);
    }
  });

  it('deploys and generates with circle-fargate at the version of this package', async () => {
    const orb = await packed();
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    assert.equal(orb.commands.install.parameters.version.default, version);
    assert.equal(orb.jobs.setup.parameters.version.default, version);
    assert.equal(orb.jobs.deploy.parameters.version.default, version);
    for (const example of Object.values<any>(orb.examples)) {
      assert.equal(example.usage.orbs['circle-fargate'], `circle-fargate/circle-fargate@${version}`);
    }
  });

  it('has examples that validate against the orb itself, parameters and all', async () => {
    const orb = await packed();
    for (const [name, example] of Object.entries<any>(orb.examples)) {
      const usage = { ...example.usage, orbs: { ...example.usage.orbs, 'circle-fargate': orb } };
      assert.deepEqual(checkReferences(usage), [], name);
      assert.deepEqual(officialSchemaErrors(usage), [], name);
    }
  });

  // Node.js 20 reached end of life in April 2026: the jobs that run circle-fargate default to a
  // supported LTS (an even major of 22 or later); cimg/base and cimg/aws to 2026 releases
  // (cimg-node 24.18 is built on cimg/base:2026.03; cimg-aws has 2026.04).
  it('defaults to a supported Node.js LTS image for the jobs that run circle-fargate, and to current cimg tags', async () => {
    const orb = await packed();
    const defaults = (component: any) => component.parameters?.image?.default as string | undefined;
    const nodeImages = [defaults(orb.executors.node), defaults(orb.jobs.setup), defaults(orb.jobs.deploy)];
    for (const image of nodeImages) {
      const major = Number(/^cimg\/node:(\d+)\./.exec(image ?? '')?.[1]);
      assert.ok(major >= 22 && major % 2 === 0, `${image} is a supported LTS`);
    }
    for (const image of [defaults(orb.executors.base), defaults(orb.executors.aws), defaults(orb.jobs.run_tests), defaults(orb.jobs.build_image)]) {
      assert.match(image ?? '', /^cimg\/(base|aws):20(2[6-9]|[3-9]\d)\.\d\d$/);
    }
  });

  it('writes --out atomically and accepts the folder above src', async () => {
    const out = path.join(tempDir(), 'orb.yml');
    dirs.push(path.dirname(out));
    const result = await runCommand(['orb', 'pack', 'orb', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parse(readFileSync(out, 'utf8')), await packed());
  });

  const broken: [string, (dir: string) => void, string][] = [
    [
      'a missing include file',
      (dir) => { rmSync(path.join(dir, 'scripts/deploy.sh')); },
      'circle-fargate: orb pack: commands/deploy.yml steps.1.run.command: included file scripts/deploy.sh does not exist (the path is read from src/, the folder packed)',
    ],
    [
      'invalid YAML',
      (dir) => { writeFileSync(path.join(dir, 'jobs/setup.yml'), 'description: [unclosed\n'); },
      'circle-fargate: orb pack: jobs/setup.yml:2: not valid YAML',
    ],
  ];
  for (const [name, edit, message] of broken) {
    it(`refuses ${name} (exit 2, nothing written)`, async () => {
      const dir = copy(edit);
      const out = path.join(dir, 'orb.yml');
      const result = await runCommand(['orb', 'pack', path.join(dir, 'src'), '--out', out]);
      assert.equal(result.code, 2);
      assert.ok(result.stderr.startsWith(message), result.stderr);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1);
      assert.equal(existsSync(out), false);
    });
  }

  // circleci-cli internal/pack/pack.go (PR 1683, 1684): "Any '<< include(path) >>' directive,
  // alone or embedded in a larger value, is replaced with that file's contents, relative to the
  // orb root", and "`<<` sequences in the included content are escaped to `\<<`".
  it('includes as circleci orb pack does: against the folder packed (../ allowed), embedded or repeated, every << escaped', async () => {
    const script = 'cat <<EOF > out.txt\nhello\nEOF\ngrep -q x <<< "$y"\necho \\<<already\n';
    const dir = copy((src) => {
      writeFileSync(path.join(src, '..', 'shared.sh'), script);
      writeFileSync(path.join(src, 'scripts/banner.txt'), 'hi');
      editYaml(path.join(src, 'commands/deploy.yml'), (v) => {
        v.steps[1].run.command = '<<include(../shared.sh)>>';
        v.steps[1].run.name = 'Say <<include(scripts/banner.txt)>> and << include(scripts/banner.txt) >>';
      });
    });
    const result = await runCommand(['orb', 'pack', path.join(dir, 'src'), '--validate']);
    assert.equal(result.code, 0, result.stderr);
    const run = parse(result.stdout, { version: '1.1' }).commands.deploy.steps[1].run;
    assert.equal(run.command, 'cat \\<<EOF > out.txt\nhello\nEOF\ngrep -q x \\<<< "$y"\necho \\\\<<already\n');
    assert.equal(run.name, 'Say hi and hi');
  });

  it('--validate refuses an orb whose own YAML has an unescaped heredoc, at its line', async () => {
    const dir = copy((src) => {
      writeFileSync(path.join(src, 'commands/notes.yml'), 'description: Writes notes.\nsteps:\n  - run:\n      name: Notes\n      command: |\n        echo start\n        cat <<EOF > notes.txt\n        EOF\n');
    });
    const result = await runCommand(['orb', 'pack', path.join(dir, 'src'), '--validate']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orb\.yml:\d+: "cat <<EOF > notes\.txt": CircleCI reads every << in a 2\.1 config as the start of a parameter tag .*write it as \\<</m);
  });

  it('refuses a tree without @orb.yml', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const result = await runCommand(['orb', 'pack', dir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^circle-fargate: orb pack: no orb source in .*: expected .*@orb\.yml or .*src\/@orb\.yml\n$/);
  });

  it('packs without judging, as circleci orb pack does; --validate fails (exit 1) and writes nothing', async () => {
    const dir = copy((src) => { editYaml(path.join(src, 'jobs/setup.yml'), (v) => (v.resource_clas = 'small')); });
    const packed = await runCommand(['orb', 'pack', path.join(dir, 'src')]);
    assert.equal(packed.code, 0, packed.stderr);
    assert.match(packed.stdout, /resource_clas: small/);
    const out = path.join(dir, 'orb.yml');
    const result = await runCommand(['orb', 'pack', path.join(dir, 'src'), '--validate', '--out', out]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^circle-fargate: orb pack: the packed orb has 1 problem; nothing was written\norb\.yml:\d+: jobs\.setup: unknown key "resource_clas"/);
    assert.equal(existsSync(out), false);
  });

  it('keeps `root: .` a path (cause A): packing writes ".", never .nan', async () => {
    const dir = copy((src) => {
      writeFileSync(
        path.join(src, 'commands/keep_here.yml'),
        'description: Keeps the working directory for the next job.\nsteps:\n  - persist_to_workspace:\n      root: .\n      paths: [x]\n  - attach_workspace:\n      at: .\n',
      );
    });
    const result = await runCommand(['orb', 'pack', path.join(dir, 'src'), '--validate']);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /nan/i);
    assert.match(result.stdout, /root: "\."/);
  });
});

describe('orb review', () => {
  it('passes on our own orb', async () => {
    const result = await runCommand(['orb', 'review']);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(result.stdout, '');
  });

  const planted: [string, (dir: string) => void, string[]][] = [
    ['RC001', (dir) => { editYaml(path.join(dir, '@orb.yml'), (v) => delete v.display.source_url); }, ['RC001 @orb.yml: set display.source_url, so the registry links to the source']],
    ['RC002', (dir) => { editYaml(path.join(dir, 'executors/php.yml'), (v) => delete v.description); }, ['RC002 executors/php.yml: the executor has no description']],
    ['RC003', (dir) => { rmSync(path.join(dir, 'examples'), { recursive: true }); }, ['RC003 examples: add at least one usage example']],
    ['RC005', (dir) => { editYaml(path.join(dir, '@orb.yml'), (v) => (v.description = 'ECS deploys.')); }, ['RC005 @orb.yml: the orb description is 12 characters; write at least 64 saying what the orb is for']],
    [
      'RC008 and RC009',
      (dir) => { editYaml(path.join(dir, 'commands/deploy.yml'), (v) => (v.steps[1].run = { command: `echo ${'x'.repeat(70)}` })); },
      [
        'RC008 commands/deploy.yml: steps[1].run: the run step has no name',
        'RC009 commands/deploy.yml: steps[1].run: a command over 64 characters belongs in a script, included with <<include(scripts/NAME.sh)>>',
      ],
    ],
    [
      'RC008 in a when step',
      (dir) => { editYaml(path.join(dir, 'commands/run_tests.yml'), (v) => v.steps[1].when.steps.push({ run: 'ls' })); },
      [
        'RC008 commands/run_tests.yml: steps[1].when.steps[2].run: a run step written as a string has no name; write {name, command}',
        'RC009 commands/run_tests.yml: steps[1].when.steps[2].run: a run step written as a string; write {name, command}, with a long command in a script included with <<include(scripts/NAME.sh)>>',
      ],
    ],
    [
      'RC010',
      (dir) => {
        cpSync(path.join(dir, 'commands/deploy.yml'), path.join(dir, 'commands/deploy-now.yml'));
        editYaml(path.join(dir, 'jobs/setup.yml'), (v) => (v.parameters['deploy-env'] = { type: 'string', default: '', description: 'x' }));
      },
      ['RC010 jobs/setup.yml: parameter "deploy-env" has a hyphen; use snake_case', 'RC010 commands/deploy-now.yml: name "deploy-now" has a hyphen; use snake_case'],
    ],
  ];
  it('takes --exclude as one comma-separated list and --max-command-length, as orb-tools does', async () => {
    const dir = copy((src) => {
      editYaml(path.join(src, 'commands/deploy.yml'), (v) => (v.steps[1].run = { name: 'Long', command: `echo ${'x'.repeat(70)}` }));
      cpSync(path.join(src, 'commands/deploy.yml'), path.join(src, 'commands/deploy-now.yml'));
    });
    const plain = await runCommand(['orb', 'review', 'src'], { cwd: dir });
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /^RC009 /m);
    assert.match(plain.stdout, /^RC010 /m);
    const excluded = await runCommand(['orb', 'review', 'src', '--exclude', 'RC009,RC010'], { cwd: dir });
    assert.equal(excluded.code, 0, excluded.stdout);
    const longer = await runCommand(['orb', 'review', 'src', '--exclude', 'RC010', '--max-command-length', '100'], { cwd: dir });
    assert.equal(longer.code, 0, longer.stdout);
    const shorter = await runCommand(['orb', 'review', 'src', '--exclude', 'RC010', '--max-command-length', '70'], { cwd: dir });
    assert.equal(shorter.code, 1);
    assert.match(shorter.stdout, /RC009 src\/commands\/deploy(-now)?\.yml: steps\[1\]\.run: a command over 70 characters/);
  });

  it('refuses a bad --exclude or --max-command-length with one line (exit 2)', async () => {
    for (const [flags, message] of [
      [['--exclude', 'RC9,RC010'], 'circle-fargate: orb review: --exclude "RC9,RC010": RC9 is not a review code; codes look like RC001, RC002, RC003, RC005, RC008, RC009, RC010, RC012\n'],
      [['--max-command-length', 'long'], 'circle-fargate: orb review: --max-command-length "long": expected a whole number of characters, such as 64\n'],
    ] as const) {
      const result = await runCommand(['orb', 'review', ...flags]);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, message);
    }
  });

  for (const [code, edit, lines] of planted) {
    it(`finds ${code}`, async () => {
      const dir = copy(edit);
      const result = await runCommand(['orb', 'review', 'src'], { cwd: dir });
      assert.equal(result.code, 1);
      assert.deepEqual(
        result.stdout.trimEnd().split('\n').map((line) => line.replace(' src/', ' ')),
        lines,
      );
    });
  }
});

describe('orb review follows the orb-tools release the orb repository imports', () => {
  const GO_ORB = path.join(ROOT, 'test/fixtures/circleci-corpus/orbs/CircleCI-Public+go-orb/src');
  const GO_CONFIG = path.join(ROOT, 'test/fixtures/circleci-corpus/configs/CircleCI-Public+go-orb--config.yml');
  const repository = (config: string): string => {
    const dir = tempDir();
    dirs.push(dir);
    cpSync(GO_ORB, path.join(dir, 'src'), { recursive: true });
    mkdirSync(path.join(dir, '.circleci'));
    writeFileSync(path.join(dir, '.circleci/config.yml'), config);
    return dir;
  };

  // The go orb's CI runs orb-tools 12.0, whose RC008 reads only `.steps[] | .run`: its command
  // parameter named `run` is not a step there, and its review passes.
  it('12.0 (the go orb as its own CI reviews it, exclude RC010): a parameter named run is not a run step', async () => {
    const dir = repository(readFileSync(GO_CONFIG, 'utf8'));
    const result = await runCommand(['orb', 'review', 'src', '--exclude', 'RC010'], { cwd: dir });
    assert.equal(result.stdout, '');
    assert.equal(result.code, 0);
    assert.match(result.stderr, /^orb review: the rules of orb-tools 12\.0\.0, which \.circleci\/config\.yml imports\n/);
  });

  // From 12.3 orb-tools reads every key named run (review.bats: jq `[paths] | map(select(last == "run"))`),
  // so the same orb under 12.3 gets what orb-tools itself would print.
  it('12.3: every key named run, as orb-tools 12.3 reads them', async () => {
    const dir = repository(readFileSync(GO_CONFIG, 'utf8').replace('circleci/orb-tools@12.0', 'circleci/orb-tools@12.3'));
    const result = await runCommand(['orb', 'review', 'src', '--exclude', 'RC010'], { cwd: dir });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^RC008 src\/commands\/test\.yml: parameters\.run: the run step has no name$/m);
  });
});
