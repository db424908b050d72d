// verify-hub against a REAL system-config (MemoryStore) on a random loopback address, seeded the way
// first boot seeds a zone. Covers password/JWT login, refusals, lockout, rotation, reuse revocation,
// logout, restart, and the token matrix as system-config sees it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader } from 'jose';
import { KrpcError, isKrpcError } from '../lib/errors.js';
import { signJwt } from '../lib/identity/jwt.js';
import { generateEd25519, type Ed25519KeyPair } from '../lib/identity/keys.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { createLogger } from '../lib/log.js';
import { startSystemConfig } from '../system-config/service.js';
import { SystemConfigClient } from '../system-config/client.js';
import { MemoryStore } from '../system-config/store/memory-store.js';
import { VerifyHubClient } from './client.js';
import { REPLAY_PREFIX, REVOKED_SESSIONS_PREFIX, SESSIONS_PREFIX, VERIFY_HUB_KEY } from './kv.js';
import { startVerifyHub, type VerifyHubHandle } from './service.js';
import { sweepExpired } from './sweeper.js';
import { DEFAULT_LOCKOUT } from './throttle.js';
import { TokenIssuer, tokenClaims, type SessionSubject } from './tokens.js';
import { pollUntil, randomLoopback } from '../testing/harness.js';
import { GATEWAY_SECRET_HEADER } from '../lib/gateway-secret.js';
import { LOCKOUT_PREFIX } from './kv.js';

const host = randomLoopback();
const zoneDid = 'did:web:home.test';
const ownerDid = 'did:bns:alice';
const deviceName = 'ood1';
const PASSWORD = 'correct horse battery staple';
const ACTIVE_USERS = ['alice', 'dave', 'erin', 'frank'];
/** What the OOD's gateway would add; requests without it are counted under their peer address. */
const GATEWAY_SECRET = randomBytes(32).toString('base64url');

const owner = generateEd25519();
const device = generateEd25519();
const hubKey = generateEd25519();
const store = new MemoryStore();
const logText: string[] = [];
const log = createLogger('test', {
  level: 'debug',
  out: new Writable({ write(chunk, _enc, cb) { logText.push(String(chunk)); cb(); } }),
});
const secretsSent = new Set<string>();

let systemConfig: { port: number; stop(): Promise<void> };
let hub: VerifyHubHandle;
let kvUrl: string;
let hubUrl: string;
let kv: SystemConfigClient;
let skewMs = 0;
/** Set while a test needs time to stand still (requests that must count as simultaneous). */
let frozenAt: number | undefined;
const clock = () => frozenAt ?? Date.now() + skewMs;

const nowS = () => Math.floor(Date.now() / 1000);
const deviceToken = (appid: string) => () =>
  signJwt({ iss: deviceName, sub: deviceName, appid, jti: String(randomInt(1, 2 ** 47)), exp: nowS() + 1200 }, device.privateKeyPem, deviceName);

async function deviceDoc(name: string, type: string, key: Ed25519KeyPair, signer: Ed25519KeyPair): Promise<string> {
  return signJwt({
    '@context': 'https://www.w3.org/ns/did/v1',
    id: `did:web:${name}.home.test`,
    verificationMethod: [{ type: 'Ed25519VerificationKey2020', id: '#main_key', controller: ownerDid, publicKeyJwk: key.publicJwk }],
    authentication: ['#main_key'],
    name, device_type: type, owner: ownerDid, zone_did: zoneDid,
    iat: nowS(), exp: nowS() + 3600 * 24 * 365,
  }, signer.privateKeyPem);
}

const settings = (user: string, type: string, state: string) =>
  JSON.stringify({ user_id: user, type, state, res_pool_id: 'default', is_local: true });

async function seed(): Promise<void> {
  const nas = generateEd25519();
  const rogue = generateEd25519();
  const values: Record<string, string> = {
    'boot/config': JSON.stringify({ zone_document: 'zone-document-jwt', verify_hub_info: { public_key: hubKey.publicJwk } }),
    [VERIFY_HUB_KEY]: hubKey.privateKeyPem,
    'system/rbac/policy': 'g, alice, admin\ng, dave, users\ng, erin, users\ng, bob, users\ng, ood1, ood\n',
    'users/alice/doc': JSON.stringify({ id: ownerDid, name: 'alice', verificationMethod: [{ id: '#main_key', type: 'Ed25519VerificationKey2020', controller: ownerDid, publicKeyJwk: owner.publicJwk }] }),
    'users/alice/profile': JSON.stringify({ display_name: 'Alice' }),
    'users/bob/settings': settings('bob', 'user', 'suspended:unpaid'),
    'security/verify-hub/passwords/bob': hashPassword(PASSWORD, 'bob'),
    'devices/ood1/doc': await deviceDoc('ood1', 'ood', device, owner),
    'devices/nas1/doc': await deviceDoc('nas1', 'node', nas, owner),
    'devices/rogue/doc': await deviceDoc('rogue', 'node', rogue, rogue),
    // The scheduler placed alice's and bob's notes on ood1: ood1 may sign their app tokens, nas1 may not.
    'nodes/ood1/config': JSON.stringify({ node_id: 'ood1', kernel: {}, apps: {
      'notes@alice@ood1': { target_state: 'Running', node_id: 'ood1', app_spec: { installation_id: 'notes', user_id: 'alice' } },
      'notes@bob@ood1': { target_state: 'Running', node_id: 'ood1', app_spec: { installation_id: 'notes', user_id: 'bob' } },
    } }),
  };
  for (const u of ACTIVE_USERS) {
    values[`users/${u}/settings`] = settings(u, u === 'alice' ? 'admin' : 'user', 'active');
    values[`security/verify-hub/passwords/${u}`] = hashPassword(PASSWORD, u);
  }
  await store.transact(() => Object.entries(values).map(([key, value]) => ({ key, value })));
  keys.nas = nas;
  keys.rogue = rogue;
}
const keys: Record<string, Ed25519KeyPair> = {};

before(async () => {
  await seed();
  systemConfig = await startSystemConfig({
    store, host, port: 0, log: log.child('system-config'), zoneDid,
    owner: { did: ownerDid, publicJwk: owner.publicJwk },
    device: { name: deviceName, did: `did:web:${deviceName}.home.test`, publicJwk: device.publicJwk },
  });
  kvUrl = `http://${host}:${systemConfig.port}/kapi/system_config`;
  kv = new SystemConfigClient(kvUrl, deviceToken('verify-hub'));
  hub = await startVerifyHub({ host, port: 0, log: log.child('verify-hub'), kv, zoneDid, ownerPublicJwk: owner.publicJwk, now: clock, gatewaySecret: GATEWAY_SECRET });
  hubUrl = `http://${host}:${hub.port}/kapi/verify_hub`;
});

after(async () => {
  await hub?.stop();
  await systemConfig?.stop();
  await store.close();
});

/** A kRPC call to verify-hub as if forwarded by the gateway for client address `ip` (`secret` false: a forgery). */
async function hubCall<T = any>(method: string, params: unknown, ip = '203.0.113.1', secret = true): Promise<T> {
  const res = await fetch(hubUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...(secret ? { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET } : {}) },
    body: JSON.stringify({ method, params, sys: [1] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { result?: T; error?: string };
  if (typeof body.error === 'string') throw KrpcError.fromWire(body.error);
  return body.result as T;
}

function passwordParams(user: string, password = PASSWORD, nonce = clock(), appid = 'control-panel') {
  const verifier = hashPassword(password, user);
  const proof = loginProof(verifier, nonce);
  secretsSent.add(password).add(verifier).add(proof);
  return { type: 'password', username: user, password: proof, appid, login_nonce: nonce };
}

const login = (user: string, ip?: string, nonce?: number) => hubCall('login_by_password', passwordParams(user, PASSWORD, nonce), ip);

const rejects = (p: Promise<unknown>, code: string, pattern?: RegExp) =>
  assert.rejects(p, (e) => {
    assert.ok(isKrpcError(e), `expected a KrpcError, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });

const readProfile = (token: string) => new SystemConfigClient(kvUrl, token).get('users/alice/profile');
const sessionKeys = () => store.keysWithPrefix(`${SESSIONS_PREFIX}/`).sort();

test('password login returns user info and an EdDSA token pair that system-config accepts', async () => {
  const res = await login('alice', '198.51.100.1');
  assert.deepEqual(res.user_info, { user_id: 'alice', user_name: 'alice', user_type: 'admin' });
  assert.deepEqual(decodeProtectedHeader(res.session_token), { alg: 'EdDSA', kid: 'verify-hub' });
  const c = decodeJwt(res.session_token);
  assert.equal(c.iss, 'verify-hub');
  assert.equal(c.sub, 'alice');
  assert.equal(c.appid, 'control-panel');
  assert.equal(c.principal_kind, 'user');
  assert.equal(c.zone, zoneDid);
  assert.equal(c.exp! - c.iat!, 15 * 60);
  assert.ok(typeof c.jti === 'string' && Number.isSafeInteger(c.session), 'jti and session claims');
  const rc = decodeJwt(res.refresh_token);
  assert.equal(rc.aud, 'verify-hub');
  assert.equal(rc.exp! - rc.iat!, 7 * 24 * 3600);
  assert.equal(rc.session, c.session);

  const profile = await readProfile(res.session_token);
  assert.deepEqual(JSON.parse(profile!.value), { display_name: 'Alice' });
  const record = JSON.parse(store.get(`${SESSIONS_PREFIX}/${c.session}`)!.value);
  assert.deepEqual({ sub: record.sub, appid: record.appid, kind: record.kind, revoked: record.revoked, refresh_jti: record.refresh_jti },
    { sub: 'alice', appid: 'control-panel', kind: 'user', revoked: false, refresh_jti: rc.jti });
  assert.equal(await hubCall('verify_token', { session_token: res.session_token, appid: 'control-panel' }), true);
});

test('the typed client logs in with a password it never sends', async () => {
  const res = await new VerifyHubClient(hubUrl).loginWithPassword('erin', PASSWORD, 'buckycli', clock());
  assert.equal(decodeJwt(res.session_token).sub, 'erin');
});

test('wrong password and unknown user get the same refusal; nothing is written', async () => {
  const before = sessionKeys();
  const wrong = hubCall('login_by_password', passwordParams('alice', 'not the password'), '198.51.100.2');
  await rejects(wrong, 'UNAUTHENTICATED', /^wrong user name or password$/);
  await rejects(hubCall('login_by_password', passwordParams('mallory'), '198.51.100.2'), 'UNAUTHENTICATED', /^wrong user name or password$/);
  const plain = { ...passwordParams('alice'), password: PASSWORD };
  await rejects(hubCall('login_by_password', plain, '198.51.100.2'), 'UNAUTHENTICATED', /^wrong user name or password$/);
  await rejects(hubCall('login_by_password', passwordParams('root'), '198.51.100.2'), 'UNAUTHENTICATED', /^wrong user name or password$/);
  assert.deepEqual(sessionKeys(), before);
});

test('stale and future nonces are refused; a replayed nonce is refused and opens no session', async () => {
  await rejects(login('erin', '198.51.100.3', clock() - 6 * 60_000), 'UNAUTHENTICATED', /clock/);
  await rejects(login('erin', '198.51.100.3', clock() + 6 * 60_000), 'UNAUTHENTICATED', /clock/);
  await rejects(login('erin', '198.51.100.3', Math.floor(clock() / 1000)), 'UNAUTHENTICATED', /clock/);
  const params = passwordParams('erin', PASSWORD, clock() - 4 * 60_000);
  await hubCall('login_by_password', params, '198.51.100.3');
  const before = sessionKeys();
  await rejects(hubCall('login_by_password', params, '198.51.100.4'), 'UNAUTHENTICATED', /already used/);
  assert.deepEqual(sessionKeys(), before);
});

test('a suspended user with the right password is told the account is not active', async () => {
  await rejects(login('bob', '198.51.100.5'), 'PERMISSION_DENIED', /suspended/);
});

test('bad input is refused with INVALID_PARAMS and changes nothing', async () => {
  const before = sessionKeys();
  const good = passwordParams('alice');
  for (const bad of [
    { ...good, username: '../security' },
    { ...good, username: 'Alice' },
    { ...good, password: 12345 },
    { ...good, login_nonce: String(good.login_nonce) },
    { ...good, login_nonce: 1.5 },
    { ...good, appid: 'a b' },
    { ...good, appid: 'kernel' },
    { username: 'alice' },
  ]) await rejects(hubCall('login_by_password', bad, '198.51.100.6'), 'INVALID_PARAMS');
  await rejects(hubCall('login_by_jwt', { jwt: 'x'.repeat(20_000) }), 'INVALID_PARAMS');
  await rejects(hubCall('refresh_token', {}), 'INVALID_PARAMS');
  await rejects(hubCall('login', {}), 'UNKNOWN_METHOD');
  const big = await fetch(hubUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'logout', params: { pad: 'x'.repeat(200_000) } }) });
  assert.equal(big.status, 413);
  assert.deepEqual(sessionKeys(), before);
});

test('brute force: a user name locks after 5 failures, doubling, and a success resets it', async () => {
  for (let i = 0; i < 5; i++)
    await rejects(hubCall('login_by_password', passwordParams('dave', 'wrong-guess-' + i), `192.0.2.${10 + i}`), 'UNAUTHENTICATED');
  await rejects(login('dave', '192.0.2.30'), 'RATE_LIMITED', /try again in 1 s/);
  skewMs += 1100;
  await rejects(hubCall('login_by_password', passwordParams('dave', 'wrong-guess-5'), '192.0.2.31'), 'UNAUTHENTICATED');
  await rejects(login('dave', '192.0.2.32'), 'RATE_LIMITED', /try again in 2 s/);
  skewMs += 2100;
  await login('dave', '192.0.2.33');
  await rejects(hubCall('login_by_password', passwordParams('dave', 'wrong-again-7'), '192.0.2.34'), 'UNAUTHENTICATED');
  await login('dave', '192.0.2.35');
});

test('brute force: a client address locks after 5 failures across user names', async () => {
  for (let i = 0; i < 5; i++) await rejects(login(`nobody${i}`, '192.0.2.99'), 'UNAUTHENTICATED');
  await rejects(login('alice', '192.0.2.99'), 'RATE_LIMITED', /try again in \d+ s/);
  await login('alice', '192.0.2.100');
});

test('brute force: concurrent guesses are counted before they are checked, so the right password last is refused', async () => {
  // On a busy machine 31 requests may take longer to arrive than the first 1 s lockout lasts.
  frozenAt = clock();
  const guesses = Array.from({ length: 30 }, (_, i) => hubCall('login_by_password', passwordParams('frank', `concurrent-${i}`), '192.0.2.120'));
  guesses.push(login('frank', '192.0.2.120'));
  const outcomes = await Promise.allSettled(guesses).finally(() => { frozenAt = undefined; });
  const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as KrpcError).code));
  assert.equal(codes.filter((c) => c === 'UNAUTHENTICATED').length, 5, codes.join());
  assert.equal(codes.at(-1), 'RATE_LIMITED', codes.join());
  assert.deepEqual(JSON.parse(store.get(`${LOCKOUT_PREFIX}/users/frank`)!.value).failures, 5, 'the count is in KV');
});

test('brute force: the count survives a restart, and counters dropped from memory still lock', async () => {
  // Frank's count grows to 8 (an 8 s lockout), one wrong guess after each lockout ends.
  for (const [i, waitMs] of [1100, 2100, 4100].entries()) {
    skewMs += waitMs;
    await rejects(hubCall('login_by_password', passwordParams('frank', `later-${i}`), '192.0.2.121'), 'UNAUTHENTICATED');
  }
  // The hub's clock stands still from the last failure on (a loaded machine may take seconds to restart it).
  frozenAt = clock();
  await hub.stop();
  hub = await startVerifyHub({
    host, port: 0, log: log.child('verify-hub'), kv, zoneDid, ownerPublicJwk: owner.publicJwk, now: clock, gatewaySecret: GATEWAY_SECRET,
    lockout: { ...DEFAULT_LOCKOUT, maxEntries: 2 },
  });
  hubUrl = `http://${host}:${hub.port}/kapi/verify_hub`;
  await rejects(login('frank', '192.0.2.122'), 'RATE_LIMITED', /try again in [78] s/);
  for (let i = 0; i < 4; i++) await rejects(hubCall('login_by_password', passwordParams(`nobody-${i}`), `192.0.2.${130 + i}`), 'UNAUTHENTICATED');
  await rejects(login('frank', '192.0.2.123'), 'RATE_LIMITED', /try again in [78] s/);
  skewMs += frozenAt - Date.now() + 8100;
  frozenAt = undefined;
  await login('frank', '192.0.2.124');
  // Handing a failure back is written after the answer.
  await pollUntil('the stored count to reset after a success', async () => JSON.parse(store.get(`${LOCKOUT_PREFIX}/users/frank`)!.value).failures === 0 || undefined, { timeoutMs: 10_000 });
});

test('brute force: without the gateway secret, X-Forwarded-For is ignored: the caller is counted under its own address', async () => {
  for (let i = 0; i < 5; i++) await rejects(hubCall('login_by_password', passwordParams(`forger${i}`), `198.18.0.${i}`, false), 'UNAUTHENTICATED');
  await rejects(hubCall('login_by_password', passwordParams('alice'), '198.18.0.99', false), 'RATE_LIMITED');
  const forgedSecret = await fetch(hubUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.18.0.100', [GATEWAY_SECRET_HEADER]: 'not-the-secret' },
    body: JSON.stringify({ method: 'login_by_password', params: passwordParams('alice'), sys: [1] }),
  });
  assert.match((await forgedSecret.json() as { error: string }).error, /^RATE_LIMITED: /);
  const clients = store.keysWithPrefix(`${LOCKOUT_PREFIX}/clients/`);
  assert.ok(clients.includes(`${LOCKOUT_PREFIX}/clients/127.0.0.1`) || clients.includes(`${LOCKOUT_PREFIX}/clients/${host}`), `counted under the peer address: ${clients}`);
  assert.ok(!clients.some((k) => k.includes('198.18.')), `nothing counted under a forged address: ${clients}`);
  await login('alice', '198.18.0.101');
  skewMs += 1100;
});

test('refresh rotates; reusing an old refresh token revokes the session, newest included', async () => {
  const first = await login('alice', '198.51.100.10');
  const session = decodeJwt(first.session_token).session;
  const second = await hubCall('refresh_token', { refresh_token: first.refresh_token });
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.equal(decodeJwt(second.session_token).session, session);
  assert.ok(await readProfile(second.session_token), 'the rotated session token works');
  const third = await hubCall('refresh_token', { refresh_token: second.refresh_token });
  assert.ok(await readProfile(third.session_token), 'the rotated session token works');

  await rejects(hubCall('refresh_token', { refresh_token: first.refresh_token }), 'UNAUTHENTICATED', /already used/);
  await rejects(hubCall('refresh_token', { refresh_token: third.refresh_token }), 'UNAUTHENTICATED', /ended/);
  await rejects(hubCall('verify_token', { session_token: third.session_token }), 'UNAUTHENTICATED', /ended/);
  assert.equal(JSON.parse(store.get(`${SESSIONS_PREFIX}/${session}`)!.value).revoked, true);
});

test('two concurrent refreshes of one token cannot both win', async () => {
  const pair = await login('alice', '198.51.100.11');
  const results = await Promise.allSettled(Array.from({ length: 4 }, () => hubCall('refresh_token', { refresh_token: pair.refresh_token })));
  const won = results.filter((x) => x.status === 'fulfilled');
  assert.equal(won.length, 1, JSON.stringify(results.map((x) => x.status === 'rejected' ? String(x.reason) : 'ok')));
  for (const x of results) if (x.status === 'rejected') assert.ok(isKrpcError(x.reason, 'UNAUTHENTICATED'), String(x.reason));
});

test('logout revokes the session; logging out twice is fine', async () => {
  const pair = await login('alice', '198.51.100.12');
  assert.equal(await new VerifyHubClient(hubUrl).logout(pair.refresh_token), true);
  await rejects(hubCall('refresh_token', { refresh_token: pair.refresh_token }), 'UNAUTHENTICATED');
  await rejects(hubCall('verify_token', { session_token: pair.session_token }), 'UNAUTHENTICATED');
  await rejects(readProfile(pair.session_token), 'UNAUTHENTICATED', /ended/);
  assert.equal(await hubCall('logout', { refresh_token: pair.refresh_token }), true);
  await rejects(hubCall('logout', { refresh_token: pair.session_token }), 'UNAUTHENTICATED');
});

test('a refresh is refused once the user is suspended, and the session ends', async () => {
  const pair = await login('erin', '198.51.100.13');
  await store.transact(() => [{ key: 'users/erin/settings', value: settings('erin', 'user', 'suspended:review') }]);
  try {
    await rejects(hubCall('refresh_token', { refresh_token: pair.refresh_token }), 'UNAUTHENTICATED', /no longer/);
    await store.transact(() => [{ key: 'users/erin/settings', value: settings('erin', 'user', 'active') }]);
    await rejects(hubCall('refresh_token', { refresh_token: pair.refresh_token }), 'UNAUTHENTICATED', /ended/);
  } finally {
    await store.transact(() => [{ key: 'users/erin/settings', value: settings('erin', 'user', 'active') }]);
  }
});

const loginJwt = (claims: Record<string, unknown>, signer: Ed25519KeyPair, kid?: string) =>
  signJwt({ jti: String(randomInt(1, 2 ** 47)), exp: nowS() + 600, ...claims }, signer.privateKeyPem, kid);

test('login_by_jwt: a device logs in as itself, once per jti', async () => {
  const jwt = await loginJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon' }, device, 'ood1');
  const pair = await hubCall('login_by_jwt', { type: 'jwt', jwt });
  const c = decodeJwt(pair.session_token);
  assert.deepEqual([c.sub, c.appid, c.principal_kind], ['ood1', 'node-daemon', 'device']);
  assert.ok(await new SystemConfigClient(kvUrl, pair.session_token).get('boot/config'), 'the device session reads boot/config');
  await rejects(hubCall('login_by_jwt', { jwt, app_instance_id: 'other' }), 'UNAUTHENTICATED', /already used/);
  const refreshed = await hubCall('refresh_token', { refresh_token: pair.refresh_token });
  assert.equal(decodeJwt(refreshed.session_token).principal_kind, 'device');

  const nasJwt = await loginJwt({ iss: 'nas1', sub: 'nas1', appid: 'node-daemon' }, keys.nas, 'nas1');
  assert.equal(decodeJwt((await hubCall('login_by_jwt', { jwt: nasJwt })).session_token).principal_kind, 'device');
});

test('login_by_jwt: a device token for a user is a service session; user and root keys give user sessions', async () => {
  const app = await hubCall('login_by_jwt', { jwt: await loginJwt({ iss: 'ood1', sub: 'alice', appid: 'notes' }, device, 'ood1') });
  assert.deepEqual([decodeJwt(app.session_token).sub, decodeJwt(app.session_token).principal_kind], ['alice', 'service']);
  const user = await hubCall('login_by_jwt', { jwt: await loginJwt({ iss: 'alice', sub: 'alice', appid: 'control-panel' }, owner) });
  assert.equal(decodeJwt(user.session_token).principal_kind, 'user');
  assert.ok(await readProfile(user.session_token), 'the user session reads the profile');
  const root = await hubCall('login_by_jwt', { jwt: await loginJwt({ iss: 'root', sub: 'erin', appid: 'control-panel' }, owner) });
  assert.deepEqual([decodeJwt(root.session_token).sub, decodeJwt(root.session_token).principal_kind], ['erin', 'user']);
});

test('login_by_jwt refusals', async () => {
  const before = sessionKeys();
  const stranger = generateEd25519();
  const cases: Array<[string, Promise<string>]> = [
    ['sub root', loginJwt({ iss: 'root', sub: 'root', appid: 'control-panel' }, owner)],
    ['no jti', signJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon', exp: nowS() + 600 }, device.privateKeyPem)],
    ['no exp', signJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon', jti: '1' }, device.privateKeyPem)],
    ['expired', loginJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon', exp: nowS() - 60 }, device)],
    ['exp too far', loginJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon', exp: nowS() + 3 * 24 * 3600 }, device)],
    ['no appid', loginJwt({ iss: 'ood1', sub: 'ood1' }, device)],
    ['wrong key for the device', loginJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon' }, stranger)],
    ['device doc not signed by the owner', loginJwt({ iss: 'rogue', sub: 'rogue', appid: 'node-daemon' }, keys.rogue)],
    ['unknown issuer', loginJwt({ iss: 'ghost', sub: 'ghost', appid: 'node-daemon' }, stranger)],
    ['path in iss', loginJwt({ iss: '../alice', sub: 'alice', appid: 'x' }, owner)],
    ['user signs for another user', loginJwt({ iss: 'alice', sub: 'erin', appid: 'control-panel' }, owner)],
    ['service token for a suspended user', loginJwt({ iss: 'ood1', sub: 'bob', appid: 'notes' }, device)],
    ['service token for an unknown user', loginJwt({ iss: 'ood1', sub: 'ghost', appid: 'notes' }, device)],
    ['user session with a kernel appid', loginJwt({ iss: 'alice', sub: 'alice', appid: 'kernel' }, owner)],
    ['device signs for a user with a kernel appid', loginJwt({ iss: 'ood1', sub: 'alice', appid: 'kernel' }, device)],
    ['device signs for a user with appid verify-hub', loginJwt({ iss: 'ood1', sub: 'alice', appid: 'verify-hub' }, device)],
    ['device signs for a user with appid buckycli', loginJwt({ iss: 'ood1', sub: 'alice', appid: 'buckycli' }, device)],
    ['device signs for an app not placed on it', loginJwt({ iss: 'nas1', sub: 'alice', appid: 'notes' }, keys.nas)],
    ['device signs for another app of the user', loginJwt({ iss: 'ood1', sub: 'alice', appid: 'photos' }, device)],
    ['device signs as another device', loginJwt({ iss: 'nas1', sub: 'ood1', appid: 'node-daemon' }, keys.nas)],
    ['device signs for a sudo subject', loginJwt({ iss: 'ood1', sub: 'su_alice', appid: 'notes' }, device)],
    ['device signs for a kernel service subject', loginJwt({ iss: 'ood1', sub: 'scheduler', appid: 'notes' }, device)],
    ['alg none', Promise.resolve(unsigned({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon', jti: '5', exp: nowS() + 600 }))],
    ['garbage', Promise.resolve('not.a.jwt')],
  ];
  for (const [what, jwt] of cases) {
    await assert.rejects(hubCall('login_by_jwt', { jwt: await jwt }), (e) => {
      assert.ok(isKrpcError(e) && ['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'INVALID_PARAMS'].includes(e.code), `${what}: ${e}`);
      return true;
    }, what);
  }
  assert.deepEqual(sessionKeys(), before);
});

function unsigned(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }): string {
  const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(claims)}.`;
}

test('token matrix: system-config and verify_token refuse every token that is not a live session token', async () => {
  const pair = await login('alice', '198.51.100.20');
  const c = decodeJwt(pair.session_token) as Record<string, unknown>;
  const subject: SessionSubject = { sub: 'alice', appid: 'control-panel', kind: 'user', session: c.session as number };
  const stranger = generateEd25519();
  const otherZone = generateEd25519();
  const now = nowS();
  const matrix: Array<[string, string | undefined]> = [
    ['none', undefined],
    ['garbage', 'garbage'],
    ['garbage with dots', 'a.b.c'],
    ['alg none', unsigned(c, { alg: 'none', kid: 'verify-hub' })],
    ['alg HS256 keyed with the public key', await new SignJWT(c).setProtectedHeader({ alg: 'HS256', kid: 'verify-hub' }).sign(new TextEncoder().encode(hubKey.publicJwk.x))],
    ['wrong key', await signJwt(c, stranger.privateKeyPem, 'verify-hub')],
    ['expired', await signJwt({ ...tokenClaims('session', subject, zoneDid, now - 3600, '11') }, hubKey.privateKeyPem, 'verify-hub')],
    ['another zone', (await new TokenIssuer(otherZone.privateKeyPem, otherZone.publicJwk, 'did:web:other.test').mintPair(subject, now)).session_token],
    ['our key, another zone claim', await signJwt({ ...tokenClaims('session', subject, 'did:web:other.test', now, '12') }, hubKey.privateKeyPem, 'verify-hub')],
    ['refresh token as session token', pair.refresh_token],
  ];
  for (const [what, token] of matrix) {
    await assert.rejects(new SystemConfigClient(kvUrl, token).get('users/alice/profile'), (e) => {
      assert.ok(isKrpcError(e) && ['UNAUTHENTICATED', 'TOKEN_EXPIRED'].includes(e.code), `system-config, ${what}: ${e}`);
      return true;
    }, what);
    if (token === undefined) continue;
    await assert.rejects(hubCall('verify_token', { session_token: token }), (e) => {
      assert.ok(isKrpcError(e) && ['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'INVALID_PARAMS'].includes(e.code), `verify_token, ${what}: ${e}`);
      return true;
    }, what);
  }
  assert.ok(await readProfile(pair.session_token), 'the genuine token still works');
  await rejects(hubCall('verify_token', { session_token: pair.session_token, appid: 'notes' }), 'PERMISSION_DENIED');
});

test('refresh with forged or mismatched tokens is refused', async () => {
  const pair = await login('alice', '198.51.100.21');
  await rejects(hubCall('refresh_token', { refresh_token: pair.session_token }), 'UNAUTHENTICATED');
  const rc = decodeJwt(pair.refresh_token) as Record<string, unknown>;
  await rejects(hubCall('refresh_token', { refresh_token: await signJwt(rc, hubKey.privateKeyPem, 'verify-hub') }), 'UNAUTHENTICATED');
  await rejects(hubCall('refresh_token', { refresh_token: unsigned(rc) }), 'UNAUTHENTICATED');
  assert.ok(await hubCall('refresh_token', { refresh_token: pair.refresh_token }), 'the genuine one still works');
});

test('a restart keeps people logged in; verify-hub waits for its key on first boot', async () => {
  const pair = await login('alice', '198.51.100.30');
  await hub.stop();
  await store.transact(() => [{ key: VERIFY_HUB_KEY, value: null }]);
  let started = false;
  const starting = startVerifyHub({ host, port: 0, log: log.child('verify-hub'), kv, zoneDid, ownerPublicJwk: owner.publicJwk, now: clock, keyPollMs: 20, gatewaySecret: GATEWAY_SECRET })
    .then((h) => { started = true; return h; });
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(started, false, 'no key, no service');
  await store.transact(() => [{ key: VERIFY_HUB_KEY, value: hubKey.privateKeyPem }]);
  hub = await starting;
  hubUrl = `http://${host}:${hub.port}/kapi/verify_hub`;
  const next = await hubCall('refresh_token', { refresh_token: pair.refresh_token });
  assert.ok(await readProfile(next.session_token), 'the session survived the restart');
});

test('expired sessions, replay markers and revocations are swept', async () => {
  const pair = await login('alice', '198.51.100.40');
  assert.ok(store.keysWithPrefix(`${REPLAY_PREFIX}/`).length > 0, 'logins leave replay markers');
  const revoked = store.keysWithPrefix(`${REVOKED_SESSIONS_PREFIX}/`);
  assert.ok(revoked.length > 0, 'logouts and reused refresh tokens put sessions on the revocation list');
  const live = sessionKeys().length;
  const markers = store.keysWithPrefix(`${REPLAY_PREFIX}/`);
  // Lockout counters back at zero may go at any sweep; nothing else live does.
  await sweepExpired(kv, nowS());
  assert.equal(sessionKeys().length, live, 'nothing live is swept');
  assert.deepEqual(store.keysWithPrefix(`${REPLAY_PREFIX}/`), markers);
  // A revocation outlives every session token minted before it (15 min), then goes.
  await sweepExpired(kv, nowS() + 15 * 60);
  assert.deepEqual(store.keysWithPrefix(`${REVOKED_SESSIONS_PREFIX}/`), revoked);
  const removed = await sweepExpired(kv, nowS() + 8 * 24 * 3600);
  assert.ok(removed >= live, `removed ${removed} of ${live} sessions`);
  assert.deepEqual(sessionKeys(), []);
  assert.deepEqual(store.keysWithPrefix(`${REPLAY_PREFIX}/`), []);
  assert.deepEqual(store.keysWithPrefix(`${REVOKED_SESSIONS_PREFIX}/`), []);
  assert.deepEqual(store.keysWithPrefix(`${LOCKOUT_PREFIX}/`), [], 'lockout counters idle for 15 min are swept');
  await rejects(hubCall('refresh_token', { refresh_token: pair.refresh_token }), 'UNAUTHENTICATED', /ended/);
});

test('the log never holds a password, verifier or proof', () => {
  const text = logText.join('');
  assert.match(text, /password login/);
  for (const secret of secretsSent) assert.ok(!text.includes(secret), `a login secret reached the log: ${secret} in ${text.split('\n').find((l) => l.includes(secret))}`);
});
