import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationBaseUrl } from './client.js';
import { isKrpcError } from '../lib/errors.js';

test('a device address may be a bare host (port 3182 implied), host:port or a full URL', () => {
  assert.equal(activationBaseUrl('192.168.1.20'), 'http://192.168.1.20:3182');
  assert.equal(activationBaseUrl(' 127.0.0.9 '), 'http://127.0.0.9:3182');
  assert.equal(activationBaseUrl('nas.local:4000'), 'http://nas.local:4000');
  assert.equal(activationBaseUrl('http://10.0.0.2:3182/'), 'http://10.0.0.2:3182');
  assert.equal(activationBaseUrl('https://ood.example'), 'https://ood.example');
});

test('anything else is refused with a hint', () => {
  for (const bad of ['ftp://x', 'http://', 'http://[bad']) {
    assert.throws(() => activationBaseUrl(bad), (e: unknown) => isKrpcError(e, 'INVALID_PARAMS'), bad);
  }
});
