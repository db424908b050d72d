// Threat: an enrolled device turned evil. A second node is really enrolled in a real zone and holds
// its own device key; it signs tokens naming other subjects (the OOD, su_alice, kernel services, the
// CLI, alice with a kernel app id, an app that does not run on it) and presents them to system-config
// and verify-hub through the OOD's gateway. Every one is refused with a structured error and nothing
// changes; the app token node-daemon really minted for an app placed on that node keeps working, and
// stops working once the scheduler moves the app away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { isKrpcError } from '../lib/errors.js';
import { pollUntil } from '../testing/harness.js';
import { ADMIN, NODE, OOD, echoAppSpec, refusedWith, startAttackZone, type AttackZone } from './attack-zone.js';

let zone: AttackZone;
const PLACED = 'pinned'; // alice's app, placed on the enrolled node
const ELSEWHERE = 'homeapp'; // alice's app, placed on the OOD
let appToken: string;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => pollUntil(what, probe, { timeoutMs: 30_000, context: () => zone.logs() });

before(async () => {
  zone = await startAttackZone();
  await zone.root.call('sys_config_create', { key: 'users/bob/settings', value: JSON.stringify({ user_id: 'bob', type: 'user', state: 'active', res_pool_id: 'default' }) });
  const kv = zone.admin.client('system_config');
  await kv.call('sys_config_set', { key: `users/${ADMIN}/apps/${PLACED}/spec`, value: echoAppSpec(PLACED, ADMIN, 31, NODE) });
  await kv.call('sys_config_set', { key: `users/${ADMIN}/apps/${ELSEWHERE}/spec`, value: echoAppSpec(ELSEWHERE, ADMIN, 32, OOD) });
  for (const [app, node] of [[PLACED, NODE], [ELSEWHERE, OOD]]) {
    await waitFor(`${app} started on ${node}`, async () => {
      const r = await zone.get(`services/${app}@${ADMIN}/instances/${node}`);
      return r && JSON.parse(r).state === 'started' ? true : undefined;
    });
  }
  // The token node-daemon on the enrolled node gave the app (the echo app shows its environment).
  appToken = await waitFor('the app token from the app on the node', async () => {
    const res = await fetch(`${zone.zoneUrl}/apps/${PLACED}/`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const env = ((await res.json()) as { env: Record<string, string> }).env;
    return env[`${ADMIN}_${PLACED}_TOKEN`.toUpperCase()];
  });
});
after(async () => { await zone?.stop(); });

const SECRET = 'security/verify-hub/key';
const watched = ['users/alice/settings', 'users/bob/settings', 'system/rbac/policy', 'boot/config', 'nodes/ood1/config'];
const snapshot = async () => Object.fromEntries(await Promise.all(watched.map(async (k) => [k, await zone.get(k)])));

test('the app token node-daemon minted for an app placed on the node works, as that app of that user only', async () => {
  const claims = decodeJwt(appToken);
  assert.deepEqual([claims.iss, claims.sub, claims.appid], [NODE, ADMIN, PLACED]);
  const app = zone.as('system_config', appToken);
  await app.call('sys_config_set', { key: `users/${ADMIN}/apps/${PLACED}/settings`, value: '{"theme":"dark"}' });
  assert.equal((await app.call<{ value: string }>('sys_config_get', { key: `users/${ADMIN}/apps/${PLACED}/settings` })).value, '{"theme":"dark"}');
  await refusedWith('PERMISSION_DENIED', 'the app reads a secret', () => app.call('sys_config_get', { key: SECRET }));
  const session = await zone.as('verify_hub').call<{ session_token: string }>('login_by_jwt', { type: 'jwt', jwt: appToken });
  assert.deepEqual([decodeJwt(session.session_token).sub, decodeJwt(session.session_token).principal_kind], [ADMIN, 'service']);
});

test('a node signing as another subject is refused by system-config; it reads no secret and writes nothing', async () => {
  const before = await snapshot();
  const subjects: Array<[string, string]> = [
    ['the OOD device', OOD], ['su_alice', `su_${ADMIN}`], ['root', 'root'], ['kernel', 'kernel'],
    ['scheduler', 'scheduler'], ['verify-hub', 'verify-hub'], ['node-daemon', 'node-daemon'], ['system-config', 'system-config'],
    ['buckycli', 'buckycli'], ['control-panel', 'control-panel'], ['app-manager', 'app-manager'], ['repo-service', 'repo-service'],
  ];
  for (const [what, sub] of subjects) {
    for (const appid of ['node-daemon', 'kernel', PLACED]) {
      const forged = zone.as('system_config', await zone.signAsNode({ sub, appid }));
      await refusedWith('UNAUTHENTICATED', `${what} (appid ${appid}) reads the verify-hub key`, () => forged.call('sys_config_get', { key: SECRET }));
      await refusedWith('UNAUTHENTICATED', `${what} (appid ${appid}) makes bob an admin`, () =>
        forged.call('sys_config_set', { key: 'users/bob/settings', value: '{"user_id":"bob","type":"admin","state":"active"}' }));
    }
  }
  const asAlice: Array<[string, Record<string, unknown>]> = [
    ['alice with a kernel app id', { sub: ADMIN, appid: 'kernel' }],
    ['alice as the control panel', { sub: ADMIN, appid: 'control-panel' }],
    ['alice as the CLI', { sub: ADMIN, appid: 'buckycli' }],
    ['alice as the scheduler', { sub: ADMIN, appid: 'scheduler' }],
    ['alice through her app that runs on the OOD', { sub: ADMIN, appid: ELSEWHERE }],
    ['bob through an app placed for alice', { sub: 'bob', appid: PLACED }],
    ['alice through the placed app, but sudo', { sub: ADMIN, appid: PLACED, sudo: true }],
    ['alice with the OOD as app id', { sub: ADMIN, appid: OOD }],
  ];
  for (const [what, claims] of asAlice) {
    const forged = zone.as('system_config', await zone.signAsNode(claims));
    await refusedWith('UNAUTHENTICATED', `${what} reads alice's settings`, () => forged.call('sys_config_get', { key: 'users/alice/settings' }));
    await refusedWith('UNAUTHENTICATED', `${what} writes bob's settings`, () =>
      forged.call('sys_config_set', { key: 'users/bob/settings', value: '{"user_id":"bob","type":"admin","state":"active"}' }));
  }
  assert.deepEqual(await snapshot(), before);
});

test('verify-hub gives a node no session for a kernel app id, another device, or a user it runs no app for', async () => {
  const sessions = async () => (await zone.root.call<string[]>('sys_config_list', { key: 'security/verify-hub/sessions' })).length;
  const before = await sessions();
  const hub = zone.as('verify_hub');
  const cases: Array<[string, Record<string, unknown>]> = [
    ['alice with appid kernel', { sub: ADMIN, appid: 'kernel' }],
    ['alice with appid verify-hub', { sub: ADMIN, appid: 'verify-hub' }],
    ['alice with appid system-config', { sub: ADMIN, appid: 'system-config' }],
    ['alice with appid buckycli', { sub: ADMIN, appid: 'buckycli' }],
    ['alice with appid control-panel', { sub: ADMIN, appid: 'control-panel' }],
    ['alice with appid app-manager', { sub: ADMIN, appid: 'app-manager' }],
    ['alice with appid repo-service', { sub: ADMIN, appid: 'repo-service' }],
    ['alice through her app on the OOD', { sub: ADMIN, appid: ELSEWHERE }],
    ['bob through alice\'s app', { sub: 'bob', appid: PLACED }],
    ['the OOD device', { sub: OOD, appid: 'node-daemon' }],
    ['su_alice', { sub: `su_${ADMIN}`, appid: PLACED }],
    ['the scheduler', { sub: 'scheduler', appid: PLACED }],
  ];
  for (const [what, claims] of cases) {
    const jwt = await zone.signAsNode(claims);
    await refusedWith('UNAUTHENTICATED', `login_by_jwt as ${what}`, () => hub.call('login_by_jwt', { type: 'jwt', jwt }));
  }
  assert.equal(await sessions(), before, 'no session was opened');
});

test('dump_configs_for_scheduler passes RBAC: a node, or a node signing for bob as node-daemon, dumps nothing', async () => {
  const asNodeSelf = zone.as('system_config', await zone.signAsNode({ sub: NODE, appid: 'node-daemon' }));
  await refusedWith('PERMISSION_DENIED', 'the node dumps as node-daemon', () => asNodeSelf.call('dump_configs_for_scheduler', {}));
  const asNodeScheduler = zone.as('system_config', await zone.signAsNode({ sub: NODE, appid: 'scheduler' }));
  await refusedWith('PERMISSION_DENIED', 'the node dumps as the scheduler', () => asNodeScheduler.call('dump_configs_for_scheduler', {}));
  const forBob = zone.as('system_config', await zone.signAsNode({ sub: 'bob', appid: 'node-daemon' }));
  await refusedWith('UNAUTHENTICATED', 'the node dumps as node-daemon for bob', () => forBob.call('dump_configs_for_scheduler', {}));
  await refusedWith('PERMISSION_DENIED', 'the real app token dumps', () => zone.as('system_config', appToken).call('dump_configs_for_scheduler', {}));
  await refusedWith('PERMISSION_DENIED', 'alice dumps', () => zone.admin.client('system_config').call('dump_configs_for_scheduler', {}));
});

test('once the scheduler moves the app off the node, the node can no longer speak for its user', async () => {
  const kv = zone.admin.client('system_config');
  await kv.call('sys_config_delete', { key: `users/${ADMIN}/apps/${PLACED}/spec` });
  const app = zone.as('system_config', appToken);
  // RBAC drops the app's group first (PERMISSION_DENIED); the node config follows and the token stops verifying.
  await waitFor('the app token to be refused as unauthenticated', async () =>
    app.call('sys_config_get', { key: `users/${ADMIN}/apps/${PLACED}/settings` }).then(() => undefined, (e: Error) => (isKrpcError(e, 'UNAUTHENTICATED') ? true : undefined)));
  await refusedWith('UNAUTHENTICATED', 'the old app token after the app left the node', () =>
    app.call('sys_config_get', { key: `users/${ADMIN}/apps/${PLACED}/settings` }));
});
