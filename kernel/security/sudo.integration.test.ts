// Sudo against a real OOD (kernel/api/sudo.ts): the signed-in person re-enters the password for a
// short sudo token of the same session, which system-config's RBAC checks as su_<user>. A wrong
// password is refused and counted by the login lockout; the token expires, cannot be refreshed, ends
// with the session's logout; and a plain user's sudo gives no admin rights.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isKrpcError } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { RBAC_POLICY_KEY, lockoutUserKey, passwordKey, userProfileKey, userSettingsKey } from '../api/keys.js';
import type { SudoByPasswordParams, SudoByPasswordResult, TokenPairResult } from '../api/index.js';
import { decodeUnverified, nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { VerifyHubClient } from '../verify-hub/client.js';
import { activatedOod, pollUntil, TEST_PASSWORD } from '../testing/harness.js';

const SUDO_TTL_S = 8;
const BOB_PASSWORD = 'bob-has-a-password-1';
const CAROL_PASSWORD = 'carol-has-a-password-2';
const APPID = 'control-panel';

let zone: Awaited<ReturnType<typeof activatedOod>>;
let zoneUrl: string;
let root: KrpcClient;
let hub: VerifyHubClient;

const kvAs = (token: string) => new KrpcClient(`${zoneUrl}/kapi/system_config`, { token });
const hubCall = (token: string | undefined) => new KrpcClient(`${zoneUrl}/kapi/verify_hub`, token ? { token } : {});
const login = (user: string, password: string) => pollUntil(`${user} can log in`, () => hub.loginWithPassword(user, password, APPID).catch(() => undefined), { timeoutMs: 30_000, context: () => zone.ood.log() });

let nonce = Date.now();
/** sudo_by_password with the session token in sys[1], as the panel sends it. */
function sudo(session: string | undefined, user: string, password: string, extra: Partial<SudoByPasswordParams> = {}): Promise<SudoByPasswordResult> {
  const n = Math.max(Date.now(), ++nonce);
  nonce = n;
  return hubCall(session).call('sudo_by_password', { type: 'password', username: user, password: loginProof(hashPassword(password, user), n), appid: APPID, login_nonce: n, ...extra });
}

const writeProfile = (token: string, user: string) =>
  kvAs(token).call('sys_config_set', { key: userProfileKey(user), value: JSON.stringify({ name: user, full_name: `${user} (changed)`, create_time: 1 }) });

before(async () => {
  zone = await activatedOod({ env: { BUCKYOS_SUDO_TTL_S: String(SUDO_TTL_S) } });
  zoneUrl = zone.env.BUCKYOS_ZONE;
  hub = new VerifyHubClient(`${zoneUrl}/kapi/verify_hub`);
  const ownerKey = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  root = new KrpcClient(`${zoneUrl}/kapi/system_config`, {
    token: () => {
      const now = nowSeconds();
      return signJwt({ iss: 'root', sub: 'root', appid: 'buckycli', jti: randomBytes(8).toString('hex'), iat: now, exp: now + 100 }, ownerKey.privateKeyPem, 'root');
    },
  });
  const actions: Record<string, { action: 'create'; value: string }> = {};
  for (const [user, password] of [['bob', BOB_PASSWORD], ['carol', CAROL_PASSWORD]]) {
    actions[userSettingsKey(user)] = { action: 'create', value: JSON.stringify({ user_id: user, type: 'user', state: 'active', res_pool_id: 'default' }) };
    actions[passwordKey(user)] = { action: 'create', value: hashPassword(password, user) };
  }
  await root.call('sys_config_exec_tx', { actions });
  // The scheduler's RBAC tail names su_bob; before it does, every check below would pass vacuously.
  await pollUntil('the scheduler writes bob\'s and carol\'s RBAC lines', async () => {
    const policy = (await root.call<{ value: string } | null>('sys_config_get', { key: RBAC_POLICY_KEY }))?.value ?? '';
    return policy.includes('g, su_bob, su_users') && policy.includes('g, su_carol, su_users') ? true : undefined;
  }, { timeoutMs: 30_000, context: () => zone.ood.log() });
});
after(async () => {
  await zone?.ood.kill();
  await zone?.dir.remove();
});

test('alice (admin) re-enters her password: a short sudo token of her own session lets her do what her session may not', async () => {
  const session = await login('alice', TEST_PASSWORD);
  await assert.rejects(writeProfile(session.session_token, 'bob'), (e) => isKrpcError(e, 'PERMISSION_DENIED'), 'an admin session alone may not change another person');
  const { session_token } = await sudo(session.session_token, 'alice', TEST_PASSWORD);
  const claims = decodeUnverified(session_token).payload;
  const normal = decodeUnverified(session.session_token).payload;
  assert.equal(claims.sudo, true);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.session, normal.session, 'the sudo token belongs to the session that asked for it');
  assert.equal((claims.exp as number) - (claims.iat as number), SUDO_TTL_S);
  assert.equal((await kvAs(session_token).call<unknown>('sys_config_set', { key: userProfileKey('bob'), value: '{"name":"bob","full_name":"Bob","create_time":1}' })), null);
  assert.equal((await root.call<{ value: string }>('sys_config_get', { key: userProfileKey('bob') })).value, '{"name":"bob","full_name":"Bob","create_time":1}');
});

test('a wrong password is refused and counted by the login lockout; the right one starts the count over', async () => {
  const session = await login('carol', CAROL_PASSWORD);
  const failures = async () => {
    const entry = await root.call<{ value: string } | null>('sys_config_get', { key: lockoutUserKey('carol') });
    return entry ? (JSON.parse(entry.value) as { failures: number }).failures : 0;
  };
  // The counters reach KV in batches: a login's "start over" may still be on its way.
  await pollUntil('the login started the count over', async () => ((await failures()) === 0 ? true : undefined), { timeoutMs: 10_000 });
  for (let i = 1; i <= 2; i++) {
    await assert.rejects(sudo(session.session_token, 'carol', 'not-her-password'), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /wrong user name or password/.test(e.message));
    await pollUntil(`wrong sudo password ${i} is counted`, async () => ((await failures()) === i ? true : undefined), { timeoutMs: 10_000 });
  }
  await sudo(session.session_token, 'carol', CAROL_PASSWORD);
  assert.equal(await pollUntil('the count starts over', async () => ((await failures()) === 0 ? 0 : undefined), { timeoutMs: 10_000 }), 0);
});

test('sudo is only for the signed-in person: no session, another person\'s password, a replayed nonce, an audience', async () => {
  const bob = await login('bob', BOB_PASSWORD);
  await assert.rejects(sudo(undefined, 'alice', TEST_PASSWORD), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /session/.test(e.message));
  await assert.rejects(sudo(bob.session_token, 'alice', TEST_PASSWORD), (e) => isKrpcError(e, 'PERMISSION_DENIED') && /signed in as bob/.test(e.message));
  await assert.rejects(sudo(bob.session_token, 'bob', BOB_PASSWORD, { appid: 'buckycli' }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await assert.rejects(sudo(bob.session_token, 'bob', BOB_PASSWORD, { aud: 'somewhere' } as Partial<SudoByPasswordParams>), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  const n = Date.now() + 5;
  const params = { type: 'password' as const, username: 'bob', password: loginProof(hashPassword(BOB_PASSWORD, 'bob'), n), appid: APPID, login_nonce: n };
  await hubCall(bob.session_token).call('sudo_by_password', params);
  await assert.rejects(hubCall(bob.session_token).call('sudo_by_password', params), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /replayed/.test(e.message));
});

test('a plain user gets no admin rights by sudo: bob\'s sudo token is su_bob, not su_admin', async () => {
  const bob = await login('bob', BOB_PASSWORD);
  const { session_token } = await sudo(bob.session_token, 'bob', BOB_PASSWORD);
  assert.equal(decodeUnverified(session_token).payload.sudo, true);
  await assert.rejects(writeProfile(session_token, 'alice'), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await assert.rejects(kvAs(session_token).call('sys_config_get', { key: userSettingsKey('alice') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await assert.rejects(kvAs(session_token).call('sys_config_set', { key: userSettingsKey('bob'), value: JSON.stringify({ user_id: 'bob', type: 'admin', state: 'active', res_pool_id: 'default' }) }),
    (e) => isKrpcError(e, 'PERMISSION_DENIED'), 'nor may he make himself an admin');
  await assert.rejects(kvAs(session_token).call('sys_config_set', { key: passwordKey('alice'), value: hashPassword('taken-over-1', 'alice') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await assert.rejects(kvAs(bob.session_token).call('sys_config_set', { key: passwordKey('bob'), value: hashPassword('new-bob-password-1', 'bob') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'),
    'without sudo not even his own password');
  await kvAs(session_token).call('sys_config_set', { key: passwordKey('bob'), value: hashPassword('new-bob-password-1', 'bob') });
  await hub.loginWithPassword('bob', 'new-bob-password-1', APPID);
});

test('a sudo token cannot be refreshed, ends with the session\'s logout, and expires after its few seconds', async () => {
  const session: TokenPairResult = await login('alice', TEST_PASSWORD);
  const first = (await sudo(session.session_token, 'alice', TEST_PASSWORD)).session_token;
  await assert.rejects(hub.refreshToken(first), (e) => isKrpcError(e, 'UNAUTHENTICATED'), 'a sudo token is not a refresh token');
  await assert.rejects(hubCall(undefined).call('refresh_token', { refresh_token: first }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));

  const second = await login('alice', TEST_PASSWORD);
  const expiring = (await sudo(second.session_token, 'alice', TEST_PASSWORD)).session_token;

  await writeProfile(first, 'bob');
  await hub.logout(session.refresh_token);
  await assert.rejects(writeProfile(first, 'bob'), (e) => isKrpcError(e, 'UNAUTHENTICATED'), 'logout ends the sudo token of that session');
  await assert.rejects(sudo(session.session_token, 'alice', TEST_PASSWORD), (e) => isKrpcError(e, 'UNAUTHENTICATED'), 'and no new one is given for it');

  await writeProfile(expiring, 'bob');
  const refusal = await pollUntil('the sudo token expires', () => writeProfile(expiring, 'bob').then(() => undefined, (e: unknown) => e), { timeoutMs: 60_000, everyMs: 1000 });
  assert.ok(isKrpcError(refusal, 'TOKEN_EXPIRED'), String(refusal));
  await writeProfile(second.session_token, 'alice');
});
