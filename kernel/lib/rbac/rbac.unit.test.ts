import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRbac, type PrincipalKind, type RbacSubject } from './rbac.js';
import { keyGet3 } from './key-get3.js';

// A zone as the scheduler would describe it in the tail (spec 60 §5.3).
const TAIL = `
g, alice, admin
g, su_alice, su_admin
g, bob, users
g, su_bob, su_users
p, su_bob, obj://config/users/bob/settings, read|write,allow
p, su_bob, obj://config/users/bob/doc, read|write,allow
g, ood1, ood
g, nas1, node
g, myapp, app
`;

const who = (userId: string, appId: string, kind: PrincipalKind = 'user', sudo = false): RbacSubject => ({ userId, appId, kind, sudo });
const owner = who('root', 'buckycli');
const alice = who('alice', 'control-panel');
const aliceAsKernel = who('alice', 'kernel');
const aliceSudo = who('alice', 'control-panel', 'user', true);
const bob = who('bob', 'control-panel');
const bobAsKernel = who('bob', 'kernel');
const bobKernelDevice = who('bob', 'kernel', 'device');
const bobSudo = who('bob', 'control-panel', 'user', true);
const bobsApp = who('bob', 'myapp', 'service');
const ood = who('ood1', 'node-daemon', 'device');
const oodKernel = who('ood1', 'kernel', 'device');
const scheduler = who('ood1', 'scheduler', 'device');
const controlPanelOnOod = who('ood1', 'control-panel', 'device');
const repoService = who('ood1', 'repo-service', 'device');
const nas = who('nas1', 'node-daemon', 'device');
const nasAsKernel = who('nas1', 'kernel', 'device');
const rogue = who('rogue', 'node-daemon', 'device');

type Row = [RbacSubject, string, 'read' | 'write', boolean];
const C = (key: string) => `obj://config/${key}`;

const table: Row[] = [
  // owner (root)
  [owner, C('security/verify-hub/key'), 'read', true],
  [owner, C('boot/config'), 'write', true],
  [owner, C('users/bob/settings'), 'write', true],
  [who('root', 'control-panel'), C('security/verify-hub/key'), 'read', false], // the app side still counts
  // admin
  [alice, C('users/alice/profile'), 'write', true],
  [alice, C('users/alice/profile'), 'read', true],
  [alice, C('users/alice/settings'), 'read', true],
  [alice, C('users/alice/settings'), 'write', false],
  [alice, C('users/alice/apps/myapp/settings'), 'write', true],
  [alice, C('users/alice/apps/myapp/deep/key'), 'write', false],
  [alice, C('users/bob/profile'), 'read', false],
  [alice, C('services/x/info'), 'read', true],
  [alice, C('services/x/spec'), 'read', true],
  [alice, C('services/x/spec'), 'write', false],
  [alice, C('services/aicc/settings'), 'write', true],
  [alice, C('system/rbac/policy'), 'read', true],
  [alice, C('system/rbac/policy'), 'write', false],
  [alice, C('boot/config'), 'read', true],
  [alice, C('boot/config'), 'write', false],
  [alice, C('security/verify-hub/key'), 'read', false],
  // ours: an admin sees the zone's devices and people (policy.ts), never another user's data or secrets
  [alice, C('nodes/ood1/config'), 'read', true],
  [alice, C('nodes/'), 'read', true],
  [alice, C('nodes/ood1/config'), 'write', false],
  [alice, C('devices/nas1/info'), 'read', true],
  [alice, C('devices/'), 'read', true],
  [alice, C('devices/nas1/doc'), 'write', false],
  [alice, C('users/'), 'read', true],
  [alice, C('users/bob/doc'), 'read', true],
  [alice, C('users/bob/settings'), 'read', true],
  [alice, C('users/bob/settings'), 'write', false],
  [alice, C('users/bob/apps/myapp/settings'), 'read', false],
  [alice, C('security/'), 'read', false],
  [alice, C('security/verify-hub/passwords/bob'), 'read', false],
  [bob, C('nodes/ood1/config'), 'read', false],
  [bob, C('devices/'), 'read', false],
  [bob, C('users/'), 'read', false],
  [alice, 'obj://repo/pkgs/demo', 'write', true],
  // a user cannot become the kernel by logging in with appid "kernel"
  [aliceAsKernel, C('boot/config'), 'write', false],
  [aliceAsKernel, C('security/verify-hub/key'), 'read', false],
  [aliceAsKernel, C('users/alice/profile'), 'write', true],
  // admin sudo: su_admin may do anything the app (control-panel = system) may
  [aliceSudo, C('boot/config'), 'write', true],
  [aliceSudo, C('security/verify-hub/key'), 'read', false],
  // user
  [bob, C('users/bob/profile'), 'read', true],
  [bob, C('users/bob/profile'), 'write', true],
  [bob, C('users/bob/settings'), 'read', true],
  [bob, C('users/bob/settings'), 'write', false],
  [bob, C('users/alice/profile'), 'read', false],
  [bob, C('users/alice/settings'), 'read', false],
  [bob, C('users/alice/apps/myapp/settings'), 'read', false],
  [bob, C('boot/config'), 'read', true],
  [bob, C('boot/config'), 'write', false],
  [bob, C('system/rbac/policy'), 'read', false],
  [bob, C('services/x/info'), 'read', true],
  [bob, C('services/x/spec'), 'read', false],
  [bob, C('services/x/instances/n1'), 'write', true],
  [bob, 'obj://repo/pkgs/demo', 'read', true],
  [bob, 'obj://repo/pkgs/demo', 'write', false],
  [bobAsKernel, C('users/alice/profile'), 'read', false],
  [bobKernelDevice, C('users/alice/profile'), 'read', false],
  [bobSudo, C('users/bob/settings'), 'write', true],
  [bobSudo, C('users/alice/settings'), 'write', false],
  // app (bob's instance of myapp)
  [bobsApp, C('users/bob/apps/myapp/settings'), 'read', true],
  [bobsApp, C('users/bob/apps/myapp/settings'), 'write', true],
  [bobsApp, C('users/bob/apps/myapp/info'), 'write', true],
  [bobsApp, C('users/bob/apps/myapp/spec'), 'read', true],
  [bobsApp, C('users/bob/apps/myapp/spec'), 'write', false],
  [bobsApp, C('users/bob/apps/otherapp/settings'), 'read', false],
  [bobsApp, C('users/alice/apps/myapp/settings'), 'read', false],
  [bobsApp, C('users/bob/profile'), 'read', false],
  [bobsApp, C('boot/config'), 'read', true],
  [bobsApp, C('services/x/info'), 'read', true],
  [bobsApp, C('security/verify-hub/key'), 'read', false],
  // ood device and kernel services on it
  [ood, C('nodes/ood1/config'), 'write', true],
  [ood, C('security/verify-hub/key'), 'read', true],
  [ood, C('boot/config'), 'write', true],
  [oodKernel, C('users/bob/settings'), 'write', true],
  [scheduler, C('system/rbac/policy'), 'write', true],
  [scheduler, C('services/x/info'), 'write', true],
  [controlPanelOnOod, C('security/verify-hub/key'), 'read', false],
  [controlPanelOnOod, C('users/bob/settings'), 'write', true],
  [repoService, C('services/repo-service/settings'), 'write', true],
  [repoService, C('services/verify-hub/settings'), 'write', false],
  [repoService, C('services/verify-hub/info'), 'read', true],
  // node device: only its own node's rules
  [nas, C('nodes/nas1/config'), 'read', true],
  [nas, C('nodes/nas1/config'), 'write', false],
  [nas, C('nodes/ood1/config'), 'read', false],
  [nas, C('devices/nas1/info'), 'write', true],
  [nas, C('devices/ood1/info'), 'write', false],
  [nas, C('services/x/instances/nas1'), 'write', true],
  [nas, C('services/x/instances/ood1'), 'write', false],
  [nas, C('services/x/info'), 'read', true],
  [nas, C('boot/config'), 'read', true],
  [nas, C('boot/config'), 'write', false],
  [nas, C('system/device_revocations/'), 'read', true],
  [nas, C('system/device_revocations/ab12'), 'read', true],
  [nas, C('system/device_revocations/ab12'), 'write', false],
  [nas, C('system/rbac/base'), 'read', false],
  [nas, C('security/verify-hub/key'), 'read', false],
  [nas, C('users/bob/settings'), 'read', false],
  [nasAsKernel, C('nodes/ood1/config'), 'read', false],
  [nasAsKernel, C('security/verify-hub/key'), 'read', false],
  // a device the policy does not know
  [rogue, C('boot/config'), 'read', false],
];

test('RBAC table: owner/admin/user/app/device/kernel-service × keys × read/write', async () => {
  const rbac = await createRbac(TAIL);
  const wrong: string[] = [];
  for (const [subject, resource, action, expected] of table) {
    const got = await rbac.enforce(subject, resource, action);
    if (got !== expected) wrong.push(`${subject.userId}/${subject.appId}${subject.sudo ? '/sudo' : ''} ${action} ${resource}: expected ${expected}, got ${got}`);
  }
  assert.deepEqual(wrong, []);
  // The table exercises both outcomes for every kind of subject.
  assert.ok(table.some((r) => r[3]) && table.some((r) => !r[3]));
});

test('without the tail nobody but the built-in roles gets anything', async () => {
  const rbac = await createRbac('');
  assert.equal(await rbac.enforce(alice, C('users/alice/profile'), 'write'), false);
  assert.equal(await rbac.enforce(ood, C('boot/config'), 'read'), false);
  assert.equal(await rbac.enforce(owner, C('boot/config'), 'write'), true);
});

test('malformed tail lines are ignored and reported; good lines still apply', async () => {
  const rbac = await createRbac('g, broken\np, x, obj://y\np, eve, obj://config/z, read, maybe\ng, "q", admin\ng, eve, admin');
  assert.equal(rbac.rejectedTailLines.length, 4);
  assert.equal(await rbac.enforce(who('eve', 'control-panel'), C('boot/config'), 'read'), true);
  assert.deepEqual(rbac.groupsOf('eve'), ['admin']);
  assert.deepEqual(rbac.groupsOf('node-daemon'), ['kernel']);
});

test('a tail cannot override an earlier default rule (first match wins)', async () => {
  const rbac = await createRbac('g, bob, users\np, bob, obj://config/users/bob/profile, read, deny');
  assert.equal(await rbac.enforce(bob, C('users/bob/profile'), 'read'), true);
});

test('empty subject ids are denied', async () => {
  const rbac = await createRbac(TAIL);
  assert.equal(await rbac.enforce(who('', 'node-daemon'), C('boot/config'), 'read'), false);
  assert.equal(await rbac.enforce(who('ood1', ''), C('boot/config'), 'read'), false);
});

test('keyGet3 returns the named placeholder capture, or ""', () => {
  assert.equal(keyGet3('obj://config/users/bob/profile', 'obj://config/users/{users}/profile', 'users'), 'bob');
  assert.equal(keyGet3('obj://config/users/bob/apps/x/k', 'obj://config/users/{users}/apps/{app}/{key}', 'app'), 'x');
  assert.equal(keyGet3('obj://config/users/bob/apps/x/k', 'obj://config/users/{users}/apps/{app}/{key}', 'admin'), '');
  assert.equal(keyGet3('obj://config/users/bob/a/b', 'obj://config/users/{users}/*', 'users'), 'bob');
  assert.equal(keyGet3('obj://config/other/bob', 'obj://config/users/{users}/*', 'users'), '');
  assert.equal(keyGet3('obj://config/x', 'obj://config/(', 'x'), '');
});
