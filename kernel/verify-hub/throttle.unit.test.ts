import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import { DEFAULT_LOCKOUT, LoginThrottle, lockoutMs } from './throttle.js';

test('lockout: free failures, then 1 s doubling up to a 5 min cap', () => {
  assert.deepEqual([0, 1, 4].map((f) => lockoutMs(f)), [0, 0, 0]);
  assert.deepEqual([5, 6, 7, 8, 12].map((f) => lockoutMs(f)), [1000, 2000, 4000, 8000, 128_000]);
  assert.equal(lockoutMs(13), 256_000);
  assert.equal(lockoutMs(14), 300_000);
  assert.equal(lockoutMs(1000), 300_000);
  assert.equal(lockoutMs(Number.MAX_SAFE_INTEGER), 300_000);
});

const waitOf = (fn: () => void): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(isKrpcError(e, 'RATE_LIMITED'), String(e));
    return Number(/try again in (\d+) s/.exec(e.message)![1]);
  }
};

test('a user is locked after 5 failures and says how long to wait', () => {
  const t = new LoginThrottle();
  let now = 1_000_000;
  for (let i = 0; i < 4; i++) t.failure('alice', `10.0.0.${i}`, now);
  assert.equal(waitOf(() => t.check('alice', '10.0.0.9', now)), undefined);
  t.failure('alice', '10.0.0.5', now);
  assert.equal(waitOf(() => t.check('alice', '10.0.0.9', now)), 1);
  now += 1000;
  assert.equal(waitOf(() => t.check('alice', '10.0.0.9', now)), undefined);
  t.failure('alice', '10.0.0.5', now);
  assert.equal(waitOf(() => t.check('alice', '10.0.0.9', now + 500)), 2);
  assert.equal(waitOf(() => t.check('bob', '10.0.0.9', now)), undefined, 'other users are not affected');
});

test('a client address is locked after 5 failures whatever user names it tries', () => {
  const t = new LoginThrottle();
  const now = 5_000_000;
  for (let i = 0; i < 5; i++) t.failure(`user${i}`, '192.168.1.50', now);
  assert.equal(waitOf(() => t.check('carol', '192.168.1.50', now)), 1);
  assert.equal(waitOf(() => t.check('carol', '192.168.1.51', now)), undefined);
});

test('success resets the user counter; old failures are forgotten', () => {
  const t = new LoginThrottle();
  const now = 9_000_000;
  for (let i = 0; i < 4; i++) t.failure('alice', `10.1.0.${i}`, now);
  t.success('alice');
  t.failure('alice', '10.1.0.9', now);
  assert.equal(waitOf(() => t.check('alice', '10.1.0.8', now)), undefined);
  for (let i = 0; i < 10; i++) t.failure('dave', `10.2.0.${i}`, now);
  assert.ok(waitOf(() => t.check('dave', '10.3.0.1', now))! > 0, 'dave is locked');
  const later = now + DEFAULT_LOCKOUT.forgetAfterMs + 1;
  assert.equal(waitOf(() => t.check('dave', '10.3.0.1', later)), undefined);
  t.failure('dave', '10.3.0.1', later);
  assert.equal(waitOf(() => t.check('dave', '10.3.0.1', later)), undefined, 'the count started over');
});

test('memory stays bounded: the oldest counters are dropped', () => {
  const t = new LoginThrottle({ ...DEFAULT_LOCKOUT, maxEntries: 3 });
  const now = 1;
  for (let i = 0; i < 5; i++) t.failure('victim', '10.9.9.9', now);
  for (let i = 0; i < 3; i++) t.failure(`u${i}`, `10.8.0.${i}`, now);
  assert.equal(waitOf(() => t.check('victim', '10.7.0.1', now)), undefined);
});
