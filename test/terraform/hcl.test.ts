/**
 * Our HCL reader against the reference parser (@cdktf/hcl2json: HashiCorp's HCL compiled to
 * WebAssembly) on the example's real files and on a corpus of tricky ones: the same module
 * sources and top-level blocks, and the same files refused.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as referenceParse } from '@cdktf/hcl2json';
import { HclError, parseHcl } from '../../src/terraform/hcl.js';
import { hclModuleSources, jsonModuleSources } from '../../src/terraform/graph.js';
import { EXAMPLE } from '../helpers/cli.js';

/** Top-level `type label...` lines of hcl2json's output, sorted. */
function referenceBlocks(json: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const walk = (value: unknown, prefix: string) => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) lines.push(prefix);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${prefix} ${key}`);
    }
  };
  for (const [type, value] of Object.entries(json)) walk(value, type);
  return lines.sort();
}

function ourBlocks(text: string): string[] {
  return parseHcl(text)
    .blocks.map((block) => [block.type, ...block.labels].join(' '))
    .sort();
}

async function assertSameAsReference(name: string, text: string): Promise<void> {
  const reference = await referenceParse(name, text);
  assert.deepEqual(hclModuleSources(text).sort(), jsonModuleSources(reference).sort(), `${name}: module sources`);
  assert.deepEqual(ourBlocks(text), referenceBlocks(reference), `${name}: top-level blocks`);
}

const TRICKY: Record<string, string> = {
  'heredoc.tf': [
    'locals {',
    '  policy = <<EOF',
    'module "fake" {',
    '  source = "../nope"',
    '}',
    '}}} "unbalanced',
    'EOF',
    '  indented = <<-EOT',
    '    module "also_fake" { source = "../nope2" }',
    '    EOT',
    '}',
    '',
    'module "real" {',
    '  source = "../modules/real"',
    '}',
    '',
  ].join('\n'),
  'templates.tf': [
    'module "a" {',
    '  source = "../a"',
    '  name   = "${var.env}-${lookup(var.map, "}", "{")}"',
    '  text   = "%{ if var.on }}{%{ endif }"',
    '  escaped = "$${literal} %%{literal}"',
    '}',
    'module "b" { source = "./b" }',
    '',
  ].join('\n'),
  'comments.tf': [
    '# module "c1" { source = "../c1" }',
    '// module "c2" { source = "../c2" }',
    '/* module "c3" {',
    '  source = "../c3"',
    '} */',
    'module "d" {',
    '  # source = "../wrong"',
    '  source = "../d" // trailing comment',
    '}',
    '',
  ].join('\n'),
  'nested.tf': [
    'locals {',
    '  module = { source = "../not-a-module" }',
    '  list = [',
    '    "x",',
    '    { source = "../nor-this" },',
    '  ]',
    '  cond = (',
    '    var.a',
    '    ? "b"',
    '    : "c"',
    '  )',
    '  upper = [for s in var.list : upper(s) if s != "}"]',
    '}',
    'resource "null_resource" "r" {',
    '  source = "../not-a-module-either"',
    '  dynamic "setting" {',
    '    for_each = var.settings',
    '    content {',
    '      name = setting.key',
    '    }',
    '  }',
    '}',
    'module "e" {',
    '  source = "../e"',
    '  providers = {',
    '    aws = aws.tokyo',
    '  }',
    '  depends_on = [null_resource.r]',
    '}',
    '',
  ].join('\n'),
  'crlf.tf': 'module "f" {\r\n  source = "../f"\r\n}\r\n',
  'unicode.tf': 'module "g" {\n  source = "../g\\u00e9"\n  note   = "日本語 ✓"\n}\n',
  'terraform.tf': [
    'terraform {',
    '  required_version = ">= 1.5"',
    '  required_providers {',
    '    aws = {',
    '      source  = "hashicorp/aws"',
    '      version = "~> 5.0"',
    '    }',
    '  }',
    '  backend "s3" {}',
    '}',
    'provider "aws" {',
    '  region = "ap-northeast-1"',
    '}',
    'module "registry" {',
    '  source  = "terraform-aws-modules/vpc/aws"',
    '  version = "5.0.0"',
    '}',
    '',
  ].join('\n'),
  'empty.tf': '',
  'numbers.tf': 'locals {\n  a = 1.5e3\n  b = -2\n  c = 10 - 3 * (2 + 1)\n}\n',
};

const MALFORMED: Record<string, string> = {
  'unclosed-block.tf': 'module "x" {\n  source = "../x"\n',
  'unclosed-string.tf': 'module "x" {\n  source = "../x\n}\n',
  'unclosed-heredoc.tf': 'locals {\n  a = <<EOF\nnever closed\n}\n',
  'unbalanced.tf': 'locals {\n  a = [1, 2\n}\n',
  'stray-brace.tf': '}\n',
  'two-attributes-one-line.tf': 'locals {\n  a = 1 b = 2\n}\n',
};

describe('HCL reader', () => {
  it("reads the example's Terraform files as the reference parser does", async () => {
    const dir = path.join(EXAMPLE, 'terraform');
    let files = 0;
    for (const sub of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!sub.endsWith('.tf')) continue;
      await assertSameAsReference(sub, readFileSync(path.join(dir, sub), 'utf8'));
      files++;
    }
    assert.ok(files >= 7, `only ${files} files read`);
  });

  for (const [name, text] of Object.entries(TRICKY)) {
    it(`reads ${name} as the reference parser does`, async () => {
      await assertSameAsReference(name, text);
    });
  }

  it('finds exactly the real module blocks of the tricky corpus', () => {
    const found = Object.values(TRICKY).flatMap(hclModuleSources).sort();
    assert.deepEqual(found, ['../a', '../d', '../e', '../f', '../gé', '../modules/real', './b', 'terraform-aws-modules/vpc/aws']);
  });

  for (const [name, text] of Object.entries(MALFORMED)) {
    it(`refuses ${name}, as the reference parser does`, async () => {
      await assert.rejects(referenceParse(name, text));
      assert.throws(() => parseHcl(text), HclError);
    });
  }

  it('says where a file is malformed', () => {
    assert.throws(() => parseHcl(MALFORMED['unclosed-string.tf'] ?? ''), /^Error: 2:12: unclosed string$/);
  });
});
