// Permission previews on pure inputs: the zone's own enforcer (createRbac) over a fixed policy tail and
// key list. Each row names the subject, key and action, the decision, and the policy line that decided.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRbac } from './rbac.js';
import { areaReducer, checkPolicyTests, decide, deciding, describeFailure, diffPolicies, keyAreas, previewSubject, runPolicyTests, subjectIds, subjectsOf, whoCan } from './inspect.js';
import type { PolicyTest, SubjectRef } from '../../api/permissions.js';
import { withUserManaged } from './policy-lines.js';

const DERIVED = `# derived
g, alice, admin
g, su_alice, su_admin
g, bob, users
g, su_bob, su_users
g, carol, users
g, dan, limited
g, ood1, ood
g, nas1, node
g, notes, app
g, photos, app`;
const policy = (userManaged: string) => withUserManaged(DERIVED, userManaged);

const KEYS = [
  'boot/config', 'system/rbac/policy', 'system/scheduler/snapshot', 'security/verify-hub/key',
  'users/alice/settings', 'users/alice/doc', 'users/bob/settings', 'users/bob/doc', 'users/bob/profile', 'users/carol/settings',
  'users/bob/apps/notes/spec', 'users/bob/apps/notes/settings', 'users/bob/apps/photos/spec', 'users/bob/apps/photos/settings',
  'users/carol/apps/notes/spec', 'users/carol/apps/notes/settings',
  'users/dan/settings', 'users/dan/apps/notes/spec', 'users/dan/apps/notes/settings', 'users/dan/apps/photos/spec', 'users/dan/apps/photos/settings',
  'services/notes@bob/info', 'services/photos@bob/info', 'services/aicc/settings', 'services/msg-center/settings',
  'devices/ood1/doc', 'devices/nas1/doc', 'devices/nas1/info', 'nodes/ood1/config', 'nodes/nas1/config',
];

const bob: SubjectRef = { kind: 'person', user: 'bob' };
const alice: SubjectRef = { kind: 'person', user: 'alice' };
const aliceSudo: SubjectRef = { kind: 'person', user: 'alice', sudo: true };
const notes: SubjectRef = { kind: 'app', app: 'notes', owner: 'bob' };
const nas: SubjectRef = { kind: 'device', device: 'nas1' };

test('subjects map onto the two casbin sides: a person through the control panel, an app as its owner, a device as node-daemon', () => {
  assert.deepEqual(subjectIds(bob), { appId: 'control-panel', userId: 'bob', sudo: false });
  assert.deepEqual(subjectIds(aliceSudo), { appId: 'control-panel', userId: 'alice', sudo: true });
  assert.deepEqual(subjectIds(notes), { appId: 'notes', userId: 'bob', sudo: false });
  assert.deepEqual(subjectIds(nas), { appId: 'node-daemon', userId: 'nas1', sudo: false });
  assert.deepEqual(subjectsOf(KEYS).map((s) => s.kind + ':' + (s.kind === 'person' ? s.user : s.kind === 'app' ? `${s.app}@${s.owner}` : s.device)),
    ['person:alice', 'person:bob', 'person:carol', 'person:dan', 'app:notes@bob', 'app:notes@carol', 'app:notes@dan', 'app:photos@bob', 'app:photos@dan', 'device:nas1', 'device:ood1']);
});

test('the table: (subject, key, action) → decision and the line that decided it', async () => {
  const rbac = await createRbac(policy(''));
  const rows: Array<[SubjectRef, string, 'read' | 'write', boolean, string | undefined]> = [
    [bob, 'users/bob/profile', 'write', true, 'p, users, obj://config/users/{users}/profile, read|write, allow'],
    [bob, 'users/bob/settings', 'read', true, 'p, users, obj://config/users/{users}/*, read, allow'],
    [bob, 'users/bob/settings', 'write', false, undefined],
    [bob, 'users/alice/settings', 'read', false, undefined],
    [bob, 'users/bob/apps/notes/settings', 'write', true, 'p, users, obj://config/users/{users}/apps/{app}/{key}, read|write, allow'],
    [bob, 'security/verify-hub/key', 'read', false, 'p, system, obj://config/security/*, all, deny'],
    [alice, 'system/rbac/policy', 'read', true, 'p, admin, obj://config/system/*, read, allow'],
    [alice, 'system/rbac/policy', 'write', false, undefined],
    [aliceSudo, 'system/rbac/policy', 'write', true, 'p, su_admin, obj://*, all, allow'],
    [notes, 'users/bob/apps/notes/settings', 'write', true, 'p, users, obj://config/users/{users}/apps/{app}/{key}, read|write, allow'],
    [notes, 'users/bob/apps/photos/settings', 'write', false, undefined],
    [nas, 'nodes/nas1/config', 'read', true, 'p, node, obj://config/nodes/{node}/*, read, allow'],
    [nas, 'nodes/ood1/config', 'read', false, undefined],
  ];
  for (const [who, key, action, allowed, line] of rows) {
    const d = decide(rbac, who, key, action);
    assert.equal(d.allowed, allowed, `${JSON.stringify(who)} ${action} ${key}`);
    assert.equal(deciding(d)?.line, line, `deciding line of ${JSON.stringify(who)} ${action} ${key}`);
  }
  // A deny names the side that refused: the app side for notes on photos' settings.
  const d = decide(rbac, notes, 'users/bob/apps/photos/settings', 'write');
  assert.equal(d.app.allowed, false);
  assert.equal(d.app.subject, 'notes');
  // Where the line is written: the default policy, with its line number.
  const by = deciding(decide(rbac, bob, 'users/bob/profile', 'write'))!;
  assert.equal(by.source, 'default');
  assert.ok(by.lineNo > 0);
});

test('areas collapse the key space without changing a single decision', async () => {
  const rbac = await createRbac(policy('p, bob, obj://config/services/aicc/settings, read, allow'));
  for (const who of [bob, alice, notes, nas]) {
    const ids = subjectIds(who);
    assert.ok(keyAreas(rbac, KEYS, ids).size < KEYS.length, 'fewer areas than keys');
    const areaOf = areaReducer(rbac, ids);
    for (const key of KEYS) {
      const area = areaOf(key);
      for (const action of ['read', 'write'] as const)
        assert.equal(decide(rbac, who, area, action).allowed, decide(rbac, who, key, action).allowed, `${JSON.stringify(who)} ${action} ${key} via ${area}`);
    }
  }
  const ids = subjectIds(bob);
  const areas = keyAreas(rbac, KEYS, ids);
  assert.ok(areas.has('users/bob/apps/{any}/settings'), 'bob keeps his own name');
  assert.ok(areas.has('users/{any}/settings'), 'other people collapse');
  assert.ok(areas.has('services/aicc/settings'), 'a literal of a line that applies to bob stays');
  assert.ok(keyAreas(rbac, KEYS, subjectIds(alice)).has('services/aicc/settings'), 'admin lines name aicc too');
  assert.ok(!keyAreas(rbac, KEYS, subjectIds(nas)).has('services/aicc/settings'), 'no line of a node names aicc');
});

test('the preview of one person lists areas and methods, with groups', async () => {
  const rbac = await createRbac(policy(''));
  const p = previewSubject(rbac, bob, KEYS, 7);
  assert.equal(p.policyRevision, 7);
  assert.deepEqual(p.groups.user, ['users']);
  assert.deepEqual(p.groups.app, ['system']);
  const own = p.areas.find((a) => a.area === 'users/bob/profile')!;
  assert.equal(own.write.allowed, true);
  // No line that applies to bob names anything under system/, so all of it is one area for him.
  const policyArea = p.areas.find((a) => a.area === 'system/{any}/{any}')!;
  assert.equal(policyArea.read.allowed, false);
  assert.equal(policyArea.keys, 2);
  assert.equal(policyArea.example, 'system/rbac/policy');
  const save = p.methods.find((m) => m.method === 'rbac.save')!;
  assert.equal(save.decision.allowed, false);
  const install = p.methods.find((m) => m.method.startsWith('install_app'))!;
  assert.equal(install.resource, 'obj://config/users/bob/apps/{any}/spec');
});

test('who can write a key: the reverse view names each subject and the deciding line', async () => {
  const rbac = await createRbac(policy(''));
  const w = whoCan(rbac, subjectsOf(KEYS), 'users/bob/apps/notes/settings', 'write');
  const names = (list: typeof w.allowed) => list.map((e) => JSON.stringify(e.subject));
  // bob, his notes app, and the OOD (the ood group may do anything); alice only after the sudo step (su_admin);
  // not alice's plain session, carol's notes, or the NAS.
  assert.deepEqual(names(w.allowed), [JSON.stringify(aliceSudo), JSON.stringify(bob), JSON.stringify(notes), JSON.stringify({ kind: 'device', device: 'ood1' })]);
  assert.equal(deciding(w.allowed[0].decision)?.line, 'p, su_admin, obj://*, all, allow');
  assert.ok(names(w.denied).includes(JSON.stringify(alice)));
  assert.ok(!names(w.allowed).some((n) => n.includes('"carol"')), 'su_carol has no group: carol gains nothing from sudo');
  assert.ok(names(w.denied).includes(JSON.stringify({ kind: 'app', app: 'notes', owner: 'carol' })));
  assert.equal(deciding(w.allowed[3].decision)?.line, 'p, ood, obj://*, all, allow');
  assert.ok(w.allowed.every((e) => deciding(e.decision)));
});

test('the diff of a proposed change: who gains and who loses what, and the line that decides', async () => {
  const before = await createRbac(policy('p, carol, obj://config/services/aicc/settings, read|write, allow'));
  // dan is a limited person (no default rules): give him his notes app only; take carol's extra right away.
  const after = await createRbac(policy('p, dan, obj://config/users/dan/apps/notes/*, read|write, allow'));
  const d = diffPolicies(before, after, subjectsOf(KEYS), KEYS);
  const fmt = (c: (typeof d.gains)[number]) => `${JSON.stringify(c.subject)} ${c.action} ${c.area}`;
  const dan = JSON.stringify({ kind: 'person', user: 'dan' });
  const carol = JSON.stringify({ kind: 'person', user: 'carol' });
  // dan's own notes app gains too, where its app side already allowed (settings read|write, spec read).
  const dansNotes = JSON.stringify({ kind: 'app', app: 'notes', owner: 'dan' });
  assert.deepEqual(d.gains.map(fmt).sort(), [
    `${dansNotes} read users/dan/apps/notes/settings`, `${dansNotes} read users/dan/apps/notes/spec`, `${dansNotes} write users/dan/apps/notes/settings`,
    // For dan (no line of his names spec or settings) his notes keys are one area.
    `${dan} read users/dan/apps/notes/{any}`, `${dan} write users/dan/apps/notes/{any}`,
  ]);
  assert.deepEqual(d.losses.map(fmt).sort(), [`${carol} read services/aicc/settings`, `${carol} write services/aicc/settings`]);
  assert.equal(d.gains[0].by?.line, 'p, dan, obj://config/users/dan/apps/notes/*, read|write, allow');
  assert.equal(d.gains[0].by?.source, 'zone');
  assert.equal(d.losses[0].by?.line, 'p, carol, obj://config/services/aicc/settings, read|write, allow', 'a loss names the line that allowed before');
  assert.ok(d.examined < subjectsOf(KEYS).length, 'only touched subjects are examined');
  assert.deepEqual(diffPolicies(after, await createRbac(policy('p, dan, obj://config/users/dan/apps/notes/*, read|write, allow')), subjectsOf(KEYS), KEYS), { gains: [], losses: [], examined: 0 });
});

test('a deny line in the owner\'s rules cannot override the default policy (first matching line wins), and the preview says which line still decides', async () => {
  const rbac = await createRbac(policy('p, bob, obj://config/users/bob/apps/photos/*, all, deny'));
  const d = decide(rbac, bob, 'users/bob/apps/photos/settings', 'write');
  assert.equal(d.allowed, true);
  assert.equal(deciding(d)?.source, 'default');
});

test('policy tests: checked shape, results, and a failure said as a sentence', async () => {
  const tests: PolicyTest[] = checkPolicyTests({ tests: [
    { name: 'bob keeps his notes', subject: bob, key: 'users/bob/apps/notes/settings', action: 'write', expect: 'allow' },
    { name: 'bob cannot change the rules', subject: bob, key: 'system/rbac/policy', action: 'write', expect: 'deny' },
  ] });
  const ok = runPolicyTests(await createRbac(policy('')), tests);
  assert.deepEqual(ok.map((r) => r.passed), [true, true]);
  const broken = runPolicyTests(await createRbac(policy('p, bob, obj://config/system/rbac/*, write, allow')), tests);
  assert.deepEqual(broken.map((r) => r.passed), [true, false]);
  assert.equal(describeFailure(broken[1]),
    'the policy test "bob cannot change the rules" fails: bob would be allowed write on system/rbac/policy (expected deny), decided by "p, bob, obj://config/system/rbac/*, write, allow"');
  assert.throws(() => checkPolicyTests({ tests: [{ name: 'x', subject: { kind: 'robot' }, key: 'a', action: 'read', expect: 'allow' }] }), /subject.kind/);
  assert.throws(() => checkPolicyTests({ tests: [tests[0], tests[0]] }), /used twice/);
  assert.throws(() => checkPolicyTests({ tests: [{ ...tests[0], key: '../boot' }] }), /KV key/);
});
