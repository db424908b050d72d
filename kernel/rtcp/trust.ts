// Who a peer is, and whether it may talk to us: device documents are owner-signed JWTs (spec 40) and the
// zone owner's key is the only root of trust. Admission is upstream's `same_zone`: the document must be
// signed by our owner key (or, for a node approved without the recovery words, by the OOD's enrolment
// key under an owner-signed delegation it carries: lib/identity/device-chain.ts, the one verifier every
// part uses), name our owner, and (when it says) our zone. On top of that (ours): a revoked device or
// delegation is refused, and a device name we already know is pinned to the key we know for it.
import { formatDid, didToHostName, parseDid } from '../lib/identity/did.js';
import { verifyDeviceDocument } from '../lib/identity/device-chain.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import { defaultKeyOf } from '../lib/identity/documents.js';
import type { DeviceDocument } from '../api/identity.js';
import { RtcpError } from './errors.js';
import { DEFAULT_RTCP_PORT } from './url.js';

/** This device, as the stack needs it. */
export interface LocalIdentity {
  deviceName: string;
  deviceDid: string;
  privateKeyPem: string;
  publicJwk: Ed25519PublicJwk;
  deviceDocJwt: string;
  ownerDid: string;
  ownerJwk: Ed25519PublicJwk;
  zoneDid: string;
}

/** What a directory knows about a device: its owner-signed document and where it was last seen. */
export interface PeerRecord {
  docJwt: string;
  /** Addresses to try, best first (discovery results, device info); the document's own `ips` come first anyway. */
  addresses?: string[];
}

export interface PeerDirectory {
  /** A zone device by node name, DID or hostname. */
  lookup(target: string): Promise<PeerRecord | undefined> | PeerRecord | undefined;
  /** Devices that may relay to `target` (usually the zone's OODs), best first. */
  relays?(target: VerifiedPeer): string[];
}

/** The devices issue's revocation list, behind the smallest interface we need. */
export interface RevocationList {
  /** `delegationJti`: the enrolment delegation that approved the device, when one did (revoking it ends the device too). */
  isRevoked(device: { name: string; did: string; keyX: string; delegationJti?: string }): boolean;
  /** Called when the list changes, so live tunnels to a newly revoked device are closed. */
  onChange?(listener: () => void): void;
}

export const noRevocations: RevocationList = { isRevoked: () => false };

export interface VerifiedPeer {
  name: string;
  did: string;
  /** Host-name form of the DID, as the tokens carry it. */
  host: string;
  /** did:dev:<key>, the canonical identity the tunnel is keyed by. */
  canonicalDid: string;
  jwk: Ed25519PublicJwk;
  rtcpPort: number;
  /** From the document (`ips`), then the directory's addresses. */
  addresses: string[];
  iat: number;
  exp: number;
  /** The enrolment delegation that approved the document, when a delegate signed it. */
  delegationJti?: string;
}

export function hostOf(did: string): string {
  if (did.startsWith('did:dev:')) return `${did.slice('did:dev:'.length)}.dev.did`;
  return didToHostName(parseDid(did));
}

export const canonicalDidOf = (jwk: Ed25519PublicJwk) => `did:dev:${jwk.x}`;

const verified = new Map<string, { doc: DeviceDocument; exp: number; delegationJti?: string }>();

/** Verifies a device document against our zone (same_zone admission) and returns who it names. */
export async function verifyPeerDocument(local: LocalIdentity, docJwt: string, extraAddresses: string[] = []): Promise<VerifiedPeer> {
  const now = Math.floor(Date.now() / 1000);
  let doc = verified.get(docJwt);
  if (!doc || doc.exp < now) {
    let v: Awaited<ReturnType<typeof verifyDeviceDocument>>;
    try {
      // Revocation is checked by the stack on every handshake and live tunnel (isRevoked), not only here.
      v = await verifyDeviceDocument(docJwt, local.ownerJwk, { zoneDid: local.zoneDid, requireExp: false, what: 'device document' });
    } catch (e) {
      throw new RtcpError('PERMISSION_DENIED', `device document is not signed by this zone's owner or its enrolment delegate (${(e as Error).message})`);
    }
    const d = v.doc;
    doc = { doc: d, exp: typeof d.exp === 'number' ? d.exp : now, ...(v.delegation && { delegationJti: v.delegation.jti }) };
    if (verified.size > 4096) verified.clear();
    verified.set(docJwt, doc);
  }
  const d = doc.doc;
  if (typeof d.id !== 'string' || typeof d.name !== 'string') throw new RtcpError('PERMISSION_DENIED', 'device document lacks id or name');
  if (d.owner !== local.ownerDid) throw new RtcpError('PERMISSION_DENIED', `device ${d.name} belongs to owner ${String(d.owner)}, not ${local.ownerDid}`);
  if (d.zone_did !== undefined && d.zone_did !== local.zoneDid) throw new RtcpError('PERMISSION_DENIED', `device ${d.name} is in zone ${String(d.zone_did)}, not ${local.zoneDid}`);
  const jwk = defaultKeyOf(d);
  if (!jwk) throw new RtcpError('PERMISSION_DENIED', `device document of ${d.name} has no Ed25519 key`);
  let did: string;
  try {
    did = formatDid(parseDid(d.id));
  } catch {
    throw new RtcpError('PERMISSION_DENIED', `device document id ${d.id.slice(0, 80)} is not a DID`);
  }
  const ips = Array.isArray(d.ips) ? d.ips.filter((x): x is string => typeof x === 'string') : [];
  return {
    name: d.name, did, host: hostOf(did), canonicalDid: canonicalDidOf(jwk), jwk,
    rtcpPort: typeof d.rtcp_port === 'number' ? d.rtcp_port : DEFAULT_RTCP_PORT,
    addresses: [...new Set([...ips, ...extraAddresses])],
    iat: typeof d.iat === 'number' ? d.iat : 0, exp: doc.exp,
    ...(doc.delegationJti && { delegationJti: doc.delegationJti }),
  };
}
