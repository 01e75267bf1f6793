import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GENERATED_DOCS, rewriteDoc } from '../../src/docs.js';
import { compileGlob } from '../../src/plan/pathRules.js';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir, writeFiles } from '../helpers/git.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const doc = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('README', () => {
  it('has its generated references in docs/ up to date (run npm run docs), and links them', () => {
    for (const file of Object.keys(GENERATED_DOCS)) {
      assert.equal(rewriteDoc(file, doc(file)), doc(file), file);
      assert.ok(readme.includes(`(${file})`), `README links ${file}`);
    }
  });

  it('stays an overview a newcomer reads in minutes', () => {
    assert.ok(readme.split('\n').length < 900, `${readme.split('\n').length} lines: move reference material to docs/`);
  });

  it('documents every field of the JSON Schema', async () => {
    const { stdout } = await runCli(['schema']);
    const schema = JSON.parse(stdout);
    for (const key of Object.keys(schema.properties.environments.additionalProperties.properties)) {
      assert.match(doc('docs/description.md'), new RegExp(`\`environments\\.<name>\\.${key}\``), key);
    }
  });

  it('documents the exit codes the CLI uses', () => {
    for (const code of ['| 0 |', '| 1 |', '| 2 |']) assert.ok(readme.includes(code), code);
  });

  it("Install's example builds the image only from what goes into it: not the CI config, not the description", () => {
    const install = /\n## Install\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const json = /cat > circle-fargate\.config\.json <<'JSON'\n([\s\S]*?)\nJSON\n/.exec(install)?.[1];
    assert.ok(json, 'the Install section writes a description');
    const description = JSON.parse(json) as { images: Record<string, { paths: string[] | { include: string[] } }> };
    for (const [name, image] of Object.entries(description.images)) {
      const include = Array.isArray(image.paths) ? image.paths : image.paths.include;
      for (const file of ['.circleci/config.yml', 'circle-fargate.config.json']) {
        assert.ok(!include.some((pattern) => compileGlob(pattern).test(file)), `images.${name}.paths selects ${file}`);
      }
    }
  });

  it('states the two-command quick start', () => {
    assert.ok(readme.includes('npm ci && npm start'));
    assert.ok(readme.includes('npm test'));
  });

  it('shows a description error exactly as the CLI prints it', async () => {
    const quoted = /```text\n(circle-fargate: generate: circle-fargate\.config\.json: [\s\S]*?)```/.exec(readme);
    assert.ok(quoted, 'README quotes an invalid-description error');
    const dir = tempDir();
    try {
      writeFiles(dir, {
        'circle-fargate.config.json': JSON.stringify({
          project: { slug: 'gh/a/b', defaultBranch: 'master' },
          environments: { pre: { trigger: { type: 'api' }, region: 'tokyo', roleArn: 'arn:aws:iam::123456789012:role/x', clustr: 'c' } },
        }),
      });
      const result = await runCli(['generate', '--branch', 'x', '--changed-files', '-'], { cwd: dir });
      assert.equal(result.code, 2);
      assert.equal(result.stderr, quoted[1]);
    } finally {
      removeDir(dir);
    }
  });
});
