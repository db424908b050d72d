// Logs the CLI in to a zone through its gateway (verify-hub's login_by_password) and hands out
// kRPC clients that carry the session token.
import { KrpcClient } from '../lib/krpc/client.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import type { ZoneLogin } from './args.js';

export interface ZoneSession {
  zone: string;
  user: string;
  sessionToken: string;
  client(service: string): KrpcClient;
}

export async function login(l: ZoneLogin, appid = 'buckycli'): Promise<ZoneSession> {
  const hub = new KrpcClient(`${l.zone}/kapi/verify_hub`);
  const nonce = Date.now();
  const res = await hub.call<{ session_token: string }>('login_by_password', {
    type: 'password',
    username: l.user,
    password: loginProof(hashPassword(l.password, l.user), nonce),
    appid,
    login_nonce: nonce,
  });
  return {
    zone: l.zone,
    user: l.user,
    sessionToken: res.session_token,
    client: (service: string) => new KrpcClient(`${l.zone}/kapi/${service}`, { token: res.session_token }),
  };
}
