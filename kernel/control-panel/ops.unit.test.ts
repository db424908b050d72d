import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretKey } from '../api/control-panel-ops.js';
import { redactValue } from './ops.js';

test('keys that hold secrets: all of security/, and keys named for a secret', () => {
  for (const k of ['security/verify-hub/key', 'security/verify-hub/passwords/alice', 'security/verify-hub/lockout/users/alice', 'services/gateway/gateway_secret', 'users/alice/apps/x/api_token'])
    assert.equal(isSecretKey(k), true, k);
  for (const k of ['boot/config', 'users/alice/settings', 'system/scheduler/snapshot', 'devices/ood1/info', 'users/alice/apps/notes/spec'])
    assert.equal(isSecretKey(k), false, k);
});

test('secret members of a JSON value are withheld at any depth; the rest is kept', () => {
  const r = redactValue(JSON.stringify({ owner: { kty: 'OKP', x: 'pub', d: 'PRIVATE' }, settings: [{ password: 'hunter2', port: 80 }], tls: true }));
  assert.equal(r.redacted, true);
  assert.doesNotMatch(r.value, /PRIVATE|hunter2/);
  const v = JSON.parse(r.value);
  assert.equal(v.owner.x, 'pub');
  assert.equal(v.settings[0].port, 80);
  assert.deepEqual(redactValue('{"a":1}'), { value: '{"a":1}', redacted: false });
  assert.deepEqual(redactValue('plain text'), { value: 'plain text', redacted: false });
});
