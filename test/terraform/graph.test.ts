import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { TerraformRoot } from '../../src/description/resolve.js';
import { jsonModuleSources, localSource, terraformImpact, versionFileChanges } from '../../src/terraform/graph.js';
import { removeDir, tempDir, writeFiles } from '../helpers/git.js';

const dirs: string[] = [];
after(() => {
  dirs.forEach(removeDir);
});

function root(name: string, dir = `terraform/${name}`): TerraformRoot {
  return { name, dir, approve: false, roleArn: 'arn:aws:iam::123456789012:role/x', region: 'ap-northeast-1' };
}

/** pre -> modules/service -> modules/network; prod -> modules/service (JSON syntax); tools -> registry only. */
function project(extra: Record<string, string> = {}): string {
  const dir = tempDir();
  dirs.push(dir);
  writeFiles(dir, {
    'terraform/pre/main.tf': 'module "app" {\n  source = "../modules/service"\n  name   = "pre"\n}\n',
    'terraform/pre/versions.tf': 'terraform {\n  required_version = ">= 1.5"\n}\n',
    'terraform/prod/main.tf.json': JSON.stringify({ module: { app: { source: '../modules/service/', name: 'prod' } } }),
    'terraform/tools/main.tf': 'module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.0.0"\n}\n',
    'terraform/modules/service/main.tf': 'module "net" {\n  source = "../network"\n}\nresource "aws_ecs_service" "this" {\n  name = var.name\n}\n',
    'terraform/modules/service/task.json.tftpl': '{}',
    'terraform/modules/network/main.tf': 'variable "cidr" {\n  default = "10.0.0.0/16"\n}\n',
    'app/index.php': '<?php',
    ...extra,
  });
  return dir;
}

const ROOTS = [root('pre'), root('prod'), root('tools')];

describe('terraform module graph', () => {
  it('selects every root that uses a changed module, transitively, in HCL and JSON syntax', async () => {
    const dir = project();
    const impact = await terraformImpact(dir, ROOTS, ['terraform/modules/network/main.tf']);
    assert.equal(impact.parsed, true);
    assert.deepEqual([...impact.viaModules.keys()].sort(), ['pre', 'prod']);
    assert.deepEqual(impact.viaModules.get('pre'), [{ module: 'terraform/modules/network', files: ['terraform/modules/network/main.tf'] }]);
    assert.deepEqual(impact.modulesUsed.get('prod'), ['terraform/modules/network', 'terraform/modules/service']);
    assert.deepEqual(impact.modulesUsed.get('tools'), []);
  });

  it('counts any file in a module, not only .tf files', async () => {
    const impact = await terraformImpact(project(), ROOTS, ['terraform/modules/service/task.json.tftpl']);
    assert.deepEqual([...impact.viaModules.keys()].sort(), ['pre', 'prod']);
  });

  it('does not load the parser when no changed file can be in a module', async () => {
    const impact = await terraformImpact(project(), ROOTS, ['app/index.php', 'README.md']);
    assert.equal(impact.parsed, false);
    assert.equal(impact.viaModules.size, 0);
  });

  it('selects, to be safe, a root whose module tree cannot be parsed', async () => {
    const dir = project({ 'terraform/modules/service/broken.tf': 'module "x" {\n' });
    const impact = await terraformImpact(dir, ROOTS, ['terraform/modules/network/main.tf']);
    assert.match(impact.unreadable.get('pre') ?? '', /^terraform\/modules\/service\/broken\.tf cannot be parsed \(2:1: unclosed block/);
    assert.equal(impact.unreadable.has('tools'), false);
  });

  it('treats a deleted Terraform file in a deleted directory as possibly in a module', async () => {
    const impact = await terraformImpact(project(), ROOTS, ['terraform/modules/gone/main.tf']);
    assert.equal(impact.parsed, true);
    assert.equal(impact.viaModules.size, 0);
    const other = await terraformImpact(project(), ROOTS, ['assets/gone/logo.png']);
    assert.equal(other.parsed, false);
  });

  it('sees a change in a subdirectory of a module without Terraform files of its own', async () => {
    const impact = await terraformImpact(project(), ROOTS, ['terraform/modules/service/templates/task.json']);
    assert.deepEqual([...impact.viaModules.keys()].sort(), ['pre', 'prod']);
  });

  it('reads every root for explain, yet selects only what generate selects', async () => {
    const impact = await terraformImpact(project(), ROOTS, ['terraform/pre/main.tf', 'app/index.php'], { all: true });
    assert.deepEqual(impact.modulesUsed.get('pre'), ['terraform/modules/network', 'terraform/modules/service']);
    assert.equal(impact.viaModules.size, 0);
  });

  it('reads local sources only, and only inside the project', () => {
    assert.equal(localSource('terraform/pre', '../modules/x/'), 'terraform/modules/x');
    assert.equal(localSource('terraform/pre', './sub'), 'terraform/pre/sub');
    assert.equal(localSource('.', './x'), 'x');
    assert.equal(localSource('terraform', '../../outside'), undefined);
    assert.equal(localSource('terraform', 'git::https://example.com/m.git'), undefined);
    assert.equal(localSource('terraform', 'hashicorp/consul/aws'), undefined);
    assert.deepEqual(jsonModuleSources({ module: { a: [{ source: './a' }], b: { source: '../b' } }, resource: { source: 'no' } }), ['./a', '../b']);
  });

  it('finds version files in a root and in the directories above it', () => {
    const files = ['.terraform-version', 'terraform/.tool-versions', 'terraform/pre/.terraform.lock.hcl', 'terraform/prod/.terraform.lock.hcl', 'app/.tool-versions'];
    assert.deepEqual(versionFileChanges('terraform/pre', files), ['.terraform-version', 'terraform/.tool-versions', 'terraform/pre/.terraform.lock.hcl']);
  });
});
