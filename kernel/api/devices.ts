// Devices of a zone (issue 11): finding unjoined devices on the LAN (NodeFinder, UDP 2980), pairing
// by a `buckyos://` URL (QR), approving a device without the recovery words (an owner-signed
// enrolment delegation), listing and removing devices. The kRPC methods are served by the OOD's
// control-panel service (POST /kapi/control-panel, upstream's `<area>.<verb>` method names); the
// LAN wire shapes keep upstream's NodeFinder envelope (spec 50 §4.3: LookingForReq / LookingForResp).
// Browser-safe: the pairing URL helpers below use only URLSearchParams.
import type { Ed25519PublicJwk } from './identity.js';
import type { InstanceState } from './zone.js';
import type { NodeStatus, Reason } from './scheduler.js';
import type { NoParams } from './krpc.js';

// ---- LAN discovery (NodeFinder) ----------------------------------------------------------------

/** UDP port of NodeFinder (upstream node-daemon's finder; TCP 2980 is rtcp). */
export const NODE_FINDER_PORT = 2980;
/** IPv4 multicast group unjoined devices also listen on and announce to (ours: upstream broadcasts only). */
export const NODE_FINDER_MULTICAST_GROUP = '239.255.29.80';
/** Largest datagram either side sends or accepts; anything bigger is dropped unread. */
export const NODE_FINDER_MAX_DATAGRAM = 4096;

/**
 * Upstream's LookingForReq: `node_id` is the device looked for, `iam` the sender's device JWT. Ours:
 * `node_id` "*" asks every device that has not joined a zone (or is not activated) to answer.
 */
export interface LookingForReq {
  node_id: string;
  seq: number;
  iam?: string;
}

/**
 * Upstream's LookingForResp: `resp` is the answering device's JWT. An unjoined device has no
 * owner-signed document yet, so ours is a `DeviceAnnouncement` signed by the device's own key (which
 * proves only that the holder of that key sent it). Sent as an answer to a probe (seq of the probe)
 * and unasked when the device starts (seq 0).
 */
export interface LookingForResp {
  seq: number;
  resp: string;
}

/** Payload of the self-signed JWT an unjoined (or unactivated) device announces. */
export interface DeviceAnnouncement {
  /** What the device calls itself (its hostname); a suggestion for its name in the zone. */
  name: string;
  /** "server" for a headless node waiting to join, "ood" for a device waiting for activation. */
  device_type: string;
  arch: string;
  os: string;
  /** 'unjoined': a node waiting for enrolment; 'unactivated': a device that can become an OOD. */
  state: DiscoveredState;
  /** The enrolment (or activation) endpoint base, e.g. http://192.168.1.30:3182. */
  join_url: string;
  /** keyFingerprint(device_public_key), XXXX-XXXX-XXXX: the same code the device prints and puts in its QR. */
  fingerprint: string;
  device_public_key: Ed25519PublicJwk;
  iat: number;
  exp: number;
}

export type DiscoveredState = 'unjoined' | 'unactivated';

/** One device a scan found. Nothing here is trusted: it is what the device claimed, checked for shape only. */
export interface DiscoveredDevice {
  /** The fingerprint doubles as the entry's id. */
  fingerprint: string;
  name: string;
  device_type: string;
  arch: string;
  os: string;
  state: DiscoveredState;
  /** The address the announcement came from (the UDP source). */
  address: string;
  /** From the announcement; its host is always `address` (another host is refused). */
  join_url: string;
  device_public_key: Ed25519PublicJwk;
  /** Unix ms. */
  first_seen: number;
  last_seen: number;
}

// ---- pairing by QR: buckyos://join?… ------------------------------------------------------------

export const PAIRING_URL_PREFIX = 'buckyos://join?';

/** What a headless node's QR code holds (and its :3182 page shows). */
export interface PairingInfo {
  /** The device's enrolment endpoint, http(s)://<address>:3182. */
  join_url: string;
  /** keyFingerprint of the device key, XXXX-XXXX-XXXX. */
  fingerprint: string;
  /** The one-time pairing code the device shows (XXXX-XXXX); proves the approver saw the device. */
  pairing_code: string;
  /** The device's own name for itself (its hostname), if it gave one. */
  name?: string;
}

const FINGERPRINT_RE = /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/;
const PAIRING_CODE_RE = /^[A-Z2-7]{4}-[A-Z2-7]{4}$/;
const MAX_PAIRING_URL = 1024;

/** A fingerprint or pairing code as typed (any case, spaces or dashes) in canonical form, or undefined. */
export function canonicalCode(text: string, groups: 2 | 3): string | undefined {
  const chars = String(text ?? '').toUpperCase().replace(/[\s-]/g, '');
  if (chars.length !== groups * 4 || !/^[A-Z2-7]+$/.test(chars)) return undefined;
  return chars.match(/.{4}/g)!.join('-');
}

function checkJoinUrl(text: string): string | undefined {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(String(text ?? '').trim());
  if (!m || (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535))) return undefined;
  return `${m[1]}://${m[2]}${m[3] ? `:${m[3]}` : ''}`;
}

/** `buckyos://join?v=1&url=…&fp=…&code=…[&name=…]` */
export function formatPairingUrl(info: PairingInfo): string {
  const url = checkJoinUrl(info.join_url);
  const fp = canonicalCode(info.fingerprint, 3);
  const code = canonicalCode(info.pairing_code, 2);
  if (!url || !fp || !code) throw new Error('INVALID_PARAMS: a pairing URL needs an http(s) join URL, a fingerprint XXXX-XXXX-XXXX and a pairing code XXXX-XXXX');
  const q = new URLSearchParams({ v: '1', url, fp, code });
  if (info.name) q.set('name', info.name.slice(0, 64));
  return PAIRING_URL_PREFIX + q.toString();
}

/** Why a text is not a pairing URL (a page shows it in the owner's language). */
export type PairingProblem = 'notPairing' | 'tooLong' | 'version' | 'address' | 'fingerprint' | 'code';

/**
 * Parses what a QR code, a paste or a camera gave: a `buckyos://join?…` URL. Returns what is wrong as a
 * `problem` code and a structured error string `"INVALID_PARAMS: …"` instead of throwing.
 */
export function parsePairingUrl(text: string): { ok: true; info: PairingInfo } | { ok: false; problem: PairingProblem; error: string } {
  const bad = (problem: PairingProblem, why: string) => ({ ok: false as const, problem, error: `INVALID_PARAMS: ${why}` });
  const s = String(text ?? '').trim();
  if (s.length > MAX_PAIRING_URL) return bad('tooLong', 'the pairing URL is too long');
  if (!s.toLowerCase().startsWith(PAIRING_URL_PREFIX)) return bad('notPairing', 'not a BuckyOS pairing URL (it starts with buckyos://join?)');
  const q = new URLSearchParams(s.slice(PAIRING_URL_PREFIX.length));
  const v = q.get('v');
  if (v !== null && v !== '1') return bad('version', `pairing URL version ${v.slice(0, 8)} is not supported; update this app`);
  const url = checkJoinUrl(q.get('url') ?? '');
  if (!url) return bad('address', 'the pairing URL has no valid device address (url=http://<device>:3182)');
  const fingerprint = canonicalCode(q.get('fp') ?? '', 3);
  if (!fingerprint || !FINGERPRINT_RE.test(fingerprint)) return bad('fingerprint', 'the pairing URL has no valid key fingerprint (fp=XXXX-XXXX-XXXX)');
  const pairing_code = canonicalPairingCode(q.get('code') ?? '');
  if (!pairing_code) return bad('code', 'the pairing URL has no valid pairing code (code=XXXX-XXXX)');
  const name = q.get('name')?.trim().slice(0, 64);
  return { ok: true, info: { join_url: url, fingerprint, pairing_code, ...(name ? { name } : {}) } };
}

/** A pairing code as typed (any case, spaces, dashes) → XXXX-XXXX, or undefined. */
export function canonicalPairingCode(text: string): string | undefined {
  const code = canonicalCode(text, 2);
  return code && PAIRING_CODE_RE.test(code) ? code : undefined;
}

// ---- approval without the recovery words: the enrolment delegation ------------------------------

/**
 * Payload of the enrolment delegation: a JWT the OWNER signs (in the wizard or CLI, where the owner key
 * lives for a moment) over the public half of a key the OOD generated (`etc/enrolment_key.pem`). It lets
 * that key sign DeviceDocuments of node types only, for this zone, until `exp`. Every verifier follows
 * the chain: owner key → delegation → device document (docs/security.md "Approving a device").
 */
export interface EnrolmentDelegation {
  /** Always ENROLMENT_DELEGATION_KIND; a document without it is not a delegation. */
  kind: typeof ENROLMENT_DELEGATION_KIND;
  /** The owner DID. */
  iss: string;
  /** The zone DID it is valid in. */
  zone: string;
  /** The OOD that holds the private half. */
  holder: string;
  delegate_key: Ed25519PublicJwk;
  /** What the delegate may sign: DeviceDocuments whose device_type is one of these. Never "ood". */
  device_types: string[];
  jti: string;
  iat: number;
  exp: number;
}
export const ENROLMENT_DELEGATION_KIND = 'buckyos.enrolment_delegation.v1';
/** A delegate-signed DeviceDocument carries the delegation JWT in this member (upstream ignores unknown members). */
export const DELEGATION_MEMBER = 'enrolment_delegation';
/** Longest lifetime the OOD accepts for a delegation (the owner renews it with the words once a year). */
export const MAX_DELEGATION_LIFETIME_S = 366 * 24 * 3600;

/** The claims the owner signs to delegate `delegate_key` (node documents only, a year less a day). */
export function buildDelegationRequest(o: { ownerDid: string; zoneDid: string; holder: string; delegateKey: Ed25519PublicJwk; jti: string; now: number }): EnrolmentDelegation {
  return {
    kind: ENROLMENT_DELEGATION_KIND, iss: o.ownerDid, zone: o.zoneDid, holder: o.holder,
    delegate_key: o.delegateKey, device_types: ['server'], jti: o.jti, iat: o.now, exp: o.now + MAX_DELEGATION_LIFETIME_S - 24 * 3600,
  };
}

/**
 * What the owner's client checks before it signs a delegation request the OOD handed it: a delegation
 * of this kind, over the key the OOD showed, for node types only, for at most MAX_DELEGATION_LIFETIME_S.
 * Returns the reason it is refused, or undefined.
 */
export function delegationRequestProblem(r: EnrolmentDelegation, delegateKeyX: string): string | undefined {
  if (r?.kind !== ENROLMENT_DELEGATION_KIND) return 'not an enrolment delegation';
  if (r.delegate_key?.kty !== 'OKP' || r.delegate_key.crv !== 'Ed25519' || r.delegate_key.x !== delegateKeyX) return "not over the OOD's enrolment key";
  if (!Array.isArray(r.device_types) || r.device_types.length === 0 || r.device_types.some((t) => t !== 'server' && t !== 'node')) return 'it names device types other than nodes';
  if (typeof r.iat !== 'number' || typeof r.exp !== 'number' || r.exp <= r.iat || r.exp - r.iat > MAX_DELEGATION_LIFETIME_S) return 'it lasts longer than a year';
  if (typeof r.zone !== 'string' || typeof r.iss !== 'string' || typeof r.holder !== 'string' || typeof r.jti !== 'string') return 'it lacks its zone, owner, holder or id';
  return undefined;
}

export type DelegationState = 'active' | 'missing' | 'expired' | 'revoked';

export interface DelegationStatus {
  state: DelegationState;
  /** The key the OOD holds and wants delegated (sign a delegation over it with `device.delegate`). */
  delegate_key: Ed25519PublicJwk;
  /** Claims to sign (owner key, EdDSA) to make or renew the delegation; exp one year ahead. */
  request: EnrolmentDelegation;
  /** Of the delegation in force, when there is one. */
  jti?: string;
  exp?: number;
}

// ---- the zone's device list ---------------------------------------------------------------------

export type DeviceState = 'online' | 'offline' | 'registered' | 'gone';

/** One instance a device runs (from nodes/<n>/config and services/<spec>/instances/<n>). */
export interface DeviceInstance {
  spec_id: string;
  kind: 'kernel' | 'app';
  target_state: string;
  /** Last reported state; absent before the first report. */
  state?: InstanceState;
}

export interface ZoneDevice {
  name: string;
  did: string;
  device_type: string;
  is_ood: boolean;
  /** 'registered': approved, never reported; 'online': reported recently; 'gone': the scheduler gave up on it. */
  state: DeviceState;
  /** From the scheduler snapshot, when it knows the node. */
  status?: NodeStatus;
  reason?: Reason;
  /** Unix s of the device's last own report (devices/<n>/info update_time); 0 = never. */
  last_seen: number;
  /** keyFingerprint of the device key in its document. */
  fingerprint: string;
  /** Who signed its document: the owner key itself, or the OOD under the enrolment delegation. */
  approved_by: 'owner' | 'delegation';
  arch?: string;
  os?: string;
  hostname?: string;
  ips?: string[];
  cpu_info?: string;
  cpu_num?: number;
  cpu_usage?: number;
  total_mem?: number;
  mem_usage?: number;
  total_space?: number;
  disk_usage?: number;
  instances: DeviceInstance[];
}

// ---- revocation ---------------------------------------------------------------------------------

/**
 * A revoked device key or delegation (`system/device_revocations/<id>`): every verifier refuses
 * documents and tokens under it. `id` is sha256(device key x) in hex for a device, the jti for a
 * delegation. Readable by nodes (rtcp checks it too); written only by the OOD.
 */
export interface DeviceRevocation {
  kind: 'device_key' | 'delegation';
  /** The device name (for a device key) or the delegate holder. */
  name: string;
  revoked_at: number;
  /** A device that hears of its removal wipes its data when true (the owner's choice), else keeps it. */
  wipe: boolean;
}
export const DEVICE_REVOCATIONS_DIR = 'system/device_revocations';
export const deviceRevocationKey = (id: string) => `${DEVICE_REVOCATIONS_DIR}/${id}`;

// ---- kRPC (served at /kapi/control-panel on the OOD) -----------------------------------------------

export interface DeviceScanParams {
  /** How long to listen for answers after probing, ms (default 1500, at most 10000). */
  wait_ms?: number;
}
export interface DeviceScanResult {
  devices: DiscoveredDevice[];
  /** Unix ms. */
  scanned_at: number;
}

export interface DeviceApproveParams {
  /** The device's name in the zone (a DNS label, not an OOD, user, app or kernel name). */
  name: string;
  /** Its enrolment endpoint, from a scan or a pairing URL. */
  device_url: string;
  /** The pairing code shown on the device (or in its QR). */
  pairing_code: string;
  /** The fingerprint the owner expects (from a scan or the QR); the device's key must match it. */
  fingerprint?: string;
}
export interface DeviceApproveResult {
  name: string;
  did: string;
  fingerprint: string;
  status: 'joined';
}

export interface DeviceRemoveParams {
  name: string;
  /** Ask the device to wipe its data when it hears of the removal (default: keep). */
  wipe?: boolean;
}
export interface DeviceRemoveResult {
  name: string;
  /** The revocation id written (sha256 of the device key, hex). */
  revocation: string;
}

/**
 * What the OOD tells a removed device that asks (signed by the OOD's device key, which the device
 * finds in its owner-signed zone document), so a LAN stranger cannot make a device reset itself.
 */
export interface DeviceRemovalNotice {
  kind: typeof DEVICE_REMOVAL_KIND;
  zone: string;
  device: string;
  key_id: string;
  wipe: boolean;
  iat: number;
  exp: number;
}
export const DEVICE_REMOVAL_KIND = 'buckyos.device_removal.v1';

export interface DevicesMethods {
  'device.scan': { params: DeviceScanParams; result: DeviceScanResult };
  'device.list': { params: NoParams; result: { devices: ZoneDevice[]; delegation: DelegationStatus } };
  'device.approve': { params: DeviceApproveParams; result: DeviceApproveResult };
  'device.remove': { params: DeviceRemoveParams; result: DeviceRemoveResult };
  'device.delegation': { params: NoParams; result: DelegationStatus };
  'device.delegate': { params: { delegation_jwt: string }; result: DelegationStatus };
  'device.revoke_delegation': { params: NoParams; result: DelegationStatus };
  /** Asked by a device without a token: has the zone removed the device with this key id? */
  'device.removal_notice': { params: { key_id: string }; result: { removed: false } | { removed: true; notice: string } };
}
/** Where DevicesMethods are served: the OOD's control-panel endpoint (through the gateway). */
export const DEVICES_KAPI_PATH = '/kapi/control-panel';
