import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff, RestartTimer } from './backoff.js';

test('restart delays double from 0.5 s and stop at 30 s', () => {
  const b = new RestartBackoff();
  const delays = Array.from({ length: 9 }, () => b.next(1000));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('a run of a minute or more resets the delay; a shorter one does not', () => {
  const b = new RestartBackoff();
  b.next(0);
  b.next(0);
  assert.equal(b.next(59_999), 2000);
  assert.equal(b.next(60_000), 500);
});

test('a restart timer fires once per schedule, counts restarts, and a cancelled one never fires', async () => {
  let fired = 0;
  const timer = new RestartTimer({ firstMs: 5, capMs: 5, resetAfterUpMs: 60_000 }, () => fired++);
  timer.schedule(0);
  assert.ok(timer.pending);
  timer.cancel();
  assert.ok(!timer.pending);
  timer.schedule(0);
  timer.schedule(0);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fired, 1, 'a second schedule replaces the first');
  assert.equal(timer.restarts, 1);
  assert.ok(!timer.pending);
});
