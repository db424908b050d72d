// OS notifications: only the known kinds, each event once, text cut to size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotificationPolicy } from './notifications.js';

test('a rollback, a waiting device and an update are each shown once', () => {
  const p = new NotificationPolicy();
  const rollback = { kind: 'rollback', title: 'notes rolled back', body: '1.2.0 failed its health check', tag: 'rollback:notes@1.2.0' };
  assert.deepEqual(p.admit(rollback), rollback);
  assert.equal(p.admit(rollback), undefined);
  assert.ok(p.admit({ kind: 'device-waiting', title: 'nas1 wants to join', body: 'Approve it in Devices', tag: 'device:nas1' }));
  assert.ok(p.admit({ kind: 'update-available', title: 'Update', body: '0.2.0 is ready', tag: 'update:0.2.0' }));
});

test('malformed notifications are refused; long text is cut', () => {
  const p = new NotificationPolicy();
  for (const bad of [null, 'hi', { kind: 'shell', title: 't', body: 'b', tag: 'x' }, { kind: 'info', title: '', body: 'b', tag: 'x' }, { kind: 'info', title: 't', body: 3, tag: 'x' }, { kind: 'info', title: 't', body: 'b' }])
    assert.equal(p.admit(bad), undefined, JSON.stringify(bad));
  const long = p.admit({ kind: 'info', title: 'x'.repeat(500), body: 'y'.repeat(5_000), tag: 'long' })!;
  assert.equal(long.title.length, 80);
  assert.equal(long.body.length, 240);
});
