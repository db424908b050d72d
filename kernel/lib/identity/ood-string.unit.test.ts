import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../errors.js';
import { formatOodString, isGateway, isOod, parseOodString } from './ood-string.js';

test('parses every form of the OOD grammar [#|$]<name>[:<ip>][@<net_id>]', () => {
  assert.deepEqual(parseOodString('ood1'), { name: 'ood1', nodeType: 'ood' });
  assert.deepEqual(parseOodString('ood1@lan1'), { name: 'ood1', nodeType: 'ood', netId: 'lan1' });
  assert.deepEqual(parseOodString('ood1:192.168.1.8@lan'), { name: 'ood1', nodeType: 'ood', ip: '192.168.1.8', netId: 'lan' });
  assert.deepEqual(parseOodString('#gate1:210.35.22.1'), { name: 'gate1', nodeType: 'gateway', ip: '210.35.22.1', netId: 'wan' });
  assert.deepEqual(parseOodString('$ood2'), { name: 'ood2', nodeType: 'ood_only' });
  assert.deepEqual(parseOodString('ood3:fe80::1@lan2'), { name: 'ood3', nodeType: 'ood', ip: 'fe80::1', netId: 'lan2' });
});

test('roles: no prefix is OOD and gateway, # gateway only, $ OOD only', () => {
  const [plain, gate, only] = ['ood1', '#gate1', '$ood2'].map(parseOodString);
  assert.deepEqual([isOod(plain), isGateway(plain)], [true, true]);
  assert.deepEqual([isOod(gate), isGateway(gate)], [false, true]);
  assert.deepEqual([isOod(only), isGateway(only)], [true, false]);
});

test('formats back to the canonical string (an IP implies wan, which is not written)', () => {
  for (const s of ['ood1', 'ood1@lan1', 'ood1:192.168.1.8@lan', '#gate1:210.35.22.1', '$ood2']) assert.equal(formatOodString(parseOodString(s)), s);
  assert.equal(formatOodString(parseOodString('ood1:1.2.3.4@wan')), 'ood1:1.2.3.4');
});

test('rejects malformed strings with INVALID_PARAMS', () => {
  for (const bad of ['', '#', 'ood1:999.1.1.1', 'ood1:notanip', 'ood1@', 'ood 1', 'ood1@lan/1']) {
    assert.throws(() => parseOodString(bad), (e) => isKrpcError(e, 'INVALID_PARAMS'), bad);
  }
});
