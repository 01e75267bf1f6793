import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, describeValue, formatPath } from '../../src/description/schemaKit.js';

describe('schema kit messages', () => {
  it('formats paths with dots, indexes and quoted odd keys', () => {
    assert.equal(formatPath(['environments', 'pre', 'services', 0, 'name']), 'environments.pre.services[0].name');
    assert.equal(formatPath(['images', 'app', 'buildArgs', 'a.b']), 'images.app.buildArgs["a.b"]');
    assert.equal(formatPath([]), '(top level)');
  });
  it('describes values', () => {
    assert.equal(describeValue(undefined), 'nothing');
    assert.equal(describeValue('x'), '"x"');
    assert.equal(describeValue([1, 2]), 'a list of 2');
    assert.equal(describeValue({}), 'an object');
    assert.equal(describeValue('y'.repeat(100)), `"${'y'.repeat(57)}..."`);
  });
  it('suggests a close key', () => {
    assert.equal(closest('clustr', ['cluster', 'region']), 'cluster');
    assert.equal(closest('zzz', ['cluster', 'region']), undefined);
  });
});
