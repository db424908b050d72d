// Logs the CLI in to a zone through its gateway (verify-hub's login_by_password) and hands out
// kRPC clients that carry the session token.
import { KrpcClient } from '../lib/krpc/client.js';
import { kapiPath, KAPI_PATHS } from '../api/krpc.js';
import { VerifyHubClient } from '../verify-hub/client.js';
import type { ZoneLogin } from './args.js';

export interface ZoneSession {
  zone: string;
  user: string;
  sessionToken: string;
  /** An untyped client of any service (the typed clients take `zone` and `sessionToken`). */
  client(service: string): KrpcClient;
}

export async function login(l: ZoneLogin, appid = 'buckycli'): Promise<ZoneSession> {
  const res = await new VerifyHubClient(`${l.zone}${KAPI_PATHS.verifyHub}`).loginWithPassword(l.user, l.password, appid);
  return {
    zone: l.zone,
    user: l.user,
    sessionToken: res.session_token,
    client: (service: string) => new KrpcClient(`${l.zone}${kapiPath(service)}`, { token: res.session_token }),
  };
}
