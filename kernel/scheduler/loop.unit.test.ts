import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeFilter, splitTx } from './loop.js';
import type { ExecTxAction } from './types.js';

test('a write set too large for one exec_tx is split, snapshot keys last', () => {
  const writes: Record<string, ExecTxAction> = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`services/s${i}/info`, { action: 'update' as const, value: '{}' }]));
  writes['system/scheduler/snapshot'] = { action: 'update', value: '{}' };
  const parts = splitTx(writes);
  assert.deepEqual(parts.map((p) => Object.keys(p).length), [1000, 1000, 501]);
  assert.ok(Object.hasOwn(parts[2], 'system/scheduler/snapshot'));
  const big = splitTx({ a: { action: 'update', value: 'x'.repeat(1_000_000) }, b: { action: 'update', value: 'y'.repeat(1_000_000) } });
  assert.equal(big.length, 2);
  assert.deepEqual(splitTx({}), []);
});

test('heartbeats with the same facts do not wake the loop; new facts, lapses and other keys do', () => {
  let now = 1000;
  const filter = new ChangeFilter(() => now, 45);
  const report = (state: string, at: number) => JSON.stringify({ state, service_ports: { www: 10160 }, last_update_time: at, expires_at: at + 30 });
  const key = 'services/notes@alice/instances/ood1';
  assert.equal(filter.wants({ key, value: report('started', 1000) }), true, 'first sighting');
  now = 1010;
  assert.equal(filter.wants({ key, value: report('started', 1010) }), false, 'refresh');
  assert.equal(filter.wants({ key, value: report('stopped', 1010) }), true, 'state changed');
  now = 1100;
  assert.equal(filter.wants({ key, value: report('stopped', 1100) }), true, 'the previous report had expired');

  const info = (mem: number, at: number) => JSON.stringify({ device_type: 'node', total_mem: 8, mem_usage: mem, update_time: at });
  assert.equal(filter.wants({ key: 'devices/nas/info', value: info(1, 1100) }), true);
  now = 1110;
  assert.equal(filter.wants({ key: 'devices/nas/info', value: info(3, 1110) }), false, 'memory noise');

  assert.equal(filter.wants({ key: 'users/alice/apps/notes/spec', value: '{}' }), true);
  assert.equal(filter.wants({ key: 'users/alice/apps/notes/spec', value: '{}' }), true, 'non-heartbeat keys always count');
  assert.equal(filter.wants({ key: 'system/scheduler/snapshot', value: '{}' }), false, 'our own snapshot');
  assert.equal(filter.wants({ key: 'security/verify-hub/sessions/1', value: '{}' }), false, 'outside the dump');
  assert.equal(filter.wants({ key, value: null }), true, 'a deleted report');
});
