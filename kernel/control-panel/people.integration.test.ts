// The people methods against a real OOD (kernel/api/people.ts). Every write goes through system-config
// with the caller's token, so the kernel refuses: an admin session without sudo, a plain user even with
// sudo. A person with their RBAC lines and app rules is one transaction and signs in at once; per-app
// access is decided by verify-hub at login; switching a person off ends their sessions; bad input
// changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isKrpcError } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { RBAC_POLICY_KEY, appSpecKey, passwordKey, userSettingsKey } from '../api/keys.js';
import { appAvailabilityPolicyKey, type ControlPanelMethods, type AppAvailabilityPolicy } from '../api/index.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { VerifyHubClient } from '../verify-hub/client.js';
import { appSpec } from '../scheduler/fixtures/zone.js';
import { activatedOod, pollUntil, TEST_PASSWORD } from '../testing/harness.js';

const PANEL = 'control-panel';
const BOB_PASSWORD = 'bob-password-12345';

let zone: Awaited<ReturnType<typeof activatedOod>>;
let zoneUrl: string;
let root: KrpcClient;
let hub: VerifyHubClient;

type Methods = ControlPanelMethods;
const panel = (token: string) => new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token });
const call = <M extends keyof Methods>(token: string, m: M, p: Methods[M]['params']) => panel(token).call<Methods[M]['result']>(m, p);
const kvGet = async (key: string) => (await root.call<{ value: string } | null>('sys_config_get', { key }))?.value;
const session = async (user: string, password: string, appid = PANEL) => (await hub.loginWithPassword(user, password, appid)).session_token;

let nonce = Date.now();
async function sudoOf(user: string, password: string): Promise<{ session: string; sudo: string }> {
  const s = await session(user, password);
  nonce = Math.max(Date.now(), nonce + 1);
  const r = await new KrpcClient(`${zoneUrl}/kapi/verify_hub`, { token: s }).call<{ session_token: string }>('sudo_by_password', {
    username: user, password: loginProof(hashPassword(password, user), nonce), appid: PANEL, login_nonce: nonce,
  });
  return { session: s, sudo: r.session_token };
}

before(async () => {
  zone = await activatedOod();
  zoneUrl = zone.env.BUCKYOS_ZONE;
  hub = new VerifyHubClient(`${zoneUrl}/kapi/verify_hub`);
  const ownerKey = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  root = new KrpcClient(`${zoneUrl}/kapi/system_config`, {
    token: () => {
      const now = nowSeconds();
      return signJwt({ iss: 'root', sub: 'root', appid: 'buckycli', jti: randomBytes(8).toString('hex'), iat: now, exp: now + 100 }, ownerKey.privateKeyPem, 'root');
    },
  });
  // Two of alice's apps, as the app-manager would record them; the scheduler places them.
  await root.call('sys_config_exec_tx', {
    actions: {
      [appSpecKey('alice', 'notes')]: { action: 'create', value: appSpec('alice', 'notes', { appIndex: 10 }) },
      [appSpecKey('alice', 'files')]: { action: 'create', value: appSpec('alice', 'files', { appIndex: 11 }) },
    },
  });
  const alice = await session('alice', TEST_PASSWORD);
  await pollUntil('the scheduler places both apps', async () => {
    const { apps } = await call(alice, 'zone.overview', {});
    return apps.length === 2 ? true : undefined;
  }, { timeoutMs: 30_000, context: () => zone.ood.log() });
});
after(async () => {
  await zone?.ood.kill();
  await zone?.dir.remove();
});

const bobParams = { user_id: 'bob', password_hash: hashPassword(BOB_PASSWORD, 'bob'), user_type: 'user' as const, show_name: 'Bob', apps: ['notes@alice'] };

test('an admin session without sudo is refused by the kernel, and nothing is written', async () => {
  const alice = await session('alice', TEST_PASSWORD);
  await assert.rejects(call(alice, 'user.create', bobParams), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  assert.equal(await kvGet(userSettingsKey('bob')), undefined);
  assert.equal(await kvGet(passwordKey('bob')), undefined);
  assert.equal(await kvGet(appAvailabilityPolicyKey('notes@alice')), undefined);
});

test('with sudo, alice adds bob with access to notes only: one transaction, and he signs in at once with his rights', async () => {
  const { sudo } = await sudoOf('alice', TEST_PASSWORD);
  assert.deepEqual(await call(sudo, 'user.create', bobParams), { ok: true, created: true, user_id: 'bob', user_type: 'user', state: 'active' });
  const policy = await kvGet(RBAC_POLICY_KEY);
  assert.ok(policy?.split('\n').includes('g, bob, users'), 'his RBAC lines are written with him');
  const notes = JSON.parse((await kvGet(appAvailabilityPolicyKey('notes@alice')))!) as AppAvailabilityPolicy;
  const files = JSON.parse((await kvGet(appAvailabilityPolicyKey('files@alice')))!) as AppAvailabilityPolicy;
  assert.deepEqual(notes.user_rules, [{ user_id: 'bob', effect: 'allow' }]);
  assert.deepEqual(files.user_rules, [{ user_id: 'bob', effect: 'deny' }]);
  assert.equal(notes.updated_by, 'alice');

  const bob = await session('bob', BOB_PASSWORD);
  assert.ok(bob);
  await session('bob', BOB_PASSWORD, 'notes');
  await assert.rejects(session('bob', BOB_PASSWORD, 'files'), (e) => isKrpcError(e, 'PERMISSION_DENIED') && /may not use the app "files"/.test(e.message));
  const { apps } = await call(sudo, 'user.apps', { user_id: 'bob' });
  assert.deepEqual(apps.map((a) => [a.app_instance_id, a.allowed, a.reason]), [['files@alice', false, 'exact_user_deny'], ['notes@alice', true, 'exact_user_allow']]);
});

test('bad input gets a structured error and changes nothing', async () => {
  const { sudo } = await sudoOf('alice', TEST_PASSWORD);
  const policyBefore = await kvGet(RBAC_POLICY_KEY);
  const filesBefore = await kvGet(appAvailabilityPolicyKey('files@alice'));
  const bad: [Methods['user.create']['params'], string][] = [
    [{ ...bobParams, user_id: 'su_carol' }, 'INVALID_PARAMS'],
    [{ ...bobParams, user_id: 'scheduler' }, 'INVALID_PARAMS'],
    [{ ...bobParams, user_id: 'admin' }, 'INVALID_PARAMS'],
    [{ ...bobParams, user_id: 'Carol Smith' }, 'INVALID_PARAMS'],
    [{ ...bobParams, user_id: 'carol', password_hash: 'my password' }, 'INVALID_PARAMS'],
    [{ ...bobParams, user_id: 'carol', user_type: 'root' as never }, 'INVALID_PARAMS'],
    [{ ...bobParams, user_id: 'carol', apps: ['nothing@alice'] }, 'NOT_FOUND'],
    [{ ...bobParams, user_id: 'alice' }, 'ALREADY_EXISTS'],
    [{ ...bobParams, user_id: 'ood1' }, 'ALREADY_EXISTS'],
  ];
  for (const [params, code] of bad) {
    await assert.rejects(call(sudo, 'user.create', params), (e) => isKrpcError(e, code as never) && !/\n\s+at /.test(e.message), `${params.user_id}: ${code}`);
  }
  assert.equal(await kvGet(userSettingsKey('carol')), undefined);
  assert.equal(await kvGet(RBAC_POLICY_KEY), policyBefore);
  assert.equal(await kvGet(appAvailabilityPolicyKey('files@alice')), filesBefore);
  await assert.rejects(call(sudo, 'user.set_apps', { user_id: 'bob', apps: { 'files@alice': true, 'nothing@alice': true } }), (e) => isKrpcError(e, 'NOT_FOUND'));
  assert.equal(await kvGet(appAvailabilityPolicyKey('files@alice')), filesBefore);
  await assert.rejects(call(sudo, 'user.change_state', { user_id: 'alice', state: 'suspended' }), (e) => isKrpcError(e, 'FAILED_PRECONDITION'));
  await assert.rejects(call(sudo, 'user.delete', { user_id: 'root' }), (e) => isKrpcError(e, 'FAILED_PRECONDITION'));
  await assert.rejects(call(sudo, 'user.change_type', { user_id: 'nobody', user_type: 'admin' }), (e) => isKrpcError(e, 'NOT_FOUND'));
});

test('bob, a plain user, cannot add people or raise himself even with sudo; he may change his own password', async () => {
  const { session: plain, sudo } = await sudoOf('bob', BOB_PASSWORD);
  for (const token of [plain, sudo]) {
    await assert.rejects(call(token, 'user.create', { ...bobParams, user_id: 'mallory' }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
    await assert.rejects(call(token, 'user.change_type', { user_id: 'bob', user_type: 'admin' }), (e) => isKrpcError(e, 'FAILED_PRECONDITION') || isKrpcError(e, 'PERMISSION_DENIED'));
    await assert.rejects(call(token, 'user.set_apps', { user_id: 'bob', apps: { 'files@alice': true } }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
    await assert.rejects(call(token, 'user.change_password', { user_id: 'alice', new_password_hash: hashPassword('stolen-1234', 'alice') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  }
  assert.equal(await kvGet(userSettingsKey('mallory')), undefined);
  assert.equal(JSON.parse((await kvGet(userSettingsKey('bob')))!).type, 'user');
  await assert.rejects(call(plain, 'user.change_password', { new_password_hash: hashPassword('bob-new-password-1', 'bob') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'), 'his own password needs sudo');
  await call(sudo, 'user.change_password', { new_password_hash: hashPassword('bob-new-password-1', 'bob') });
  await session('bob', 'bob-new-password-1');
  await call(sudo, 'user.change_password', { new_password_hash: hashPassword(BOB_PASSWORD, 'bob') });
});

test('switching bob off ends his sessions at once and refuses his logins; switching him on lets him back', async () => {
  const bob = await session('bob', BOB_PASSWORD);
  const bobKv = new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: bob });
  await bobKv.call('sys_config_get', { key: userSettingsKey('bob') });
  const { sudo } = await sudoOf('alice', TEST_PASSWORD);
  assert.deepEqual(await call(sudo, 'user.change_state', { user_id: 'bob', state: 'suspended' }), { ok: true, user_id: 'bob', state: 'suspended' });
  await assert.rejects(bobKv.call('sys_config_get', { key: userSettingsKey('bob') }), (e) => isKrpcError(e, 'UNAUTHENTICATED'), 'his session ended');
  await assert.rejects(session('bob', BOB_PASSWORD), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await call(sudo, 'user.change_state', { user_id: 'bob', state: 'active' });
  await session('bob', BOB_PASSWORD);
});

test('alice gives bob files too, makes him an admin, and removes carol: her sessions end, her password is gone, her name stays taken', async () => {
  const { sudo } = await sudoOf('alice', TEST_PASSWORD);
  await call(sudo, 'user.set_apps', { user_id: 'bob', apps: { 'files@alice': true } });
  await session('bob', BOB_PASSWORD, 'files');
  await call(sudo, 'user.change_type', { user_id: 'bob', user_type: 'admin' });
  const lines = (await kvGet(RBAC_POLICY_KEY))!.split('\n');
  assert.ok(lines.includes('g, bob, admin') && lines.includes('g, su_bob, su_admin') && !lines.includes('g, bob, users'));

  await call(sudo, 'user.create', { user_id: 'carol', password_hash: hashPassword('carol-password-1', 'carol') });
  const carol = await session('carol', 'carol-password-1');
  await call(sudo, 'user.delete', { user_id: 'carol' });
  assert.equal(JSON.parse((await kvGet(userSettingsKey('carol')))!).state, 'deleted');
  assert.equal(await kvGet(passwordKey('carol')), undefined);
  // The removal takes her lines out; a scheduler pass computed before it may write them once more,
  // and its next pass (it sees her removed) takes them out for good.
  await pollUntil('carol\'s RBAC lines are gone', async () => (!(await kvGet(RBAC_POLICY_KEY))!.split('\n').includes('g, carol, users') ? true : undefined), { timeoutMs: 30_000 });
  await assert.rejects(new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: carol }).call('sys_config_get', { key: userSettingsKey('carol') }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  await assert.rejects(session('carol', 'carol-password-1'), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  await assert.rejects(call(sudo, 'user.create', { user_id: 'carol', password_hash: hashPassword('x-password-123', 'carol') }), (e) => isKrpcError(e, 'ALREADY_EXISTS'));
  const { users } = await call(sudo, 'user.list', {});
  assert.ok(!users.some((u) => u.user_id === 'carol'), 'a removed person leaves the list');
});
