// login_by_jwt's trust decision (spec 60 §3): find the signer's key (owner for "root", else the
// user's document, else the owner-signed device document), verify, and classify the principal.
import { KrpcError } from '../lib/errors.js';
import { decodeUnverified, verifyJwt } from '../lib/identity/jwt.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import { deviceDocKey, userSettingsKey, type VerifyHubKv } from './kv.js';
import { deviceKey, isActive, isPrincipalName, readUserSettings, userKey } from './principals.js';
import { placesApp } from '../lib/app-placement.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import { nodeConfigKey } from '../api/keys.js';
import type { PrincipalKind } from './tokens.js';

/** Login JWTs are short-lived bootstrap tokens (20 min upstream); longer ones are refused. */
export const MAX_LOGIN_JWT_TTL_S = 24 * 3600;

export interface LoginJwtIdentity {
  sub: string;
  appid: string;
  kind: PrincipalKind;
  iss: string;
  jti: string;
  exp: number;
  appInstanceId?: string;
}

const refuse = (why: string) => new KrpcError('UNAUTHENTICATED', `login JWT refused: ${why}`);

export async function verifyLoginJwt(kv: VerifyHubKv, jwt: string, ownerKey: Ed25519PublicJwk, nowS: number): Promise<LoginJwtIdentity> {
  const { payload } = decodeUnverified(jwt);
  const iss = payload.iss;
  if (!isPrincipalName(iss)) throw refuse('its "iss" is not a user or device of this zone');

  let signer: 'user' | 'device';
  let key: Ed25519PublicJwk | undefined;
  if (iss === 'root') {
    signer = 'user';
    key = ownerKey;
  } else if ((key = await userKey(kv, iss, ownerKey, nowS))) {
    signer = 'user';
  } else {
    signer = 'device';
    key = await deviceKey(kv, iss, ownerKey, nowS);
  }
  if (!key) throw refuse(`"${iss}" is not a user with a key or a device of this zone`);

  const claims = await verifyJwt(jwt, key, { now: nowS });
  const { sub, appid, jti, exp } = claims;
  if (!isPrincipalName(sub)) throw refuse('"sub" must be a user id or device name');
  if (sub === 'root') throw refuse('verify-hub never issues tokens for root; sign with a user or device key');
  if (typeof appid !== 'string' || !/^[A-Za-z0-9_.@-]{1,128}$/.test(appid)) throw refuse('"appid" is missing or malformed');
  if (typeof jti !== 'string' && typeof jti !== 'number') throw refuse('"jti" is required (a one-time id)');
  if (typeof exp !== 'number' || exp - nowS > MAX_LOGIN_JWT_TTL_S) throw refuse(`"exp" must be at most ${MAX_LOGIN_JWT_TTL_S / 3600} h ahead`);
  const appInstanceId = typeof claims.app_instance_id === 'string' ? claims.app_instance_id : undefined;

  let kind: PrincipalKind;
  if (signer === 'device') {
    kind = sub === iss ? 'device' : 'service';
    if (kind === 'service') await checkAppLogin(kv, iss, sub, appid);
  } else {
    if (iss !== 'root' && sub !== iss) throw refuse('a user may only sign its own login');
    kind = 'user';
  }
  if (kind !== 'device' && !isActive(await readUserSettings(kv, sub))) throw refuse(`user "${sub}" is not an active user of this zone`);
  return { sub, appid, kind, iss, jti: String(jti), exp, appInstanceId };
}

/**
 * A device signing for someone else is node-daemon minting an app's token (spec 60 §7); the same rule
 * as system-config's: only for a user's app the scheduler placed on that device, never for a kernel
 * app id, a role, a sudo subject or a device.
 */
async function checkAppLogin(kv: VerifyHubKv, device: string, sub: string, appid: string): Promise<void> {
  const reservedSub = describeReserved(sub);
  if (reservedSub) throw refuse(`a device speaks only as itself or for an app it runs; ${reservedSub}, not a user`);
  const reservedApp = describeReserved(appid);
  if (reservedApp) throw refuse(`a device cannot open a session for a kernel app: ${reservedApp}`);
  const [subDevice, appDevice, appUser, nodeConfig] = await Promise.all([
    kv.get(deviceDocKey(sub)), kv.get(deviceDocKey(appid)), kv.get(userSettingsKey(appid)), kv.get(nodeConfigKey(device)),
  ]);
  if (subDevice || appDevice || appid === device) throw refuse('a device speaks only as itself');
  if (appUser) throw refuse(`"${appid}" is a user, not an app`);
  if (!placesApp(nodeConfig?.value, device, appid, sub)) throw refuse(`the scheduler has not placed ${sub}'s app ${appid} on ${device}`);
}
