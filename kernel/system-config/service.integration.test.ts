// system-config over real HTTP on a random loopback address, against the in-memory store and the
// durable log store: every method, exec_tx atomicity, the token matrix, bad input, RBAC and watch.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startSystemConfig, SYSTEM_CONFIG_PATH, type SystemConfigHandle } from './service.js';
import { SystemConfigClient, type WatchEvent } from './client.js';
import { MemoryStore } from './store/memory-store.js';
import { openLogStore } from './store/log-store.js';
import type { KvStore } from './store/types.js';
import { generateEd25519, type Ed25519KeyPair } from '../lib/identity/keys.js';
import { nowSeconds, signJwt, type Claims } from '../lib/identity/jwt.js';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { silentLogger } from '../lib/log.js';
import { pollUntil, randomLoopback, tempDir } from '../testing/harness.js';

const host = randomLoopback();

const ZONE_DID = 'did:bns:testzone';
const OWNER_DID = 'did:bns:owner';
const DEVICE = 'ood1';
const owner = generateEd25519();
const device = generateEd25519();
const verifyHub = generateEd25519();
const nas = generateEd25519();
const alicesKey = generateEd25519();

const b64u = (s: string) => Buffer.from(s).toString('base64url');
const exp = () => nowSeconds() + 600;

const deviceToken = (appid: string, sub = DEVICE) => signJwt({ iss: DEVICE, sub, appid, exp: exp() }, device.privateKeyPem, DEVICE);
const nasToken = (appid = 'node-daemon') => signJwt({ iss: 'nas1', sub: 'nas1', appid, exp: exp() }, nas.privateKeyPem, 'nas1');
const ownerToken = (appid = 'buckycli') => signJwt({ iss: 'root', sub: 'root', appid, exp: exp() }, owner.privateKeyPem, 'root');
let sessionCounter = 0;
const sessionToken = (sub: string, appid = 'control-panel', extra: Claims = {}, key: Ed25519KeyPair = verifyHub) =>
  signJwt({ iss: 'verify-hub', sub, appid, exp: exp(), iat: nowSeconds(), jti: String(++sessionCounter), session: sessionCounter, principal_kind: 'user', zone: ZONE_DID, ...extra }, key.privateKeyPem, 'verify-hub');

const deviceDoc = (name: string, key: Ed25519KeyPair, signer: Ed25519KeyPair, deviceType = 'node') =>
  signJwt({ name, device_type: deviceType, zone_did: ZONE_DID, exp: exp(), verificationMethod: [{ id: '#main_key', publicKeyJwk: key.publicJwk }] }, signer.privateKeyPem);

const bootConfig = (hub: Ed25519KeyPair) => JSON.stringify({ zone_document: 'jwt', verify_hub_info: { public_key: hub.publicJwk } });

const TAIL = ['g, alice, admin', 'g, su_alice, su_admin', 'g, bob, users', 'g, su_bob, su_users', 'g, myapp, app', 'g, nas1, node'].join('\n');

interface Zone {
  url: string;
  store: KvStore;
  service: SystemConfigHandle;
  as(token: string | (() => Promise<string>)): SystemConfigClient;
  kernel: SystemConfigClient;
}

function expectCode(code: ErrorCode) {
  return (e: unknown) => {
    assert.ok(isKrpcError(e, code), `expected ${code}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    return true;
  };
}

async function startZone(store: KvStore): Promise<Zone> {
  const service = await startSystemConfig({
    store, host, port: 0, log: silentLogger, zoneDid: ZONE_DID,
    owner: { did: OWNER_DID, publicJwk: owner.publicJwk },
    device: { name: DEVICE, did: `did:dev:${DEVICE}`, publicJwk: device.publicJwk },
  });
  const url = `http://${host}:${service.port}${SYSTEM_CONFIG_PATH}`;
  const as = (token: string | (() => Promise<string>)) => new SystemConfigClient(url, typeof token === 'string' ? token : token);
  const kernel = as(() => deviceToken('node-daemon'));
  // First boot: this device writes boot/config and the policy tail before any tail names it an OOD.
  await kernel.execTx({
    'boot/config': { action: 'create', value: bootConfig(verifyHub) },
    'system/rbac/policy': { action: 'create', value: TAIL },
    'users/alice/settings': { action: 'create', value: JSON.stringify({ user_id: 'alice', type: 'admin', state: 'active' }) },
    'users/alice/profile': { action: 'create', value: '{"name":"Alice"}' },
    'users/bob/settings': { action: 'create', value: JSON.stringify({ user_id: 'bob', type: 'user', state: 'active' }) },
    'users/bob/profile': { action: 'create', value: '{"name":"Bob"}' },
    'devices/nas1/doc': { action: 'create', value: await deviceDoc('nas1', nas, owner) },
    'nodes/ood1/config': { action: 'create', value: JSON.stringify({ node_id: 'ood1', state: 'running', kernel: {}, apps: {} }) },
    'nodes/nas1/config': { action: 'create', value: JSON.stringify({ node_id: 'nas1', state: 'running', kernel: {}, apps: {} }) },
    'security/verify-hub/key': { action: 'create', value: 'PEM' },
    'zone/apps/demo/spec': { action: 'create', value: '{}' },
  });
  return { url, store, service, as, kernel };
}

/** Runs `attempt`, expects `code`, and checks the store did not move. */
async function refused(zone: Zone, code: ErrorCode, attempt: () => Promise<unknown>) {
  const before = zone.store.globalRevision();
  await assert.rejects(attempt, expectCode(code));
  assert.equal(zone.store.globalRevision(), before, 'a refused call must not change the store');
}

async function raw(zone: Zone, body: string | Buffer) {
  const r = await fetch(zone.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: r.status, body: (await r.json()) as { result?: unknown; error?: string; sys?: unknown[] } };
}

const backends: Array<{ name: string; open(): Promise<{ store: KvStore; cleanup(): Promise<void> }> }> = [
  { name: 'MemoryStore', open: async () => ({ store: new MemoryStore(), cleanup: async () => {} }) },
  {
    name: 'LogStore',
    open: async () => {
      const dir = await tempDir('sysconfig-it-');
      const store = await openLogStore(dir.path);
      return { store, cleanup: async () => { await store.close(); await dir.remove(); } };
    },
  },
];

for (const backend of backends) {
  describe(`system-config on ${backend.name}`, () => {
    let zone: Zone;
    let cleanup: () => Promise<void>;
    let alice: SystemConfigClient;
    let bob: SystemConfigClient;

    before(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      zone = await startZone(opened.store);
      alice = zone.as(() => sessionToken('alice'));
      bob = zone.as(() => sessionToken('bob'));
    });
    after(async () => {
      try {
        await zone?.service.stop();
      } finally {
        await cleanup?.();
      }
    });

    test('get / set / create / delete / append / set_by_json_path / list', async () => {
      const kv = zone.kernel;
      assert.equal(await kv.get('test/none'), null);
      await kv.set('test/a', 'one');
      assert.deepEqual(await kv.get('test/a'), { value: 'one', version: 1 });
      assert.deepEqual(await kv.get('obj://config/test/a'), { value: 'one', version: 1 });
      await kv.set('/config/test/a', 'two');
      assert.deepEqual(await kv.get('test/a'), { value: 'two', version: 2 });
      await assert.rejects(kv.create('test/a', 'x'), expectCode('ALREADY_EXISTS'));
      await kv.create('test/b', 'b');
      await kv.append('test/b', '+more');
      assert.equal((await kv.get('test/b'))?.value, 'b+more');
      await assert.rejects(kv.append('test/none', 'x'), expectCode('NOT_FOUND'));
      await kv.setByJsonPath('nodes/ood1/config', 'kernel/"verify-hub"/target_state', 'started');
      await kv.setByJsonPath('nodes/ood1/config', 'apps', null);
      const node = JSON.parse((await kv.get('nodes/ood1/config'))!.value);
      assert.deepEqual(node, { node_id: 'ood1', state: 'running', kernel: { 'verify-hub': { target_state: 'started' } } });
      await assert.rejects(kv.setByJsonPath('test/a', 'x', 1), expectCode('FAILED_PRECONDITION'));
      await assert.rejects(kv.setByJsonPath('test/none', 'x', 1), expectCode('NOT_FOUND'));
      await refused(zone, 'INVALID_PARAMS', () => kv.krpc.call('sys_config_set_by_json_path', { key: 'nodes/ood1/config', json_path: 'x', value: '{oops' }));
      await kv.set('test/c/d/e', '1');
      assert.deepEqual(await kv.list('test'), ['a', 'b', 'c']);
      assert.deepEqual(await kv.list('test/'), ['a', 'b', 'c']);
      assert.ok((await kv.list('')).includes('boot'));
      assert.ok(!(await kv.list('')).includes('__meta'));
      await kv.delete('test/a');
      assert.equal(await kv.get('test/a'), null);
      await assert.rejects(kv.delete('test/a'), expectCode('NOT_FOUND'));
      await kv.create('test/a', 'again');
      assert.deepEqual(await kv.get('test/a'), { value: 'again', version: 4 }, 'a re-created key keeps counting');
    });

    test('JSON-object key families are validated at write time', async () => {
      const kv = zone.kernel;
      for (const [key, value] of [['nodes/x/config', '{not json'], ['services/x/spec', '[1,2]'], ['users/x/settings', '"str"'], ['boot/config', 'null'], ['users/x/apps/y/spec', ''], ['devices/x/info', '42']])
        await refused(zone, 'INVALID_PARAMS', () => kv.set(key, value));
      await refused(zone, 'INVALID_PARAMS', () => kv.append('nodes/ood1/config', 'junk'));
      await kv.set('services/x/spec', '{"enable":true}');
      await kv.set('services/x/notes', 'free text is fine elsewhere');
    });

    test('exec_tx is all-or-nothing: revision mismatch, conditions, RBAC denial of one key', async () => {
      const kv = zone.kernel;
      await kv.set('tx/seq', '1');
      const seq = (await kv.get('tx/seq'))!;
      await refused(zone, 'VERSION_CONFLICT', () => kv.execTx({ 'tx/x': { action: 'create', value: '1' } }, { key: 'tx/seq', revision: seq.version + 1 }));
      await refused(zone, 'VERSION_CONFLICT', () => kv.execTx({ 'tx/x': { action: 'create', value: '1' } }, undefined, [{ key: 'tx/seq', revision: 0 }]));
      await refused(zone, 'ALREADY_EXISTS', () => kv.execTx({ 'tx/x': { action: 'create', value: '1' }, 'tx/seq': { action: 'create', value: '2' } }));
      await refused(zone, 'INVALID_PARAMS', () => kv.execTx({ 'tx/x': { action: 'create', value: '1' }, '/tx/x': { action: 'update', value: '2' } }));
      await refused(zone, 'INVALID_PARAMS', () => kv.execTx({ 'tx/x': { action: 'create', value: '1' }, '__meta/revision/tx/x': { action: 'update', value: '9' } }));
      // alice may write her profile but not boot/config: neither is written.
      await refused(zone, 'PERMISSION_DENIED', () => alice.execTx({ 'users/alice/profile': { action: 'update', value: '{"name":"A"}' }, 'boot/config': { action: 'update', value: '{}' } }));
      assert.equal((await alice.get('users/alice/profile'))?.value, '{"name":"Alice"}');
      assert.equal(await kv.get('tx/x'), null);
      // The same transaction with the right revision commits and bumps main_key.
      await kv.execTx({ 'tx/x': { action: 'create', value: '1' } }, { key: 'tx/seq', revision: seq.version }, [{ key: 'tx/never', revision: 0 }]);
      assert.equal((await kv.get('tx/x'))?.value, '1');
      assert.equal((await kv.get('tx/seq'))?.version, seq.version + 1);
      // Wire form from a BuckyOS (serde) client: main_key null.
      assert.equal(await kv.krpc.call('sys_config_exec_tx', { actions: { 'tx/y': { action: 'update', value: 'y' } }, main_key: null }), null);
    });

    test('token matrix: none, garbage, alg none, HS256, wrong key, expired, wrong zone, refresh token, unknown or forged device → refused, no state change', async () => {
      const attempt = (token: string | undefined) => () => new SystemConfigClient(zone.url, token).set('users/alice/profile', '{"pwned":true}');
      const header = b64u(JSON.stringify({ alg: 'none', kid: 'verify-hub' }));
      const body = b64u(JSON.stringify({ iss: 'verify-hub', sub: 'alice', appid: 'control-panel', exp: exp() }));
      const hsHeader = b64u(JSON.stringify({ alg: 'HS256', kid: 'verify-hub' }));
      const hsSig = createHmac('sha256', JSON.stringify(verifyHub.publicJwk)).update(`${hsHeader}.${body}`).digest('base64url');
      const stranger = generateEd25519();
      await zone.kernel.set('devices/evil/doc', await deviceDoc('evil', stranger, stranger, 'ood'));
      await zone.kernel.set('devices/copycat/doc', await deviceDoc('nas1', stranger, owner, 'ood'));
      await zone.kernel.set('devices/sensor1/doc', await deviceDoc('sensor1', stranger, owner, 'sensor'));
      const cases: Array<[string, string | undefined, ErrorCode, RegExp]> = [
        ['none', undefined, 'UNAUTHENTICATED', /needs a session token/],
        ['garbage', 'not-a-token', 'UNAUTHENTICATED', /not a JWT/],
        ['three garbage parts', 'a.b.c', 'UNAUTHENTICATED', /not a JWT/],
        ['alg none', `${header}.${body}.`, 'UNAUTHENTICATED', /"none" is not accepted/],
        ['HS256 keyed with the public key', `${hsHeader}.${body}.${hsSig}`, 'UNAUTHENTICATED', /"HS256" is not accepted/],
        ['wrong key', await sessionToken('alice', 'control-panel', {}, generateEd25519()), 'UNAUTHENTICATED', /signature is not valid/],
        ['expired', await sessionToken('alice', 'control-panel', { exp: nowSeconds() - 3600 }), 'TOKEN_EXPIRED', /expired/],
        ['no exp', await signJwt({ iss: 'verify-hub', sub: 'alice', appid: 'control-panel' }, verifyHub.privateKeyPem, 'verify-hub'), 'UNAUTHENTICATED', /"exp"/],
        ['wrong zone', await sessionToken('alice', 'control-panel', { zone: 'did:bns:otherzone' }), 'UNAUTHENTICATED', /another zone/],
        ['refresh token', await sessionToken('alice', 'control-panel', { aud: 'verify-hub' }), 'UNAUTHENTICATED', /refresh token/],
        ['no appid', await signJwt({ iss: 'verify-hub', sub: 'alice', exp: exp(), zone: ZONE_DID }, verifyHub.privateKeyPem, 'verify-hub'), 'UNAUTHENTICATED', /no appid/],
        ['subject is a role', await sessionToken('kernel', 'control-panel'), 'UNAUTHENTICATED', /role "kernel"/],
        ['unknown device', await signJwt({ iss: 'ghost', sub: 'ghost', appid: 'node-daemon', exp: exp() }, stranger.privateKeyPem, 'ghost'), 'UNAUTHENTICATED', /not trusted/],
        ['device doc not signed by the owner', await signJwt({ iss: 'evil', sub: 'evil', appid: 'node-daemon', exp: exp() }, stranger.privateKeyPem), 'UNAUTHENTICATED', /not trusted/],
        ['device doc of another name', await signJwt({ iss: 'copycat', sub: 'copycat', appid: 'node-daemon', exp: exp() }, stranger.privateKeyPem), 'UNAUTHENTICATED', /not trusted/],
        ['device type not trusted', await signJwt({ iss: 'sensor1', sub: 'sensor1', appid: 'node-daemon', exp: exp() }, stranger.privateKeyPem), 'UNAUTHENTICATED', /not trusted/],
        ['issuer is a path', await signJwt({ iss: '../boot', sub: 'x', appid: 'node-daemon', exp: exp() }, stranger.privateKeyPem), 'UNAUTHENTICATED', /not trusted/],
        ['non-privileged user key', await signJwt({ iss: 'bob', sub: 'bob', appid: 'control-panel', exp: exp() }, alicesKey.privateKeyPem), 'UNAUTHENTICATED', /not trusted/],
        ['owner claims signed by a device', await signJwt({ iss: 'root', sub: 'root', appid: 'buckycli', exp: exp() }, device.privateKeyPem), 'UNAUTHENTICATED', /signature is not valid/],
        ['huge token', 'x'.repeat(20_000), 'UNAUTHENTICATED', /too long/],
      ];
      for (const [name, token, code, why] of cases) {
        const before = zone.store.globalRevision();
        await assert.rejects(attempt(token), (e) => expectCode(code)(e) && why.test((e as Error).message), name);
        assert.equal(zone.store.globalRevision(), before, name);
      }
      assert.equal((await zone.kernel.get('users/alice/profile'))?.value, '{"name":"Alice"}');
    });

    test('trusted issuers: owner, this device, verify-hub sessions, owner-signed node docs, privileged user docs', async () => {
      assert.equal((await zone.as(await ownerToken()).get('security/verify-hub/key'))?.value, 'PEM');
      assert.equal((await zone.as(await nasToken()).get('nodes/nas1/config')) !== null, true);
      await refused(zone, 'PERMISSION_DENIED', async () => zone.as(await nasToken()).get('nodes/ood1/config'));
      await refused(zone, 'PERMISSION_DENIED', async () => zone.as(await nasToken()).set('nodes/nas1/config', '{}'));
      await zone.as(await nasToken()).set('devices/nas1/info', '{"mem":1}');
      // alice is an admin, so a token signed with the key of her users/<u>/doc is accepted.
      await zone.kernel.set('users/alice/doc', JSON.stringify({ id: 'did:bns:alice', verificationMethod: [{ id: '#main_key', publicKeyJwk: alicesKey.publicJwk }] }));
      const aliceSelf = zone.as(await signJwt({ iss: 'alice', sub: 'alice', appid: 'buckycli', exp: exp() }, alicesKey.privateKeyPem));
      assert.equal((await aliceSelf.get('users/alice/profile'))?.value, '{"name":"Alice"}');
      await refused(zone, 'UNAUTHENTICATED', async () => zone.as(await signJwt({ iss: 'alice', sub: 'root', appid: 'buckycli', exp: exp() }, alicesKey.privateKeyPem)).get('boot/config'));
      // Revoking the node's document revokes its tokens, including one already verified before.
      const nasSession = zone.as(await nasToken());
      assert.notEqual(await nasSession.get('nodes/nas1/config'), null);
      await zone.kernel.delete('devices/nas1/doc');
      await refused(zone, 'UNAUTHENTICATED', () => nasSession.get('nodes/nas1/config'));
      await zone.kernel.set('devices/nas1/doc', await deviceDoc('nas1', nas, owner));
      assert.notEqual(await zone.as(await nasToken()).get('nodes/nas1/config'), null);
    });

    test('RBAC over the wire: users, apps and list', async () => {
      await refused(zone, 'PERMISSION_DENIED', () => bob.get('users/alice/profile'));
      await refused(zone, 'PERMISSION_DENIED', () => bob.set('users/bob/settings', '{"type":"admin"}'));
      await refused(zone, 'PERMISSION_DENIED', () => bob.list('users/alice'));
      await refused(zone, 'PERMISSION_DENIED', () => bob.list(''));
      assert.deepEqual(await bob.list('users/bob'), ['profile', 'settings']);
      await bob.set('users/bob/profile', '{"name":"Robert"}');
      await refused(zone, 'PERMISSION_DENIED', () => alice.get('security/verify-hub/key'));
      assert.notEqual(await alice.get('system/rbac/policy'), null);
      // bob logging in with appid "kernel" gets no more than bob.
      await refused(zone, 'PERMISSION_DENIED', async () => zone.as(await sessionToken('bob', 'kernel')).get('users/alice/profile'));
      // An app token minted by node-daemon for bob's instance of myapp, which the scheduler placed here.
      const placed = { 'myapp@bob@ood1': { target_state: 'Running', node_id: 'ood1', app_spec: { installation_id: 'myapp', user_id: 'bob' } } };
      await zone.kernel.set('nodes/ood1/config', JSON.stringify({ node_id: 'ood1', state: 'running', kernel: {}, apps: placed }));
      const app = zone.as(await deviceToken('myapp', 'bob'));
      await app.set('users/bob/apps/myapp/settings', '{"theme":"dark"}');
      assert.equal((await app.get('users/bob/apps/myapp/settings'))?.value, '{"theme":"dark"}');
      await refused(zone, 'PERMISSION_DENIED', () => app.set('users/bob/apps/myapp/spec', '{}'));
      await refused(zone, 'PERMISSION_DENIED', () => app.get('users/bob/profile'));
      // Not placed for alice, so this device may not speak for her at all.
      await refused(zone, 'UNAUTHENTICATED', async () => zone.as(await deviceToken('myapp', 'alice')).get('users/bob/apps/myapp/settings'));
    });

    test('policy and trust changes apply at once, whichever method wrote them (append included)', async () => {
      const carol = zone.as(() => sessionToken('carol'));
      await refused(zone, 'PERMISSION_DENIED', () => carol.get('boot/config'));
      await zone.kernel.append('system/rbac/policy', '\ng, carol, admin');
      assert.notEqual(await carol.get('boot/config'), null);
      // A write straight to the store (not through kRPC) is picked up as well.
      const tail = zone.store.get('system/rbac/policy')!.value;
      await zone.store.transact(() => [{ key: 'system/rbac/policy', value: tail.replace('g, carol, admin', '') }]);
      let denied = false;
      for (let i = 0; i < 100 && !denied; i++) denied = await carol.get('boot/config').then(() => false, (e) => isKrpcError(e, 'PERMISSION_DENIED'));
      assert.ok(denied, 'a policy written directly to the store must take effect without an explicit refresh');
      // Rotating verify-hub's key in boot/config: old sessions stop working, new ones work.
      const rotated = generateEd25519();
      await zone.kernel.set('boot/config', bootConfig(rotated));
      await refused(zone, 'UNAUTHENTICATED', () => alice.get('boot/config'));
      assert.notEqual(await zone.as(await sessionToken('alice', 'control-panel', {}, rotated)).get('boot/config'), null);
      await zone.kernel.set('boot/config', bootConfig(verifyHub));
      assert.notEqual(await alice.get('boot/config'), null);
      assert.equal(await alice.refreshTrustKeys(), undefined);
      await refused(zone, 'PERMISSION_DENIED', () => bob.refreshTrustKeys());
    });

    test('dump_configs_for_scheduler: scheduler and node-daemon devices only; never security/', async () => {
      const dump = await zone.as(await deviceToken('scheduler')).dump();
      assert.ok(dump['boot/config']);
      assert.ok(dump['nodes/ood1/config']);
      assert.ok(dump['zone/apps/demo/spec']);
      assert.ok(dump['system/rbac/policy']);
      assert.ok(!Object.keys(dump).some((k) => k.startsWith('security/') || k.startsWith('__meta')));
      await refused(zone, 'PERMISSION_DENIED', () => alice.dump());
      await refused(zone, 'PERMISSION_DENIED', async () => zone.as(await sessionToken('alice', 'scheduler')).dump());
      await refused(zone, 'PERMISSION_DENIED', async () => zone.as(await deviceToken('control-panel')).dump());
    });

    test('bad input: structured errors, HTTP 200 (413 for oversize), no state change', async () => {
      const token = await deviceToken('node-daemon');
      const call = (method: string, params: unknown) => JSON.stringify({ method, params, sys: [9, token] });
      const cases: Array<[string, string | Buffer, RegExp]> = [
        ['malformed JSON', '{"method": "sys_config_set", "params": {', /^INVALID_PARAMS: /],
        ['not an object', '"hello"', /^INVALID_PARAMS: /],
        ['proto pollution', `{"method":"sys_config_set","params":{"key":"a","value":"b","__proto__":{"x":1}},"sys":[1,"${token}"]}`, /^INVALID_PARAMS: /],
        ['key not a string', call('sys_config_set', { key: 5, value: 'x' }), /^INVALID_PARAMS: params\.key/],
        ['value not a string', call('sys_config_set', { key: 'a', value: { x: 1 } }), /^INVALID_PARAMS: params\.value/],
        ['missing value', call('sys_config_set', { key: 'a' }), /^INVALID_PARAMS: /],
        ['params an array', call('sys_config_get', ['boot/config']), /^INVALID_PARAMS: /],
        ['unknown method', call('sys_config_nuke', {}), /^UNKNOWN_METHOD: /],
        ['dot-dot', call('sys_config_set', { key: '../x', value: '1' }), /^INVALID_PARAMS: .*"\.\."/],
        ['dot-dot inside', call('sys_config_set', { key: 'users/../boot/config', value: '{}' }), /^INVALID_PARAMS: /],
        ['empty segment', call('sys_config_set', { key: 'a//b', value: '1' }), /^INVALID_PARAMS: .*empty path segment/],
        ['trailing slash', call('sys_config_set', { key: 'a/', value: '1' }), /^INVALID_PARAMS: /],
        ['__meta', call('sys_config_set', { key: '__meta/x', value: '1' }), /^INVALID_PARAMS: .*reserved/],
        ['__meta read', call('sys_config_get', { key: '__meta/revision/boot/config' }), /^INVALID_PARAMS: /],
        ['control char', call('sys_config_set', { key: 'a\u0001b', value: '1' }), /^INVALID_PARAMS: /],
        ['key too long', call('sys_config_set', { key: 'k'.repeat(600), value: '1' }), /^INVALID_PARAMS: /],
        ['value too large', call('sys_config_set', { key: 'big', value: 'v'.repeat(1024 * 1024 + 1) }), /^INVALID_PARAMS: /],
        ['bad tx action', call('sys_config_exec_tx', { actions: { a: { action: 'explode' } } }), /^INVALID_PARAMS: /],
        ['tx action without value', call('sys_config_exec_tx', { actions: { a: { action: 'create' } } }), /^INVALID_PARAMS: /],
        ['negative revision', call('sys_config_watch', { key: 'a', revision: -1 }), /^INVALID_PARAMS: /],
        ['watch timeout too long', call('sys_config_watch', { key: 'a', revision: 0, timeout_ms: 3_600_000 }), /^INVALID_PARAMS: /],
        ['huge revision type', call('sys_config_exec_tx', { actions: {}, main_key: { key: 'a', revision: 'x' } }), /^INVALID_PARAMS: /],
      ];
      for (const [name, body, re] of cases) {
        const before = zone.store.globalRevision();
        const r = await raw(zone, body);
        assert.equal(r.status, 200, name);
        assert.match(r.body.error ?? '', re, name);
        assert.ok(!/at .*\.ts:\d+/.test(r.body.error ?? ''), `${name}: no stack trace`);
        assert.equal(zone.store.globalRevision(), before, name);
      }
      const before = zone.store.globalRevision();
      const big = await raw(zone, call('sys_config_set', { key: 'huge', value: 'x'.repeat(10 * 1024 * 1024) }));
      assert.equal(big.status, 413);
      assert.match(big.body.error ?? '', /^PAYLOAD_TOO_LARGE: /);
      assert.equal(zone.store.globalRevision(), before);
      assert.equal(zone.store.get('huge'), undefined);
    });

    // The wake-up latency budget lives in bench/ (bench/kv.ts); here a watch must wake on the write, long before its timeout.
    test('watch: wakes on a write, RBAC-filtered, compacted for foreign revisions', async () => {
      const kv = zone.kernel;
      const start = (await kv.watch('', Number.MAX_SAFE_INTEGER, 0)) as { revision: number; compacted?: true };
      assert.equal(start.compacted, true);
      const from = start.revision;
      const pending = bob.watch('users', from, 30_000);
      const bobsPending = bob.watch('users/bob', from, 30_000);
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      await kv.set('users/alice/profile', '{"name":"Alice 2"}'); // bob may not read it: his watch keeps waiting
      await kv.set('users/bob/profile', '{"name":"Bob 2"}');
      const r = await pending;
      const woke = performance.now() - t0;
      assert.ok(woke < 20_000, `watch took ${woke.toFixed(1)} ms to wake: it waited for its timeout instead of the write`);
      assert.ok(!('compacted' in r));
      if (!('compacted' in r)) {
        assert.deepEqual(r.changes.map((c) => c.key), ['users/bob/profile']);
        assert.equal(r.changes[0].value, '{"name":"Bob 2"}');
        assert.ok(r.revision > from);
      }
      assert.deepEqual((await bobsPending as { changes: Array<{ key: string }> }).changes.map((c) => c.key), ['users/bob/profile']);
      // Already-past changes come back at once, newest value per key; deletes carry null.
      await kv.set('w/k', '1');
      await kv.set('w/k', '2');
      await kv.delete('w/k');
      const past = await kv.watch('w', from, 5_000);
      assert.ok(!('compacted' in past) && past.changes.length === 1 && past.changes[0].value === null && past.changes[0].version === 3);
      // Nothing new under the prefix: an empty answer after the timeout.
      const t1 = performance.now();
      const idle = await kv.watch('nothing-here', zone.store.globalRevision(), 150);
      assert.ok(!('compacted' in idle) && idle.changes.length === 0);
      assert.ok(performance.now() - t1 >= 140);
      // Under a prefix means path-wise: "w" does not see "wx".
      const w = kv.watch('w', zone.store.globalRevision(), 200);
      await kv.set('wx/other', '1');
      const wr = await w;
      assert.ok(!('compacted' in wr) && wr.changes.length === 0);
    });

    test('watchLoop: resync first, then changes; stop() returns promptly', async () => {
      const events: WatchEvent[] = [];
      const loop = zone.kernel.watchLoop('loop', (e) => { events.push(e); }, { timeoutMs: 30_000 });
      const until = (pred: () => boolean) => pollUntil('watchLoop events', async () => (pred() ? true : undefined), { timeoutMs: 20_000, everyMs: 10 });
      await until(() => events.length === 1);
      assert.equal(events[0].resync, true);
      await zone.kernel.set('loop/a', '1');
      await until(() => events.length === 2);
      assert.deepEqual(events[1].changes.map((c) => [c.key, c.value]), [['loop/a', '1']]);
      assert.equal(events[1].resync, false);
      const t0 = performance.now();
      await loop.stop();
      assert.ok(performance.now() - t0 < 20_000, 'stop() must not wait out the 30 s long-poll');
    });
  });
}

test('watchLoop falls back to polling while system-config is down, and stop() ends a pending long-poll', async () => {
  const store = new MemoryStore();
  const zone = await startZone(store);
  try {
    const events: WatchEvent[] = [];
    const loop = zone.kernel.watchLoop('x', (e) => { events.push(e); }, { pollIntervalMs: 50 });
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const port = zone.service.port;
    await zone.service.stop();
    for (let i = 0; i < 200 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(events.length >= 3, `expected polling resyncs while down, got ${events.length} events`);
    assert.ok(events.every((e) => e.resync));
    await loop.stop();
    // Restart on the same port; a fresh long-poll is cut short by stop().
    const again = await startSystemConfig({
      store, host, port, log: silentLogger, zoneDid: ZONE_DID,
      owner: { did: OWNER_DID, publicJwk: owner.publicJwk },
      device: { name: DEVICE, did: `did:dev:${DEVICE}`, publicJwk: device.publicJwk },
    });
    zone.service = again;
    const loop2 = zone.kernel.watchLoop('x', () => {}, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await loop2.stop();
    assert.ok(performance.now() - t0 < 20_000, 'stop() must not wait out the 30 s long-poll');
  } finally {
    await zone.service.stop();
  }
});

test('stop() answers waiting watches instead of waiting out their timeout', async () => {
  const zone = await startZone(new MemoryStore());
  const pending = zone.kernel.watch('nothing', zone.store.globalRevision(), 30_000);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  await zone.service.stop();
  const r = await pending;
  assert.ok(!('compacted' in r) && r.changes.length === 0);
  assert.ok(performance.now() - t0 < 20_000, 'stop() must answer the 30 s watch, not wait it out');
});
