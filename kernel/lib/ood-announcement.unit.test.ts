// The OOD's signed LAN announcement (issue 14): a node moves its OOD address only for an announcement
// signed by the key of an owner-signed OOD document of its own zone, fresh, not replayed, from the
// address it names. Everything else changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDeviceDocument } from './identity/documents.js';
import { deviceKeyId } from './identity/device-chain.js';
import { nowSeconds, signJwt } from './identity/jwt.js';
import { generateEd25519, type Ed25519KeyPair } from './identity/keys.js';
import { checkOodAnnouncement, OOD_ANNOUNCEMENT_KIND, signOodAnnouncement, type OodTrust, type ReplayState } from './ood-announcement.js';

const now = nowSeconds();
const owner = generateEd25519();
const oodKey = generateEd25519();
const ZONE = 'did:web:home';
const SRC = '10.0.0.7';
const trust: OodTrust = { ownerPublicJwk: owner.publicJwk, zoneDid: ZONE, oods: ['ood1'] };
const fresh = (lastIat = 0): ReplayState => ({ lastIat, nonces: new Map() });

const oodDoc = (o: { name?: string; zone?: string; key?: Ed25519KeyPair; signer?: Ed25519KeyPair; exp?: number } = {}) => signJwt(buildDeviceDocument({
  name: o.name ?? 'ood1', did: `did:web:${o.name ?? 'ood1'}.home`, publicJwk: (o.key ?? oodKey).publicJwk, owner: 'did:bns:alice', zoneDid: o.zone ?? ZONE,
  deviceType: 'ood', iat: now - 100, exp: o.exp ?? now + 86400,
}), (o.signer ?? owner).privateKeyPem);

const announce = async (o: { doc?: string; zone?: string; device?: string; key?: Ed25519KeyPair; address?: string; iat?: number } = {}) =>
  signOodAnnouncement({ zoneDid: o.zone ?? ZONE, deviceName: o.device ?? 'ood1', privateKeyPem: (o.key ?? oodKey).privateKeyPem, deviceDocJwt: o.doc ?? (await oodDoc()) },
    o.address ?? SRC, 3180, [o.address ?? SRC], o.iat ?? now);

test('a fresh announcement signed by the OOD of this zone gives its new gateway URL', async () => {
  const r = await checkOodAnnouncement(await announce(), SRC, trust, fresh(), now);
  assert.deepEqual(r, { url: `http://${SRC}:3180`, iat: now, device: 'ood1' });
});

test('forged, wrong-zone, stale, replayed or misdirected announcements are refused', async () => {
  const stranger = generateEd25519();
  const cases: Array<[string, Promise<string> | string, RegExp, { source?: string; state?: ReplayState; trust?: OodTrust }?]> = [
    ['signed by a stranger with the real OOD document', announce({ key: stranger }), /not signed by the OOD device key/],
    ['a document the stranger signed for itself', announce({ key: stranger, doc: await oodDoc({ key: stranger, signer: stranger }) }), /device document/],
    ['another zone', announce({ zone: 'did:web:elsewhere' }), /another zone/],
    ['a document of another zone', announce({ doc: await oodDoc({ zone: 'did:web:elsewhere' }) }), /device document/],
    ['a device that is not an OOD of the zone', announce({ device: 'nas' }), /not an OOD of this zone/],
    ['a document naming another device', announce({ doc: await oodDoc({ name: 'ood2' }) }), /names another device/],
    ['an expired OOD document', announce({ doc: await oodDoc({ exp: now - 10 }) }), /device document/],
    ['stale (issued ten minutes ago)', announce({ iat: now - 600 }), /stale|expired|TOKEN_EXPIRED|not signed/],
    ['from the future', announce({ iat: now + 600 }), /stale|lifetime/],
    ['older than the last accepted', announce({ iat: now - 30 }), /older/, { state: fresh(now - 10) }],
    ['pointing elsewhere than its sender', announce({ address: '10.0.0.99' }), /not the sender/],
    ['a revoked OOD key', announce(), /removed this device/, { trust: { ...trust, isRevoked: (id) => id === deviceKeyId(oodKey.publicJwk) } }],
    ['not a JWT', 'hello', /not a JWT/],
    ['an unsigned JWT', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ kind: OOD_ANNOUNCEMENT_KIND, zone: ZONE, device: 'ood1', device_document: await oodDoc() })).toString('base64url')}.`, /not a JWT|not signed/],
  ];
  for (const [what, jwt, why, o] of cases) {
    const state = o?.state ?? fresh();
    const before = JSON.stringify([state.lastIat, [...state.nonces]]);
    const r = await checkOodAnnouncement(await jwt, o?.source ?? SRC, o?.trust ?? trust, state, now);
    assert.equal(typeof r, 'string', what);
    assert.match(r as string, why, what);
    assert.equal(JSON.stringify([state.lastIat, [...state.nonces]]), before, `${what}: the replay state is unchanged`);
  }
});

test('the same announcement twice: the replay is refused', async () => {
  const state = fresh();
  const jwt = await announce();
  assert.equal(typeof (await checkOodAnnouncement(jwt, SRC, trust, state, now)), 'object');
  assert.match(String(await checkOodAnnouncement(jwt, SRC, trust, state, now)), /replayed/);
});

test('an old announcement of the old address, replayed after a newer one was accepted, is refused', async () => {
  const state = fresh();
  const old = await announce({ address: '10.0.0.1', iat: now - 20 });
  assert.equal(typeof (await checkOodAnnouncement(await announce({ iat: now }), SRC, trust, state, now)), 'object');
  assert.match(String(await checkOodAnnouncement(old, '10.0.0.1', trust, state, now)), /older/);
  // And once its lifetime is over, even a node that never saw a newer one refuses it.
  assert.match(String(await checkOodAnnouncement(old, '10.0.0.1', trust, fresh(), now + 300)), /expired|stale|not signed/);
});

test('a name the zone boot config does not list as an OOD is refused, even with a valid signature', async () => {
  const doc = await oodDoc({ name: 'ood9' });
  const r = await checkOodAnnouncement(await announce({ device: 'ood9', doc }), SRC, trust, fresh(), now);
  assert.match(String(r), /not an OOD of this zone/);
  assert.equal(typeof (await checkOodAnnouncement(await announce({ device: 'ood9', doc }), SRC, { ...trust, oods: ['ood1', 'ood9'] }, fresh(), now)), 'object');
});
