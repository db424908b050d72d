// The token pair verify-hub issues (spec 60 §2, docs/CONTRACTS.md "Token claims"): an EdDSA session
// token (15 min) that every service verifies locally, and a refresh token (7 days, aud "verify-hub")
// that only verify-hub accepts and that dies at its first use.
//
// Ours: refresh tokens are signed with a key derived from verify-hub's key (HKDF), not with the key
// published in boot/config. A service that checks tokens against the published key therefore cannot
// mistake a 7-day refresh token for a session token, whether or not it looks at `aud`.
import { createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';
import { KrpcError } from '../lib/errors.js';
import { signJwt, verifyJwt } from '../lib/identity/jwt.js';
import { ed25519FromSeed, type Ed25519KeyPair, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { PRINCIPAL_KINDS, type PrincipalKind, type SessionTokenClaims } from '../api/verify-hub.js';

export { PRINCIPAL_KINDS, type PrincipalKind };

export const VERIFY_HUB_ISSUER: SessionTokenClaims['iss'] = 'verify-hub';
export const VERIFY_HUB_KID = 'verify-hub';
export const REFRESH_KID = 'verify-hub-refresh';
export const REFRESH_AUDIENCE = 'verify-hub';
export const SESSION_TOKEN_TTL_S = 15 * 60;
export const REFRESH_TOKEN_TTL_S = 7 * 24 * 3600;
/** How far ahead of this clock a token's iat may be (clocks of one machine's processes agree). */
const CLOCK_SKEW_S = 60;

/** Who a session belongs to; fixed for the life of the session. */
export interface SessionSubject {
  sub: string;
  appid: string;
  kind: PrincipalKind;
  session: number;
  appInstanceId?: string;
}

export type TokenUse = 'session' | 'refresh';

/** A random u64 as a decimal string (the jti form BuckyOS uses). */
export const newTokenId = () => randomBytes(8).readBigUInt64BE().toString();

/** A random session id that survives JSON (a u64 in BuckyOS; we stay within 2^53). */
export const newSessionId = () => Number(randomBytes(8).readBigUInt64BE() & ((1n << 53n) - 1n)) || 1;

export function tokenClaims(use: TokenUse, subject: SessionSubject, zone: string, nowS: number, jti: string): SessionTokenClaims {
  const claims: SessionTokenClaims = {
    iss: VERIFY_HUB_ISSUER,
    sub: subject.sub,
    appid: subject.appid,
    exp: nowS + (use === 'session' ? SESSION_TOKEN_TTL_S : REFRESH_TOKEN_TTL_S),
    iat: nowS,
    jti,
    session: subject.session,
    principal_kind: subject.kind,
    zone,
  };
  if (use === 'refresh') claims.aud = REFRESH_AUDIENCE;
  if (subject.appInstanceId) claims.app_instance_id = subject.appInstanceId;
  return claims;
}

export interface TokenPair {
  session_token: string;
  refresh_token: string;
}

export interface MintedPair extends TokenPair {
  refreshJti: string;
  refreshExp: number;
}

/** The refresh-token signing key: HKDF-SHA256 of verify-hub's Ed25519 seed, used as an Ed25519 seed. */
export function refreshSigningKey(verifyHubPrivateKeyPem: string): Ed25519KeyPair {
  const { d } = createPrivateKey(verifyHubPrivateKeyPem).export({ format: 'jwk' }) as { d?: string };
  if (!d) throw new Error('verify-hub key is not an Ed25519 private key');
  const seed = hkdfSync('sha256', Buffer.from(d, 'base64url'), Buffer.alloc(0), 'buckyos verify-hub refresh token key v1', 32);
  return ed25519FromSeed(new Uint8Array(seed));
}

export class TokenIssuer {
  private readonly refreshKey: Ed25519KeyPair;

  constructor(
    private readonly privateKeyPem: string,
    readonly publicJwk: Ed25519PublicJwk,
    readonly zone: string,
  ) {
    this.refreshKey = refreshSigningKey(privateKeyPem);
  }

  async mintPair(subject: SessionSubject, nowS: number): Promise<MintedPair> {
    const session = tokenClaims('session', subject, this.zone, nowS, newTokenId());
    const refresh = tokenClaims('refresh', subject, this.zone, nowS, newTokenId());
    return {
      session_token: await signJwt({ ...session }, this.privateKeyPem, VERIFY_HUB_KID),
      refresh_token: await signJwt({ ...refresh }, this.refreshKey.privateKeyPem, REFRESH_KID),
      refreshJti: refresh.jti,
      refreshExp: refresh.exp,
    };
  }

  /**
   * A sudo session token (kernel/api/sudo.ts): the session's own `session` id, `sudo: true`, `ttlS`
   * seconds of life, and no refresh token.
   */
  async mintSudo(subject: SessionSubject, nowS: number, ttlS: number): Promise<string> {
    const claims: SessionTokenClaims = { ...tokenClaims('session', subject, this.zone, nowS, newTokenId()), exp: nowS + ttlS, sudo: true };
    return signJwt({ ...claims }, this.privateKeyPem, VERIFY_HUB_KID);
  }

  /** Verifies a token this verify-hub issued for `use`; anything else is UNAUTHENTICATED / TOKEN_EXPIRED. */
  async verify(token: string, use: TokenUse, nowS: number): Promise<SessionTokenClaims> {
    const key = use === 'session' ? this.publicJwk : this.refreshKey.publicJwk;
    const c = await verifyJwt(token, key, { now: nowS });
    if (c.iss !== VERIFY_HUB_ISSUER) throw new KrpcError('UNAUTHENTICATED', 'token was not issued by verify-hub');
    if (c.zone !== this.zone) throw new KrpcError('UNAUTHENTICATED', 'token belongs to another zone');
    const isRefresh = c.aud === REFRESH_AUDIENCE;
    if (use === 'refresh' && !isRefresh) throw new KrpcError('UNAUTHENTICATED', 'this is not a refresh token; pass the refresh_token from your login');
    if (use === 'session' && c.aud !== undefined) throw new KrpcError('UNAUTHENTICATED', 'this is not a session token; pass the session_token from your login');
    if (
      typeof c.sub !== 'string' ||
      typeof c.appid !== 'string' ||
      typeof c.jti !== 'string' ||
      typeof c.iat !== 'number' ||
      !Number.isSafeInteger(c.session) ||
      !PRINCIPAL_KINDS.includes(c.principal_kind as PrincipalKind)
    )
      throw new KrpcError('UNAUTHENTICATED', 'token is missing verify-hub claims');
    // The clock went back (an OS correction, a resume) after the token was issued: a session token
    // (sudo included) would then outlive its 15 minutes by the size of the jump, so it is refused like
    // system-config refuses it (trust.ts) and the client renews it. A refresh token is still taken: its
    // exp bounds it, its session can be revoked, and renewing through it keeps the owner signed in.
    if (use === 'session' && c.iat > nowS + CLOCK_SKEW_S) throw new KrpcError('UNAUTHENTICATED', 'token "iat" is in the future (the clock went back since it was issued); renew it');
    return c as unknown as SessionTokenClaims;
  }
}
