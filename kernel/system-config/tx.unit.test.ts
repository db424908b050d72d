import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './store/memory-store.js';
import { planWrites, type TxAction, type WriteRequest } from './tx.js';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';

const MAX = 1024 * 1024;
const req = (actions: Record<string, TxAction>, extra: Partial<WriteRequest> = {}): WriteRequest => ({ actions: new Map(Object.entries(actions)), ...extra });

async function seeded(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.transact(() => [
    { key: 'a', value: 'x' },
    { key: 'nodes/n1/config', value: '{"state":"running","kernel":{}}' },
    { key: 'plain', value: 'not json' },
  ]);
  return store;
}

async function fails(store: MemoryStore, r: WriteRequest, code: ErrorCode) {
  const before = store.globalRevision();
  await assert.rejects(store.transact((v) => planWrites(v, r, MAX)), (e) => isKrpcError(e, code));
  assert.equal(store.globalRevision(), before, 'nothing may be written');
}

test('every action kind in one transaction', async () => {
  const store = await seeded();
  await store.transact((v) => planWrites(v, req({
    b: { action: 'create', value: '1' },
    a: { action: 'append', value: 'y' },
    'nodes/n1/config': { action: 'set_by_path', all_set: { state: 'stopped', 'kernel/"verify-hub"': { target_state: 'started' }, missing: null } },
    plain: { action: 'remove' },
    c: { action: 'update', value: '2' },
  }), MAX));
  assert.equal(store.get('b')?.value, '1');
  assert.equal(store.get('a')?.value, 'xy');
  assert.deepEqual(JSON.parse(store.get('nodes/n1/config')!.value), { state: 'stopped', kernel: { 'verify-hub': { target_state: 'started' } } });
  assert.equal(store.get('plain'), undefined);
  assert.equal(store.revisionOf('plain'), 2);
  assert.equal(store.get('c')?.value, '2');
});

test('one failing action leaves everything untouched', async () => {
  const store = await seeded();
  await fails(store, req({ z: { action: 'create', value: '1' }, a: { action: 'create', value: 'dup' } }), 'ALREADY_EXISTS');
  await fails(store, req({ z: { action: 'create', value: '1' }, nope: { action: 'remove' } }), 'NOT_FOUND');
  await fails(store, req({ z: { action: 'create', value: '1' }, nope: { action: 'append', value: 'x' } }), 'NOT_FOUND');
  await fails(store, req({ z: { action: 'create', value: '1' }, plain: { action: 'set_by_path', all_set: { a: 1 } } }), 'FAILED_PRECONDITION');
  await fails(store, req({ z: { action: 'create', value: '1' }, 'nodes/n1/config': { action: 'set_by_path', all_set: { 'state/deeper': 1 } } }), 'INVALID_PARAMS');
  await fails(store, req({ z: { action: 'create', value: '1' }, 'nodes/n2/config': { action: 'update', value: '[1]' } }), 'INVALID_PARAMS');
  await fails(store, req({ z: { action: 'create', value: '1' }, 'nodes/n1/config': { action: 'append', value: ',' } }), 'INVALID_PARAMS');
  await fails(store, req({ z: { action: 'update', value: 'x'.repeat(MAX + 1) } }), 'INVALID_PARAMS');
  await fails(store, req({ a: { action: 'append', value: 'x'.repeat(MAX) } }), 'INVALID_PARAMS');
  await fails(store, req({}), 'INVALID_PARAMS');
  assert.equal(store.get('z'), undefined);
});

test('main_key and conditions: revision checked first, main_key bumped even without an action', async () => {
  const store = await seeded();
  await fails(store, req({ z: { action: 'create', value: '1' } }, { mainKey: { key: 'a', revision: 7 } }), 'VERSION_CONFLICT');
  await fails(store, req({ z: { action: 'create', value: '1' } }, { conditions: [{ key: 'plain', revision: 0 }] }), 'VERSION_CONFLICT');
  await store.transact((v) => planWrites(v, req({ z: { action: 'create', value: '1' } }, { mainKey: { key: 'a', revision: 1 }, conditions: [{ key: 'never', revision: 0 }] }), MAX));
  assert.equal(store.revisionOf('a'), 2);
  assert.equal(store.get('a')?.value, 'x');
  assert.equal(store.get('z')?.value, '1');
  await store.transact((v) => planWrites(v, req({}, { mainKey: { key: 'seq', revision: 0 } }), MAX));
  assert.equal(store.revisionOf('seq'), 1);
});
