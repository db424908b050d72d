// Who is calling the app-manager. Nothing is verified here: the caller's own token goes to
// system-config with a read of its own user settings, so the zone's trust keys and RBAC decide, exactly
// as for any other KV call. The caller's requests then write their install records with that same
// token, so RBAC also decides which apps a user may install, change or remove.
import { KrpcError, permissionDenied, unauthenticated } from '../lib/errors.js';
import { decodeUnverified } from '../lib/identity/jwt.js';
import { SystemConfigClient } from '../system-config/client.js';
import { isSafeUserName } from './schema.js';
import { userSettingsKey } from '../api/keys.js';

export interface Caller {
  userId: string;
  /** system-config as this caller */
  kv: SystemConfigClient;
}

/** A verified token is trusted for at most this long without asking system-config again. */
const CACHE_MS = 60_000;
const CACHE_LIMIT = 1000;

export class Callers {
  private readonly verified = new Map<string, { caller: Caller; until: number }>();

  constructor(private readonly kvUrl: string, private readonly now: () => number = Date.now) {}

  async verify(token: string | undefined): Promise<Caller> {
    if (!token) throw unauthenticated('the app-manager needs a session token in sys[1]; log in first');
    const hit = this.verified.get(token);
    if (hit && hit.until > this.now()) return hit.caller;
    const { payload } = decodeUnverified(token);
    const userId = payload.sub;
    if (typeof userId !== 'string' || !isSafeUserName(userId)) throw unauthenticated('token names no user this zone could have');
    const kv = new SystemConfigClient(this.kvUrl, token);
    let settings;
    try {
      settings = await kv.get(userSettingsKey(userId));
    } catch (e) {
      if (e instanceof KrpcError && e.code === 'PERMISSION_DENIED') throw permissionDenied(`${userId} may not manage apps in this zone`);
      throw e;
    }
    if (!settings) throw permissionDenied(`${userId} is not a user of this zone, so it has no apps to manage`);
    const caller = { userId, kv };
    const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : this.now();
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, { caller, until: Math.min(exp, this.now() + CACHE_MS) });
    return caller;
  }
}
