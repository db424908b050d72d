import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from './range.js';

test('single byte ranges in all three forms', () => {
  assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'partial', start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=50-5000', 100), { kind: 'partial', start: 50, end: 99 }, 'an end past the chunk is clamped');
  assert.deepEqual(parseRange(' bytes = 1 - 2 ', 100), { kind: 'partial', start: 1, end: 2 });
});

test('ranges a chunk cannot satisfy, several ranges and other units are invalid', () => {
  const reason = (h: string, size = 100) => {
    const r = parseRange(h, size);
    assert.equal(r.kind, 'invalid', h);
    return (r as { reason: string }).reason;
  };
  assert.match(reason('bytes=100-'), /starts at 100 but the chunk has 100 bytes/);
  assert.match(reason('bytes=9-3'), /ends \(3\) before it starts \(9\)/);
  assert.match(reason('bytes=0-1,4-5'), /single byte range/);
  assert.match(reason('items=0-1'), /not a byte range/);
  assert.match(reason('bytes=-'), /not a byte range/);
  assert.match(reason('bytes=-0'), /0 bytes/);
  assert.match(reason('bytes=-5', 0), /empty/);
  assert.match(reason('bytes=9999999999999999-'), /starts at/);
  assert.match(reason(`bytes=${'9'.repeat(40)}-`), /not a byte range/);
});
