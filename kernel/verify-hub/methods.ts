// verify-hub's kRPC methods (spec 60 §3): password and JWT login, refresh with rotation and reuse
// detection, logout, token verification, and sudo (kernel/api/sudo.ts). Passwords, proofs and verifiers are never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { KrpcError, isKrpcError } from '../lib/errors.js';
import { GATEWAY_SECRET_HEADER, fromOwnGateway } from '../lib/gateway-secret.js';
import { loginProof } from '../lib/identity/password.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import { krpcMethods, type KrpcContext, type KrpcMethods } from '../lib/krpc/server.js';
import type { VerifyHubMethods } from '../api/verify-hub.js';
import { RESERVED_APPIDS } from '../api/rbac.js';
import { SUDO_TOKEN_TTL_S, type SudoByPasswordParams, type SudoByPasswordResult } from '../api/sudo.js';
import type { Logger } from '../lib/log.js';
import { passwordKey, type VerifyHubKv } from './kv.js';
import { verifyLoginJwt } from './login-jwt.js';
import { checkLoginNonce, nonceExpiresAt } from './nonce.js';
import { assertPrincipalStillValid, isActive, readUserSettings } from './principals.js';
import { assertMayUseApp, assertUserMayUseApp } from './app-access.js';
import {
  loginByJwtParams, loginByPasswordParams, logoutParams, refreshTokenParams, sudoByPasswordParams, verifyTokenParams,
  type LoginByJwtParams, type LoginByPasswordParams, type LoginByPasswordResult,
  type RefreshTokenParams, type TokenPairResult, type VerifyTokenParams,
} from './schema.js';
import { replayMarker, subjectOf, type ReplayMarker, type SessionStore } from './sessions.js';
import type { LoginThrottle } from './throttle.js';
import { newSessionId, type SessionSubject, type TokenIssuer } from './tokens.js';

export interface VerifyHubDeps {
  kv: VerifyHubKv;
  log: Logger;
  issuer: TokenIssuer;
  sessions: SessionStore;
  throttle: LoginThrottle;
  ownerPublicJwk: Ed25519PublicJwk;
  nowMs: () => number;
  /** This node's gateway secret (lib/gateway-secret.ts); without it no X-Forwarded-For is believed. */
  gatewaySecret?: string;
  /** Lifetime of sudo tokens (default SUDO_TOKEN_TTL_S). */
  sudoTtlS?: number;
}

/** App ids of the built-in RBAC groups (kernel/api/rbac.ts); a user session may not claim them. */
const KERNEL_APPIDS: ReadonlySet<string> = new Set(RESERVED_APPIDS);

const WRONG_CREDENTIALS = 'wrong user name or password';
// Keeps the work for an unknown user the same as for a known one.
const DUMMY_VERIFIER = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Constant-time comparison of a presented login proof with the expected one. */
function proofMatches(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function assertUserAppid(appid: string): void {
  if (KERNEL_APPIDS.has(appid)) throw new KrpcError('INVALID_PARAMS', `appid "${appid}" is reserved for kernel services; log in with your app's own id`);
}

/**
 * The address a login came from: the X-Forwarded-For that this node's gateway set (it overwrites the
 * client's and proves itself with the gateway secret), else the peer. A local process that calls us
 * directly is its own peer address, whatever it claims to forward for.
 */
export function clientIpOf(ctx: Pick<KrpcContext, 'ip' | 'request'>, gatewaySecret: string | undefined): string {
  const headers = ctx.request.headers;
  const forwarded = headers['x-forwarded-for'];
  if (fromOwnGateway(headers[GATEWAY_SECRET_HEADER], gatewaySecret) && typeof forwarded === 'string' && isIP(forwarded.trim())) return forwarded.trim();
  return ctx.ip;
}

export function verifyHubMethods(deps: VerifyHubDeps): KrpcMethods {
  const { kv, log, issuer, sessions, throttle } = deps;
  const nowS = () => Math.floor(deps.nowMs() / 1000);

  async function openSession(subject: SessionSubject, now: number, replay: ReplayMarker) {
    const pair = await issuer.mintPair(subject, now);
    await sessions.open(subject, pair.refreshJti, pair.refreshExp, now, replay);
    return { session_token: pair.session_token, refresh_token: pair.refresh_token };
  }

  /**
   * The password half of login_by_password and sudo_by_password: counts the attempt with the lockout
   * before anything is checked, then checks the nonce window and the proof. Resolves with the
   * attempt still counted as a failure; the caller settles it.
   */
  async function checkPassword(p: LoginByPasswordParams, ctx: KrpcContext, what: string) {
    const nowMs = deps.nowMs();
    const user = p.username;
    const ip = clientIpOf(ctx, deps.gatewaySecret);
    assertUserAppid(p.appid);
    // Counted as a failure before anything is checked; handed back below when the password was right.
    const attempt = await throttle.reserve(user, ip, nowMs);
    const refuse = (e: KrpcError, reason: string) => {
      log.warn(`${what} refused`, { user, ip, reason });
      return e;
    };
    try {
      checkLoginNonce(p.login_nonce, nowMs);
    } catch (e) {
      throw refuse(e as KrpcError, 'nonce outside the time window');
    }
    const [verifierEntry, settings] = await Promise.all([kv.get(passwordKey(user)), readUserSettings(kv, user)]);
    const expected = loginProof(verifierEntry?.value.trim() || DUMMY_VERIFIER, p.login_nonce);
    const matches = proofMatches(p.password, expected);
    if (!verifierEntry || !settings || user === 'root' || !matches)
      throw refuse(new KrpcError('UNAUTHENTICATED', WRONG_CREDENTIALS), 'wrong user name or password');
    if (!isActive(settings)) {
      attempt.notAGuess();
      throw new KrpcError('PERMISSION_DENIED', `the account "${user}" is ${settings.state.split(':')[0]}; ask the zone owner to reactivate it`);
    }
    return { attempt, settings, nowMs, ip, refuse };
  }

  async function loginByPassword(p: LoginByPasswordParams, ctx: KrpcContext): Promise<LoginByPasswordResult> {
    const user = p.username;
    const { attempt, settings, nowMs, ip, refuse } = await checkPassword(p, ctx, 'password login');
    try {
      await assertMayUseApp(kv, user, settings, p.appid, p.app_instance_id);
    } catch (e) {
      attempt.notAGuess();
      throw e;
    }
    const now = Math.floor(nowMs / 1000);
    const subject: SessionSubject = { sub: user, appid: p.appid, kind: 'user', session: newSessionId(), appInstanceId: p.app_instance_id };
    const replay = replayMarker(['password', user, String(p.login_nonce)], nonceExpiresAt(p.login_nonce), 'this login was already used (replayed nonce); log in again');
    let pair: TokenPairResult;
    try {
      pair = await openSession(subject, now, replay);
    } catch (e) {
      if (isKrpcError(e, 'UNAUTHENTICATED')) throw refuse(e, 'replayed nonce');
      attempt.notAGuess();
      throw e;
    }
    attempt.succeeded();
    log.info('password login', { user, appid: p.appid, ip, session: subject.session });
    return { user_info: { user_id: user, user_name: user, user_type: settings.type }, ...pair };
  }

  /**
   * kernel/api/sudo.ts: the person of the session in sys[1] proves their password again and gets a
   * short sudo token of that same session. The proof is counted by the login lockout like any guess.
   */
  async function sudoByPassword(p: SudoByPasswordParams, ctx: KrpcContext): Promise<SudoByPasswordResult> {
    if ((p as { aud?: unknown }).aud !== undefined)
      throw new KrpcError('INVALID_PARAMS', 'sudo tokens are issued for the session\'s own app only; leave out "aud"');
    if (!ctx.token) throw new KrpcError('UNAUTHENTICATED', 'sudo needs your current session token in sys[1]; sign in first');
    const claims = await issuer.verify(ctx.token, 'session', nowS());
    if (claims.principal_kind !== 'user') throw new KrpcError('PERMISSION_DENIED', 'only a person signed in with a password can use sudo');
    if (claims.sub !== p.username) throw new KrpcError('PERMISSION_DENIED', `you are signed in as ${claims.sub}; sudo is for that account only`);
    if (claims.appid !== p.appid) throw new KrpcError('INVALID_PARAMS', `this session belongs to app "${claims.appid}"; ask for sudo with that appid`);
    const state = await sessions.read(claims.session);
    if (!state || state.record.revoked || state.record.sub !== claims.sub) throw new KrpcError('UNAUTHENTICATED', 'this session has ended; log in again');

    const user = p.username;
    const { attempt, nowMs, ip, refuse } = await checkPassword(p, ctx, 'sudo');
    const now = Math.floor(nowMs / 1000);
    const replay = replayMarker(['sudo', user, String(p.login_nonce)], nonceExpiresAt(p.login_nonce), 'this sudo request was already used (replayed nonce); try again');
    try {
      await kv.execTx({ [replay.key]: { action: 'create', value: JSON.stringify({ exp: nonceExpiresAt(p.login_nonce) }) } });
    } catch (e) {
      if (isKrpcError(e, 'ALREADY_EXISTS')) throw refuse(new KrpcError('UNAUTHENTICATED', replay.message), 'replayed nonce');
      attempt.notAGuess();
      throw e;
    }
    const session_token = await issuer.mintSudo(subjectOf(claims.session, state.record), now, deps.sudoTtlS ?? SUDO_TOKEN_TTL_S);
    attempt.succeeded();
    log.info('sudo', { user, appid: p.appid, ip, session: claims.session });
    return { session_token };
  }

  async function loginByJwt(p: LoginByJwtParams, ctx: KrpcContext): Promise<TokenPairResult> {
    const now = nowS();
    let identity;
    try {
      identity = await verifyLoginJwt(kv, p.jwt, deps.ownerPublicJwk, now);
    } catch (e) {
      log.warn('JWT login refused', { ip: clientIpOf(ctx, deps.gatewaySecret), reason: (e as Error).message });
      throw e;
    }
    if (identity.kind === 'user') {
      assertUserAppid(identity.appid);
      await assertUserMayUseApp(kv, identity.sub, identity.appid, identity.appInstanceId ?? p.app_instance_id);
    }
    const subject: SessionSubject = {
      sub: identity.sub,
      appid: identity.appid,
      kind: identity.kind,
      session: newSessionId(),
      appInstanceId: identity.appInstanceId ?? p.app_instance_id,
    };
    // Single use per signer and jti, whatever app_instance_id the caller adds; the marker outlives
    // the JWT by the clock skew verification tolerates.
    const replay = replayMarker(['jwt', identity.iss, identity.jti], identity.exp + 60, 'this login JWT was already used; sign a new one with a fresh jti');
    const pair = await openSession(subject, now, replay);
    log.info('JWT login', { sub: subject.sub, appid: subject.appid, kind: subject.kind, iss: identity.iss, session: subject.session });
    return pair;
  }

  async function refreshToken(p: RefreshTokenParams, ctx: KrpcContext): Promise<TokenPairResult> {
    const now = nowS();
    const claims = await issuer.verify(p.refresh_token, 'refresh', now);
    // A lost compare-and-set means the record moved; re-reading then finds it rotated or revoked.
    for (let attempt = 0; attempt < 3; attempt++) {
      const state = await sessions.read(claims.session);
      if (!state || state.record.sub !== claims.sub) throw new KrpcError('UNAUTHENTICATED', 'this session has ended; log in again');
      const { record, version } = state;
      if (record.revoked) throw new KrpcError('UNAUTHENTICATED', 'this session was ended (logout or a reused refresh token); log in again');
      if (record.refresh_jti !== claims.jti) {
        await sessions.revoke(claims.session, record, now);
        log.warn('refresh token reused; session revoked', { sub: record.sub, session: claims.session, ip: clientIpOf(ctx, deps.gatewaySecret) });
        throw new KrpcError('UNAUTHENTICATED', 'this refresh token was already used, so the session has been ended for safety; log in again');
      }
      try {
        await assertPrincipalStillValid(kv, record, deps.ownerPublicJwk, now);
        if (record.kind === 'user') await assertUserMayUseApp(kv, record.sub, record.appid, record.app_instance_id);
      } catch (e) {
        await sessions.revoke(claims.session, record, now);
        throw e;
      }
      const pair = await issuer.mintPair(subjectOf(claims.session, record), now);
      if (await sessions.rotate(claims.session, version, record, pair.refreshJti, pair.refreshExp))
        return { session_token: pair.session_token, refresh_token: pair.refresh_token };
    }
    throw new KrpcError('UNAVAILABLE', 'the session is being changed concurrently; try again');
  }

  async function logout(p: RefreshTokenParams): Promise<true> {
    const now = nowS();
    const claims = await issuer.verify(p.refresh_token, 'refresh', now);
    const state = await sessions.read(claims.session);
    if (state && state.record.sub === claims.sub) {
      await sessions.revoke(claims.session, state.record, now);
      log.info('logout', { sub: claims.sub, session: claims.session });
    }
    return true;
  }

  async function verifyToken(p: VerifyTokenParams): Promise<true> {
    const claims = await issuer.verify(p.session_token, 'session', nowS());
    if (p.appid !== undefined && claims.appid !== p.appid)
      throw new KrpcError('PERMISSION_DENIED', `this token was issued for app "${claims.appid}", not "${p.appid}"`);
    if (p.app_instance_id !== undefined && claims.app_instance_id !== p.app_instance_id)
      throw new KrpcError('PERMISSION_DENIED', `this token was issued for another app instance`);
    const state = await sessions.read(claims.session);
    if (!state || state.record.revoked || state.record.sub !== claims.sub)
      throw new KrpcError('UNAUTHENTICATED', 'this session has ended; log in again');
    return true;
  }

  return krpcMethods<VerifyHubMethods>()({
    login_by_password: { params: loginByPasswordParams, handler: loginByPassword },
    login_by_jwt: { params: loginByJwtParams, handler: loginByJwt },
    refresh_token: { params: refreshTokenParams, handler: refreshToken },
    logout: { params: logoutParams, handler: logout },
    verify_token: { params: verifyTokenParams, handler: verifyToken },
    sudo_by_password: { params: sudoByPasswordParams, handler: sudoByPassword },
  });
}
