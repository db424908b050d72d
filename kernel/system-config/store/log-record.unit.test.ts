import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { encodeRecord, scanSegment } from './log-record.js';
import { isKrpcError } from '../../lib/errors.js';

const r1 = encodeRecord(1, [{ key: 'a', value: 'x' }, { key: 'b', value: null }]);
const r2 = encodeRecord(2, [{ key: 'ключ/\u{1F600}', value: '"quoted"\n' }]);

test('records round-trip and the data ends at the zero preallocation', () => {
  const scan = scanSegment(Buffer.concat([r1, r2, Buffer.alloc(4096)]), 'seg');
  assert.deepEqual(scan.records, [
    { revision: 1, puts: [{ key: 'a', value: 'x' }, { key: 'b', value: null }] },
    { revision: 2, puts: [{ key: 'ключ/\u{1F600}', value: '"quoted"\n' }] },
  ]);
  assert.equal(scan.validBytes, r1.length + r2.length);
  assert.equal(scan.dirtyEnd, scan.validBytes);
});

test('a record cut short or with a wrong checksum ends the valid data; dirtyEnd shows how far bytes reach', () => {
  const cut = scanSegment(Buffer.concat([r1, r2.subarray(0, r2.length - 2), Buffer.alloc(100)]), 'seg');
  assert.equal(cut.records.length, 1);
  assert.equal(cut.validBytes, r1.length);
  assert.equal(cut.dirtyEnd, r1.length + r2.length - 2);
  assert.equal(cut.damaged, false, 'a write cut short runs into the preallocated zeros');

  const lostPage = Buffer.concat([r1, r2]);
  lostPage.fill(0, r1.length + 9, r1.length + 12);
  assert.equal(scanSegment(lostPage, 'seg').damaged, false, 'a power cut loses pages, which read as zeros');

  const flipped = Buffer.concat([r1, r2]);
  flipped[r1.length + 10] ^= 1;
  const bad = scanSegment(flipped, 'seg');
  assert.equal(bad.records.length, 1);
  assert.equal(bad.dirtyEnd, r1.length + r2.length);
  assert.equal(bad.damaged, true, 'every byte present, none zero, checksum wrong: no cut write leaves that');

  const hugeLength = Buffer.concat([r1, r2]);
  hugeLength.writeUInt32LE(0x7fffffff, r1.length);
  assert.equal(scanSegment(hugeLength, 'seg').damaged, true, 'a length no write produces');

  const halfHeader = scanSegment(Buffer.concat([r1, Buffer.from([7, 0, 0])]), 'seg');
  assert.equal(halfHeader.validBytes, r1.length);
  assert.equal(halfHeader.dirtyEnd, r1.length + 1);
  assert.equal(halfHeader.damaged, false);
});

test('a record with a valid checksum but a malformed body is reported as damage', () => {
  const payload = Buffer.from('{"r":1,"p":[["k",5]]}');
  const record = Buffer.alloc(8 + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  payload.copy(record, 8);
  assert.throws(() => scanSegment(record, 'seg'), (e) => isKrpcError(e, 'INTEGRITY'));
});
