import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, sameJson, sameJsonValue } from './canonical.js';

test('canonicalJson sorts keys at every depth and drops undefined members', () => {
  const value = { b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }, 'q'], c: null }, e: undefined };
  assert.equal(canonicalJson(value), '{"a":{"c":null,"d":[{"x":2,"z":1},"q"]},"b":1}');
  assert.deepEqual(value.a.d[0], { z: 1, y: undefined, x: 2 }, 'the input is not modified');
  assert.equal(canonicalJson([undefined, Number.NaN, 'x']), '[null,null,"x"]');
  assert.equal(canonicalJson(undefined), 'null');
});

test('values that only differ in key order give the same bytes', () => {
  const a = { node_list: { ood1: { weight: 100, state: 'started' } }, selector_type: 'random' };
  const b = { selector_type: 'random', node_list: { ood1: { state: 'started', weight: 100 } } };
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.ok(sameJson(a, b));
  assert.ok(sameJsonValue(JSON.stringify(b, null, 2), canonicalJson(a)));
});

test('sameJson tells different values apart', () => {
  assert.ok(!sameJson({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!sameJson({ a: [1, 2] }, { a: [2, 1] }));
  assert.ok(!sameJson({ a: {} }, { a: [] }));
  assert.ok(sameJson({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!sameJsonValue('not json', '{}'));
  assert.ok(!sameJsonValue(undefined, '{}'));
});
