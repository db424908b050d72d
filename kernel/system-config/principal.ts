// Who is calling: the verified claims of a token, turned into the subject RBAC decides about
// (spec 60 §1–§2). Pure, so the claim rules are unit-tested without keys or servers.
import { unauthenticated } from '../lib/errors.js';
import type { Claims } from '../lib/identity/jwt.js';
import { RBAC_ROLE_NAMES } from '../lib/rbac/policy.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import type { PrincipalKind, RbacSubject } from '../lib/rbac/rbac.js';

export interface Principal extends RbacSubject {
  kind: PrincipalKind;
  /** The trust-key entry that verified the token ("verify-hub", "root", a device or user name). */
  issuer: string;
  /** verify-hub session id, stable across refreshes. */
  session?: number;
}

/** Which kind of key signed the token. */
export type Signer =
  | { type: 'verify-hub' }
  | { type: 'owner' }
  | { type: 'device'; name: string }
  | { type: 'user'; name: string };

const MAX_ID_LENGTH = 128;

function claimString(claims: Claims, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = claims[n];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

function checkId(value: string | undefined, what: string): string {
  if (value === undefined) throw unauthenticated(`token has no ${what} claim`);
  if (value.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) throw unauthenticated(`token ${what} claim is not a valid id`);
  return value;
}

const kindFromClaim = (v: unknown): PrincipalKind => (v === 'device' || v === 'service' ? v : 'user');

export function principalFromClaims(claims: Claims, signer: Signer, issuer: string): Principal {
  // Fallbacks of spec 60 §2: older tokens carry `userid` for sub and `aud` for appid.
  const userId = checkId(claimString(claims, 'sub', 'userid'), 'sub');
  const appId = checkId(claimString(claims, 'appid', 'aud'), 'appid');
  // Only a key that speaks for the user itself can open a sudo session; a device could otherwise
  // promote any user it signs app tokens for.
  const sudo = claims.sudo === true && signer.type !== 'device';
  const session = typeof claims.session === 'number' && Number.isSafeInteger(claims.session) ? claims.session : undefined;

  // A token addressed to verify-hub (its refresh tokens, a login JWT such as the setup wizard's
  // hand-over) is spent there for a session; it is never a bearer token at other services, whoever signed it.
  if (claims.aud === 'verify-hub') throw unauthenticated('this token is addressed to verify-hub (a login or refresh token); use the session token it gives');
  let kind: PrincipalKind;
  switch (signer.type) {
    case 'owner':
      kind = 'user';
      break;
    case 'verify-hub':
      kind = kindFromClaim(claims.principal_kind);
      if (RBAC_ROLE_NAMES.has(userId)) throw unauthenticated(`session tokens cannot name the role "${userId}" as their subject`);
      // verify-hub opens sessions for users and devices only, whose names are never kernel ids.
      if (describeReserved(userId)) throw unauthenticated(`session tokens cannot name a kernel subject: ${describeReserved(userId)}`);
      break;
    case 'device':
      // A device speaks for itself (its kernel services) or, as node-daemon, for the owner of an app it
      // runs: an app token. Whether the scheduler really placed that app there is checked against KV
      // by the caller (TrustKeys); here only what the claims alone decide.
      kind = userId === signer.name ? 'device' : 'service';
      if (kind === 'service') checkAppTokenClaims(userId, appId, claims.sudo === true);
      break;
    case 'user':
      if (userId !== signer.name) throw unauthenticated('a user key can only sign tokens for its own user');
      kind = 'user';
      break;
  }
  return { userId, appId, kind, sudo, issuer, ...(session !== undefined ? { session } : {}) };
}

/**
 * The claim-only half of the app-token rule: a device may sign for a user only as an app of that user,
 * so neither side may be a role, a kernel id or a sudo subject, and a device never signs sudo.
 */
function checkAppTokenClaims(userId: string, appId: string, sudo: boolean): void {
  if (sudo) throw unauthenticated('a device cannot sign sudo tokens');
  const subject = describeReserved(userId);
  if (subject) throw unauthenticated(`a device speaks only as itself or for an app it runs; ${subject}, not a user`);
  const app = describeReserved(appId);
  if (app) throw unauthenticated(`a device cannot sign for a kernel app: ${app}`);
}
