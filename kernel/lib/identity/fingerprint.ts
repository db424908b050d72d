// The fingerprint of a device key (its join code), XXXX-XXXX-XXXX: what a device prints, puts in
// its QR code and announces on the LAN, and what the owner's client checks the device's key against.
import { createHash } from 'node:crypto';
import type { Ed25519PublicJwk } from './keys.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_CHARS = 12;

/**
 * The join code: 60 bits of sha256(public key) in base32, as XXXX-XXXX-XXXX. Not a secret: the owner
 * reads it off the device and the enrolling client refuses a key whose code differs, which defeats a
 * key swapped in on the way (finding another key with the same 60 bits is out of reach).
 */
export function keyFingerprint(jwk: Ed25519PublicJwk): string {
  const digest = createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < CODE_CHARS) {
      out += BASE32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === CODE_CHARS) break;
  }
  return out.match(/.{4}/g)!.join('-');
}

