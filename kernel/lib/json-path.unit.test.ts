import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setJsonByPath, splitJsonPath } from './json-path.js';
import { isKrpcError } from './errors.js';

test('splitJsonPath follows buckyos-kit', () => {
  const cases: Array<[string, string[]]> = [
    ['', []],
    ['/', []],
    ['/a/b/c', ['a', 'b', 'c']],
    ['state', ['state']],
    ['/state/"space add"/value', ['state', 'space add', 'value']],
    ['/path/with\\ space/value', ['path', 'with\\ space', 'value']],
    ['/用户/😀/数据', ['用户', '😀', '数据']],
    ['//a///b/', ['a', 'b']],
    ['servers/main/routes/"/kapi/ood1"', ['servers', 'main', 'routes', '/kapi/ood1']],
    ['a/\\"q\\"/b', ['a', '"q"', 'b']],
  ];
  for (const [input, expected] of cases) assert.deepEqual(splitJsonPath(input), expected, input);
  assert.throws(() => splitJsonPath('/a/"unclosed'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});

test('setJsonByPath: set, create intermediates, remove with null, replace with empty path', () => {
  assert.deepEqual(setJsonByPath({ a: 1 }, '', { b: 2 }), { b: 2 });
  assert.equal(setJsonByPath({ a: 1 }, '', null), null);
  assert.deepEqual(setJsonByPath({}, '/user/name', 'Alice'), { user: { name: 'Alice' } });
  assert.deepEqual(setJsonByPath({ user: { name: 'Alice', age: 30 } }, '/user/age', null), { user: { name: 'Alice' } });
  assert.deepEqual(setJsonByPath({ x: 1 }, '/missing/member', null), { x: 1, missing: {} });
  assert.deepEqual(setJsonByPath({}, '/state/"space add"/value', 'test'), { state: { 'space add': { value: 'test' } } });
  assert.deepEqual(setJsonByPath({ state: 'old' }, 'state', 'running'), { state: 'running' });
  assert.deepEqual(setJsonByPath({ a: null }, 'a/b', 1), { a: { b: 1 } });
});

test('setJsonByPath refuses writes through non-objects and arrays', () => {
  const bad = (root: unknown, path: string) => assert.throws(() => setJsonByPath(root, path, 1), (e) => isKrpcError(e, 'INVALID_PARAMS'), path);
  bad('not-object', '/a');
  bad({ a: 'str' }, '/a/b');
  bad({ list: [1, 2] }, '/list/0');
  bad([1, 2], '/0');
});

test('a "__proto__" segment is a plain member, never the prototype', () => {
  const root = setJsonByPath({}, '/__proto__/polluted', true) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(root), Object.prototype);
  assert.equal(JSON.stringify(root), '{"__proto__":{"polluted":true}}');
  const parsed = JSON.parse('{"__proto__":{"x":1}}');
  setJsonByPath(parsed, '/__proto__/y', 2);
  assert.equal(JSON.stringify(parsed), '{"__proto__":{"x":1,"y":2}}');
  assert.equal(({} as Record<string, unknown>).y, undefined);
});
