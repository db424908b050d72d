import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import { formatPkgId, isValidPkgName, parsePkgId, resolveVersion } from './id.js';

const OBJ = `sha256:${'ab'.repeat(32)}`;

test('parses every pkg id form of spec 30 §1', () => {
  assert.deepEqual(parsePkgId('notes'), { name: 'notes', version: '*' });
  assert.deepEqual(parsePkgId('notes#1.2.3'), { name: 'notes', version: '1.2.3', tag: undefined });
  assert.deepEqual(parsePkgId('notes#^1.2'), { name: 'notes', version: '^1.2', tag: undefined });
  assert.deepEqual(parsePkgId('notes#>=1.0 <2'), { name: 'notes', version: '>=1.0 <2', tag: undefined });
  assert.deepEqual(parsePkgId('notes#*:latest'), { name: 'notes', version: '*', tag: 'latest' });
  assert.deepEqual(parsePkgId('notes#1.0.0:beta'), { name: 'notes', version: '1.0.0', tag: 'beta' });
  assert.deepEqual(parsePkgId(`notes#${OBJ}`), { name: 'notes', version: '*', objid: OBJ });
  assert.deepEqual(parsePkgId(`notes#1.2.3#${OBJ}`), { name: 'notes', version: '1.2.3', tag: undefined, objid: OBJ });
  assert.deepEqual(parsePkgId('nightly-linux-amd64.node_daemon#0.5.1').name, 'nightly-linux-amd64.node_daemon');
  assert.equal(parsePkgId('notes#').version, '*');
});

test('format is the inverse of parse', () => {
  for (const id of ['notes', 'notes#1.2.3', 'notes#^1.2', 'notes#*:latest', `notes#${OBJ}`, `notes#1.2.3#${OBJ}`, 'notes#>=1.0 <2']) {
    assert.equal(formatPkgId(parsePkgId(id)), id);
  }
});

test('refuses names with path characters and malformed ids', () => {
  for (const bad of ['', '..', 'a/b', 'a\\b', '../etc', 'a..b', 'Notes', '-x', 'a\u0000b', 'x'.repeat(65), 'a b']) {
    assert.equal(isValidPkgName(bad), false, `name ${JSON.stringify(bad)}`);
    assert.throws(() => parsePkgId(bad), (e) => isKrpcError(e, 'INVALID_PARAMS'), `id ${JSON.stringify(bad)}`);
  }
  for (const bad of ['notes#not a version', 'notes#1.0#2.0', 'notes#1#2#3', 'notes#1.0.0:bad tag', `notes#1.0.0#${'x'.repeat(10)}`, 'a'.repeat(600)]) {
    assert.throws(() => parsePkgId(bad), (e) => isKrpcError(e, 'INVALID_PARAMS'), bad);
  }
  assert.equal(isValidPkgName('filedrop'), true);
});

test('resolveVersion picks the highest match', () => {
  const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0-beta.1', 'junk'];
  assert.equal(resolveVersion(versions, '*'), '2.0.0');
  assert.equal(resolveVersion(versions), '2.0.0');
  assert.equal(resolveVersion(versions, '^1.0'), '1.2.0');
  assert.equal(resolveVersion(versions, '>=1.0 <1.2'), '1.1.0');
  assert.equal(resolveVersion(versions, '1.1.0'), '1.1.0');
  assert.equal(resolveVersion(versions, '3.0.0'), undefined);
  assert.equal(resolveVersion(versions, '^3'), undefined);
  assert.throws(() => resolveVersion(versions, 'nope'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});
