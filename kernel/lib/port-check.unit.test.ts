// Reading /proc/net/tcp{,6} addresses, which name the holder of a busy port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProcAddress } from './port-check.js';

test('decodeProcAddress reads IPv4, IPv6 wildcard and IPv4-mapped addresses', () => {
  assert.deepEqual(decodeProcAddress('0100007F:0C6C'), { host: '127.0.0.1', port: 3180 });
  assert.deepEqual(decodeProcAddress('4E00007F:0C6E'), { host: '127.0.0.78', port: 3182 });
  assert.deepEqual(decodeProcAddress('00000000000000000000000000000000:0C80'), { host: '::', port: 3200 });
  assert.deepEqual(decodeProcAddress('0000000000000000FFFF00000100007F:0FA0'), { host: '127.0.0.1', port: 4000 });
  assert.equal(decodeProcAddress('garbage'), undefined);
});
