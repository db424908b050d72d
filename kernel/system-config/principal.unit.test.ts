import { test } from 'node:test';
import assert from 'node:assert/strict';
import { principalFromClaims } from './principal.js';
import { isKrpcError } from '../lib/errors.js';

const unauth = (fn: () => unknown) => assert.throws(fn, (e) => isKrpcError(e, 'UNAUTHENTICATED'));
const hub = { type: 'verify-hub' } as const;
const device = { type: 'device', name: 'ood1' } as const;

test('verify-hub tokens: kind from principal_kind (default user), session kept', () => {
  assert.deepEqual(principalFromClaims({ sub: 'bob', appid: 'control-panel', principal_kind: 'user', session: 7 }, hub, 'verify-hub'),
    { userId: 'bob', appId: 'control-panel', kind: 'user', sudo: false, issuer: 'verify-hub', session: 7 });
  assert.equal(principalFromClaims({ sub: 'ood1', appid: 'scheduler', principal_kind: 'device' }, hub, 'verify-hub').kind, 'device');
  assert.equal(principalFromClaims({ sub: 'bob', appid: 'x', principal_kind: 'root' }, hub, 'verify-hub').kind, 'user');
  assert.equal(principalFromClaims({ sub: 'bob', appid: 'x', sudo: true }, hub, 'verify-hub').sudo, true);
});

test('fallbacks: userid for sub, aud for appid; both required', () => {
  const p = principalFromClaims({ userid: 'bob', aud: 'myapp' }, hub, 'verify-hub');
  assert.equal(p.userId, 'bob');
  assert.equal(p.appId, 'myapp');
  unauth(() => principalFromClaims({ appid: 'x' }, hub, 'verify-hub'));
  unauth(() => principalFromClaims({ sub: 'bob' }, hub, 'verify-hub'));
  unauth(() => principalFromClaims({ sub: '', appid: 'x' }, hub, 'verify-hub'));
  unauth(() => principalFromClaims({ sub: 'x'.repeat(200), appid: 'x' }, hub, 'verify-hub'));
});

test('role names and refresh tokens are refused as session subjects', () => {
  for (const role of ['root', 'kernel', 'ood', 'admin', 'users', 'su_admin', 'system'])
    unauth(() => principalFromClaims({ sub: role, appid: 'control-panel' }, hub, 'verify-hub'));
  unauth(() => principalFromClaims({ sub: 'bob', appid: 'control-panel', aud: 'verify-hub' }, hub, 'verify-hub'));
});

test('device signer: itself → device, someone else → an app token; never sudo, never a role, kernel id or su_ name', () => {
  assert.equal(principalFromClaims({ sub: 'ood1', appid: 'scheduler' }, device, 'ood1').kind, 'device');
  assert.equal(principalFromClaims({ sub: 'ood1', appid: 'scheduler', sudo: true }, device, 'ood1').sudo, false);
  const app = principalFromClaims({ sub: 'bob', appid: 'myapp' }, device, 'ood1');
  assert.deepEqual([app.kind, app.sudo], ['service', false]);
  unauth(() => principalFromClaims({ sub: 'bob', appid: 'myapp', sudo: true }, device, 'ood1'));
  for (const sub of ['root', 'kernel', 'ood', 'su_alice', 'scheduler', 'verify-hub', 'buckycli', 'control-panel', 'node-daemon', 'app-manager'])
    unauth(() => principalFromClaims({ sub, appid: 'myapp' }, device, 'ood1'));
  for (const appid of ['kernel', 'verify-hub', 'scheduler', 'node-daemon', 'system-config', 'buckycli', 'app-manager', 'repo-service', 'control-panel', 'su_bob', 'admin'])
    unauth(() => principalFromClaims({ sub: 'bob', appid }, device, 'ood1'));
});

test('verify-hub sessions never name a kernel id or su_ subject', () => {
  for (const sub of ['scheduler', 'buckycli', 'su_alice'])
    unauth(() => principalFromClaims({ sub, appid: 'control-panel' }, hub, 'verify-hub'));
});

test('owner signs as anyone (root included); a user key only for itself', () => {
  assert.equal(principalFromClaims({ sub: 'root', appid: 'buckycli' }, { type: 'owner' }, 'root').userId, 'root');
  assert.equal(principalFromClaims({ sub: 'alice', appid: 'buckycli' }, { type: 'user', name: 'alice' }, 'alice').kind, 'user');
  unauth(() => principalFromClaims({ sub: 'root', appid: 'buckycli' }, { type: 'user', name: 'alice' }, 'alice'));
});
