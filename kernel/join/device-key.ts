// The key of a device that has not joined a zone yet. It is made once on the device and kept in
// etc/device_key.pem (0600), so its join code stays the same across restarts; it never leaves the device.
import { mkdir, readFile } from 'node:fs/promises';
import { KrpcError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import { generateEd25519, publicJwkFromPrivatePem, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import type { DataPaths } from '../lib/paths.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_CHARS = 12;

/** The device's public key, creating the key pair on first use. */
export async function ensureDeviceKey(paths: DataPaths): Promise<Ed25519PublicJwk> {
  let pem: string | undefined;
  try {
    pem = await readFile(paths.deviceKey, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pem === undefined) {
    await mkdir(paths.etc, { recursive: true, mode: 0o700 });
    const key = generateEd25519();
    await writeFileAtomic(paths.deviceKey, key.privateKeyPem, 0o600);
    return key.publicJwk;
  }
  try {
    return publicJwkFromPrivatePem(pem);
  } catch {
    throw new KrpcError('INTEGRITY', `${paths.deviceKey} is not an Ed25519 private key; remove it to let the device make a new one`);
  }
}

export { keyFingerprint } from '../lib/identity/fingerprint.js';

/** A join code as a person may type it (any case, spaces or dashes) in canonical form. */
export function normalizeJoinCode(code: string): string {
  const chars = String(code ?? '').toUpperCase().replace(/[\s-]/g, '');
  if (chars.length !== CODE_CHARS || [...chars].some((c) => !BASE32.includes(c)))
    throw new KrpcError('INVALID_PARAMS', 'the join code is the 12 letters and digits the device printed, like ABCD-EF23-GH45');
  return chars.match(/.{4}/g)!.join('-');
}
