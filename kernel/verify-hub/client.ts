// Typed client of verify-hub. loginWithPassword does the client half of BuckyOS password login: it
// hashes the password into the verifier and the verifier with a fresh nonce; the password never leaves.
import { ServiceClient } from '../lib/krpc/client.js';
import type { VerifyHubMethods } from '../api/verify-hub.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import type { LoginByPasswordParams, LoginByPasswordResult, TokenPairResult, VerifyTokenParams } from './schema.js';

export class VerifyHubClient {
  private readonly rpc: ServiceClient<VerifyHubMethods>;
  constructor(readonly url: string, opts: { timeoutMs?: number } = {}) {
    this.rpc = new ServiceClient<VerifyHubMethods>(url, { timeoutMs: opts.timeoutMs });
  }

  loginByPassword(params: LoginByPasswordParams): Promise<LoginByPasswordResult> {
    return this.rpc.call('login_by_password', { type: 'password', ...params });
  }

  loginWithPassword(username: string, password: string, appid: string, nonceMs = Date.now()): Promise<LoginByPasswordResult> {
    const proof = loginProof(hashPassword(password, username), nonceMs);
    return this.loginByPassword({ username, password: proof, appid, login_nonce: nonceMs });
  }

  loginByJwt(jwt: string, appInstanceId?: string): Promise<TokenPairResult> {
    return this.rpc.call('login_by_jwt', { type: 'jwt', jwt, ...(appInstanceId ? { app_instance_id: appInstanceId } : {}) });
  }

  refreshToken(refreshToken: string): Promise<TokenPairResult> {
    return this.rpc.call('refresh_token', { refresh_token: refreshToken });
  }

  logout(refreshToken: string): Promise<true> {
    return this.rpc.call('logout', { refresh_token: refreshToken });
  }

  verifyToken(params: VerifyTokenParams): Promise<true> {
    return this.rpc.call('verify_token', params);
  }
}
