// Verifying a DeviceDocument by its chain (issue 11): either the owner key signed it (activation,
// `buckyos enroll`), or the OOD's enrolment key signed it under an owner-signed enrolment delegation
// carried inside the document. The delegation lets that key sign node documents of this zone only,
// until the delegation expires, and never an OOD; a revoked delegation or device key ends it. Every
// verifier (system-config, verify-hub, a joining node, a booting node) goes through here.
import { createHash } from 'node:crypto';
import {
  DELEGATION_MEMBER, ENROLMENT_DELEGATION_KIND, MAX_DELEGATION_LIFETIME_S, type EnrolmentDelegation,
} from '../../api/devices.js';
import { KrpcError } from '../errors.js';
import { defaultKeyOf, type DeviceDocument } from './documents.js';
import { decodeUnverified, nowSeconds, verifyJwt } from './jwt.js';
import { isEd25519PublicJwk, type Ed25519PublicJwk } from './keys.js';

/** Device types a delegate may ever sign, whatever a delegation says: nodes, never an OOD. */
export const DELEGABLE_DEVICE_TYPES: ReadonlySet<string> = new Set(['server', 'node']);

/** The id a device key is revoked under: sha256 of its raw public key, hex. */
export const deviceKeyId = (jwk: Ed25519PublicJwk) => createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex');

export interface ChainOptions {
  /** Unix seconds; default now. */
  now?: number;
  /** The zone the document must belong to (delegations always name one). */
  zoneDid?: string;
  /** Whether a revocation id (a device key id or a delegation jti) is on the zone's revocation list. */
  isRevoked?: (id: string) => boolean | Promise<boolean>;
  /** false: accept an owner-signed document without exp (system-config's lazy trust does). */
  requireExp?: boolean;
  what?: string;
}

export interface VerifiedDevice {
  doc: DeviceDocument;
  key: Ed25519PublicJwk;
  approvedBy: 'owner' | 'delegation';
  delegation?: EnrolmentDelegation;
}

const refuse = (what: string, why: string) => new KrpcError('UNAUTHENTICATED', `${what} is not trusted: ${why}`);

/** Checks an enrolment delegation JWT against the owner key; returns its payload. */
export async function verifyDelegation(jwt: string, ownerKey: Ed25519PublicJwk, opts: ChainOptions = {}): Promise<EnrolmentDelegation> {
  const what = 'the enrolment delegation';
  const now = opts.now ?? nowSeconds();
  if (typeof jwt !== 'string' || jwt.length > 8192) throw refuse(what, 'malformed');
  let d: Record<string, unknown>;
  try {
    d = await verifyJwt(jwt, ownerKey, { now });
  } catch (e) {
    if (e instanceof KrpcError && e.code === 'TOKEN_EXPIRED') throw new KrpcError('TOKEN_EXPIRED', `${what} has expired; the owner renews it with the recovery words (buckyos devices delegate)`);
    throw refuse(what, 'it is not signed by the zone owner');
  }
  if (d.kind !== ENROLMENT_DELEGATION_KIND) throw refuse(what, 'not a delegation');
  if (!isEd25519PublicJwk(d.delegate_key)) throw refuse(what, 'no delegate key');
  if (!Array.isArray(d.device_types) || d.device_types.length === 0 || d.device_types.some((t) => typeof t !== 'string' || !DELEGABLE_DEVICE_TYPES.has(t)))
    throw refuse(what, 'it names device types a delegate may not sign');
  if (typeof d.zone !== 'string' || (opts.zoneDid !== undefined && d.zone !== opts.zoneDid)) throw refuse(what, 'it is for another zone');
  if (typeof d.jti !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(d.jti)) throw refuse(what, 'no id');
  if (typeof d.iat !== 'number' || typeof d.exp !== 'number' || d.exp - d.iat > MAX_DELEGATION_LIFETIME_S || d.iat > now + 300)
    throw refuse(what, 'its lifetime is not acceptable');
  if (opts.isRevoked && (await opts.isRevoked(d.jti))) throw refuse(what, 'the owner revoked it');
  return d as unknown as EnrolmentDelegation;
}

/**
 * Verifies a DeviceDocument JWT by its chain; throws UNAUTHENTICATED / TOKEN_EXPIRED otherwise.
 * A document that carries a delegation is judged by the delegation only (never also by the owner key),
 * so an owner-signed document cannot smuggle rights through a stale delegation or the other way round.
 */
export async function verifyDeviceDocument(jwt: string, ownerKey: Ed25519PublicJwk, opts: ChainOptions = {}): Promise<VerifiedDevice> {
  const what = opts.what ?? 'the device document';
  const now = opts.now ?? nowSeconds();
  if (typeof jwt !== 'string' || jwt.length === 0 || jwt.length > 16 * 1024) throw refuse(what, 'missing or too long');
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeUnverified(jwt).payload;
  } catch {
    throw refuse(what, 'not a JWT');
  }
  const carried = unverified[DELEGATION_MEMBER];
  let doc: DeviceDocument;
  let delegation: EnrolmentDelegation | undefined;
  if (carried === undefined) {
    try {
      doc = (await verifyJwt(jwt, ownerKey, { now, requireExp: opts.requireExp })) as unknown as DeviceDocument;
    } catch (e) {
      if (e instanceof KrpcError && e.code === 'TOKEN_EXPIRED') throw new KrpcError('TOKEN_EXPIRED', `${what} has expired; the owner must sign a new one`);
      throw refuse(what, "it is not signed by the zone owner's key");
    }
  } else {
    delegation = await verifyDelegation(carried as string, ownerKey, { ...opts, now });
    try {
      doc = (await verifyJwt(jwt, delegation.delegate_key, { now })) as unknown as DeviceDocument;
    } catch (e) {
      if (e instanceof KrpcError && e.code === 'TOKEN_EXPIRED') throw new KrpcError('TOKEN_EXPIRED', `${what} has expired`);
      throw refuse(what, 'it is not signed by the delegated enrolment key');
    }
    if (!delegation.device_types.includes(doc.device_type)) throw refuse(what, `a delegate may not sign a "${String(doc.device_type).slice(0, 32)}" device`);
    if (doc.zone_did !== delegation.zone) throw refuse(what, 'it names another zone than its delegation');
    if (typeof doc.iat !== 'number' || doc.iat < delegation.iat - 300 || doc.exp > delegation.exp) throw refuse(what, 'it outlives or predates its delegation');
  }
  if (opts.zoneDid !== undefined && doc.zone_did !== undefined && doc.zone_did !== opts.zoneDid) throw refuse(what, 'it belongs to another zone');
  const key = defaultKeyOf(doc);
  if (!key) throw refuse(what, 'it names no Ed25519 key');
  if (opts.isRevoked && (await opts.isRevoked(deviceKeyId(key)))) throw refuse(what, 'the owner removed this device from the zone');
  return { doc, key, approvedBy: delegation ? 'delegation' : 'owner', ...(delegation && { delegation }) };
}
