import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, isPasswordHash, loginProof } from './password.js';

// Expected values computed independently with `printf … | sha256sum | xxd -r -p | base64`.
test('hashPassword is base64(sha256(password + username + ".buckyos"))', () => {
  assert.equal(hashPassword('correct horse battery staple', 'alice'), 'VabtUPiWmXMHJztxr3rxj/vX3SYnW+oA3hQHB5n7lXc=');
});

test('loginProof is base64(sha256(hash + nonceMs))', () => {
  assert.equal(loginProof('VabtUPiWmXMHJztxr3rxj/vX3SYnW+oA3hQHB5n7lXc=', 1700000000123), '3A3fjSfFbcHqgYFc1GC7rifq8/f9vQDJmOWoOL6vi/Y=');
});

test('isPasswordHash accepts only base64 of 32 bytes', () => {
  assert.equal(isPasswordHash(hashPassword('x', 'y')), true);
  assert.equal(isPasswordHash('correct horse battery staple'), false);
  assert.equal(isPasswordHash('VabtUPiWmXMHJztxr3rxj/vX3SYnW+oA3hQHB5n7lXc'), false);
  assert.equal(isPasswordHash(42), false);
});
