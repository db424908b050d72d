// The chain every verifier follows (issue 11): owner key → enrolment delegation → node document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELEGATION_MEMBER, ENROLMENT_DELEGATION_KIND, type EnrolmentDelegation } from '../api/devices.js';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { deviceKeyId, verifyDelegation, verifyDeviceDocument } from '../lib/identity/device-chain.js';
import { deriveOwnerKeyMaterial, generateMnemonic } from '../lib/identity/mnemonic.js';
import { ownerKit } from '../activation/owner-kit.js';
import { buildDeviceDocument } from '../lib/identity/documents.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { generateEd25519, type Ed25519KeyPair } from '../lib/identity/keys.js';
import { checkAnnouncement, RateLimit } from '../lib/node-finder.js';
import { keyFingerprint } from '../lib/identity/fingerprint.js';
import { signAnnouncement } from '../join/pairing.js';

const isCode = (code: ErrorCode) => (e: unknown) => isKrpcError(e, code);
const now = nowSeconds();
const owner = generateEd25519();
const delegate = generateEd25519();
const device = generateEd25519();
const ZONE = 'did:web:home';

const delegation = (o: Partial<EnrolmentDelegation> = {}, signer: Ed25519KeyPair = owner) => signJwt({
  kind: ENROLMENT_DELEGATION_KIND, iss: 'did:bns:alice', zone: ZONE, holder: 'ood1', delegate_key: delegate.publicJwk,
  device_types: ['server'], jti: 'abcdef0123456789', iat: now - 10, exp: now + 3600, ...o,
}, signer.privateKeyPem);

const nodeDoc = async (o: { type?: string; zone?: string; exp?: number; signer?: Ed25519KeyPair; delegationJwt?: string } = {}) => {
  const doc = buildDeviceDocument({
    name: 'nas1', did: 'did:web:nas1.home', publicJwk: device.publicJwk, owner: 'did:bns:alice', zoneDid: o.zone ?? ZONE,
    deviceType: o.type ?? 'server', iat: now, exp: o.exp ?? now + 1800,
  });
  return signJwt({ ...doc, [DELEGATION_MEMBER]: o.delegationJwt ?? (await delegation()) }, (o.signer ?? delegate).privateKeyPem);
};

test('a node document signed under the owner\'s delegation verifies; an owner-signed one too', async () => {
  const v = await verifyDeviceDocument(await nodeDoc(), owner.publicJwk, { zoneDid: ZONE });
  assert.equal(v.approvedBy, 'delegation');
  assert.equal(v.key.x, device.publicJwk.x);
  const ownerSigned = await signJwt(buildDeviceDocument({ name: 'nas2', did: 'did:web:nas2.home', publicJwk: device.publicJwk, owner: 'did:bns:alice', zoneDid: ZONE, deviceType: 'server', iat: now, exp: now + 60 }), owner.privateKeyPem);
  assert.equal((await verifyDeviceDocument(ownerSigned, owner.publicJwk)).approvedBy, 'owner');
});

test('refused: another zone, another owner, an OOD, an expired or revoked delegation, a document outliving it, a revoked device', async () => {
  const other = generateEd25519();
  const cases: Array<[string, Promise<string>, ErrorCode, object?]> = [
    ['document of another zone', nodeDoc({ zone: 'did:web:elsewhere', delegationJwt: await delegation({ zone: 'did:web:elsewhere' }) }), 'UNAUTHENTICATED'],
    ['delegation by another owner', nodeDoc({ delegationJwt: await delegation({}, other) }), 'UNAUTHENTICATED'],
    ['delegate signs an OOD', nodeDoc({ type: 'ood' }), 'UNAUTHENTICATED'],
    ['delegation naming ood', nodeDoc({ type: 'ood', delegationJwt: await delegation({ device_types: ['server', 'ood'] }) }), 'UNAUTHENTICATED'],
    ['expired delegation', nodeDoc({ delegationJwt: await delegation({ iat: now - 7200, exp: now - 60 }) }), 'TOKEN_EXPIRED'],
    ['revoked delegation', nodeDoc(), 'UNAUTHENTICATED', { isRevoked: (id: string) => id === 'abcdef0123456789' }],
    ['revoked device key', nodeDoc(), 'UNAUTHENTICATED', { isRevoked: (id: string) => id === deviceKeyId(device.publicJwk) }],
    ['outlives its delegation', nodeDoc({ exp: now + 7200 }), 'UNAUTHENTICATED'],
    ['signed by a stranger under a real delegation', nodeDoc({ signer: other }), 'UNAUTHENTICATED'],
    ['a delegation for ten years', nodeDoc({ delegationJwt: await delegation({ exp: now + 10 * 366 * 86400 }) }), 'UNAUTHENTICATED'],
  ];
  for (const [what, jwt, code, extra] of cases) await assert.rejects(verifyDeviceDocument(await jwt, owner.publicJwk, { zoneDid: ZONE, ...extra }), isCode(code), what);
});

test('LAN announcements: only self-signed, matching, from the address they name', async () => {
  const facts = { name: 'nas', arch: 'amd64', os: 'linux', state: 'unjoined' as const, deviceType: 'server', fingerprint: keyFingerprint(device.publicJwk), devicePublicKey: device.publicJwk, devicePrivateKeyPem: device.privateKeyPem, port: 3182 };
  const good = await signAnnouncement(facts, '10.0.0.5', now);
  const d = await checkAnnouncement(good, '10.0.0.5', Date.now());
  assert.equal(typeof d, 'object');
  assert.equal((d as { join_url: string }).join_url, 'http://10.0.0.5:3182');
  assert.equal(await checkAnnouncement(good, '10.0.0.6', Date.now()), 'join URL is not the sender');
  assert.equal(await checkAnnouncement(await signAnnouncement({ ...facts, fingerprint: 'AAAA-AAAA-AAAA' }, '10.0.0.5', now), '10.0.0.5', Date.now()), 'fingerprint does not match the key');
  assert.equal(await checkAnnouncement(await signAnnouncement({ ...facts, devicePrivateKeyPem: generateEd25519().privateKeyPem }, '10.0.0.5', now), '10.0.0.5', Date.now()), 'not signed by the key it announces');
  assert.equal(await checkAnnouncement('x'.repeat(4000), '10.0.0.5', Date.now()), 'not a JWT');
  assert.equal(await checkAnnouncement(await signAnnouncement({ ...facts, name: 'a\u0000b' }, '10.0.0.5', now), '10.0.0.5', Date.now()), 'fields');
});

test('rate limits: per sender and in all', () => {
  let t = 0;
  const limit = new RateLimit(2, 5, () => t);
  assert.deepEqual([1, 2, 3].map(() => limit.take('a')), [true, true, false]);
  assert.deepEqual(['b', 'b', 'c', 'd'].map((k) => limit.take(k)), [true, true, true, false]);
  t = 1000;
  assert.equal(limit.take('a'), true);
});

test('the owner kit (CLI and page) signs only a narrow delegation request, and what it signs verifies', async () => {
  const words = generateMnemonic();
  const ownerKey = deriveOwnerKeyMaterial(words).ownerKey;
  const request: EnrolmentDelegation = {
    kind: ENROLMENT_DELEGATION_KIND, iss: 'did:bns:alice', zone: ZONE, holder: 'ood1', delegate_key: delegate.publicJwk,
    device_types: ['server'], jti: 'fedcba9876543210', iat: now, exp: now + 365 * 86400,
  };
  const jwt = ownerKit.signEnrolmentDelegation(words, request, delegate.publicJwk.x);
  const d = await verifyDelegation(jwt, ownerKey.publicJwk, { zoneDid: ZONE });
  assert.equal(d.jti, request.jti);
  assert.throws(() => ownerKit.signEnrolmentDelegation(words, { ...request, device_types: ['server', 'ood'] }, delegate.publicJwk.x), /^Error: INTEGRITY/);
  assert.throws(() => ownerKit.signEnrolmentDelegation(words, { ...request, exp: now + 5 * 365 * 86400 }, delegate.publicJwk.x), /^Error: INTEGRITY/);
  assert.throws(() => ownerKit.signEnrolmentDelegation(words, request, generateEd25519().publicJwk.x), /^Error: INTEGRITY/);
  assert.equal(ownerKit.parsePairingUrl('nope').ok, false);
});
