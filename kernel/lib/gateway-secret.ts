// How verify-hub knows a request came through this node's own gateway, and so may believe its
// X-Forwarded-For: the gateway adds a per-node secret (etc/gateway_secret, mode 0600, made on first
// use) to the requests it forwards to verify-hub, and strips that header from whatever clients send.
// A local process that calls verify-hub directly has no secret, so it is counted under its own address.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-atomic.js';

export const GATEWAY_SECRET_HEADER = 'x-buckyos-gateway-secret';
/** In the node's etc/ folder. */
export const GATEWAY_SECRET_FILE = 'gateway_secret';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The node's gateway secret from `<etc>/gateway_secret`, made (0600, written atomically) when missing. */
export async function loadGatewaySecret(etcDir: string): Promise<string> {
  const path = join(etcDir, GATEWAY_SECRET_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await writeFileAtomic(path, randomBytes(32).toString('base64url'), 0o600);
    text = await readFile(path, 'utf8');
  }
  const secret = text.trim();
  if (!SECRET.test(secret)) throw new Error(`${path} does not hold a gateway secret; delete it and restart to make a new one`);
  return secret;
}

/** Constant-time check of a request's gateway-secret header. */
export function fromOwnGateway(header: string | string[] | undefined, secret: string | undefined): boolean {
  if (!secret || typeof header !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(header), digest(secret));
}
