// Real activation servers on a random loopback address with temp data dirs, driven by the owner-side
// client and by hand-made (forged, replayed, malformed) requests.
import { after, before, describe, test } from 'node:test';
import http from 'node:http';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { silentLogger } from '../lib/log.js';
import { dataPaths, type DataPaths } from '../lib/paths.js';
import { DEFAULT_PORTS } from '../lib/ports.js';
import { generateEd25519, publicJwkFromPrivatePem, type Ed25519KeyPair } from '../lib/identity/keys.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { assembleZoneDocument, buildOwnerDocument, defaultKey, type DeviceDocument, type ZoneDocument, type OwnerDocument } from '../lib/identity/documents.js';
import { signDocument, verifyOwnerSigned, verifyZoneBootConfig } from '../lib/identity/document-jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { hashPassword } from '../lib/identity/password.js';
import type { NodeIdentityFile, StartConfigFile } from '../lib/identity/files.js';
import { startActivationServer, type ActivationServer } from './service.js';
import { ActivationClient } from './client.js';
import { activateDevice } from './owner.js';
import type { CommitActiveParams, PreparedActiveDocuments } from './schema.js';
import { randomLoopback, tempDir } from '../testing/harness.js';

const HOST = randomLoopback();
const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const YEAR = 3600 * 24 * 365;

interface Device {
  dir: { path: string; remove(): Promise<void> };
  paths: DataPaths;
  server: ActivationServer;
  url: string;
  activatedCalls: () => number;
  clockOffset: { seconds: number };
}

const devices: Device[] = [];

async function startDevice(port = 0, prepareDir?: (paths: DataPaths) => Promise<void>): Promise<Device> {
  const dir = await tempDir('buckyos-activation-');
  const paths = dataPaths(dir.path);
  if (prepareDir) await prepareDir(paths);
  let calls = 0;
  const clockOffset = { seconds: 0 };
  const server = await startActivationServer({
    paths, host: HOST, port, log: silentLogger, onActivated: () => { calls++; }, now: () => Date.now() + clockOffset.seconds * 1000,
  });
  const device = { dir, paths, server, url: `http://${HOST}:${server.port}`, activatedCalls: () => calls, clockOffset };
  devices.push(device);
  return device;
}

after(async () => {
  for (const d of devices) {
    await d.server.stop();
    await d.dir.remove();
  }
});

const krpc = (d: Device) => new KrpcClient(`${d.url}/kapi/active`);
const isCode = (code: ErrorCode) => (e: unknown) => isKrpcError(e, code);

async function deviceState(d: Device): Promise<string> {
  const res = await fetch(`${d.url}/device`);
  return ((await res.json()) as { state: string }).state;
}

/** Every file under dir with its content and mode. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    const path = join(dir, rel);
    const s = await stat(path);
    if (s.isFile()) out[rel] = `${(s.mode & 0o777).toString(8)} ${await readFile(path, 'utf8')}`;
  }
  return out;
}

async function etcFiles(paths: DataPaths): Promise<string[]> {
  try {
    return await readdir(paths.etc);
  } catch {
    return [];
  }
}

const pemBody = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
const privateD = (pem: string) => (createPrivateKey(pem).export({ format: 'jwk' }) as { d: string }).d;

/** Records the text of every request body and response the owner side exchanges. */
/** A recording HTTP proxy in front of the device: sees exactly what crosses the wire, whatever the client uses. */
async function recordTraffic(target: { host: string; port: number }) {
  const exchanges: { request?: string; response: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        const out: Buffer[] = [];
        upRes.on('data', (c: Buffer) => out.push(c));
        upRes.on('end', () => {
          const answer = Buffer.concat(out);
          exchanges.push({ request: body.length > 0 ? body.toString() : undefined, response: answer.toString() });
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.end(answer);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  server.listen(0, target.host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    exchanges,
    url: `http://${target.host}:${port}`,
    restore: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('activateDevice against a fresh device on :3182', () => {
  let device: Device;
  let result: Awaited<ReturnType<typeof activateDevice>>;
  let traffic: Awaited<ReturnType<typeof recordTraffic>>;
  const password = 'correct horse battery';

  before(async () => {
    device = await startDevice(DEFAULT_PORTS.activation);
    assert.equal(await deviceState(device), 'inactive');
    traffic = await recordTraffic({ host: HOST, port: DEFAULT_PORTS.activation });
    try {
      result = await activateDevice({ deviceUrl: traffic.url, zoneName: ' Home.Example.com ', ownerName: 'Alice', password });
    } finally {
      await traffic.restore();
    }
  });

  test('returns a new 12-word mnemonic and the zone identity', () => {
    assert.equal(result.generatedMnemonic, true);
    assert.equal(result.mnemonic.split(' ').length, 12);
    assert.deepEqual(
      { zoneDid: result.zoneDid, ownerDid: result.ownerDid, deviceName: result.deviceName, accessHostname: result.accessHostname },
      { zoneDid: 'did:web:home.example.com', ownerDid: 'did:bns:alice', deviceName: 'ood1', accessHostname: 'home.example.com' },
    );
  });

  test('writes node_identity.json with the owner public key derived from the mnemonic', async () => {
    const owner = deriveOwnerKeyMaterial(result.mnemonic).ownerKey;
    const identity = JSON.parse(await readFile(device.paths.nodeIdentity, 'utf8')) as NodeIdentityFile;
    const zone = await verifyOwnerSigned<ZoneDocument>(await readFile(device.paths.zoneDocJwt, 'utf8'), owner.publicJwk);
    assert.deepEqual(identity, {
      schema: 'buckyos.node_identity.v2',
      zone_did: 'did:web:home.example.com',
      owner_did: 'did:bns:alice',
      owner_public_key: owner.publicJwk,
      device_name: 'ood1',
      device_did: 'did:web:ood1.home.example.com',
      zone_iat: zone.iat,
    });
  });

  test('writes the device key (0600) matching the owner-signed device document', async () => {
    const owner = deriveOwnerKeyMaterial(result.mnemonic).ownerKey;
    assert.equal((await stat(device.paths.deviceKey)).mode & 0o777, 0o600);
    const deviceDoc = await verifyOwnerSigned<DeviceDocument>(await readFile(device.paths.deviceDocJwt, 'utf8'), owner.publicJwk);
    assert.deepEqual(defaultKey(deviceDoc), publicJwkFromPrivatePem(await readFile(device.paths.deviceKey, 'utf8')));
    assert.equal(deviceDoc.owner, 'did:bns:alice');
    assert.equal(deviceDoc.zone_did, 'did:web:home.example.com');
    const mini = await verifyOwnerSigned<{ n: string; x: string }>(await readFile(device.paths.deviceMiniDocJwt, 'utf8'), owner.publicJwk);
    assert.deepEqual([mini.n, mini.x], ['ood1', defaultKey(deviceDoc)!.x]);
  });

  test('writes a boot config and zone document that verify with the owner key and agree with each other', async () => {
    const owner = deriveOwnerKeyMaterial(result.mnemonic).ownerKey;
    const bootJwt = await readFile(device.paths.zoneBootJwt, 'utf8');
    const boot = await verifyZoneBootConfig(bootJwt, owner.publicJwk);
    assert.deepEqual(boot.oods, ['ood1']);
    assert.equal(boot.owner, undefined);
    const zoneJwt = await readFile(device.paths.zoneDocJwt, 'utf8');
    assert.ok(zoneJwt.length < 4096, `zone JWT is ${zoneJwt.length} bytes`);
    const zone = await verifyOwnerSigned<ZoneDocument>(zoneJwt, owner.publicJwk);
    assert.equal(zone.boot_jwt, bootJwt);
    assert.equal(zone.hostname, 'home.example.com');
    assert.equal(zone.iat, boot.iat);
    assert.equal(zone.devices?.ood1.device_mini_config_jwt, await readFile(device.paths.deviceMiniDocJwt, 'utf8'));
  });

  test('writes start_config.json (0600) with the password verifier, never the password', async () => {
    assert.equal((await stat(device.paths.startConfig)).mode & 0o777, 0o600);
    const start = JSON.parse(await readFile(device.paths.startConfig, 'utf8')) as StartConfigFile;
    assert.equal(start.user_name, 'alice');
    assert.equal(start.zone_name, 'did:web:home.example.com');
    assert.equal(start.access_hostname, 'home.example.com');
    assert.equal(start.admin_password_hash, hashPassword(password, 'alice'));
    assert.equal(start.ood_jwt, await readFile(device.paths.deviceDocJwt, 'utf8'));
    assert.equal(start.boot_config_jwt, await readFile(device.paths.zoneBootJwt, 'utf8'));
    assert.equal(start.zone_document_jwt, await readFile(device.paths.zoneDocJwt, 'utf8'));
    assert.equal((start.owner_document as OwnerDocument).id, 'did:bns:alice');
  });

  test('no mnemonic, owner private key or password anywhere in the data dir', async () => {
    const owner = deriveOwnerKeyMaterial(result.mnemonic).ownerKey;
    const secrets = [result.mnemonic, pemBody(owner.privateKeyPem), privateD(owner.privateKeyPem), password];
    const files = await snapshot(device.dir.path);
    assert.ok(Object.keys(files).length >= 7, 'all identity files are there to be searched');
    for (const [file, content] of Object.entries(files)) {
      for (const secret of secrets) assert.equal(content.includes(secret), false, `${file} holds a secret`);
    }
  });

  test('the device private key never crossed the wire', async () => {
    const devicePem = await readFile(device.paths.deviceKey, 'utf8');
    assert.ok(traffic.exchanges.length >= 3, 'the activation traffic was recorded');
    for (const { request, response } of traffic.exchanges) {
      for (const secret of [pemBody(devicePem), privateD(devicePem)]) {
        assert.equal(response.includes(secret), false, 'a response carries the device private key');
        assert.equal(request?.includes(secret) ?? false, false, 'a request carries the device private key');
      }
    }
  });

  test('announces itself as activated and calls onActivated once', async () => {
    assert.equal(await deviceState(device), 'actived');
    for (let i = 0; i < 50 && device.activatedCalls() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(device.activatedCalls(), 1);
  });

  test('a second activation and a replayed commit are refused with ALREADY_ACTIVATED and change nothing', async () => {
    const before = await snapshot(device.dir.path);
    await assert.rejects(
      activateDevice({ deviceUrl: device.url, zoneName: 'evil', ownerName: 'mallory', password: 'password123' }),
      isCode('ALREADY_ACTIVATED'),
    );
    const commit = traffic.exchanges.map((x) => JSON.parse(x.request ?? '{}')).find((b) => b.method === 'commit_active');
    assert.ok(commit, 'the original commit was recorded');
    await assert.rejects(krpc(device).call('commit_active', commit.params), isCode('ALREADY_ACTIVATED'));
    await assert.rejects(krpc(device).call('generate_device_key_pair', {}), isCode('ALREADY_ACTIVATED'));
    assert.deepEqual(await snapshot(device.dir.path), before);
    assert.equal(device.activatedCalls(), 1);
  });
});

describe('forged and malformed activation requests', () => {
  let device: Device;
  let client: ActivationClient;
  const owner = deriveOwnerKeyMaterial(ABANDON);
  let ownerDocument: OwnerDocument;
  let prepared: PreparedActiveDocuments;

  const prepare = async (c: ActivationClient) => {
    const { public_key } = await c.generateDeviceKeyPair();
    return c.prepareActiveDocuments({
      owner_document: ownerDocument,
      names: { owner_name: 'alice', owner_did: 'did:bns:alice', zone_did: 'did:web:home', access_hostname: 'home', bns_publish_name: 'alice', use_self_domain: true },
      topology: { net_id: 'nat', uses_sn_relay: false },
      device_public_key: public_key,
    });
  };

  /** A correct commit for `p`, with every piece overridable. */
  async function commitFor(p: PreparedActiveDocuments, signer: Ed25519KeyPair = owner.ownerKey, docs: Partial<{ boot: object; device: object; mini: object }> = {}): Promise<CommitActiveParams> {
    const boot = await signDocument(docs.boot ?? p.boot_document, signer.privateKeyPem);
    const dev = await signDocument(docs.device ?? p.device_document, signer.privateKeyPem);
    const mini = await signDocument(docs.mini ?? p.device_mini_document, signer.privateKeyPem);
    const zone = assembleZoneDocument({
      zoneDid: p.names.zone_did, ownerDid: p.names.owner_did, ownerKey: signer.publicJwk, hostname: p.names.access_hostname,
      boot: p.boot_document, bootJwt: boot, devices: [{ document: p.device_document, miniJwt: mini }],
    });
    return {
      owner_document: p.owner_document,
      prepared: p,
      signed_documents: { boot_document_jwt: boot, device_document_jwt: dev, device_mini_document_jwt: mini, zone_document_jwt: await signDocument(zone, signer.privateKeyPem) },
      system_settings: { admin_password_hash: hashPassword('password123', 'alice') },
    };
  }

  const refuse = async (params: unknown, code: ErrorCode, method = 'commit_active') => {
    await assert.rejects(krpc(device).call(method, params), (e) => isKrpcError(e, code) && !/stack|at .*\.ts/.test(e.message));
    assert.deepEqual(await etcFiles(device.paths), [], 'nothing may be written');
  };

  before(async () => {
    device = await startDevice();
    client = new ActivationClient(device.url);
    ownerDocument = buildOwnerDocument({ name: 'alice', publicJwk: owner.ownerKey.publicJwk, evmAddress: owner.evmAddress, iat: nowSeconds() });
    prepared = await prepare(client);
  });

  test('documents signed by another key', async () => {
    await refuse(await commitFor(prepared, generateEd25519()), 'UNAUTHENTICATED');
  });

  test("an attacker's own owner document and key in place of the prepared ones", async () => {
    const mallory = generateEd25519();
    const forgedOwner = buildOwnerDocument({ name: 'alice', publicJwk: mallory.publicJwk, evmAddress: owner.evmAddress, iat: nowSeconds() });
    const forged = await commitFor({ ...prepared, owner_document: forgedOwner }, mallory);
    await refuse(forged, 'INVALID_PARAMS');
  });

  test('a validly signed but tampered boot config, device document or mini document', async () => {
    await refuse(await commitFor(prepared, owner.ownerKey, { boot: { ...prepared.boot_document, oods: ['ood1', '#evil:6.6.6.6'] } }), 'INVALID_PARAMS');
    const evilKey = generateEd25519().publicJwk;
    const evilDevice = { ...prepared.device_document, verificationMethod: [{ ...prepared.device_document.verificationMethod[0], publicKeyJwk: evilKey }] };
    await refuse(await commitFor(prepared, owner.ownerKey, { device: evilDevice }), 'INVALID_PARAMS');
    await refuse(await commitFor(prepared, owner.ownerKey, { mini: { ...prepared.device_mini_document, x: evilKey.x } }), 'INVALID_PARAMS');
  });

  test('a tampered prepared object or zone document', async () => {
    await refuse(await commitFor({ ...prepared, device_info: { ...prepared.device_info, arch: 'evil' } }), 'INVALID_PARAMS');
    const good = await commitFor(prepared);
    const zone = await verifyOwnerSigned<ZoneDocument>(good.signed_documents.zone_document_jwt, owner.ownerKey.publicJwk);
    const otherZone = await signDocument({ ...zone, hostname: 'evil.example.com' }, owner.ownerKey.privateKeyPem);
    await refuse({ ...good, signed_documents: { ...good.signed_documents, zone_document_jwt: otherZone } }, 'INVALID_PARAMS');
  });

  test('alg "none" and HMAC JWTs', async () => {
    const good = await commitFor(prepared);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64(prepared.device_document)}.`;
    await refuse({ ...good, signed_documents: { ...good.signed_documents, device_document_jwt: none } }, 'UNAUTHENTICATED');
    const hs = await new SignJWT(prepared.boot_document).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(owner.ownerKey.publicJwk.x));
    await refuse({ ...good, signed_documents: { ...good.signed_documents, boot_document_jwt: hs } }, 'UNAUTHENTICATED');
  });

  test('a plain password or a bogus hash instead of the verifier', async () => {
    const good = await commitFor(prepared);
    await refuse({ ...good, system_settings: { admin_password_hash: 'password123' } }, 'INVALID_PARAMS');
  });

  test('documents that expired before the commit', async () => {
    device.clockOffset.seconds = 6 * YEAR;
    try {
      await refuse(await commitFor(prepared), 'TOKEN_EXPIRED');
    } finally {
      device.clockOffset.seconds = 0;
    }
  });

  test('prepare refuses a key the device did not generate, a secret-bearing owner document and inconsistent names', async () => {
    const names = { owner_name: 'alice', owner_did: 'did:bns:alice', zone_did: 'did:web:home', access_hostname: 'home', bns_publish_name: 'alice', use_self_domain: true };
    const params = { owner_document: ownerDocument, names, topology: { net_id: 'nat', uses_sn_relay: false }, device_public_key: defaultKey(prepared.device_document) };
    await refuse({ ...params, device_public_key: generateEd25519().publicJwk }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({ ...params, owner_document: { ...ownerDocument, email: 'a@b.c' } }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({ ...params, names: { ...names, zone_did: 'did:web:evil' } }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({ ...params, topology: { net_id: 'wan', uses_sn_relay: true, sn_url: 'https://sn.example.com' } }, 'INVALID_PARAMS', 'prepare_active_documents');
  });

  test('unknown fields and wrong types are INVALID_PARAMS', async () => {
    const good = await commitFor(prepared);
    await refuse({ extra: 1 }, 'INVALID_PARAMS', 'generate_device_key_pair');
    await refuse({ ...good, sn: { sn_url: 'x' } }, 'INVALID_PARAMS');
    await refuse({ ...good, device_private_key: 'x' }, 'INVALID_PARAMS');
    await refuse({ ...good, signed_documents: { ...good.signed_documents, extra_jwt: good.signed_documents.boot_document_jwt } }, 'INVALID_PARAMS');
    await refuse({ ...good, system_settings: { ...good.system_settings, guest_access: 'yes' } }, 'INVALID_PARAMS');
    await refuse({ ...good, prepared: { ...good.prepared, extra: {} } }, 'INVALID_PARAMS');
    await refuse({ ...good, signed_documents: { ...good.signed_documents, boot_document_jwt: 42 } }, 'INVALID_PARAMS');
    const names = { owner_name: 'alice', owner_did: 'did:bns:alice', zone_did: 'did:web:home', access_hostname: 'home', bns_publish_name: 'alice', use_self_domain: true };
    const prep = { owner_document: ownerDocument, names, topology: { net_id: 'nat', uses_sn_relay: false }, device_public_key: defaultKey(prepared.device_document) };
    await refuse({ ...prep, names: { ...names, extra: 'x' } }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({ ...prep, topology: { net_id: 'nat', uses_sn_relay: false, rtcp_port: 'abc' } }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({ ...prep, topology: { net_id: 'lan', uses_sn_relay: false } }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({ ...prep, device_public_key: { ...prep.device_public_key, d: 'c2VjcmV0' } }, 'INVALID_PARAMS', 'prepare_active_documents');
    await refuse({}, 'UNKNOWN_METHOD', 'sign_web_active_documents');
    const notJson = await fetch(`${device.url}/kapi/active`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":' });
    assert.match(((await notJson.json()) as { error: string }).error, /^INVALID_PARAMS: /);
    const huge = await fetch(`${device.url}/kapi/active`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'commit_active', params: { pad: 'x'.repeat(100_000) } }),
    });
    assert.equal(huge.status, 413);
    assert.deepEqual(await etcFiles(device.paths), []);
  });

  test('a new device key invalidates what was prepared for the old one', async () => {
    const stale = await commitFor(prepared);
    await client.generateDeviceKeyPair();
    await refuse(stale, 'FAILED_PRECONDITION');
  });

  test('after all that, a correct commit still succeeds (the refusals were about the forgeries)', async () => {
    prepared = await prepare(client);
    assert.deepEqual(await client.commitActive(await commitFor(prepared)), { status: 'completed', access_hostname: 'home' });
    const identity = JSON.parse(await readFile(device.paths.nodeIdentity, 'utf8')) as NodeIdentityFile;
    assert.deepEqual(identity.owner_public_key, owner.ownerKey.publicJwk);
  });
});

test('two racing commits: exactly one wins', async () => {
  const device = await startDevice();
  const client = new ActivationClient(device.url);
  const owner = deriveOwnerKeyMaterial(ABANDON).ownerKey;
  const ownerDocument = buildOwnerDocument({ name: 'bob', publicJwk: owner.publicJwk, evmAddress: deriveOwnerKeyMaterial(ABANDON).evmAddress, iat: nowSeconds() });
  const { public_key } = await client.generateDeviceKeyPair();
  const p = await client.prepareActiveDocuments({
    owner_document: ownerDocument,
    names: { owner_name: 'bob', owner_did: 'did:bns:bob', zone_did: 'did:web:race', access_hostname: 'race', bns_publish_name: 'bob', use_self_domain: true },
    topology: { net_id: 'nat', uses_sn_relay: false },
    device_public_key: public_key,
  });
  const boot = await signDocument(p.boot_document, owner.privateKeyPem);
  const dev = await signDocument(p.device_document, owner.privateKeyPem);
  const mini = await signDocument(p.device_mini_document, owner.privateKeyPem);
  const zone = await signDocument(assembleZoneDocument({
    zoneDid: 'did:web:race', ownerDid: 'did:bns:bob', ownerKey: owner.publicJwk, hostname: 'race', boot: p.boot_document, bootJwt: boot,
    devices: [{ document: p.device_document, miniJwt: mini }],
  }), owner.privateKeyPem);
  const params: CommitActiveParams = {
    owner_document: ownerDocument, prepared: p,
    signed_documents: { boot_document_jwt: boot, device_document_jwt: dev, device_mini_document_jwt: mini, zone_document_jwt: zone },
    system_settings: { admin_password_hash: hashPassword('password123', 'bob') },
  };
  const outcomes = await Promise.allSettled([client.commitActive(params), new ActivationClient(device.url).commitActive(params)]);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
  assert.ok(isKrpcError(lost.reason, 'ALREADY_ACTIVATED'), String(lost.reason));
  for (let i = 0; i < 50 && device.activatedCalls() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(device.activatedCalls(), 1);
});

test("activateDevice with the owner's own mnemonic keeps the owner key", async () => {
  const device = await startDevice();
  const r = await activateDevice({ deviceUrl: device.url, zoneName: 'lan-zone', ownerName: 'carol', password: 'password123', mnemonic: ABANDON.toUpperCase() });
  assert.equal(r.generatedMnemonic, false);
  assert.equal(r.mnemonic, ABANDON);
  const identity = JSON.parse(await readFile(device.paths.nodeIdentity, 'utf8')) as NodeIdentityFile;
  assert.equal(identity.owner_public_key.x, 'TFCczaH036J93MRNk0bMMy5zpAha29uNOO7WgcWnrWo');
});

test('activateDevice checks its inputs before talking to the device', async () => {
  const device = await startDevice();
  const base = { deviceUrl: device.url, zoneName: 'home', ownerName: 'dave', password: 'password123' };
  for (const bad of [
    { zoneName: 'not a zone' }, { zoneName: '-home' }, { ownerName: 'da ve' }, { ownerName: 'x'.repeat(65) },
    { password: 'short' }, { mnemonic: ABANDON.replace(/about$/, 'abandon') },
  ]) await assert.rejects(activateDevice({ ...base, ...bad }), isCode('INVALID_PARAMS'), JSON.stringify(bad));
  await assert.rejects(activateDevice({ ...base, deviceUrl: 'ftp://x' }), isCode('INVALID_PARAMS'));
  await assert.rejects(krpc(device).call('prepare_active_documents', {}), isCode('INVALID_PARAMS'));
  await assert.rejects(krpc(device).call('commit_active', {}), isCode('INVALID_PARAMS'));
  assert.deepEqual(await etcFiles(device.paths), []);
  assert.equal(await deviceState(device), 'inactive');
});

test('a device already activated at start refuses; an unreadable identity is reported, never overwritten', async () => {
  const identity: NodeIdentityFile = {
    schema: 'buckyos.node_identity.v2', zone_did: 'did:web:home', owner_did: 'did:bns:erin', owner_public_key: generateEd25519().publicJwk,
    device_name: 'ood1', device_did: 'did:web:ood1.home', zone_iat: 1,
  };
  const activated = await startDevice(0, async (paths) => {
    await mkdir(paths.etc, { recursive: true });
    await writeFile(paths.nodeIdentity, JSON.stringify(identity));
  });
  assert.equal(await deviceState(activated), 'actived');
  await assert.rejects(krpc(activated).call('generate_device_key_pair', {}), isCode('ALREADY_ACTIVATED'));

  const corrupt = await startDevice(0, async (paths) => {
    await mkdir(paths.etc, { recursive: true });
    await writeFile(paths.nodeIdentity, '{not json');
  });
  assert.equal(await deviceState(corrupt), 'error');
  await assert.rejects(krpc(corrupt).call('generate_device_key_pair', {}), isCode('FAILED_PRECONDITION'));
  assert.equal(await readFile(corrupt.paths.nodeIdentity, 'utf8'), '{not json');
});
