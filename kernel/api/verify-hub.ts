// verify-hub's kRPC methods (spec 60 §3): password and JWT login, refresh with rotation, logout,
// token verification, sudo (kernel/api/sudo.ts). BuckyOS clients add `type` and may merge extra login params flat.
import type { SudoByPasswordParams, SudoByPasswordResult } from './sudo.js';

export interface LoginByPasswordParams {
  type?: 'password';
  username: string;
  /** loginProof(verifier, login_nonce): the password itself never travels */
  password: string;
  appid: string;
  app_instance_id?: string;
  /** ms since the epoch */
  login_nonce: number;
}
export interface LoginByJwtParams {
  type?: 'jwt';
  jwt: string;
  app_instance_id?: string;
}
export interface RefreshTokenParams {
  refresh_token: string;
}
export interface VerifyTokenParams {
  session_token: string;
  appid?: string;
  app_instance_id?: string;
}

export interface UserInfo {
  user_id: string;
  user_name: string;
  user_type: string;
}
export interface TokenPairResult {
  session_token: string;
  refresh_token: string;
}
export interface LoginByPasswordResult extends TokenPairResult {
  user_info: UserInfo;
}

export interface VerifyHubMethods {
  login_by_password: { params: LoginByPasswordParams; result: LoginByPasswordResult };
  login_by_jwt: { params: LoginByJwtParams; result: TokenPairResult };
  refresh_token: { params: RefreshTokenParams; result: TokenPairResult };
  logout: { params: RefreshTokenParams; result: true };
  verify_token: { params: VerifyTokenParams; result: true };
  sudo_by_password: { params: SudoByPasswordParams; result: SudoByPasswordResult };
}

/** Who a token speaks for: a person, a device (node key) or a kernel service. */
export type PrincipalKind = 'user' | 'device' | 'service';
export const PRINCIPAL_KINDS: readonly PrincipalKind[] = ['user', 'device', 'service'];

/**
 * Claims of the tokens verify-hub issues (docs/CONTRACTS.md "Token claims"). `principal_kind` and `zone`
 * are ours; refresh tokens carry `aud: "verify-hub"`.
 */
export interface SessionTokenClaims {
  iss: 'verify-hub';
  sub: string;
  appid: string;
  exp: number;
  iat: number;
  jti: string;
  session: number;
  principal_kind: PrincipalKind;
  zone: string;
  aud?: string;
  app_instance_id?: string;
  /** A sudo token (kernel/api/sudo.ts): RBAC checks `su_<sub>`. */
  sudo?: boolean;
}
