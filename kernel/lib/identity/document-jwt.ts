// Owner-signed documents as EdDSA JWTs (header {alg:"EdDSA"}, no typ, no kid, as BuckyOS writes them)
// and their verification: only EdDSA (so "none" and HMAC tricks fail), only the given owner key, not
// expired, and for boot configs never older than the one this node already accepted.
import { KrpcError } from '../errors.js';
import { signJwt, verifyJwt, type Claims } from './jwt.js';
import type { Ed25519PublicJwk } from './keys.js';
import type { ZoneBootDocument } from './documents.js';
import { parseOodString } from './ood-string.js';

export async function signDocument(doc: object, ownerPrivateKeyPem: string): Promise<string> {
  return signJwt(doc as Claims, ownerPrivateKeyPem);
}

export interface DocumentVerifyOptions {
  /** Unix seconds; defaults to now. */
  now?: number;
  /** What the document is, for error messages ("zone boot config", "device document"…). */
  what?: string;
}

/** Verifies signature and expiry against the owner's key and returns the payload. */
export async function verifyOwnerSigned<T = Claims>(jwt: string, ownerJwk: Ed25519PublicJwk, opts: DocumentVerifyOptions = {}): Promise<T> {
  const what = opts.what ?? 'document';
  if (typeof jwt !== 'string' || jwt.length === 0) throw new KrpcError('INVALID_PARAMS', `${what} is missing`);
  try {
    return (await verifyJwt(jwt, ownerJwk, { now: opts.now })) as T;
  } catch (e) {
    if (!(e instanceof KrpcError)) throw e;
    if (e.code === 'TOKEN_EXPIRED') throw new KrpcError('TOKEN_EXPIRED', `${what} has expired; the owner must sign a new one`);
    throw new KrpcError(e.code, `${what} is not signed by the zone owner's key: ${e.message}`);
  }
}

export interface ZoneBootVerifyOptions {
  /** iat of the boot config this node accepted before (node_identity.zone_iat or the last-known-good). */
  cachedIat?: number;
  now?: number;
}

export async function verifyZoneBootConfig(jwt: string, ownerJwk: Ed25519PublicJwk, opts: ZoneBootVerifyOptions = {}): Promise<ZoneBootDocument> {
  const boot = await verifyOwnerSigned<ZoneBootDocument>(jwt, ownerJwk, { now: opts.now, what: 'zone boot config' });
  if (!Array.isArray(boot.oods) || boot.oods.length === 0)
    throw new KrpcError('INVALID_PARAMS', 'zone boot config lists no OODs; the owner must sign one that names at least one');
  for (const ood of boot.oods) parseOodString(ood);
  if (boot.iat !== undefined && (typeof boot.iat !== 'number' || !Number.isSafeInteger(boot.iat)))
    throw new KrpcError('INVALID_PARAMS', 'zone boot config iat is not a whole number of seconds');
  if (opts.cachedIat !== undefined) {
    if (boot.iat === undefined)
      throw new KrpcError('VERSION_CONFLICT', 'zone boot config has no iat, so it cannot be ordered against the one this node already accepted');
    if (boot.iat < opts.cachedIat)
      throw new KrpcError('VERSION_CONFLICT', `zone boot config (iat ${boot.iat}) is older than the one this node already accepted (iat ${opts.cachedIat}); refusing a rollback`);
  }
  return boot;
}
