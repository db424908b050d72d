import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KERNEL_SERVICES } from '../../scheduler/kernel-specs.js';
import { isReservedName, reservedNameKind } from './reserved-names.js';

test('roles, kernel ids of the default policy, every kernel service and su_ names are reserved', () => {
  for (const role of ['kernel', 'ood', 'root', 'admin', 'users', 'node', 'app']) assert.equal(reservedNameKind(role), 'role');
  for (const id of ['scheduler', 'verify-hub', 'system-config', 'node-daemon', 'cyfs-gateway', 'buckycli', 'control-panel', 'app-manager', 'repo-service'])
    assert.equal(reservedNameKind(id), 'kernel', id);
  for (const { name } of KERNEL_SERVICES) assert.ok(isReservedName(name), name);
  assert.equal(reservedNameKind('su_alice'), 'sudo');
  for (const free of ['alice', 'nas1', 'notes', 'ood1']) assert.equal(isReservedName(free), false, free);
});
