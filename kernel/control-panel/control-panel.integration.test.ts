// The control-panel service against a real OOD: every method acts with the caller's own token, so
// the kernel (system-config's RBAC), not the panel, refuses what a person may not see. Bob, a plain
// user, is refused the user list, alice's settings and the zone overview; alice (admin) sees the
// overview and the people of her zone (docs/architecture.md "admin reads"); root (the owner key) too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isKrpcError } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { passwordKey, userSettingsKey } from '../api/keys.js';
import type { ControlPanelMethods } from '../api/control-panel.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { hashPassword } from '../lib/identity/password.js';
import { login } from '../cli/session.js';
import { activatedOod, pollUntil, TEST_PASSWORD } from '../testing/harness.js';

let zone: Awaited<ReturnType<typeof activatedOod>>;
let zoneUrl: string;
let root: KrpcClient;
let rootPanel: KrpcClient;
const BOB_PASSWORD = 'bob-has-a-password-1';

const panelAs = (token: string) => new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token });
const call = <M extends keyof ControlPanelMethods>(c: KrpcClient, m: M, p: ControlPanelMethods[M]['params']) => c.call<ControlPanelMethods[M]['result']>(m, p);
const sessionOf = async (user: string, password: string) => (await login({ zone: zoneUrl, user, password }, 'control-panel')).sessionToken;

before(async () => {
  zone = await activatedOod();
  zoneUrl = zone.env.BUCKYOS_ZONE;
  const ownerKey = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  // The owner key speaking as root: through the CLI's app id to set bob up (security/ is closed to
  // the "system" app group), through the panel's to ask the panel.
  const rootToken = (appid: string) => () => {
    const now = nowSeconds();
    return signJwt({ iss: 'root', sub: 'root', appid, jti: randomBytes(8).toString('hex'), iat: now, exp: now + 100 }, ownerKey.privateKeyPem, 'root');
  };
  root = new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: rootToken('buckycli') });
  await root.call('sys_config_exec_tx', {
    actions: {
      [userSettingsKey('bob')]: { action: 'create', value: JSON.stringify({ user_id: 'bob', type: 'user', state: 'active', res_pool_id: 'default' }) },
      [passwordKey('bob')]: { action: 'create', value: hashPassword(BOB_PASSWORD, 'bob') },
    },
  });
  rootPanel = new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token: rootToken('control-panel') });
});
after(async () => {
  await zone?.ood.kill();
  await zone?.dir.remove();
});

test('alice (the owner, admin) gets the zone overview: identity, nodes and apps from the scheduler', async () => {
  const alice = panelAs(await sessionOf('alice', TEST_PASSWORD));
  // The first snapshots may predate the OOD's own device report (no device info yet: "gone").
  const overview = await pollUntil('a scheduler snapshot with the OOD ready', async () => {
    const o = await call(alice, 'zone.overview', {});
    return o.nodes.some((n) => n.status === 'ready') ? o : undefined;
  }, { timeoutMs: 60_000, context: () => zone.ood.log() });
  assert.equal(overview.zone.did, 'did:web:testzone');
  assert.equal(overview.zone.ownerDid, 'did:bns:alice');
  assert.equal(overview.device.name, 'ood1');
  assert.deepEqual(overview.nodes.map((n) => [n.name, n.status]), [['ood1', 'ready']]);
  assert.deepEqual(overview.apps, []);
});

test('alice (admin) lists the people of her zone and reads her own settings', async () => {
  const alice = panelAs(await sessionOf('alice', TEST_PASSWORD));
  const { users } = await call(alice, 'user.list', {});
  assert.deepEqual(users.map((u) => [u.user_id, u.user_type]).sort(), [['alice', 'admin'], ['bob', 'user'], ['root', 'root']]);
  assert.deepEqual(await call(alice, 'user.get', { user_id: 'alice' }), { user_id: 'alice', user_type: 'admin', state: 'active' });
});

test('a plain user is refused by the kernel: bob cannot list people, read alice, or see the zone overview', async () => {
  const bobToken = await pollUntil('bob can log in', () => sessionOf('bob', BOB_PASSWORD).catch(() => undefined), { timeoutMs: 30_000, context: () => zone.ood.log() });
  const bob = panelAs(bobToken);
  for (const [what, attempt] of [
    ['user.list', () => call(bob, 'user.list', {})],
    ['user.get alice', () => call(bob, 'user.get', { user_id: 'alice' })],
    ['zone.overview', () => call(bob, 'zone.overview', {})],
  ] as const) {
    await assert.rejects(attempt(), (e) => isKrpcError(e, 'PERMISSION_DENIED') && /^bob /.test(e.message), what);
  }
  assert.equal((await call(bob, 'user.get', { user_id: 'bob' })).user_type, 'user', 'bob may read his own settings');
});

test('root (the owner key) lists everyone; without a token nothing is answered', async () => {
  const { users } = await call(rootPanel, 'user.list', {});
  assert.deepEqual(users.map((u) => u.user_id).sort(), ['alice', 'bob', 'root']);
  await assert.rejects(new KrpcClient(`${zoneUrl}/kapi/control-panel`).call('zone.overview', {}), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  await assert.rejects(call(rootPanel, 'user.get', { user_id: '../boot' }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});
