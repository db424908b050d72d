// Threat: a token that outlives its purpose, and calls that make the kernel work for nothing. Against a
// real zone (an OOD and a really enrolled node): device-, owner- and verify-hub-signed tokens with `exp`
// years ahead, or a lifetime longer than their signer ever issues, are refused by system-config; a
// plain user may not make system-config rebuild its trust keys and RBAC, and an admin's flood of 400
// refreshes rebuilds only a few times; and the admin password verifier, needed once for first boot,
// is gone from etc/start_config.json while login keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nowSeconds, signJwt, type Claims } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { login } from '../cli/session.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN, NODE, refusedWith, startAttackZone, type AttackZone } from './attack-zone.js';

let zone: AttackZone;
let hubKeyPem: string;
const YEAR = 365 * 24 * 3600;

before(async () => {
  zone = await startAttackZone({ oodEnv: { BUCKYOS_LOG_LEVEL: 'debug' } });
  hubKeyPem = (await zone.get('security/verify-hub/key'))!;
  await zone.root.call('sys_config_create', { key: 'users/bob/settings', value: JSON.stringify({ user_id: 'bob', type: 'user', state: 'active', res_pool_id: 'default' }) });
});
after(async () => { await zone?.stop(); });

const session = (claims: Claims) => {
  const now = nowSeconds();
  return signJwt({ iss: 'verify-hub', appid: 'control-panel', principal_kind: 'user', jti: randomBytes(8).toString('hex'), session: 7, iat: now, exp: now + 600, zone: 'did:web:testzone', ...claims }, hubKeyPem, 'verify-hub');
};

test('tokens living longer than their signer ever issues them are refused, whoever signed them', async () => {
  const now = nowSeconds();
  const owner = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  const ownerToken = (claims: Claims) => signJwt({ iss: 'root', sub: 'root', appid: 'buckycli', jti: randomBytes(8).toString('hex'), ...claims }, owner.privateKeyPem, 'root');
  const cases: Array<[string, string]> = [
    ['a node token ten years ahead', await zone.signAsNode({ sub: NODE, appid: 'node-daemon', iat: now, exp: now + 10 * YEAR })],
    ['a node token issued two hours ago for two hours ten', await zone.signAsNode({ sub: NODE, appid: 'node-daemon', iat: now - 7200, exp: now + 600 })],
    ['a node token issued in the future', await zone.signAsNode({ sub: NODE, appid: 'node-daemon', iat: now + 3600, exp: now + 3900 })],
    ['an owner token ten years ahead', await ownerToken({ iat: now, exp: now + 10 * YEAR })],
    ['an owner token without iat, a day ahead', await ownerToken({ exp: now + 24 * 3600 })],
    ['a verify-hub session ten years ahead', await session({ sub: ADMIN, exp: now + 10 * YEAR })],
    ['a verify-hub session of two hours', await session({ sub: ADMIN, iat: now - 3600, exp: now + 3600 })],
  ];
  for (const [what, token] of cases)
    await refusedWith('UNAUTHENTICATED', what, () => zone.as('system_config', token).call('sys_config_get', { key: 'boot/config' }));
  // What our signers really issue still works.
  assert.ok(await zone.as('system_config', await session({ sub: ADMIN })).call('sys_config_get', { key: 'boot/config' }));
  assert.ok(await zone.as('system_config', await zone.signAsNode({ sub: NODE, appid: 'node-daemon', exp: now + 20 * 60 })).call('sys_config_get', { key: 'boot/config' }));
  assert.ok(await zone.as('system_config', await ownerToken({ iat: now, exp: now + 120 })).call('sys_config_get', { key: 'boot/config' }));
});

test('a login JWT addressed to verify-hub opens a session there and is no bearer token at system-config', async () => {
  const now = nowSeconds();
  const owner = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  // The shape of the setup wizard's hand-over: owner-signed, for the admin, app control-panel, 10 minutes.
  const loginJwt = await signJwt({ iss: 'root', sub: ADMIN, appid: 'control-panel', aud: 'verify-hub', jti: randomBytes(8).toString('hex'), iat: now, exp: now + 600 }, owner.privateKeyPem, 'root');
  await refusedWith('UNAUTHENTICATED', 'a login JWT used as a bearer token', () => zone.as('system_config', loginJwt).call('sys_config_get', { key: 'boot/config' }));
  const pair = await zone.as('verify_hub').call<{ session_token: string }>('login_by_jwt', { jwt: loginJwt });
  assert.ok(await zone.as('system_config', pair.session_token).call('sys_config_get', { key: 'boot/config' }), 'the session it gives works');
  // Without the audience, the same owner-signed token is (still) a bearer token: the check is the audience.
  const bearer = await signJwt({ iss: 'root', sub: ADMIN, appid: 'control-panel', jti: randomBytes(8).toString('hex'), iat: now, exp: now + 600 }, owner.privateKeyPem, 'root');
  assert.ok(await zone.as('system_config', bearer).call('sys_config_get', { key: 'boot/config' }));
});

test('sys_refresh_trust_keys: a user may not call it; an admin flood of 400 rebuilds RBAC only a few times', async () => {
  const bob = zone.as('system_config', await session({ sub: 'bob' }));
  await refusedWith('PERMISSION_DENIED', 'bob refreshes the trust keys', () => bob.call('sys_refresh_trust_keys', {}));
  const rebuilds = () => zone.ood.log().split('trust keys and RBAC rebuilt').length - 1;
  // A rebuild in the last second (a KV change, the previous test) makes refreshes wait for the next
  // second; start the flood after that window so its first call rebuilds.
  await sleep(1_100);
  const before = rebuilds();
  const admin = zone.admin.client('system_config');
  await Promise.all(Array.from({ length: 400 }, () => admin.call('sys_refresh_trust_keys', {})));
  const during = rebuilds() - before;
  assert.ok(during >= 1 && during <= 10, `400 refreshes caused ${during} rebuilds`);
});

test('the admin password verifier is not kept in etc/start_config.json after first boot; login still works', async () => {
  const start = JSON.parse(await readFile(join(zone.ood.dataDir, 'etc/start_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(start.admin_password_hash, undefined);
  assert.equal(start.user_name, ADMIN, 'the rest of the start config stays');
  assert.ok(await zone.get(`security/verify-hub/passwords/${ADMIN}`), 'the verifier lives in KV');
  const again = await login({ zone: zone.zoneUrl, user: ADMIN, password: zone.password });
  assert.ok(again.sessionToken);
});
