// The control-panel's operations methods against a real OOD with the notes app installed: its log
// tail, the config browser (list, get with secrets withheld, a conditional set, a watch without
// values) and the disk and placement reasons in zone.overview. Every method acts with the caller's
// token: bob, a plain user, is refused alice's log and her keys by the kernel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { isKrpcError } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { RBAC_POLICY_KEY, appSpecKey, passwordKey, userSettingsKey } from '../api/keys.js';
import type { ControlPanelMethods } from '../api/control-panel.js';
import type { ControlPanelOpsMethods } from '../api/control-panel-ops.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { hashPassword } from '../lib/identity/password.js';
import { login } from '../cli/session.js';
import { activatedOod, cli, pollUntil, repoRoot, tempDir, TEST_PASSWORD } from '../testing/harness.js';

type Methods = ControlPanelMethods & ControlPanelOpsMethods;
const BOB_PASSWORD = 'bob-has-a-password-1';

let zone: Awaited<ReturnType<typeof activatedOod>>;
let work: Awaited<ReturnType<typeof tempDir>>;
let zoneUrl: string;
let alice: KrpcClient;
let bob: KrpcClient;
let root: KrpcClient;
let aliceKv: KrpcClient;

const call = <M extends keyof Methods>(c: KrpcClient, m: M, p: Methods[M]['params']) => c.call<Methods[M]['result']>(m, p);
const panelAs = (token: string) => new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token });
const sessionOf = async (user: string, password: string) => (await login({ zone: zoneUrl, user, password }, 'control-panel')).sessionToken;
const logs = () => zone.ood.log().slice(-3000);

before(async () => {
  work = await tempDir('buckyos-ops-');
  const emptyPkgs = join(work.path, 'no-dev-pkgs');
  await mkdir(emptyPkgs);
  zone = await activatedOod({ args: ['--pkgs', emptyPkgs], env: { BUCKYOS_REPORT_INTERVAL_MS: '1000' } });
  zoneUrl = zone.env.BUCKYOS_ZONE;
  const env = { ...zone.env, BUCKYOS_PUBLISHER_KEY: join(work.path, 'publisher_key.pem') };
  const pkg = join(work.path, 'notes.pkg');
  for (const args of [['pkg', 'build', join(repoRoot, 'pkgs/notes'), '--out', pkg], ['pkg', 'publish', pkg, '--zone', zoneUrl], ['app', 'install', 'notes']]) {
    const r = await cli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${logs()}`);
  }
  const ownerKey = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  const rootToken = (appid: string) => () => {
    const now = nowSeconds();
    return signJwt({ iss: 'root', sub: 'root', appid, jti: randomBytes(8).toString('hex'), iat: now, exp: now + 100 }, ownerKey.privateKeyPem, 'root');
  };
  await new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: rootToken('buckycli') }).call('sys_config_exec_tx', {
    actions: {
      [userSettingsKey('bob')]: { action: 'create', value: JSON.stringify({ user_id: 'bob', type: 'user', state: 'active', res_pool_id: 'default' }) },
      [passwordKey('bob')]: { action: 'create', value: hashPassword(BOB_PASSWORD, 'bob') },
    },
  });
  root = new KrpcClient(`${zoneUrl}/kapi/control-panel`, { token: rootToken('control-panel') });
  // bob may sign in at once, but his own keys open to him only once the scheduler writes his RBAC lines.
  const rootKv = new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: rootToken('buckycli') });
  await pollUntil('the scheduler writes bob\'s RBAC lines', async () => {
    const policy = (await rootKv.call<{ value: string } | null>('sys_config_get', { key: RBAC_POLICY_KEY }))?.value ?? '';
    return policy.split('\n').includes('g, bob, users') ? true : undefined;
  }, { timeoutMs: 30_000, context: logs });
  const aliceToken = await sessionOf('alice', TEST_PASSWORD);
  alice = panelAs(aliceToken);
  aliceKv = new KrpcClient(`${zoneUrl}/kapi/system_config`, { token: aliceToken });
  bob = panelAs(await pollUntil('bob can log in', () => sessionOf('bob', BOB_PASSWORD).catch(() => undefined), { timeoutMs: 30_000, context: logs }));
});
after(async () => {
  await zone?.ood.kill('SIGTERM');
  await Promise.all([zone?.dir.remove(), work?.remove()]);
});

test('alice reads the last lines of her app\'s log, with the device it runs on', async () => {
  const tail = await pollUntil('the notes log', async () => {
    const t = await call(alice, 'system.logs.tail', { service: 'notes', limit: 50 }).catch(() => undefined);
    return t && t.entries.some((e) => /started pid/.test(e.message)) ? t : undefined;
  }, { timeoutMs: 30_000, context: logs });
  assert.equal(tail.node, 'ood1');
  const started = tail.entries.find((e) => /started pid/.test(e.message))!;
  assert.match(started.timestamp, /^\d{4}-\d\d-\d\dT/);
  assert.equal(started.service, 'notes');
  assert.ok(tail.entries.length <= 50);
  const one = await call(alice, 'system.logs.tail', { service: 'notes', limit: 1 });
  assert.equal(one.entries.length, 1);
  assert.equal(one.entries[0].raw, tail.entries.at(-1)!.raw, 'the last line is the newest');
});

test('the kernel refuses bob alice\'s log and keys; bad input changes nothing and says why', async () => {
  await assert.rejects(call(bob, 'system.logs.tail', { service: 'notes', user: 'alice' }), (e) => isKrpcError(e, 'PERMISSION_DENIED') && /^bob /.test(e.message));
  await assert.rejects(call(bob, 'system.logs.tail', { service: 'notes' }), (e) => isKrpcError(e, 'NOT_FOUND'));
  await assert.rejects(call(bob, 'sys_config.get', { key: appSpecKey('alice', 'notes') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await assert.rejects(call(bob, 'sys_config.list', { key: 'users/alice/apps' }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await assert.rejects(call(alice, 'system.logs.tail', { service: '../../etc' }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await assert.rejects(call(alice, 'system.logs.tail', { service: 'notes', limit: 100_000 }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await assert.rejects(call(alice, 'system.logs.tail', { service: 'photos' }), (e) => isKrpcError(e, 'NOT_FOUND'));
  await assert.rejects(new KrpcClient(`${zoneUrl}/kapi/control-panel`).call('sys_config.list', { key: '' }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('config browser: the tree level by level, each value with its revision; secrets never leave the kernel', async () => {
  const top = await call(alice, 'sys_config.list', { key: '' });
  for (const dir of ['boot', 'users', 'devices', 'system']) assert.ok(top.items.includes(dir), `${dir} in ${top.items.join(',')}`);
  assert.deepEqual((await call(alice, 'sys_config.list', { key: 'users/alice/apps' })).items, ['notes']);
  const spec = await call(alice, 'sys_config.get', { key: appSpecKey('alice', 'notes') });
  assert.ok(spec.version > 0);
  assert.equal(JSON.parse(spec.value!).app_doc.name ?? 'notes', 'notes');
  assert.equal(spec.secret, undefined);
  // Verifiers are closed to everyone through the panel (the kernel refuses even the owner key there);
  // a key or member named for a secret that the caller may read is withheld by the panel, and says so.
  for (const c of [alice, root]) await assert.rejects(call(c, 'sys_config.get', { key: passwordKey('alice') }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));
  await aliceKv.call('sys_config_set', { key: 'users/alice/apps/notes/api_token', value: 'TOKEN-VALUE' });
  const token = await call(alice, 'sys_config.get', { key: 'users/alice/apps/notes/api_token' });
  assert.deepEqual([token.value, token.secret], [null, true]);
  assert.ok(token.version > 0);
  await call(alice, 'sys_config.set', { key: 'users/alice/apps/notes/info', value: JSON.stringify({ port: 80, admin_password: 'hunter2' }) });
  const info = await call(alice, 'sys_config.get', { key: 'users/alice/apps/notes/info' });
  assert.equal(info.secret, true);
  assert.doesNotMatch(info.value!, /hunter2/);
  assert.equal(JSON.parse(info.value!).port, 80);
  const missing = await call(alice, 'sys_config.get', { key: 'users/alice/apps/notes/nothing-here' });
  assert.deepEqual([missing.value, missing.version], [null, 0]);
});

test('config edits: conditional on the revision the owner saw; secrets are not edited; a watch reports keys and revisions, never values', async () => {
  const key = 'users/alice/apps/notes/settings';
  // Any answer of a watch carries the zone's current revision.
  const from = (await call(alice, 'sys_config.watch', { key: 'users/alice/', revision: 0, timeout_ms: 0 })).revision;
  await call(alice, 'sys_config.set', { key, value: JSON.stringify({ theme: 'dark' }) });
  const first = await call(alice, 'sys_config.get', { key });
  await call(alice, 'sys_config.set', { key, value: JSON.stringify({ theme: 'light' }), version: first.version });
  await assert.rejects(call(alice, 'sys_config.set', { key, value: '{}', version: first.version }), (e) => isKrpcError(e, 'VERSION_CONFLICT'));
  assert.equal(JSON.parse((await call(alice, 'sys_config.get', { key })).value!).theme, 'light', 'the stale edit changed nothing');
  await assert.rejects(call(root, 'sys_config.set', { key: passwordKey('alice'), value: 'x' }), (e) => isKrpcError(e, 'PERMISSION_DENIED'));

  const watched = await call(alice, 'sys_config.watch', { key: 'users/alice/apps/', revision: from, timeout_ms: 5000 });
  assert.ok(!('compacted' in watched));
  if (!('compacted' in watched)) {
    const change = watched.changes.find((c) => c.key === key);
    assert.ok(change, JSON.stringify(watched));
    assert.equal(change.deleted, false);
    assert.equal('value' in change, false);
  }
});

test('zone.overview: each node\'s disk and each app instance with the scheduler\'s reason for its device', async () => {
  const overview = await pollUntil('a node with its disk and a placed app', async () => {
    const o = await call(alice, 'zone.overview', {});
    return o.nodes[0]?.disk && o.apps.some((a) => a.instances?.length) ? o : undefined;
  }, { timeoutMs: 30_000, context: logs });
  const disk = overview.nodes[0].disk!;
  assert.ok(disk.total > 0 && disk.used >= 0 && disk.used <= disk.total, JSON.stringify(disk));
  const notes = overview.apps.find((a) => a.id.startsWith('notes@'))!;
  assert.equal(notes.instances![0].node, 'ood1');
  assert.match(notes.instances![0].reason.code, /^[a-z]+:[a-z-]+$/);
});
