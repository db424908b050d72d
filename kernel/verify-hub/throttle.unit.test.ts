// The lockout arithmetic and the stored counter's shape. How counters are reserved, persisted and
// handed back is tested against a real system-config in verify-hub.integration.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LOCKOUT, clientCounterKey, counterForgotten, lockoutMs, parseFailureCounter, userCounterKey } from './throttle.js';

test('lockout: free failures, then 1 s doubling up to a 5 min cap', () => {
  assert.deepEqual([0, 1, 4].map((f) => lockoutMs(f)), [0, 0, 0]);
  assert.deepEqual([5, 6, 7, 8, 12].map((f) => lockoutMs(f)), [1000, 2000, 4000, 8000, 128_000]);
  assert.equal(lockoutMs(13), 256_000);
  assert.equal(lockoutMs(14), 300_000);
  assert.equal(lockoutMs(1000), 300_000);
  assert.equal(lockoutMs(Number.MAX_SAFE_INTEGER), 300_000);
});

test('counter keys: one per user name and per client address; anything else that claims to be an address shares one', () => {
  assert.equal(userCounterKey('alice'), 'security/verify-hub/lockout/users/alice');
  assert.equal(clientCounterKey('192.0.2.7'), 'security/verify-hub/lockout/clients/192.0.2.7');
  assert.equal(clientCounterKey('2001:db8::1'), 'security/verify-hub/lockout/clients/2001:db8::1');
  for (const bad of ['', '../users/alice', '1.2.3.4, 5.6.7.8', 'localhost'])
    assert.equal(clientCounterKey(bad), 'security/verify-hub/lockout/clients/unknown');
});

test('a stored counter parses only in its own shape, and is forgotten when empty or old', () => {
  assert.deepEqual(parseFailureCounter('{"failures":3,"last_failure_ms":1000}'), { failures: 3, last_failure_ms: 1000 });
  for (const bad of ['', 'null', '[]', '{"failures":-1,"last_failure_ms":1}', '{"failures":1.5,"last_failure_ms":1}', '{"failures":1}'])
    assert.equal(parseFailureCounter(bad), undefined, bad);
  const now = 10_000_000;
  assert.equal(counterForgotten({ failures: 0, last_failure_ms: now }, now), true);
  assert.equal(counterForgotten({ failures: 9, last_failure_ms: now - DEFAULT_LOCKOUT.forgetAfterMs }, now), false);
  assert.equal(counterForgotten({ failures: 9, last_failure_ms: now - DEFAULT_LOCKOUT.forgetAfterMs - 1 }, now), true);
});
