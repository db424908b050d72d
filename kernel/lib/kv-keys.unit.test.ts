import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkValue, configResource, isUnderPrefix, normalizeKey } from './kv-keys.js';
import { isKrpcError } from './errors.js';

const invalid = (fn: () => unknown) => assert.throws(fn, (e) => isKrpcError(e, 'INVALID_PARAMS'));

test('prefixes and leading slashes are stripped (spec 10 §1)', () => {
  assert.equal(normalizeKey('boot/config'), 'boot/config');
  assert.equal(normalizeKey('obj://config/boot/config'), 'boot/config');
  assert.equal(normalizeKey('/config/boot/config'), 'boot/config');
  assert.equal(normalizeKey('///nodes/ood1/config'), 'nodes/ood1/config');
  assert.equal(normalizeKey('\\users/bob/profile'), 'users/bob/profile');
  assert.equal(normalizeKey('services/demo@bob/info'), 'services/demo@bob/info');
  assert.equal(normalizeKey('users/用户/profile'), 'users/用户/profile');
});

test('path tricks and reserved keys are refused', () => {
  for (const k of ['../x', 'a/../b', 'a/./b', '.', '..', 'obj://config/../boot/config', 'a//b', 'a/', '/', '', 'obj://config/',
    '__meta/revision/boot/config', '__meta', '/__meta/x', 'a\u0000b', 'a\nb', 'a\u007fb', 'a\\b', 'a/\ud800/b', 'x'.repeat(513)])
    invalid(() => normalizeKey(k));
  invalid(() => normalizeKey(42));
  invalid(() => normalizeKey(null));
  assert.equal(normalizeKey('x'.repeat(512)).length, 512);
  invalid(() => normalizeKey('é'.repeat(257))); // 514 bytes
});

test('prefix keys allow the root and one trailing slash, nothing else', () => {
  assert.equal(normalizeKey('', { prefix: true }), '');
  assert.equal(normalizeKey('/', { prefix: true }), '');
  assert.equal(normalizeKey('users/', { prefix: true }), 'users');
  assert.equal(normalizeKey('obj://config/nodes/', { prefix: true }), 'nodes');
  invalid(() => normalizeKey('users//', { prefix: true }));
  invalid(() => normalizeKey('__meta/', { prefix: true }));
  invalid(() => normalizeKey('../', { prefix: true }));
});

test('RBAC resources and prefix matching', () => {
  assert.equal(configResource('boot/config'), 'obj://config/boot/config');
  assert.equal(configResource('users/bob', { prefix: true }), 'obj://config/users/bob/');
  assert.equal(configResource('', { prefix: true }), 'obj://config/');
  assert.ok(isUnderPrefix('nodes/ood1/config', 'nodes/ood1'));
  assert.ok(isUnderPrefix('nodes/ood1', 'nodes/ood1'));
  assert.ok(!isUnderPrefix('nodes/ood10/config', 'nodes/ood1'));
  assert.ok(isUnderPrefix('anything', ''));
});

test('values: strings only, bounded, well-formed Unicode', () => {
  assert.equal(checkValue('{"a":1}'), '{"a":1}');
  assert.equal(checkValue(''), '');
  invalid(() => checkValue(5));
  invalid(() => checkValue({ a: 1 }));
  invalid(() => checkValue('x'.repeat(1024 * 1024 + 1)));
  assert.equal(checkValue('x'.repeat(1024 * 1024)).length, 1024 * 1024);
  invalid(() => checkValue('é'.repeat(600 * 1024))); // 1.2 MB in UTF-8
  invalid(() => checkValue('abc', 2));
  invalid(() => checkValue('a\udc00'));
  assert.equal(checkValue('😀'), '😀');
});
