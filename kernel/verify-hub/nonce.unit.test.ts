import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import { LOGIN_NONCE_WINDOW_MS, checkLoginNonce, nonceExpiresAt } from './nonce.js';

const now = 1_750_000_000_000;

test('a nonce within ±5 min of the zone clock is accepted, in milliseconds', () => {
  for (const offset of [0, 1, -1, 299_999, -299_999, LOGIN_NONCE_WINDOW_MS, -LOGIN_NONCE_WINDOW_MS]) checkLoginNonce(now + offset, now);
});

test('a nonce further than 5 min away is refused with a hint about the clock', () => {
  for (const offset of [LOGIN_NONCE_WINDOW_MS + 1, -LOGIN_NONCE_WINDOW_MS - 1, 3_600_000, -now]) {
    assert.throws(() => checkLoginNonce(now + offset, now), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /clock/.test(e.message));
  }
});

test('a nonce in seconds (the upstream unit mix-up) is far outside the window', () => {
  assert.throws(() => checkLoginNonce(Math.floor(now / 1000), now), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('non-integer or negative nonces are bad input', () => {
  for (const bad of [1.5, -1, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
    assert.throws(() => checkLoginNonce(bad, now), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  }
});

test('a nonce can be forgotten once it is out of the window for good', () => {
  assert.equal(nonceExpiresAt(now), (now + LOGIN_NONCE_WINDOW_MS) / 1000);
  assert.equal(nonceExpiresAt(now + 1), Math.ceil((now + 1 + LOGIN_NONCE_WINDOW_MS) / 1000));
});
