// Password verifiers as BuckyOS computes them (spec 40 §3, spec 60 §3). Only these hashes cross the wire.
import { createHash } from 'node:crypto';

const sha256Base64 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

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
