import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeHistory } from './change-history.js';
import type { KvChange } from './types.js';

function revisions(changes: KvChange[] | 'compacted'): number[] {
  assert.ok(Array.isArray(changes), 'expected changes, got "compacted"');
  return changes.map((c) => c.globalRevision);
}

const txn = (rev: number, keys: number): KvChange[] =>
  Array.from({ length: keys }, (_, i) => ({ key: `k${i}`, value: String(rev), revision: rev, globalRevision: rev }));

test('since returns whole transactions after a revision, oldest first', () => {
  const h = new ChangeHistory(100);
  for (let rev = 1; rev <= 5; rev++) h.add(rev, txn(rev, 2));
  assert.deepEqual(h.since(5, 5), []);
  assert.deepEqual(revisions(h.since(3, 5)), [4, 4, 5, 5]);
  assert.equal(h.since(0, 5).length, 10);
});

test('the limit drops whole transactions from the old end and then reports "compacted"', () => {
  const h = new ChangeHistory(10);
  for (let rev = 1; rev <= 4; rev++) h.add(rev, txn(rev, 4));
  assert.equal(h.since(0, 4), 'compacted');
  assert.equal(h.since(1, 4), 'compacted');
  assert.deepEqual(revisions(h.since(2, 4)), [3, 3, 3, 3, 4, 4, 4, 4]);
});

test('one transaction bigger than the limit is still kept whole', () => {
  const h = new ChangeHistory(3);
  h.add(1, txn(1, 2));
  h.add(2, txn(2, 5));
  assert.equal(h.since(1, 2).length, 5);
  assert.equal(h.since(0, 2), 'compacted');
});

test('an empty history at a revision > 0 has nothing before it', () => {
  const h = new ChangeHistory(10);
  assert.deepEqual(h.since(7, 7), []);
  assert.equal(h.since(6, 7), 'compacted');
});

test('trimming stays correct across many transactions', () => {
  const h = new ChangeHistory(50);
  for (let rev = 1; rev <= 5000; rev++) h.add(rev, txn(rev, 1));
  assert.deepEqual(revisions(h.since(4950, 5000)), Array.from({ length: 50 }, (_, i) => 4951 + i));
  assert.equal(h.since(4949, 5000), 'compacted');
});
