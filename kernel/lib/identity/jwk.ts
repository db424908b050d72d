// The Ed25519 public JWK {kty:"OKP", crv:"Ed25519", x} that documents and trust-key tables carry.
// Browser-safe (no node:): documents and DIDs built in the control panel use it too.

import type { Ed25519PublicJwk } from '../../api/identity.js';

export type { Ed25519PublicJwk };

/** 43 base64url characters are exactly 32 bytes, an Ed25519 public key. */
export function isEd25519PublicJwk(v: unknown): v is Ed25519PublicJwk {
  const j = v as Ed25519PublicJwk | null;
  return !!j && typeof j === 'object' && j.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.x === 'string' && /^[A-Za-z0-9_-]{43}$/.test(j.x);
}

export const sameKey = (a: Ed25519PublicJwk | undefined, b: Ed25519PublicJwk | undefined) => !!a && !!b && a.x === b.x;
