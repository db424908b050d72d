// EdDSA JWTs (jose) exactly as BuckyOS writes them: header {alg:"EdDSA", kid?}, no typ.
// Verification accepts only EdDSA, so "none" and HMAC tricks fail before any key is used.
import { SignJWT, jwtVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { KrpcError } from '../errors.js';
import { privateKeyObject, publicKeyObject, type Ed25519PublicJwk } from './keys.js';

export type Claims = JWTPayload & Record<string, unknown>;

export async function signJwt(claims: Claims, privateKeyPem: string, kid?: string): Promise<string> {
  const header: { alg: 'EdDSA'; kid?: string } = { alg: 'EdDSA' };
  if (kid) header.kid = kid;
  return new SignJWT(claims).setProtectedHeader(header).sign(privateKeyObject(privateKeyPem));
}

export interface DecodedJwt {
  header: { alg?: string; kid?: string };
  payload: Claims;
}

/** Reads header and payload without checking anything; only for choosing the verification key. */
export function decodeUnverified(token: string): DecodedJwt {
  if (typeof token !== 'string' || token.split('.').length !== 3) throw new KrpcError('UNAUTHENTICATED', 'token is not a JWT');
  try {
    return { header: decodeProtectedHeader(token), payload: decodeJwt<Claims>(token) };
  } catch {
    throw new KrpcError('UNAUTHENTICATED', 'token is not a JWT');
  }
}

export interface VerifyOptions {
  /** Unix seconds; defaults to now. */
  now?: number;
  /** Require an exp claim (default true). */
  requireExp?: boolean;
}

/** Verifies signature (EdDSA only) and expiry; throws UNAUTHENTICATED / TOKEN_EXPIRED. */
export async function verifyJwt(token: string, key: Ed25519PublicJwk, opts: VerifyOptions = {}): Promise<Claims> {
  const { header } = decodeUnverified(token);
  if (header.alg !== 'EdDSA') throw new KrpcError('UNAUTHENTICATED', `token algorithm ${JSON.stringify(header.alg)} is not accepted (EdDSA only)`);
  try {
    const { payload } = await jwtVerify(token, publicKeyObject(key), {
      algorithms: ['EdDSA'],
      currentDate: opts.now !== undefined ? new Date(opts.now * 1000) : undefined,
      requiredClaims: opts.requireExp === false ? [] : ['exp'],
      clockTolerance: 5,
    });
    return payload;
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new KrpcError('TOKEN_EXPIRED', 'token has expired; log in again');
    if (e instanceof joseErrors.JWTClaimValidationFailed) throw new KrpcError('UNAUTHENTICATED', `token claim check failed: ${e.message}`);
    throw new KrpcError('UNAUTHENTICATED', 'token signature is not valid for its issuer');
  }
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
