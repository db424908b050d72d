// The signed tunnel tokens of the v4 handshake (rtcp.md §3.3; package.rs TunnelTokenPayload /
// TunnelAckTokenPayload): compact EdDSA JWTs with header {"alg":"EdDSA"} (no typ, no kid), signed by
// the device's long-term Ed25519 key. Verification accepts EdDSA only, checks aud exactly, exp with
// upstream's 60 s leeway, a lifetime of at most 60 s and an iat at most 60 s in the future.
import { createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { RtcpError } from './errors.js';
import { publicKeyObject, type Ed25519PublicJwk } from '../lib/identity/keys.js';

export const HELLO_AUD = 'buckyos-rtcp-v4-hello';
export const ACK_AUD = 'buckyos-rtcp-v4-ack';
export const TOKEN_LIFETIME_S = 60;
export const JWT_LEEWAY_S = 60;

export interface HelloClaims {
  aud: string;
  to: string;
  canonical_to: string;
  from: string;
  listen_port: number;
  xpub: string;
  iat: number;
  exp: number;
  nonce: string;
}

export interface AckClaims {
  aud: string;
  to: string;
  from: string;
  xpub: string;
  peer_xpub: string;
  iat: number;
  exp: number;
  nonce: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'EdDSA' })).toString('base64url');

export function signToken(claims: object, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = `${HEADER}.${payload}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/** Payload without any check, for choosing the key (never trusted before verifyToken). */
export function decodeTokenUnverified(token: string): Record<string, unknown> {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw new RtcpError('INVALID_DATA', 'tunnel token is not a JWT');
  try {
    const v = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new RtcpError('INVALID_DATA', 'tunnel token payload is not JSON');
  }
}

const keyCache = new Map<string, KeyObject>();
function keyFor(jwk: Ed25519PublicJwk): KeyObject {
  let k = keyCache.get(jwk.x);
  if (!k) {
    k = publicKeyObject(jwk);
    if (keyCache.size > 1024) keyCache.clear();
    keyCache.set(jwk.x, k);
  }
  return k;
}

const unauth = (msg: string) => new RtcpError('UNAUTHENTICATED', msg);

function verifySigned(token: string, key: Ed25519PublicJwk, aud: string, now: number): Record<string, unknown> {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw unauth('tunnel token is not a JWT');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch {
    throw unauth('tunnel token header is not JSON');
  }
  if ((header as { alg?: unknown } | null)?.alg !== 'EdDSA') throw unauth('tunnel token algorithm is not EdDSA');
  const ok = verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), keyFor(key), Buffer.from(parts[2], 'base64url'));
  if (!ok) throw unauth('tunnel token signature is not valid for the peer key');
  const claims = decodeTokenUnverified(token);
  if (claims.aud !== aud) throw unauth(`tunnel token audience is not ${aud}`);
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isInteger(iat) || !Number.isInteger(exp)) throw unauth('tunnel token lacks iat/exp');
  if (exp < iat) throw unauth('tunnel token exp is earlier than iat');
  if (exp - iat > TOKEN_LIFETIME_S) throw unauth(`tunnel token lifetime exceeds ${TOKEN_LIFETIME_S} seconds`);
  if (iat > now + JWT_LEEWAY_S) throw unauth('tunnel token iat is too far in the future');
  if (exp + JWT_LEEWAY_S < now) throw unauth('tunnel token has expired');
  if (typeof claims.nonce !== 'string' || !/^[0-9a-fA-F]{32}$/.test(claims.nonce)) throw unauth('tunnel token nonce must be 16 bytes of hex');
  if (typeof claims.xpub !== 'string' || !/^[0-9a-fA-F]{64}$/.test(claims.xpub)) throw unauth('tunnel token xpub must be 32 bytes of hex');
  for (const k of ['to', 'from']) if (typeof claims[k] !== 'string') throw unauth(`tunnel token lacks ${k}`);
  return claims;
}

export function verifyHelloToken(token: string, key: Ed25519PublicJwk, now: number): HelloClaims {
  const c = verifySigned(token, key, HELLO_AUD, now);
  if (typeof c.canonical_to !== 'string') throw unauth('hello token lacks canonical_to');
  if (typeof c.listen_port !== 'number' || !Number.isInteger(c.listen_port) || c.listen_port < 0 || c.listen_port > 0xffff) throw unauth('hello token listen_port is not a port');
  return c as unknown as HelloClaims;
}

export function verifyAckToken(token: string, key: Ed25519PublicJwk, now: number): AckClaims {
  const c = verifySigned(token, key, ACK_AUD, now);
  if (typeof c.peer_xpub !== 'string') throw unauth('ack token lacks peer_xpub');
  return c as unknown as AckClaims;
}
