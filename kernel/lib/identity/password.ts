// Password verifiers as BuckyOS computes them (spec 40 §3, spec 60 §3). Only these hashes cross the wire.
// Browser-safe (no node:): the control panel computes the same verifier and login proof in the page,
// where WebCrypto is missing on plain-http LAN addresses, so the hash is @noble/hashes' SHA-256.
import { sha256 } from '@noble/hashes/sha2.js';
import { base64Encode } from './base64.js';

const sha256Base64 = (text: string) => base64Encode(sha256(new TextEncoder().encode(text)));

/** The stored verifier: base64(sha256(password + username + ".buckyos")). */
export function hashPassword(password: string, username: string): string {
  return sha256Base64(password + username + '.buckyos');
}

/** What a password login sends: base64(sha256(storedHash + nonceMs)), nonceMs = client time in milliseconds. */
export function loginProof(passwordHash: string, nonceMs: number): string {
  return sha256Base64(passwordHash + String(nonceMs));
}

/** True for the shape of a verifier: base64 of exactly 32 bytes. */
export function isPasswordHash(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(value);
}
