// Signed test zones for the rtcp tests: an owner key, device documents signed by it, and the
// LocalIdentity each device's stack runs with. Real keys and signatures; only tests import this.
import { buildDeviceDid } from '../lib/identity/did.js';
import { buildDeviceDocument, DEFAULT_DOCUMENT_LIFETIME_SECONDS } from '../lib/identity/documents.js';
import { signDocument } from '../lib/identity/document-jwt.js';
import { generateEd25519, type Ed25519KeyPair } from '../lib/identity/keys.js';
import { signJwt } from '../lib/identity/jwt.js';
import { DELEGATION_MEMBER, ENROLMENT_DELEGATION_KIND } from '../api/devices.js';
import type { LocalIdentity } from './trust.js';

export interface RtcpTestZone {
  owner: Ed25519KeyPair;
  ownerDid: string;
  zoneDid: string;
}

export function rtcpTestZone(name = 'alice'): RtcpTestZone {
  return { owner: generateEd25519(), ownerDid: `did:bns:${name}`, zoneDid: `did:web:${name}.zone` };
}

export interface TestDevice {
  identity: LocalIdentity;
  docJwt: string;
  key: Ed25519KeyPair;
}

/** An enrolment delegation (issue 11): the owner lets `delegate` sign node documents of this zone. */
export function rtcpTestDelegation(zone: RtcpTestZone, delegate: Ed25519KeyPair, jti: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({
    kind: ENROLMENT_DELEGATION_KIND, iss: zone.ownerDid, zone: zone.zoneDid, holder: 'ood1', delegate_key: delegate.publicJwk,
    device_types: ['server', 'node'], jti, iat: now - 10, exp: now + 3600,
  }, zone.owner.privateKeyPem);
}

/** `delegated`: the document is signed by a delegate key under that delegation instead of the owner key. */
export async function rtcpTestDevice(zone: RtcpTestZone, name: string, o: { ips?: string[]; rtcpPort?: number; key?: Ed25519KeyPair; signer?: Ed25519KeyPair; iat?: number; delegated?: { delegate: Ed25519KeyPair; delegationJwt: string } } = {}): Promise<TestDevice> {
  const key = o.key ?? generateEd25519();
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const did = buildDeviceDid(zone.zoneDid, name);
  const doc = buildDeviceDocument({ name, did, publicJwk: key.publicJwk, owner: zone.ownerDid, zoneDid: zone.zoneDid, deviceType: 'server', rtcpPort: o.rtcpPort, iat, exp: iat + DEFAULT_DOCUMENT_LIFETIME_SECONDS });
  const body = o.ips ? { ...doc, ips: o.ips } : doc;
  const docJwt = o.delegated
    ? await signJwt({ ...body, exp: iat + 1800, [DELEGATION_MEMBER]: o.delegated.delegationJwt }, o.delegated.delegate.privateKeyPem)
    : await signDocument(body, (o.signer ?? zone.owner).privateKeyPem);
  return {
    key, docJwt,
    identity: { deviceName: name, deviceDid: did, privateKeyPem: key.privateKeyPem, publicJwk: key.publicJwk, deviceDocJwt: docJwt, ownerDid: zone.ownerDid, ownerJwk: zone.owner.publicJwk, zoneDid: zone.zoneDid },
  };
}
