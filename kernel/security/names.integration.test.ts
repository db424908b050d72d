// Threat: a name shared by two subjects. RBAC matches subjects by name, so a device called like an app
// (or a kernel service, or a user) would hold both sets of rights: with a device named "notes", app
// notes could read system/rbac/policy. Against a real zone (an OOD, a really enrolled node, the notes
// app really installed, filedrop published in the repo): enrolment refuses every name that is already
// a subject, system-config refuses the same collisions when the owner writes the keys by hand, and app
// installs and new users refuse device names. Each refusal is a structured error and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { access } from 'node:fs/promises';
import { buildDeviceDocument, DEFAULT_DOCUMENT_LIFETIME_SECONDS } from '../lib/identity/documents.js';
import { signDocument } from '../lib/identity/document-jwt.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { buildPkg } from '../pkg/index.js';
import { publishPkg } from '../repo-server/publish.js';
import { cli, pollUntil, repoRoot, tempDir } from '../testing/harness.js';
import { ADMIN, NODE, refusedWith, startAttackZone, type AttackZone } from './attack-zone.js';

const work = await tempDir('buckyos-names-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
let zone: AttackZone;
let env: Record<string, string>;

before(async () => {
  zone = await startAttackZone();
  env = { BUCKYOS_ZONE: zone.zoneUrl, BUCKYOS_USER: ADMIN, BUCKYOS_PASSWORD: zone.password };
  for (const app of ['notes', 'filedrop']) {
    const built = await buildPkg(join(repoRoot, 'pkgs', app), { out: join(work.path, `${app}.pkg`) });
    await publishPkg({ file: built.file, zone: zone.zoneUrl, sessionToken: zone.admin.sessionToken });
  }
  const installed = await cli(['app', 'install', 'notes'], env);
  assert.equal(installed.code, 0, installed.stderr + zone.logs());
});
after(async () => {
  await zone?.stop();
  await work.remove();
});

test('enrolment refuses a device name that is an installed app, a repo package, a user or a kernel id, and changes nothing', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['notes', 'ALREADY_EXISTS', /"notes" is an app of this zone \(installed by alice\)/],
    ['filedrop', 'ALREADY_EXISTS', /"filedrop" is a package in the zone's repo/],
    [ADMIN, 'ALREADY_EXISTS', /"alice" is a user of this zone/],
    ['scheduler', 'INVALID_PARAMS', /"scheduler" is the id of a kernel service or kernel app/],
    ['control-panel', 'INVALID_PARAMS', /"control-panel" is the id of a kernel service/],
    ['verify-hub', 'INVALID_PARAMS', /kernel service/],
    ['app-manager', 'INVALID_PARAMS', /kernel service/],
    ['node-daemon', 'INVALID_PARAMS', /kernel service/],
    ['buckycli', 'INVALID_PARAMS', /kernel service/],
    ['kernel', 'INVALID_PARAMS', /"kernel" is a role name/],
  ];
  for (const [name, code, why] of cases) {
    const device = await tempDir('buckyos-names-dev-');
    try {
      const r = await cli(['enroll', '--zone', zone.zoneUrl, '--name', name, '--device-data', device.path, '--mnemonic', zone.mnemonic]);
      assert.notEqual(r.code, 0, `enrolling "${name}" must fail`);
      assert.match(r.stderr, new RegExp(`${code}: `), name);
      assert.match(r.stderr, why, name);
      assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+/, `${name}: no stack trace`);
      assert.equal(await zone.get(`devices/${name}/doc`), undefined, name);
      assert.equal(await zone.get(`devices/${name}/info`), undefined, name);
      await assert.rejects(access(join(device.path, 'etc/node_identity.json')), `${name}: the device did not join`);
    } finally {
      await device.remove();
    }
  }
});

test('system-config refuses the same collisions when the owner writes a device document by hand', async () => {
  const owner = deriveOwnerKeyMaterial(zone.mnemonic).ownerKey;
  const now = nowSeconds();
  for (const name of ['notes', ADMIN, 'scheduler', 'control-panel']) {
    const doc = buildDeviceDocument({
      name, did: `did:web:${name}.testzone`, publicJwk: generateEd25519().publicJwk, owner: 'did:bns:alice', zoneDid: 'did:web:testzone',
      deviceType: 'server', iat: now, exp: now + DEFAULT_DOCUMENT_LIFETIME_SECONDS,
    });
    const jwt = await signDocument(doc, owner.privateKeyPem);
    const code = name === 'notes' || name === ADMIN ? 'ALREADY_EXISTS' : 'INVALID_PARAMS';
    await refusedWith(code, `devices/${name}/doc`, () => zone.root.call('sys_config_exec_tx', {
      actions: { [`devices/${name}/doc`]: { action: 'create', value: jwt }, [`devices/${name}/info`]: { action: 'create', value: '{"update_time":0}' } },
    }));
    assert.equal(await zone.get(`devices/${name}/doc`), undefined, name);
    assert.equal(await zone.get(`devices/${name}/info`), undefined, name);
  }
  const policy = (await zone.get('system/rbac/policy')) ?? '';
  assert.doesNotMatch(policy, /^g, notes, node$/m, 'app notes never joins group node');
});

test('an app cannot be installed, nor a spec written, under a device name or a kernel id', async () => {
  const install = await cli(['app', 'install', 'filedrop', '--id', NODE], env);
  assert.notEqual(install.code, 0);
  assert.match(install.stderr, /ALREADY_EXISTS: "nas1" is a device of this zone/);
  const kv = zone.admin.client('system_config');
  const spec = (id: string) => JSON.stringify({ installation_id: id, user_id: ADMIN, app_index: 40, app_doc: { name: id, pkg_list: { script: { pkg_id: 'notes#1.0.0' } } } });
  await refusedWith('ALREADY_EXISTS', 'a spec named like the node', () => kv.call('sys_config_set', { key: `users/${ADMIN}/apps/${NODE}/spec`, value: spec(NODE) }));
  await refusedWith('ALREADY_EXISTS', 'a spec named like the OOD', () => kv.call('sys_config_set', { key: `users/${ADMIN}/apps/ood1/spec`, value: spec('ood1') }));
  await refusedWith('INVALID_PARAMS', 'a spec named like the scheduler', () => kv.call('sys_config_set', { key: `users/${ADMIN}/apps/scheduler/spec`, value: spec('scheduler') }));
  await refusedWith('INVALID_PARAMS', 'a spec named like the control panel', () => kv.call('sys_config_set', { key: `users/${ADMIN}/apps/control-panel/spec`, value: spec('control-panel') }));
  for (const id of [NODE, 'ood1', 'scheduler', 'control-panel']) assert.equal(await zone.get(`users/${ADMIN}/apps/${id}/spec`), undefined, id);
  assert.equal(await zone.get(`users/${ADMIN}/apps/${NODE}/install_record`), undefined);
});

test('a user cannot be created under a device name, an app name or a kernel id', async () => {
  const settings = (u: string) => JSON.stringify({ user_id: u, type: 'user', state: 'active', res_pool_id: 'default' });
  const cases: Array<[string, 'ALREADY_EXISTS' | 'INVALID_PARAMS']> = [
    [NODE, 'ALREADY_EXISTS'], ['ood1', 'ALREADY_EXISTS'], ['notes', 'ALREADY_EXISTS'], ['scheduler', 'INVALID_PARAMS'], ['su_bob', 'INVALID_PARAMS'], ['buckycli', 'INVALID_PARAMS'],
  ];
  for (const [name, code] of cases) {
    await refusedWith(code, `user ${name}`, () => zone.root.call('sys_config_create', { key: `users/${name}/settings`, value: settings(name) }));
    assert.equal(await zone.get(`users/${name}/settings`), undefined, name);
  }
  // A free name still works, and the scheduler gives that user a group.
  await zone.root.call('sys_config_create', { key: 'users/carol/settings', value: settings('carol') });
  await pollUntil('carol in the RBAC policy', async () => (/^g, carol, users$/m.test((await zone.get('system/rbac/policy')) ?? '') ? true : undefined), { timeoutMs: 20_000, context: zone.logs });
});
