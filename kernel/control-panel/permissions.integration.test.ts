// Permission previews against a real OOD: the control panel answers from system-config's own enforcer,
// only for those who may read the policy; a save needs a sudo-strength token (the owner's sudo step, or
// the owner key as root), and system-config itself refuses a policy change that breaks a policy test,
// whoever writes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isKrpcError } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { RBAC_POLICY_KEY, passwordKey, userSettingsKey } from '../api/keys.js';
import { RBAC_TESTS_KEY, type PolicyTest } from '../api/permissions.js';
import type { ControlPanelMethods } from '../api/control-panel.js';
import type { SudoByPasswordResult } from '../api/sudo.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { login } from '../cli/session.js';
import { activatedOod, pollUntil, TEST_PASSWORD } from '../testing/harness.js';

let zone: Awaited<ReturnType<typeof activatedOod>>;
let zoneUrl: string;
let root: KrpcClient;
let rootPanel: KrpcClient;
const DAN_PASSWORD = 'dan-has-a-password-1';

const call = <M extends keyof ControlPanelMethods>(c: KrpcClient, m: M, p: ControlPanelMethods[M]['params']) => c.call<ControlPanelMethods[M]['result']>(m, p);
const panelAs = (token: string) => new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token });
const GUARD: PolicyTest = { name: 'dan cannot read the rules', subject: { kind: 'person', user: 'dan' }, key: 'system/rbac/policy', action: 'read', expect: 'deny' };

before(async () => {
  zone = await activatedOod();
  zoneUrl = zone.env.BUCKYOS_ZONE;
  const ownerKey = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  const rootToken = (appid: string) => () => {
    const now = nowSeconds();
    return signJwt({ iss: 'root', sub: 'root', appid, jti: randomBytes(8).toString('hex'), iat: now, exp: now + 100 }, ownerKey.privateKeyPem, 'root');
  };
  root = new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: rootToken('buckycli') });
  await root.call('sys_config_exec_tx', {
    actions: {
      [userSettingsKey('dan')]: { action: 'create', value: JSON.stringify({ user_id: 'dan', type: 'limited', state: 'active', res_pool_id: 'default' }) },
      [passwordKey('dan')]: { action: 'create', value: hashPassword(DAN_PASSWORD, 'dan') },
    },
  });
  rootPanel = new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token: rootToken('control-panel') });
  await pollUntil('the scheduler derived dan into the policy', async () => {
    const p = await root.call<{ value: string } | null>('sys_config_get', { key: RBAC_POLICY_KEY });
    return p?.value.includes('g, dan, limited') ? true : undefined;
  }, { timeoutMs: 30_000, context: () => zone.ood.log() });
});
after(async () => {
  await zone?.ood.kill();
  await zone?.dir.remove();
});

test('alice previews what dan may do, computed by the kernel: with the proposed line, exactly his own notes', async () => {
  const alice = panelAs((await login({ zone: zoneUrl, user: 'alice', password: TEST_PASSWORD }, 'control-panel')).sessionToken);
  const state = await call(alice, 'rbac.state', {});
  assert.ok(state.subjects.some((s) => s.kind === 'person' && s.user === 'dan'));
  assert.ok(state.roles.some((r) => r.role === 'limited' && r.members.includes('dan')));
  const now = await call(alice, 'rbac.preview', { subject: { kind: 'person', user: 'dan' } });
  assert.ok(now.areas.every((a) => !a.write.allowed), 'a limited person may write nothing');
  const line = 'p, dan, obj://config/users/dan/apps/notes/*, read|write, allow';
  const proposed = await call(alice, 'rbac.preview', { subject: { kind: 'person', user: 'dan' }, user_managed: line });
  const writable = proposed.areas.filter((a) => a.write.allowed);
  assert.ok(writable.length === 0 || writable.every((a) => a.area.startsWith('users/dan/apps/notes/')), JSON.stringify(writable));
  const check = await call(alice, 'rbac.check', { user_managed: line });
  assert.equal(check.ok, true);
  // Nothing of dan's apps exists yet, so the change shows no gain for the zone's current keys.
  assert.deepEqual(check.diff.losses, []);
  const who = await call(alice, 'rbac.who_can', { key: 'system/rbac/policy', action: 'write' });
  assert.ok(who.denied.some((e) => e.subject.kind === 'person' && e.subject.user === 'alice'), 'alice without sudo may not write the policy');
  assert.ok(who.allowed.some((e) => e.subject.kind === 'person' && e.subject.user === 'alice' && e.subject.sudo === true), 'alice after the sudo step may');
  assert.ok(!who.allowed.some((e) => e.subject.kind === 'person' && e.subject.user === 'dan'), 'dan may not, with or without sudo');
  // Saving needs the sudo step: alice's plain session is refused in plain words.
  await assert.rejects(call(alice, 'rbac.save', { user_managed: line, policy_revision: state.policyRevision }), (e) => isKrpcError(e, 'PERMISSION_DENIED') && /sudo/.test(e.message));
});

test('dan (limited) may not preview the policy at all', async () => {
  const dan = panelAs((await login({ zone: zoneUrl, user: 'dan', password: DAN_PASSWORD }, 'control-panel')).sessionToken);
  await assert.rejects(call(dan, 'rbac.preview', { subject: { kind: 'person', user: 'dan' } }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
});

test('policy tests: saved with the rules, and a change that breaks one is refused naming it, by the panel and by system-config itself', async () => {
  const state = await call(rootPanel, 'rbac.state', {});
  const saved = await call(rootPanel, 'rbac.save', { user_managed: '', tests: [GUARD], policy_revision: state.policyRevision });
  assert.ok(saved.policyRevision > state.policyRevision);
  const breaking = 'p, dan, obj://config/system/*, read, allow';
  const check = await call(rootPanel, 'rbac.check', { user_managed: breaking });
  assert.equal(check.ok, false);
  assert.deepEqual(check.tests.map((t) => [t.name, t.passed]), [[GUARD.name, false]]);
  await assert.rejects(call(rootPanel, 'rbac.save', { user_managed: breaking, policy_revision: saved.policyRevision }),
    (e) => isKrpcError(e, 'FAILED_PRECONDITION') && e.message.includes('"dan cannot read the rules"'));
  // The same change written straight to KV (the owner key may write anything) is refused by system-config.
  const current = (await root.call<{ value: string }>('sys_config_get', { key: RBAC_POLICY_KEY })).value;
  await assert.rejects(root.call('sys_config_set', { key: RBAC_POLICY_KEY, value: `${current}\n${breaking}` }),
    (e) => isKrpcError(e, 'FAILED_PRECONDITION') && e.message.includes('"dan cannot read the rules"'));
  await assert.rejects(root.call('sys_config_set', { key: RBAC_TESTS_KEY, value: '{"tests": [{"name": 1}]}' }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  assert.equal((await root.call<{ value: string }>('sys_config_get', { key: RBAC_POLICY_KEY })).value, current, 'nothing changed');
  // A harmless line saves; a rule for one person gives dan rights and makes no role named dan.
  await call(rootPanel, 'rbac.save', { user_managed: 'p, dan, obj://config/users/dan/apps/notes/*, read|write, allow', policy_revision: (await call(rootPanel, 'rbac.state', {})).policyRevision });
  const after = await call(rootPanel, 'rbac.state', {});
  assert.ok(after.userManaged.includes('p, dan,'));
  assert.deepEqual(after.roles.filter((r) => r.role === 'dan' || r.role === 'control-panel' || r.role.startsWith('su_') && r.role !== 'su_admin' && r.role !== 'su_users').map((r) => r.role), []);
});

test('every write under system/rbac takes the sudo step: alice\'s session is refused, her sudo token saves', async () => {
  const session = (await login({ zone: zoneUrl, user: 'alice', password: TEST_PASSWORD }, 'control-panel')).sessionToken;
  const kv = new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: session });
  const before = (await root.call<{ value: string }>('sys_config_get', { key: RBAC_POLICY_KEY })).value;
  for (const key of [RBAC_POLICY_KEY, RBAC_TESTS_KEY, 'system/rbac/extra'])
    await assert.rejects(kv.call('sys_config_set', { key, value: key === RBAC_TESTS_KEY ? '{"tests": []}' : before }), (e) => isKrpcError(e, 'PERMISSION_DENIED'), key);
  const nonce = Date.now();
  const { session_token: sudo } = await new KrpcClient(`${zoneUrl}/kapi/verify_hub`, { token: session }).call<SudoByPasswordResult>('sudo_by_password', {
    type: 'password', username: 'alice', password: loginProof(hashPassword(TEST_PASSWORD, 'alice'), nonce), appid: 'control-panel', login_nonce: nonce,
  });
  const state = await call(panelAs(session), 'rbac.state', {});
  const line = 'p, dan, obj://config/users/alice/apps/notes/*, read, allow';
  const saved = await call(panelAs(sudo), 'rbac.save', { user_managed: line, tests: state.tests, policy_revision: state.policyRevision, tests_revision: state.testsRevision });
  assert.ok(saved.policyRevision > state.policyRevision);
  assert.equal((await call(panelAs(session), 'rbac.state', {})).userManaged.trim(), line);
  // Still refused naming the test when the sudo token's change would break one.
  await assert.rejects(call(panelAs(sudo), 'rbac.save', { user_managed: 'p, dan, obj://config/system/*, read, allow', policy_revision: saved.policyRevision }),
    (e) => isKrpcError(e, 'FAILED_PRECONDITION') && e.message.includes(`"${GUARD.name}"`));
});
