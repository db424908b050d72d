import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { isKrpcError } from '../errors.js';
import { generateEd25519, privateKeyObject } from './keys.js';
import { decodeUnverified } from './jwt.js';
import {
  assembleZoneDocument, buildDeviceDocument, buildDeviceMiniDocument, buildOwnerDocument, buildZoneBootDocument,
  buildZoneConfig, defaultKey, type OwnerDocument,
} from './documents.js';
import { signDocument, verifyOwnerSigned, verifyZoneBootConfig } from './document-jwt.js';
import { validateOwnerDocument } from './owner-document.js';

const NOW = 1_750_000_000;
const owner = generateEd25519();
const device = generateEd25519();
const evm = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';
const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

const ownerDoc = () => buildOwnerDocument({ name: 'alice', publicJwk: owner.publicJwk, evmAddress: evm, iat: NOW });
const bootDoc = (iat = NOW) => buildZoneBootDocument({ zoneDid: 'did:web:home.example.com', oods: ['ood1'], iat, exp: iat + 3600 });

test('documents use BuckyOS field names and omit absent members', () => {
  const o = ownerDoc();
  assert.equal(o.id, 'did:bns:alice');
  assert.deepEqual(o['@context'], ['https://www.w3.org/ns/did/v1', 'https://buckyos.org/ns/owner/v1']);
  assert.deepEqual(o.verificationMethod, [{ type: 'Ed25519VerificationKey2020', id: '#main_key', controller: 'did:bns:alice', publicKeyJwk: owner.publicJwk }]);
  assert.deepEqual(o.assertion_method, ['#main_key']);
  assert.deepEqual(o.wallets, { main: { type: 'eth', address: evm } });

  const d = buildDeviceDocument({
    name: 'ood1', did: 'did:web:ood1.home.example.com', publicJwk: device.publicJwk, owner: o.id, zoneDid: 'did:web:home.example.com',
    deviceType: 'ood', rtcpPort: 2980, netId: 'nat', supportContainer: true, iat: NOW, exp: NOW + 10,
  });
  assert.equal('support_container' in d, false, 'support_container is omitted when true, as upstream');
  assert.equal('ddns_sn_url' in d, false);
  assert.deepEqual(defaultKey(d), device.publicJwk);
  assert.equal(buildDeviceDocument({ ...d, did: d.id, publicJwk: device.publicJwk, deviceType: 'ood', supportContainer: false, iat: NOW, exp: NOW }).support_container, false);
  assert.deepEqual(buildDeviceMiniDocument(d, NOW + 1), { n: 'ood1', x: device.publicJwk.x, p: 2980, exp: NOW + 10, iat: NOW + 1 });

  const boot = bootDoc();
  assert.deepEqual(Object.keys(boot), ['id', 'oods', 'exp', 'iat'], 'no owner, owner_key or sn');

  const zone = assembleZoneDocument({
    zoneDid: 'did:web:home.example.com', ownerDid: o.id, ownerKey: owner.publicJwk, hostname: 'home.example.com',
    boot, bootJwt: 'b.j.t', devices: [{ document: d, miniJwt: 'm.j.t' }],
  });
  assert.deepEqual(zone.assertionMethod, ['#main_key'], 'the zone document spells it assertionMethod, as upstream');
  assert.equal(zone.verificationMethod[0].controller, 'did:bns:alice');
  assert.deepEqual(zone.service, [{ id: 'did:web:home.example.com#lastDoc', type: 'DIDDoc', serviceEndpoint: 'https://home.example.com/resolve/this_zone' }]);
  assert.equal(zone.iat, NOW);
  assert.equal(zone.devices?.ood1.device_mini_config_jwt, 'm.j.t');
  assert.deepEqual(JSON.parse(JSON.stringify(zone)), zone, 'survives a JSON round trip unchanged');
  assert.deepEqual(buildZoneConfig('z.j.t', device.publicJwk), { zone_document: 'z.j.t', verify_hub_info: { public_key: device.publicJwk } });
  assert.deepEqual(buildZoneConfig('z.j.t'), { zone_document: 'z.j.t' });
});

test('signDocument writes {alg:"EdDSA"} with no typ or kid, and the payload is the document', async () => {
  const jwt = await signDocument(bootDoc(), owner.privateKeyPem);
  const { header, payload } = decodeUnverified(jwt);
  assert.deepEqual(header, { alg: 'EdDSA' });
  assert.deepEqual(payload, bootDoc());
  assert.deepEqual(await verifyOwnerSigned(jwt, owner.publicJwk, { now: NOW }), bootDoc());
});

test('verification rejects a wrong signer', async () => {
  const jwt = await signDocument(bootDoc(), generateEd25519().privateKeyPem);
  await assert.rejects(verifyZoneBootConfig(jwt, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /zone boot config/.test(e.message));
});

test('verification rejects alg "none" and HMAC even with a valid-looking payload', async () => {
  const none = `${b64url({ alg: 'none' })}.${b64url(bootDoc())}.`;
  await assert.rejects(verifyZoneBootConfig(none, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /none/.test(e.message));
  const hs = await new SignJWT(bootDoc()).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(owner.publicJwk.x));
  await assert.rejects(verifyOwnerSigned(hs, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  const eddsaLabelOnForged = `${b64url({ alg: 'EdDSA' })}.${b64url(bootDoc())}.${'A'.repeat(86)}`;
  await assert.rejects(verifyOwnerSigned(eddsaLabelOnForged, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('verification rejects a tampered payload', async () => {
  const [h, , s] = (await signDocument(bootDoc(), owner.privateKeyPem)).split('.');
  const tampered = `${h}.${b64url({ ...bootDoc(), oods: ['ood1', '#evil:6.6.6.6'] })}.${s}`;
  await assert.rejects(verifyZoneBootConfig(tampered, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('verification rejects an expired document', async () => {
  const jwt = await signDocument(bootDoc(), owner.privateKeyPem);
  await assert.rejects(verifyZoneBootConfig(jwt, owner.publicJwk, { now: NOW + 7200 }), (e) => isKrpcError(e, 'TOKEN_EXPIRED') && /expired/.test(e.message));
  const noExp = await new SignJWT({ oods: ['ood1'] }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKeyObject(owner.privateKeyPem));
  await assert.rejects(verifyZoneBootConfig(noExp, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('a boot config older than the cached one is a VERSION_CONFLICT; same or newer is accepted', async () => {
  const jwt = await signDocument(bootDoc(NOW), owner.privateKeyPem);
  await assert.rejects(verifyZoneBootConfig(jwt, owner.publicJwk, { now: NOW, cachedIat: NOW + 1 }), (e) => isKrpcError(e, 'VERSION_CONFLICT'));
  assert.equal((await verifyZoneBootConfig(jwt, owner.publicJwk, { now: NOW, cachedIat: NOW })).iat, NOW);
  assert.equal((await verifyZoneBootConfig(jwt, owner.publicJwk, { now: NOW, cachedIat: NOW - 1 })).iat, NOW);
  const { iat: _iat, ...undated } = bootDoc(NOW);
  const undatedJwt = await signDocument(undated, owner.privateKeyPem);
  await assert.rejects(verifyZoneBootConfig(undatedJwt, owner.publicJwk, { now: NOW, cachedIat: NOW }), (e) => isKrpcError(e, 'VERSION_CONFLICT'));
});

test('a boot config must list valid OODs', async () => {
  const empty = await signDocument({ ...bootDoc(), oods: [] }, owner.privateKeyPem);
  await assert.rejects(verifyZoneBootConfig(empty, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  const bad = await signDocument({ ...bootDoc(), oods: ['ood1:not-an-ip'] }, owner.privateKeyPem);
  await assert.rejects(verifyZoneBootConfig(bad, owner.publicJwk, { now: NOW }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});

test('validateOwnerDocument accepts a built document and returns its key', () => {
  assert.deepEqual(validateOwnerDocument(ownerDoc()), owner.publicJwk);
});

test('validateOwnerDocument refuses the spec 40 §3 violations', () => {
  const cases: [string, (o: OwnerDocument) => unknown][] = [
    ['id not did:bns:<name>', (o) => { o.id = 'did:bns:bob'; }],
    ['uppercase name', (o) => { o.name = 'Alice'; o.id = 'did:bns:Alice'; }],
    ['no #main_key', (o) => { o.verificationMethod[0].id = '#other'; }],
    ['private part in the JWK', (o) => { (o.verificationMethod[0].publicKeyJwk as unknown as Record<string, string>).d = 'secret'; }],
    ['no wallets.main', (o) => { delete o.wallets; }],
    ['wallet not eth', (o) => { o.wallets = { main: { type: 'btc', address: evm } }; }],
    ['bad address', (o) => { o.wallets = { main: { type: 'eth', address: '0x1234' } }; }],
    ['email', (o) => { o.email = 'alice@example.com'; }],
    ['nested mnemonic', (o) => { o.meta = { backup: [{ Mnemonic_Words: 'x' }] }; }],
    ['password hash', (o) => { o.admin_pwd_hash = 'x'; }],
    ['access token', (o) => { o.sn_access_token = 'x'; }],
    ['4 KB or more', (o) => { o.meta = 'x'.repeat(4096); }],
  ];
  for (const [name, mutate] of cases) {
    const doc = structuredClone(ownerDoc());
    mutate(doc);
    assert.throws(() => validateOwnerDocument(doc), (e) => isKrpcError(e, 'INVALID_PARAMS'), name);
  }
});
