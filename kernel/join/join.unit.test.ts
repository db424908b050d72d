import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { keyFingerprint, normalizeJoinCode } from './device-key.js';
import { normalizeZoneUrl, verifyJoinBundle } from './files.js';
import { checkDeviceName } from './owner.js';
import { joinBundle, testZone } from './test-zone.js';

const isCode = (code: ErrorCode) => (e: unknown) => isKrpcError(e, code);
const now = nowSeconds();
const zone = await testZone(now);
const device = generateEd25519();

test('the join code is a stable 12-character base32 fingerprint of the public key', () => {
  const code = keyFingerprint(device.publicJwk);
  assert.match(code, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
  assert.equal(keyFingerprint({ ...device.publicJwk }), code);
  assert.notEqual(keyFingerprint(generateEd25519().publicJwk), code);
  assert.equal(normalizeJoinCode(code.toLowerCase().replace(/-/g, ' ')), code);
  assert.throws(() => normalizeJoinCode('ABCD-EF01-GH45'), isCode('INVALID_PARAMS'), '0 and 1 are not base32');
  assert.throws(() => normalizeJoinCode('ABCD-EF23'), isCode('INVALID_PARAMS'));
});

test('device names: DNS labels only, never a role of the access rules', () => {
  assert.equal(checkDeviceName(' NAS1 '), 'nas1');
  for (const bad of ['kernel', 'admin', 'root', 'node', 'ood', 'nas_1', '-nas', 'a/b', '', 'x'.repeat(64)])
    assert.throws(() => checkDeviceName(bad), isCode('INVALID_PARAMS'), bad);
});

test('zone URLs are scheme, host and port only; without a scheme, plain HTTP on the gateway port', () => {
  assert.equal(normalizeZoneUrl('http://127.0.0.5:3180/'), 'http://127.0.0.5:3180');
  assert.equal(normalizeZoneUrl('127.0.0.5:3180'), 'http://127.0.0.5:3180');
  assert.equal(normalizeZoneUrl(' 192.168.1.10 '), 'http://192.168.1.10:3180');
  assert.equal(normalizeZoneUrl('https://home.example.com'), 'https://home.example.com');
  for (const bad of ['ftp://x', '127.0.0.5:3180/kapi', ':3180', 'http://x/kapi', 'http://u:p@x', 'http://x?a=1'])
    assert.throws(() => normalizeZoneUrl(bad), isCode('INVALID_PARAMS'), bad);
});

test('a bundle the zone owner signed over this device key verifies', async () => {
  const { device: doc, zone: zoneDoc } = await verifyJoinBundle(await joinBundle(zone, device.publicJwk, now), device.publicJwk, now);
  assert.equal(doc.name, 'nas1');
  assert.equal(zoneDoc.id, 'did:web:testzone');
});

test('bundles that do not fit the device or the owner are refused', async () => {
  const ok = await joinBundle(zone, device.publicJwk, now);
  const other = generateEd25519();
  const cases: Array<[string, Promise<unknown>, ErrorCode]> = [
    ['doc for another device key', joinBundle(zone, other.publicJwk, now), 'INTEGRITY'],
    ['doc signed by someone else', joinBundle(zone, device.publicJwk, now, { signer: other }), 'UNAUTHENTICATED'],
    ['an OOD type', joinBundle(zone, device.publicJwk, now, { deviceType: 'ood' }), 'INTEGRITY'],
    ['the OOD name', joinBundle(zone, device.publicJwk, now, { name: 'ood1' }), 'INTEGRITY'],
    ['expired doc', joinBundle(zone, device.publicJwk, now - 100, { exp: now - 50 }), 'TOKEN_EXPIRED'],
  ];
  for (const [what, bundle, code] of cases) await assert.rejects(verifyJoinBundle((await bundle) as typeof ok, device.publicJwk, now), isCode(code), what);
  const otherZone = await testZone(now, other);
  await assert.rejects(verifyJoinBundle({ ...ok, zone_document_jwt: otherZone.zoneJwt }, device.publicJwk, now), isCode('UNAUTHENTICATED'), 'zone doc of another owner');
  await assert.rejects(verifyJoinBundle({ ...ok, node_identity: { ...ok.node_identity, zone_iat: now + 1 } }, device.publicJwk, now), isCode('INTEGRITY'), 'other boot iat');
  await assert.rejects(verifyJoinBundle({ ...ok, node_identity: { ...ok.node_identity, device_name: 'nas2' } }, device.publicJwk, now), isCode('INTEGRITY'), 'renamed');
  await assert.rejects(verifyJoinBundle({ ...ok, node_identity: { ...ok.node_identity, owner_public_key: other.publicJwk } }, device.publicJwk, now), isCode('UNAUTHENTICATED'), 'swapped owner key');
});
