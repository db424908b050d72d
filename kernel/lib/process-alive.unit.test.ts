import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isHolderAlive, isProcessAlive, ownStamp, parseStamp } from './process-alive.js';

test('this process is alive, an exited one is not', () => {
  assert.equal(isProcessAlive(process.pid), true);
  const exited = spawnSync(process.execPath, ['-e', '']).pid;
  assert.equal(isProcessAlive(exited), false);
});

test('a stamp matches only the process of the same start time and boot', { skip: process.platform !== 'linux' && 'start time and boot id come from /proc' }, () => {
  const me = ownStamp();
  assert.equal(me.pid, process.pid);
  assert.match(me.start ?? '', /^\d+$/);
  assert.match(me.boot ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(isHolderAlive(me), true);
  assert.equal(isHolderAlive({ ...me, start: String(Number(me.start) + 1) }), false, 'same pid, other start time: pid reused');
  assert.equal(isHolderAlive({ ...me, boot: '00000000-0000-0000-0000-000000000000' }), false, 'written in another boot');
  assert.equal(isHolderAlive({ pid: process.pid }), true, 'a bare pid (old lock format) is judged by the pid');
});

test('stamps read back from lock files', () => {
  assert.deepEqual(parseStamp({ pid: 12, start: '345', boot: 'b', nonce: 'n' }), { pid: 12, start: '345', boot: 'b' });
  assert.deepEqual(parseStamp({ pid: 12, nonce: 'n', at: 'x' }), { pid: 12 });
  assert.deepEqual(parseStamp({ pid: 12, start: 'x1' }), { pid: 12 });
  for (const bad of [null, 'x', { pid: 0 }, { pid: -3 }, { pid: 1.5 }, { pid: '12' }]) assert.equal(parseStamp(bad), undefined);
});
